#pragma once
// HDF5 plumbing shared by the run file (core) and the index (batch): handles that close
// themselves, silence instead of HDF5's own printing of error stacks, and checks that turn
// failures into run_error. Includes <hdf5.h>: only for .cpp files of targets that link HDF5.
#include <hdf5.h>

#include <string>
#include <utility>

namespace m1 {

// An HDF5 identifier and the function that closes it. Move-only.
class h5_handle {
public:
    using closer = herr_t (*)(hid_t);

    h5_handle() = default;
    h5_handle(hid_t id, closer close) noexcept : id_(id), close_(close) {}
    h5_handle(const h5_handle&) = delete;
    h5_handle& operator=(const h5_handle&) = delete;
    h5_handle(h5_handle&& other) noexcept : id_(other.id_), close_(other.close_) {
        other.id_ = H5I_INVALID_HID;
    }
    h5_handle& operator=(h5_handle&& other) noexcept {
        if (this != &other) {
            reset();
            id_ = other.id_;
            close_ = other.close_;
            other.id_ = H5I_INVALID_HID;
        }
        return *this;
    }
    ~h5_handle() { reset(); }

    hid_t get() const noexcept { return id_; }
    operator hid_t() const noexcept { return id_; }  // NOLINT: handles are passed to H5* calls

    // Closes now and reports the result (closing a file flushes it, so that result matters).
    herr_t close() noexcept {
        herr_t r = 0;
        if (id_ >= 0 && close_ != nullptr) r = close_(id_);
        id_ = H5I_INVALID_HID;
        return r;
    }
    void reset() noexcept { (void)close(); }

private:
    hid_t id_ = H5I_INVALID_HID;
    closer close_ = nullptr;
};

// Switches off HDF5's automatic printing of error stacks on this thread (the library is built
// thread-safe, where the setting is per thread) and restores the previous handler afterwards:
// failures reach the user once, as run_error, not as a stack dump on stderr.
class hdf5_quiet {
public:
    hdf5_quiet() noexcept;
    ~hdf5_quiet();
    hdf5_quiet(const hdf5_quiet&) = delete;
    hdf5_quiet& operator=(const hdf5_quiet&) = delete;

private:
    H5E_auto2_t func_ = nullptr;
    void* data_ = nullptr;
};

// Checks HDF5 results and turns failures into run_error "<verb> <file>: <what> (HDF5: <innermost
// message of the error stack>)", the most specific reason HDF5 gives.
class hdf5_checker {
public:
    hdf5_checker(std::string verb, std::string file)
        : verb_(std::move(verb)), file_(std::move(file)) {}

    [[noreturn]] void fail(const std::string& what) const;       // without an HDF5 reason
    [[noreturn]] void fail_hdf5(const std::string& what) const;  // with it, then clears the stack
    h5_handle handle(hid_t id, h5_handle::closer close, const std::string& what) const {
        if (id < 0) fail_hdf5(what);
        return h5_handle(id, close);
    }
    void ok(herr_t r, const std::string& what) const {
        if (r < 0) fail_hdf5(what);
    }

private:
    std::string verb_;
    std::string file_;
};

// The type of variable-length UTF-8 strings, as datasets and attributes store text.
h5_handle utf8_string_type(const hdf5_checker& check);

}  // namespace m1
