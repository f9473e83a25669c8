// HDF5 plumbing (hdf5_support.hpp).
#include "hdf5_support.hpp"

#include "error.hpp"

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

}  // namespace m1
