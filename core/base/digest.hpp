#pragma once
// Digests: SHA-256 names model files, run files (whose analysis is whose) and runs (content-
// addressed ids).
#include <string>
#include <string_view>

namespace m1 {

// SHA-256 of some bytes, as lowercase hex.
std::string sha256_hex(std::string_view bytes);

}  // namespace m1
