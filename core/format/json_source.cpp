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

using position_map = std::unordered_map<std::string, std::pair<std::size_t, std::size_t>>;

// Walks already-valid JSON text and records where every value starts (for an object member, where
// its key starts), keyed by dotted path. nlohmann does not keep positions, and this small scan is
// cheaper than a second parser.
class position_scan {
public:
    position_scan(std::string_view text, position_map& out) : text_(text), out_(out) {}

    void run() {
        for (i_ = 0; i_ < text_.size(); ++i_) {
            const char ch = text_[i_];
            if (ch == '"') {
                quoted_text();
                continue;
            }
            if (ch == '{' || ch == '[') {
                std::string path = value_starts();
                stack_.push_back(frame{ch == '{', 0, std::move(path)});
                have_key_ = false;
            } else if (ch == '}' || ch == ']') {
                if (!stack_.empty()) stack_.pop_back();
            } else if (ch == '-' || (ch >= '0' && ch <= '9') || ch == 't' || ch == 'f' || ch == 'n') {
                value_starts();
                skip_literal();
            }
            if (ch == '\n') {
                ++line_;
                column_ = 1;
            } else {
                ++column_;
            }
        }
    }

private:
    struct frame {
        bool is_object;
        std::size_t next_index = 0;
        std::string path;
    };

    static std::string child_path(const frame& f, const std::string& part) {
        return f.path.empty() ? part : f.path + "." + part;
    }

    // Called where a value starts: gives it a path and records the position.
    std::string value_starts() {
        if (stack_.empty()) return std::string();
        frame& f = stack_.back();
        std::string path;
        if (f.is_object) {
            path = child_path(f, pending_key_);
            out_.emplace(path, std::make_pair(key_line_, key_column_));
            have_key_ = false;
        } else {
            path = child_path(f, std::to_string(f.next_index++));
            out_.emplace(path, std::make_pair(line_, column_));
        }
        return path;
    }

    // A string from its opening quote to its closing one: an object's key, or a value.
    void quoted_text() {
        const std::size_t start_line = line_, start_column = column_;
        std::string s;
        ++i_;
        ++column_;
        for (; i_ < text_.size() && text_[i_] != '"'; ++i_, ++column_) {
            if (text_[i_] == '\\' && i_ + 1 < text_.size()) {
                s.push_back(text_[i_ + 1]);
                ++i_;
                ++column_;
            } else {
                s.push_back(text_[i_]);
            }
        }
        ++column_;
        if (stack_.empty() || !stack_.back().is_object || have_key_) {
            value_starts();
            return;
        }
        pending_key_ = s;
        have_key_ = true;
        key_line_ = start_line;
        key_column_ = start_column;
    }

    // A number, true, false or null: to its last character.
    void skip_literal() {
        while (i_ + 1 < text_.size() && text_[i_ + 1] != ',' && text_[i_ + 1] != '}' &&
               text_[i_ + 1] != ']' && text_[i_ + 1] != '\n' && text_[i_ + 1] != ' ') {
            ++i_;
            ++column_;
        }
    }

    std::string_view text_;
    position_map& out_;
    std::vector<frame> stack_;
    std::size_t i_ = 0, line_ = 1, column_ = 1;
    std::string pending_key_;
    bool have_key_ = false;
    std::size_t key_line_ = 0, key_column_ = 0;
};

void index_positions(std::string_view text, position_map& out) { position_scan(text, out).run(); }

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

const char* json_kind(const nlohmann::ordered_json& v) {
    if (v.is_object()) return "an object";
    if (v.is_array()) return "a list";
    if (v.is_string()) return "a string";
    if (v.is_boolean()) return "a boolean";
    if (v.is_null()) return "null";
    return "a number";
}

}  // namespace m1
