#pragma once
// A JSON file read with nlohmann's ordered_json (NetPyNE files are ordered: the order of popParams
// and connParams fixes gids and rule order), together with where each value stands in the text, so
// that an error can name the file, the key path and the line.
#include "core/base/error.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_map>

namespace m1 {

class json_document {
public:
    // Throws input_error naming the file (and line and column for malformed JSON).
    static json_document read_file(const std::filesystem::path& path);
    static json_document parse(std::string text, std::string file_name);

    const nlohmann::ordered_json& root() const noexcept { return root_; }
    const std::string& file() const noexcept { return file_; }
    const std::string& text() const noexcept { return text_; }  // the bytes as read
    // `key_path` is dotted, as in errors: "netParams.connParams.12.weight". Unknown paths give the
    // location of the nearest known parent.
    source_location locate(std::string_view key_path) const;
    [[noreturn]] void fail(std::string_view key_path, const std::string& what) const;

private:
    std::string file_;
    std::string text_;
    nlohmann::ordered_json root_;
    std::unordered_map<std::string, std::pair<std::size_t, std::size_t>> positions_;
};

// JSON with object keys sorted at every level and no whitespace, numbers as nlohmann writes them
// (shortest round-trip form): equal values give equal text whatever the key order of the file.
std::string canonical_json(const nlohmann::ordered_json& value);

// What kind of JSON value `value` is, for messages: "an object", "a list", "a string", "a boolean",
// "null" or "a number".
const char* json_kind(const nlohmann::ordered_json& value);

}  // namespace m1
