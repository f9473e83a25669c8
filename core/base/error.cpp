#include "core/base/error.hpp"

#include <cctype>
#include <cerrno>
#include <system_error>

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

namespace {
// "no space left on device while writing <path>": the errno's text as a clause of the sentence.
std::string storage_message(int error_number, const std::string& path) {
    std::string reason = std::system_category().message(error_number);
    if (!reason.empty())
        reason[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(reason[0])));
    return reason + " while writing " + path;
}
}  // namespace

storage_error::storage_error(int error_number, const std::string& path)
    : run_error(storage_message(error_number, path)), error_number_(error_number), path_(path) {}

void storage_fault_latch::report(const std::string& message) {
    std::lock_guard<std::mutex> g(mutex_);
    if (message_.empty()) message_ = message;
    seen_.store(true, std::memory_order_relaxed);
}

std::string storage_fault_latch::message() const {
    std::lock_guard<std::mutex> g(mutex_);
    return message_;
}

bool is_storage_fault(int error_number) noexcept {
    return error_number == ENOSPC || error_number == EDQUOT || error_number == EROFS;
}

}  // namespace m1
