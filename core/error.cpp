#include "error.hpp"

namespace m1 {

namespace {
std::string format(const source_location& where, const std::string& what) {
    std::string s = where.file;
    if (where.line > 0) {
        s += ":" + std::to_string(where.line);
        if (where.column > 0) s += ":" + std::to_string(where.column);
    }
    s += ": ";
    if (!where.key_path.empty()) s += where.key_path + ": ";
    return s + what;
}
}  // namespace

input_error::input_error(source_location where, const std::string& what)
    : std::runtime_error(format(where, what)), where_(std::move(where)), reason_(what) {}

}  // namespace m1
