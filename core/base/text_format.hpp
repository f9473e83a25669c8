#pragma once
// Text for people and for CSV files. Numbers as text for people and for CSV: the shortest digits that read back to the same double
// (std::to_chars), laid out as Python's repr lays out a float, which is what NetPyNE users read:
// positional for decimal exponents -4..15 ("0.0003", "1.0", "1234.5"), scientific otherwise
// ("1e-05", "1e+16"); "nan", "inf", "-inf".
#include <string>
#include <string_view>
#include <vector>

namespace m1 {

std::string python_repr(double value);

// RFC 4180: a field quoted when it holds a comma, a quote or a line break, its quotes doubled.
std::string csv_field(std::string_view text);
// The fields as one CSV record, ended by CRLF, appended to `out`.
void csv_line(std::string& out, const std::vector<std::string>& fields);

// The text without leading and trailing white space (blanks, tabs, line ends).
std::string trim(std::string_view text);

}  // namespace m1
