/* LD_PRELOAD shim for the tests: flock(2) fails with ENOLCK, as on a file system without flock
 * (Lustre mounted without -o flock, some NFS set-ups), which this machine cannot mount. */
#include <errno.h>

int flock(int fd, int operation) {
    (void)fd;
    (void)operation;
    errno = ENOLCK;
    return -1;
}
