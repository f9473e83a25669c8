#pragma once
// POSIX file plumbing shared by the run file (core) and the results directory (batch). Used
// where std::filesystem and iostreams say too little: open(2), write(2) and close(2) give the
// errno that tells a user why a file cannot be written, and fsync makes a write durable.
#include <filesystem>
#include <string>
#include <string_view>

namespace m1 {

// The text of an errno value ("No such file or directory"); thread-safe, unlike strerror.
std::string errno_text(int err);

// A file descriptor that closes itself. Move-only; -1 holds nothing.
class fd_handle {
public:
    fd_handle() noexcept = default;
    explicit fd_handle(int fd) noexcept : fd_(fd) {}
    fd_handle(fd_handle&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
    fd_handle& operator=(fd_handle&& other) noexcept;
    fd_handle(const fd_handle&) = delete;
    fd_handle& operator=(const fd_handle&) = delete;
    ~fd_handle() { (void)close(); }

    int get() const noexcept { return fd_; }
    // Closes now and reports close(2)'s result, 0 when nothing is held (a close can report a
    // write error the kernel deferred).
    int close() noexcept;

private:
    int fd_ = -1;
};

// write(2) until done; false with errno set on failure.
bool write_all(int fd, std::string_view text);

// Reads all of an open file from its current offset into `out`; false with errno set on failure.
bool read_all(int fd, std::string& out);

// The bytes of a file; run_error "cannot read <path>: <errno text>" when it cannot be read.
std::string read_bytes(const std::filesystem::path& path);

// The error for a failed write of `path`: storage_error when errno `err` is a fault of the whole
// file system (is_storage_fault), else run_error "<verb> <path>: <step><errno text>".
[[noreturn]] void throw_write_failure(const std::filesystem::path& path, int err,
                                      const std::string& verb = "cannot write",
                                      const std::string& step = "");

// Creates a directory and its parents; run_error "cannot create <dir>: ..." or storage_error.
void make_directories(const std::filesystem::path& dir);

// "<pid>.<n>": unique within the process and, by the pid, among the processes of one host.
// Processes of different hosts may share a pid (containers): creators of names built from it use
// O_EXCL and retry.
std::string unique_suffix();

// Writes `text` to `path` atomically: a temporary name "<path>.tmp.<unique_suffix>" in the same
// directory, fsync, rename, then fsync of the directory. Leaves no temporary file behind; throws
// run_error "cannot create <path>: ..." (the directory cannot be written to), "cannot write
// <path>: ..." (a later step), or storage_error (no space, over quota, read-only).
void write_file_atomically(const std::filesystem::path& path, std::string_view text);

}  // namespace m1
