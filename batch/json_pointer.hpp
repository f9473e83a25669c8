#pragma once
// JSON Pointers (RFC 6901) into a model document: the paths of swept and searched parameters.
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace m1::batch {

// "/a~1b/c~0d" -> {"a/b", "c~d"}; nullopt when `path` does not start with '/' or holds a bad escape.
std::optional<std::vector<std::string>> pointer_tokens(std::string_view path);

// An array index token: digits, no leading zero (RFC 6901); nullopt otherwise.
std::optional<std::size_t> array_index(const std::string& token);

// The key path the model's own errors use (json_document::locate): the first `count` tokens
// joined by dots.
std::string dotted(const std::vector<std::string>& tokens, std::size_t count);

// The member `token` names in an object, or the element in a list; nullptr when there is none.
const nlohmann::ordered_json* child_of(const nlohmann::ordered_json& value, const std::string& token);

// The value `tokens` name in `doc`; nullptr when a key or an index is missing.
const nlohmann::ordered_json* find_pointer(const nlohmann::ordered_json& doc,
                                           const std::vector<std::string>& tokens);

// The slot `tokens` name in `doc`, a missing last object key added (as null); the containers on
// the way must exist (an index out of range throws). `tokens` must not be empty.
nlohmann::ordered_json& pointer_slot(nlohmann::ordered_json& doc,
                                     const std::vector<std::string>& tokens);

}  // namespace m1::batch
