#include "batch/json_pointer.hpp"

#include <charconv>

namespace m1::batch {

using json = nlohmann::ordered_json;

std::optional<std::vector<std::string>> pointer_tokens(std::string_view path) {
    if (path.empty() || path[0] != '/') return std::nullopt;
    std::vector<std::string> tokens(1);
    for (std::size_t i = 1; i < path.size(); ++i) {
        if (path[i] == '/') {
            tokens.emplace_back();
        } else if (path[i] == '~') {
            if (i + 1 >= path.size() || (path[i + 1] != '0' && path[i + 1] != '1'))
                return std::nullopt;
            tokens.back() += path[++i] == '0' ? '~' : '/';
        } else {
            tokens.back() += path[i];
        }
    }
    return tokens;
}

std::optional<std::size_t> array_index(const std::string& token) {
    if (token.empty() || (token.size() > 1 && token[0] == '0')) return std::nullopt;
    std::size_t index = 0;
    const auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), index);
    if (ec != std::errc() || end != token.data() + token.size()) return std::nullopt;
    return index;
}

std::string dotted(const std::vector<std::string>& tokens, std::size_t count) {
    std::string out;
    for (std::size_t i = 0; i < count && i < tokens.size(); ++i) {
        if (i) out += '.';
        out += tokens[i];
    }
    return out;
}

const json* child_of(const json& value, const std::string& token) {
    if (value.is_array()) {
        const auto index = array_index(token);
        return index && *index < value.size() ? &value[*index] : nullptr;
    }
    if (value.is_object() && value.contains(token)) return &value.at(token);
    return nullptr;
}

const json* find_pointer(const json& doc, const std::vector<std::string>& tokens) {
    const json* at = &doc;
    for (const std::string& t : tokens)
        if (!(at = child_of(*at, t))) return nullptr;
    return at;
}

json& pointer_slot(json& doc, const std::vector<std::string>& tokens) {
    json* at = &doc;
    for (const std::string& t : tokens)  // a bad index token stands for 0, as it cannot be swept
        at = at->is_array() ? &at->at(array_index(t).value_or(0)) : &(*at)[t];
    return *at;
}

}  // namespace m1::batch
