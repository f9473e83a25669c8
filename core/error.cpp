#include "error.hpp"

namespace m1 {

namespace {
// "file:line:column: key.path: what", the form compilers use, which editors can jump to.
std::string format(const source_location& where, const std::string& what) {
    std::string s = where.file;
    if (where.line > 0) {
        s.append(":").append(std::to_string(where.line));
        if (where.column > 0) s.append(":").append(std::to_string(where.column));
    }
    s.append(": ");
    if (!where.key_path.empty()) s.append(where.key_path).append(": ");
    s.append(what);
    return s;
}
}  // namespace

input_error::input_error(source_location where, const std::string& what)
    : std::runtime_error(format(where, what)), where_(std::move(where)), reason_(what) {}

}  // namespace m1
