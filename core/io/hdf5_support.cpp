// HDF5 plumbing (hdf5_support.hpp).
#include "core/io/hdf5_support.hpp"

#include "core/base/error.hpp"
#include "core/io/posix_file.hpp"

#include <fcntl.h>

#include <cerrno>
#include <mutex>
#include <system_error>

namespace m1 {

namespace {

// The innermost entry of the current error stack (the most specific reason), then clears it.
std::string hdf5_reason() {
    std::string reason;
    auto walk = [](unsigned n, const H5E_error2_t* err, void* out) -> herr_t {
        if (n == 0 && err != nullptr && err->desc != nullptr)
            *static_cast<std::string*>(out) = err->desc;
        return 0;
    };
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, walk, &reason);
    H5Eclear2(H5E_DEFAULT);
    return reason;
}

// HDF5 files of one process are written one at a time (HDF5 serialises its calls anyway).
std::mutex& write_mutex() {
    static std::mutex m;
    return m;
}

}  // namespace

hdf5_quiet::hdf5_quiet() noexcept {
    if (H5Eget_auto2(H5E_DEFAULT, &func_, &data_) < 0) {
        func_ = nullptr;
        data_ = nullptr;
    }
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    H5Eclear2(H5E_DEFAULT);
}

hdf5_quiet::~hdf5_quiet() {
    H5Eclear2(H5E_DEFAULT);
    H5Eset_auto2(H5E_DEFAULT, func_, data_);
}

void hdf5_checker::fail(const std::string& what) const {
    throw run_error(verb_ + " " + file_ + ": " + what);
}

void hdf5_checker::fail_hdf5(const std::string& what) const {
    const std::string reason = hdf5_reason();
    fail(reason.empty() ? what : what + " (HDF5: " + reason + ")");
}

h5_handle utf8_string_type(const hdf5_checker& check) {
    const std::string what = "cannot create the string type";
    h5_handle type = check.handle(H5Tcopy(H5T_C_S1), H5Tclose, what);
    check.ok(H5Tset_size(type, H5T_VARIABLE), what);
    check.ok(H5Tset_cset(type, H5T_CSET_UTF8), what);
    return type;
}

h5_handle file_access(const hdf5_checker& c, bool lock_files) {
    h5_handle fapl = c.handle(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, "cannot set up file access");
#if H5_VERSION_GE(1, 10, 7)
    c.ok(H5Pset_file_locking(fapl, lock_files, /*ignore_when_disabled=*/true),
         "cannot set up file access");
#else
    (void)lock_files;
#endif
    return fapl;
}

h5_handle open_for_reading(const hdf5_checker& c, const std::filesystem::path& path) {
    {
        // HDF5 does not say why a file cannot be opened; open(2) does.
        const fd_handle probe(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
        if (probe.get() < 0) {
            const int err = errno;
            c.fail(errno_text(err));
        }
    }
    const h5_handle fapl = file_access(c, /*lock_files=*/true);
    return c.handle(H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl), H5Fclose,
                    "not an HDF5 file or cannot be opened");
}

namespace {

// The bytes of a file that `fill` writes, built in memory (HDF5's core driver without a backing
// store): HDF5 itself never writes to disk, so a full disk cannot leave it holding a file that
// failed to flush (which it would try again, and crash on, at exit), and a failed fill leaves
// nothing behind.
std::string hdf5_image(const std::filesystem::path& path,
                       const std::function<void(const hdf5_checker& check, hid_t file)>& fill) {
    const hdf5_checker c("cannot write", path.string());
    h5_handle fapl = file_access(c, /*lock_files=*/false);
    c.ok(H5Pset_fapl_core(fapl, 1 << 20, /*backing_store=*/false), "cannot set up file access");
    // The name only identifies the file among HDF5's open files; nothing is created under it.
    const std::string name = path.string() + ".image." + unique_suffix();
    h5_handle file = c.handle(H5Fcreate(name.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl),
                              H5Fclose, "cannot create the file in memory");
    fill(c, file);
    c.ok(H5Fflush(file, H5F_SCOPE_GLOBAL), "cannot complete the file");
    const ssize_t size = H5Fget_file_image(file, nullptr, 0);
    if (size < 0) c.fail_hdf5("cannot complete the file");
    std::string image(static_cast<std::size_t>(size), '\0');
    if (H5Fget_file_image(file, image.data(), image.size()) != size)
        c.fail_hdf5("cannot complete the file");
    if (file.close() < 0) c.fail_hdf5("cannot complete the file");
    return image;
}

}  // namespace

std::string hdf5_file_image(const std::filesystem::path& path,
                            const std::function<void(const hdf5_checker& check, hid_t file)>& fill) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec))
        throw run_error("cannot create " + path.string() + ": " + errno_text(EISDIR));
    std::lock_guard<std::mutex> lock(write_mutex());
    hdf5_quiet quiet;
    return hdf5_image(path, fill);
}

void write_hdf5_atomically(const std::filesystem::path& path,
                           const std::function<void(const hdf5_checker& check, hid_t file)>& fill) {
    write_file_atomically(path, hdf5_file_image(path, fill));
}

}  // namespace m1
