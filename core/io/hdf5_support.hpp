#pragma once
// HDF5 plumbing shared by the run file (core) and the index (batch): handles that close
// themselves, silence instead of HDF5's own printing of error stacks, and checks that turn
// failures into run_error. Includes <hdf5.h>: only for .cpp files of targets that link HDF5.
#include <hdf5.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <string>
#include <type_traits>
#include <vector>
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

// A file access property list: readers lock the file where the file system supports it and carry
// on where it does not (NFS, Lustre); a writer's temporary file is its own and is not locked.
h5_handle file_access(const hdf5_checker& check, bool lock_files);

// Opens `path` read-only (locked, as file_access says); run_error through `check` when it cannot
// be: open(2)'s reason ("No such file or directory"), else "not an HDF5 file or cannot be opened".
h5_handle open_for_reading(const hdf5_checker& check, const std::filesystem::path& path);

// The type of variable-length UTF-8 strings, as datasets and attributes store text.
h5_handle utf8_string_type(const hdf5_checker& check);

// The HDF5 types of the numbers the run file stores: native in memory, explicit little-endian in
// the file (the SONATA conventions).
template <class T>
hid_t native_type() {
    if constexpr (std::is_same_v<T, double>) return H5T_NATIVE_DOUBLE;
    else if constexpr (std::is_same_v<T, std::uint64_t>) return H5T_NATIVE_UINT64;
    else if constexpr (std::is_same_v<T, std::int64_t>) return H5T_NATIVE_INT64;
    else if constexpr (std::is_same_v<T, std::uint32_t>) return H5T_NATIVE_UINT32;
    else static_assert(!sizeof(T), "no HDF5 type for T");
}

// The file types are the SONATA conventions' explicit little-endian types.
template <class T>
hid_t file_type() {
    if constexpr (std::is_same_v<T, double>) return H5T_IEEE_F64LE;
    else if constexpr (std::is_same_v<T, std::uint64_t>) return H5T_STD_U64LE;
    else if constexpr (std::is_same_v<T, std::int64_t>) return H5T_STD_I64LE;
    else if constexpr (std::is_same_v<T, std::uint32_t>) return H5T_STD_U32LE;
    else static_assert(!sizeof(T), "no HDF5 type for T");
}

inline std::string join(const std::string& parent, const std::string& name) {
    return parent == "/" ? "/" + name : parent + "/" + name;
}

// Writes groups, datasets and attributes, each call checked (the run file, the analysis results).
class hdf5_writer {
public:
    explicit hdf5_writer(const hdf5_checker& check)
        : check_(check), string_type_(utf8_string_type(check)) {}

    [[noreturn]] void fail(const std::string& what) const { check_.fail(what); }

    // A group; with creation-order tracking of its links (children) and attributes if asked.
    h5_handle group(hid_t parent, const std::string& parent_path, const std::string& name,
                    bool track_links = false, bool track_attributes = false) const {
        const std::string where = join(parent_path, name);
        const std::string what = "cannot create group " + where;
        h5_handle gcpl = check_.handle(H5Pcreate(H5P_GROUP_CREATE), H5Pclose, what);
        const unsigned order = H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED;
        if (track_links) check_.ok(H5Pset_link_creation_order(gcpl, order), what);
        if (track_attributes) check_.ok(H5Pset_attr_creation_order(gcpl, order), what);
        return check_.handle(H5Gcreate2(parent, name.c_str(), H5P_DEFAULT, gcpl, H5P_DEFAULT),
                             H5Gclose, what);
    }

    // A dataset with the given dimensions, written in one call. Contiguous layout, no
    // compression: each dataset is written once and read whole.
    h5_handle dataset(hid_t parent, const std::string& parent_path, const std::string& name,
                      hid_t stored_type, hid_t memory_type, const void* data,
                      std::initializer_list<hsize_t> dims) const {
        const std::string what = "cannot write dataset " + join(parent_path, name);
        std::vector<hsize_t> d(dims);
        h5_handle space = check_.handle(
            H5Screate_simple(static_cast<int>(d.size()), d.data(), nullptr), H5Sclose, what);
        h5_handle set = check_.handle(H5Dcreate2(parent, name.c_str(), stored_type, space,
                                                 H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                                      H5Dclose, what);
        hsize_t n = 1;
        for (hsize_t x : d) n *= x;
        if (n > 0) check_.ok(H5Dwrite(set, memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), what);
        return set;
    }

    // A dataset of numbers with the given dimensions.
    template <class T>
    h5_handle numbers(hid_t parent, const std::string& parent_path, const std::string& name,
                      const T* data, std::initializer_list<hsize_t> dims) const {
        return dataset(parent, parent_path, name, file_type<T>(), native_type<T>(), data, dims);
    }

    template <class T>
    h5_handle numbers(hid_t parent, const std::string& parent_path, const std::string& name,
                      const std::vector<T>& data) const {
        return numbers(parent, parent_path, name, data.data(), {hsize_t(data.size())});
    }

    // A 1-D dataset of variable-length UTF-8 strings.
    h5_handle strings(hid_t parent, const std::string& parent_path, const std::string& name,
                      const std::vector<std::string>& values) const {
        const auto pointers = c_strings(values);
        return dataset(parent, parent_path, name, string_type_, string_type_, pointers.data(),
                       {hsize_t(values.size())});
    }

    // A 1-D dataset of booleans as h5py writes them (an 8-bit enum FALSE = 0, TRUE = 1): h5py and
    // pandas read it back as bool, HDF5 has no type of its own for them.
    h5_handle booleans(hid_t parent, const std::string& parent_path, const std::string& name,
                       const std::vector<bool>& values) const {
        const std::string what = "cannot write dataset " + join(parent_path, name);
        h5_handle type = check_.handle(H5Tenum_create(H5T_STD_I8LE), H5Tclose, what);
        const std::pair<const char*, std::int8_t> members[] = {{"FALSE", 0}, {"TRUE", 1}};
        for (const auto& [member, value] : members)
            check_.ok(H5Tenum_insert(type, member, &value), what);
        const std::vector<std::int8_t> data(values.begin(), values.end());
        return dataset(parent, parent_path, name, type, type, data.data(), {hsize_t(data.size())});
    }

    // A scalar dataset holding one variable-length UTF-8 string (no size limit, unlike
    // attributes, which must fit in 64 KiB).
    void string_scalar(hid_t parent, const std::string& parent_path, const std::string& name,
                       const std::string& value) const {
        const std::string what = "cannot write dataset " + join(parent_path, name);
        const char* pointer = value.c_str();
        h5_handle space = check_.handle(H5Screate(H5S_SCALAR), H5Sclose, what);
        h5_handle set = check_.handle(H5Dcreate2(parent, name.c_str(), string_type_, space,
                                                 H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                                      H5Dclose, what);
        check_.ok(H5Dwrite(set, string_type_, H5S_ALL, H5S_ALL, H5P_DEFAULT, &pointer), what);
    }

    // Attributes. `where` names the object for messages.
    void attribute(hid_t object, const std::string& where, const std::string& name,
                   hid_t stored_type, hid_t memory_type, const void* value,
                   std::initializer_list<hsize_t> dims = {}) const {
        const std::string what = "cannot write attribute " + name + " of " + where;
        std::vector<hsize_t> d(dims);
        h5_handle space = d.empty() ? check_.handle(H5Screate(H5S_SCALAR), H5Sclose, what)
                                    : check_.handle(H5Screate_simple(static_cast<int>(d.size()),
                                                                     d.data(), nullptr),
                                                    H5Sclose, what);
        h5_handle attr = check_.handle(
            H5Acreate2(object, name.c_str(), stored_type, space, H5P_DEFAULT, H5P_DEFAULT),
            H5Aclose, what);
        hsize_t n = 1;
        for (hsize_t x : d) n *= x;
        if (n > 0) check_.ok(H5Awrite(attr, memory_type, value), what);
    }

    template <class T>
    void attribute(hid_t object, const std::string& where, const std::string& name,
                   T value) const {
        attribute(object, where, name, file_type<T>(), native_type<T>(), &value);
    }

    void attribute(hid_t object, const std::string& where, const std::string& name,
                   const std::string& value) const {
        const char* pointer = value.c_str();
        attribute(object, where, name, string_type_, string_type_, &pointer);
    }

    void attribute(hid_t object, const std::string& where, const std::string& name,
                   const std::vector<std::string>& values) const {
        const auto pointers = c_strings(values);
        attribute(object, where, name, string_type_, string_type_, pointers.data(),
                  {hsize_t(values.size())});
    }

    const hdf5_checker& check() const { return check_; }

private:
    static std::vector<const char*> c_strings(const std::vector<std::string>& values) {
        std::vector<const char*> pointers;
        pointers.reserve(values.size());
        for (const auto& s : values) pointers.push_back(s.c_str());
        return pointers;
    }

    const hdf5_checker& check_;
    h5_handle string_type_;
};

// Writes an HDF5 file atomically, the one way every HDF5 file here is written (run files, the
// analysis, the index, the analysis summary): `fill` writes into a new file built in memory, whose
// bytes then go to disk through write_file_atomically (a temporary name, fsync, rename). On any
// failure nothing is left behind and run_error says "cannot create <path>: <errno text>" (the
// directory cannot be written), "cannot write <path>: <what failed> (HDF5: ...)", or storage_error
// (no space, over quota, read-only). Writers of one process take turns building their images
// (HDF5 serialises its calls anyway); the disk writes overlap.
void write_hdf5_atomically(const std::filesystem::path& path,
                           const std::function<void(const hdf5_checker& check, hid_t file)>& fill);

// The bytes write_hdf5_atomically would write to `path` (named in messages only), for a caller
// that needs them too (their digest): write them with write_file_atomically.
std::string hdf5_file_image(const std::filesystem::path& path,
                            const std::function<void(const hdf5_checker& check, hid_t file)>& fill);

}  // namespace m1
