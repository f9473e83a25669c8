// HDF5 plumbing (hdf5_support.hpp).
#include "hdf5_support.hpp"

#include "error.hpp"
#include "posix_file.hpp"

#include <fcntl.h>
#include <unistd.h>

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

// Removes the temporary file unless dismissed.
class remove_on_failure {
public:
    explicit remove_on_failure(std::filesystem::path p) : path_(std::move(p)) {}
    remove_on_failure(const remove_on_failure&) = delete;
    remove_on_failure& operator=(const remove_on_failure&) = delete;
    ~remove_on_failure() {
        if (armed_) {
            std::error_code ignored;
            std::filesystem::remove(path_, ignored);
        }
    }
    void dismiss() noexcept { armed_ = false; }

private:
    std::filesystem::path path_;
    bool armed_ = true;
};

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


void write_hdf5_atomically(const std::filesystem::path& path,
                           const std::function<void(const hdf5_checker& check, hid_t file)>& fill) {
    const std::string name = path.string();
    std::filesystem::path temporary = path;
    temporary += ".tmp." + unique_suffix();

    std::lock_guard<std::mutex> lock(write_mutex());
    hdf5_quiet quiet;

    std::error_code ec;
    if (std::filesystem::is_directory(path, ec))
        throw run_error("cannot create " + name + ": " + errno_text(EISDIR));

    // Create the temporary file ourselves first: the errno says clearly why a directory cannot be
    // written ("Permission denied", "No such file or directory", "Not a directory", ...).
    fd_handle fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666));
    if (fd.get() < 0) {
        const int err = errno;
        throw run_error("cannot create " + name + ": " + errno_text(err));
    }
    remove_on_failure cleanup(temporary);

    {
        const hdf5_checker c("cannot write", name);
        h5_handle fapl = file_access(c, /*lock_files=*/false);
        h5_handle file = c.handle(H5Fcreate(temporary.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl),
                                  H5Fclose, "cannot create " + temporary.string());
        fill(c, file);
        if (file.close() < 0) c.fail_hdf5("cannot close " + temporary.string());
    }

    if (::fsync(fd.get()) != 0) {
        const int err = errno;
        throw run_error("cannot write " + name + ": fsync of " + temporary.string() + ": " +
                        errno_text(err));
    }
    if (fd.close() != 0) {
        const int err = errno;
        throw run_error("cannot write " + name + ": close of " + temporary.string() + ": " +
                        errno_text(err));
    }
    std::filesystem::rename(temporary, path, ec);
    if (ec)
        throw run_error("cannot write " + name + ": cannot rename " + temporary.string() +
                        " to it: " + ec.message());
    cleanup.dismiss();
}

}  // namespace m1
