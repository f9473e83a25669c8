#include "core/format/json_source.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <vector>

namespace m1 {

namespace {

std::pair<std::size_t, std::size_t> line_column(std::string_view text, std::size_t offset) {
    std::size_t line = 1, column = 1;
    for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
        if (text[i] == '\n') {
            ++line;
            column = 1;
        } else {
            ++column;
        }
    }
    return {line, column};
}

// Walks already-valid JSON text and records where every value starts (for an object member, where
// its key starts), keyed by dotted path. nlohmann does not keep positions, and this small scan is
// cheaper than a second parser.
void index_positions(std::string_view text,
                     std::unordered_map<std::string, std::pair<std::size_t, std::size_t>>& out) {
    struct frame {
        bool is_object;
        std::size_t next_index = 0;
        std::string path;
    };
    std::vector<frame> stack;
    std::size_t line = 1, column = 1;
    std::string pending_key;
    bool have_key = false;
    std::size_t key_line = 0, key_column = 0;

    auto child_path = [&](const frame& f, const std::string& part) {
        return f.path.empty() ? part : f.path + "." + part;
    };
    // Called where a value starts: gives it a path and records the position.
    auto value_starts = [&]() -> std::string {
        if (stack.empty()) return std::string();
        frame& f = stack.back();
        std::string path;
        if (f.is_object) {
            path = child_path(f, pending_key);
            out.emplace(path, std::make_pair(key_line, key_column));
            have_key = false;
        } else {
            path = child_path(f, std::to_string(f.next_index++));
            out.emplace(path, std::make_pair(line, column));
        }
        return path;
    };

    for (std::size_t i = 0; i < text.size(); ++i) {
        const char ch = text[i];
        if (ch == '"') {
            const std::size_t start_line = line, start_column = column;
            std::string s;
            ++i;
            ++column;
            for (; i < text.size() && text[i] != '"'; ++i, ++column) {
                if (text[i] == '\\' && i + 1 < text.size()) {
                    s.push_back(text[i + 1]);
                    ++i;
                    ++column;
                } else {
                    s.push_back(text[i]);
                }
            }
            ++column;
            const bool is_key = !stack.empty() && stack.back().is_object && !have_key;
            if (is_key) {
                pending_key = s;
                have_key = true;
                key_line = start_line;
                key_column = start_column;
            } else {
                value_starts();
            }
            continue;
        }
        if (ch == '{' || ch == '[') {
            std::string path = value_starts();
            stack.push_back(frame{ch == '{', 0, std::move(path)});
            have_key = false;
        } else if (ch == '}' || ch == ']') {
            if (!stack.empty()) stack.pop_back();
        } else if (ch == '-' || (ch >= '0' && ch <= '9') || ch == 't' || ch == 'f' || ch == 'n') {
            value_starts();
            while (i + 1 < text.size() && text[i + 1] != ',' && text[i + 1] != '}' &&
                   text[i + 1] != ']' && text[i + 1] != '\n' && text[i + 1] != ' ') {
                ++i;
                ++column;
            }
        }
        if (ch == '\n') {
            ++line;
            column = 1;
        } else {
            ++column;
        }
    }
}

}  // namespace

json_document json_document::read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        std::error_code ec;
        const bool exists = std::filesystem::exists(path, ec);
        throw input_error({path.string(), "", 0, 0},
                          exists ? "cannot be read" : "no such file");
    }
    std::ostringstream buffer;
    buffer << in.rdbuf();
    return parse(buffer.str(), path.string());
}

json_document json_document::parse(std::string text, std::string file_name) {
    json_document doc;
    doc.file_ = std::move(file_name);
    try {
        doc.root_ = nlohmann::ordered_json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
        // e.byte is 1-based and points just past the offending character.
        const auto [line, column] = line_column(text, e.byte > 0 ? e.byte - 1 : 0);
        std::string what = e.what();
        // nlohmann's message starts with "[json.exception.parse_error.101] parse error at line..."
        const auto colon = what.find("]: ");
        const auto syntax = what.find("syntax error");
        if (syntax != std::string::npos) what = what.substr(syntax);
        else if (colon != std::string::npos) what = what.substr(colon + 3);
        throw input_error({doc.file_, "", line, column}, "malformed JSON: " + what);
    }
    index_positions(text, doc.positions_);
    doc.text_ = std::move(text);
    return doc;
}

source_location json_document::locate(std::string_view key_path) const {
    std::string path(key_path);
    while (true) {
        if (auto it = positions_.find(path); it != positions_.end())
            return {file_, std::string(key_path), it->second.first, it->second.second};
        const auto dot = path.rfind('.');
        if (dot == std::string::npos) break;
        path.resize(dot);
    }
    return {file_, std::string(key_path), 0, 0};
}

void json_document::fail(std::string_view key_path, const std::string& what) const {
    throw input_error(locate(key_path), what);
}

namespace {

void write_canonical(const nlohmann::ordered_json& value, std::string& out) {
    if (value.is_object()) {
        std::vector<std::pair<const std::string*, const nlohmann::ordered_json*>> members;
        members.reserve(value.size());
        for (auto it = value.begin(); it != value.end(); ++it)
            members.emplace_back(&it.key(), &it.value());
        std::sort(members.begin(), members.end(),
                  [](const auto& a, const auto& b) { return *a.first < *b.first; });
        out += '{';
        for (std::size_t i = 0; i < members.size(); ++i) {
            if (i) out += ',';
            out += nlohmann::ordered_json(*members[i].first).dump();
            out += ':';
            write_canonical(*members[i].second, out);
        }
        out += '}';
    } else if (value.is_array()) {
        out += '[';
        for (std::size_t i = 0; i < value.size(); ++i) {
            if (i) out += ',';
            write_canonical(value[i], out);
        }
        out += ']';
    } else {
        out += value.dump();
    }
}

}  // namespace

std::string canonical_json(const nlohmann::ordered_json& value) {
    std::string out;
    write_canonical(value, out);
    return out;
}

}  // namespace m1
