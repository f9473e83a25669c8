// Text from HDF5 files (hdf5_strings.hpp). HDF5 converts neither fixed-length strings into
// variable-length ones nor between character sets ("no appropriate function for conversion
// path"), so each kind is read with a memory type of its own kind and character set.
#include "core/io/hdf5_strings.hpp"

#include <algorithm>

namespace m1 {

namespace {

// A dataset or an attribute: the two hold text alike but are read by different calls.
struct text_source {
    hid_t object = H5I_INVALID_HID;
    bool attribute = false;
    h5_handle type, space;
};

text_source source_of(const hdf5_checker& c, hid_t object, const std::string& what) {
    text_source s;
    s.object = object;
    s.attribute = H5Iget_type(object) == H5I_ATTR;
    s.type = c.handle(s.attribute ? H5Aget_type(object) : H5Dget_type(object), H5Tclose, what);
    s.space = c.handle(s.attribute ? H5Aget_space(object) : H5Dget_space(object), H5Sclose, what);
    return s;
}

herr_t read_into(const text_source& s, hid_t memory_type, void* buffer) {
    return s.attribute ? H5Aread(s.object, memory_type, buffer)
                       : H5Dread(s.object, memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer);
}

// A C string type of `size` bytes (or H5T_VARIABLE) in the stored type's character set.
h5_handle memory_type(const hdf5_checker& c, const text_source& s, std::size_t size,
                      const std::string& what) {
    h5_handle type = c.handle(H5Tcopy(H5T_C_S1), H5Tclose, what);
    c.ok(H5Tset_size(type, size), what);
    const H5T_cset_t cset = H5Tget_cset(s.type);
    if (cset < 0) c.fail_hdf5(what);
    c.ok(H5Tset_cset(type, cset), what);
    return type;
}

void reclaim(hid_t type, hid_t space, void* buffer) {
#if H5_VERSION_GE(1, 12, 0)  // 1.10 declares H5Treclaim but does not export it
    H5Treclaim(type, space, H5P_DEFAULT, buffer);
#else
    H5Dvlen_reclaim(type, space, H5P_DEFAULT, buffer);
#endif
}

std::vector<std::string> variable_strings(const hdf5_checker& c, const text_source& s,
                                          std::size_t n, const std::string& what) {
    const h5_handle type = memory_type(c, s, H5T_VARIABLE, what);
    std::vector<char*> pointers(n, nullptr);
    c.ok(read_into(s, type, pointers.data()), what);
    std::vector<std::string> out;
    out.reserve(n);
    for (const char* p : pointers) out.emplace_back(p ? p : "");
    reclaim(type, s.space, pointers.data());
    return out;
}

// One fixed-length string without its padding: up to the first NUL (null-terminated and
// null-padded strings), or without trailing spaces (space-padded ones).
std::string unpadded(const char* bytes, std::size_t size, H5T_str_t pad) {
    std::string s(bytes, size);
    if (pad == H5T_STR_SPACEPAD) s.erase(s.find_last_not_of(' ') + 1);
    else s.resize(std::min(s.find('\0'), s.size()));
    return s;
}

std::vector<std::string> fixed_strings(const hdf5_checker& c, const text_source& s,
                                       std::size_t n, const std::string& what) {
    const std::size_t size = H5Tget_size(s.type);
    const H5T_str_t pad = H5Tget_strpad(s.type);
    if (size == 0 || pad < 0) c.fail_hdf5(what);
    const h5_handle type = memory_type(c, s, size, what);
    c.ok(H5Tset_strpad(type, pad), what);
    std::vector<char> bytes(n * size);
    c.ok(read_into(s, type, bytes.data()), what);
    std::vector<std::string> out;
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i) out.push_back(unpadded(bytes.data() + i * size, size, pad));
    return out;
}

}  // namespace

std::vector<std::string> read_strings(const hdf5_checker& c, hid_t object,
                                      const std::string& where) {
    const std::string what = "cannot read " + where;
    const text_source s = source_of(c, object, what);
    if (H5Tget_class(s.type) != H5T_STRING) c.fail(where + " is not text");
    const hssize_t n = H5Sget_simple_extent_npoints(s.space);
    if (n < 0) c.fail_hdf5(what);
    if (n == 0) return {};
    const htri_t variable = H5Tis_variable_str(s.type);
    if (variable < 0) c.fail_hdf5(what);
    return variable ? variable_strings(c, s, std::size_t(n), what)
                    : fixed_strings(c, s, std::size_t(n), what);
}

std::optional<std::string> read_string_attribute(const hdf5_checker& c, hid_t object,
                                                 const std::string& name, const std::string& where) {
    const std::string attribute = "attribute " + name + " of " + where;
    const htri_t exists = H5Aexists(object, name.c_str());
    if (exists < 0) c.fail_hdf5("cannot read " + attribute);
    if (exists == 0) return std::nullopt;
    const h5_handle attr =
        c.handle(H5Aopen(object, name.c_str(), H5P_DEFAULT), H5Aclose, "cannot read " + attribute);
    std::vector<std::string> texts = read_strings(c, attr, attribute);
    if (texts.size() != 1) c.fail(attribute + " is not one string");
    return std::move(texts.front());
}

}  // namespace m1
