#include "core/base/text_format.hpp"

#include <charconv>
#include <cmath>
#include <string>

namespace m1 {

std::string python_repr(double value) {
    char buffer[64];
    if (!std::isfinite(value)) return std::isnan(value) ? "nan" : (value > 0 ? "inf" : "-inf");
    const auto r = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::scientific);
    const std::string sci(buffer, r.ptr);
    const std::size_t e_at = sci.find('e');
    const int exponent = std::stoi(sci.substr(e_at + 1));
    if (exponent < -4 || exponent >= 16) return sci;
    const bool negative = sci[0] == '-';
    std::string digits;
    for (char c : sci.substr(negative, e_at - negative))
        if (c != '.') digits += c;
    std::string out = negative ? "-" : "";
    const int point = exponent + 1;  // digits before the decimal point
    if (point <= 0) out += "0." + std::string(std::size_t(-point), '0') + digits;
    else if (std::size_t(point) >= digits.size())
        out += digits + std::string(std::size_t(point) - digits.size(), '0') + ".0";
    else out += digits.substr(0, std::size_t(point)) + "." + digits.substr(std::size_t(point));
    return out;
}

std::string csv_field(std::string_view text) {
    if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
    std::string out = "\"";
    for (char c : text) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + '"';
}

void csv_line(std::string& out, const std::vector<std::string>& fields) {
    for (std::size_t i = 0; i < fields.size(); ++i) {
        if (i > 0) out += ',';
        out += csv_field(fields[i]);
    }
    out += "\r\n";
}

std::string trim(std::string_view text) {
    const auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) return "";
    return std::string(text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1));
}

}  // namespace m1
