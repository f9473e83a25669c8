#pragma once
// Numbers as text for people and for CSV: the shortest digits that read back to the same double
// (std::to_chars), laid out as Python's repr lays out a float, which is what NetPyNE users read:
// positional for decimal exponents -4..15 ("0.0003", "1.0", "1234.5"), scientific otherwise
// ("1e-05", "1e+16"); "nan", "inf", "-inf".
#include <string>

namespace m1 {

std::string python_repr(double value);

}  // namespace m1
