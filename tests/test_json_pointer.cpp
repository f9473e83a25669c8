// batch/json_pointer: RFC 6901 tokens and escapes, array indices, lookups and slots in a document.
#include "batch/json_pointer.hpp"

#include <gtest/gtest.h>

namespace {

using json = nlohmann::ordered_json;
using tokens = std::vector<std::string>;
using namespace m1::batch;

const json doc = json::parse(R"({"a": {"b/c": 1, "d~e": [10, 20, {"f": true}]}, "": "empty"})");

TEST(JsonPointer, TokensUnescapeSlashAndTilde) {
    EXPECT_EQ(pointer_tokens("/a/b~1c"), (tokens{"a", "b/c"}));
    EXPECT_EQ(pointer_tokens("/a/d~0e/2/f"), (tokens{"a", "d~e", "2", "f"}));
    EXPECT_EQ(pointer_tokens("/~01"), (tokens{"~1"}));  // ~0 first: "~01" is "~1", not "/"
    EXPECT_EQ(pointer_tokens("/"), (tokens{""}));
    EXPECT_EQ(pointer_tokens("/a//"), (tokens{"a", "", ""}));
}

TEST(JsonPointer, MalformedPointersHaveNoTokens) {
    EXPECT_FALSE(pointer_tokens(""));
    EXPECT_FALSE(pointer_tokens("a/b"));
    EXPECT_FALSE(pointer_tokens("/a~"));
    EXPECT_FALSE(pointer_tokens("/a~2"));
}

TEST(JsonPointer, ArrayIndicesAreDigitsWithoutLeadingZero) {
    EXPECT_EQ(array_index("0"), 0u);
    EXPECT_EQ(array_index("17"), 17u);
    EXPECT_FALSE(array_index(""));
    EXPECT_FALSE(array_index("01"));
    EXPECT_FALSE(array_index("-1"));
    EXPECT_FALSE(array_index("1a"));
    EXPECT_FALSE(array_index("99999999999999999999999"));
}

TEST(JsonPointer, DottedKeyPaths) {
    EXPECT_EQ(dotted({"netParams", "connParams", "EE"}, 2), "netParams.connParams");
    EXPECT_EQ(dotted({"a"}, 5), "a");
    EXPECT_EQ(dotted({"a", "b"}, 0), "");
}

TEST(JsonPointer, FindsMembersAndElements) {
    EXPECT_EQ(*find_pointer(doc, {"a", "b/c"}), json(1));
    EXPECT_EQ(*find_pointer(doc, {"a", "d~e", "2", "f"}), json(true));
    EXPECT_EQ(*find_pointer(doc, {""}), json("empty"));
    EXPECT_EQ(find_pointer(doc, {}), &doc);
    EXPECT_EQ(find_pointer(doc, {"a", "missing"}), nullptr);
    EXPECT_EQ(find_pointer(doc, {"a", "d~e", "3"}), nullptr);   // past the end
    EXPECT_EQ(find_pointer(doc, {"a", "d~e", "01"}), nullptr);  // not an index
    EXPECT_EQ(find_pointer(doc, {"a", "b/c", "x"}), nullptr);   // inside a number
    EXPECT_EQ(child_of(doc.at("a"), "b/c"), &doc.at("a").at("b/c"));
    EXPECT_EQ(child_of(json(3), "0"), nullptr);
}

TEST(JsonPointer, SlotsReplaceOrAddTheLastKey) {
    json d = doc;
    pointer_slot(d, {"a", "d~e", "1"}) = 21;
    pointer_slot(d, {"a", "new"}) = "added";
    EXPECT_EQ(d.at("a").at("d~e").at(1), json(21));
    EXPECT_EQ(d.at("a").at("new"), json("added"));
    EXPECT_EQ(d.at("a").size(), 3u);
    EXPECT_EQ(d.at("a").items().begin().key(), "b/c");  // order kept, the new key last
    EXPECT_THROW(pointer_slot(d, {"a", "d~e", "7"}), json::out_of_range);
}

}  // namespace
