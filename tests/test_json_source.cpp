// core/format/json_source: JSON read with where each value stands (file, key path, line), the
// canonical text that run ids hash, and the kinds messages name.
#include "core/format/json_source.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

using json = nlohmann::ordered_json;
using m1::json_kind;

TEST(JsonSource, MalformedJsonGivesLineAndColumn) {
    // Line 3 is `  "sizeX": 100 x,`: the stray 'x' is at column 16.
    const std::string text = "{\n \"netParams\": {\n  \"sizeX\": 100 x,\n  \"sizeY\": 1\n }\n}\n";
    try {
        m1::json_document::parse(text, "bad.json");
        FAIL() << "malformed JSON was accepted";
    } catch (const m1::input_error& e) {
        EXPECT_EQ(e.where().file, "bad.json");
        EXPECT_EQ(e.where().line, 3u);
        EXPECT_EQ(e.where().column, 16u);
        const std::string what = e.what();
        EXPECT_NE(what.find("bad.json:3:16"), std::string::npos) << what;
        EXPECT_NE(what.find("malformed JSON"), std::string::npos) << what;
    }
}

TEST(JsonSource, MalformedJsonUnterminatedObject) {
    const std::string text = "{\n \"netParams\": {\n  \"sizeX\": 100,\n";
    try {
        m1::json_document::parse(text, "bad.json");
        FAIL() << "truncated JSON was accepted";
    } catch (const m1::input_error& e) {
        EXPECT_EQ(e.where().file, "bad.json");
        EXPECT_GE(e.where().line, 3u);
    }
}

TEST(JsonSource, LocatesKeyPathsElseTheNearestKnownParent) {
    const std::string text = "{\n \"a\": {\n  \"b\": 1,\n  \"c\": {\"d\": 2}\n }\n}\n";
    const m1::json_document doc = m1::json_document::parse(text, "f.json");
    EXPECT_EQ(doc.locate("a").line, 2u);
    EXPECT_EQ(doc.locate("a.b").line, 3u);
    EXPECT_EQ(doc.locate("a.c.d").line, 4u);
    const m1::source_location unknown = doc.locate("a.zzz");
    EXPECT_EQ(unknown.line, 2u);  // a's
    EXPECT_EQ(unknown.key_path, "a.zzz");
    EXPECT_EQ(unknown.file, "f.json");
    EXPECT_EQ(doc.locate("nothing").line, 0u);
    EXPECT_EQ(doc.text(), text);
}

TEST(JsonSource, CanonicalTextIgnoresKeyOrderAndWhitespace) {
    const json a = json::parse(R"({"b": [1, {"y": 2, "x": 1.5}], "a": "s"})");
    const json b = json::parse(R"({"a":"s","b":[1,{"x":1.5,"y":2}]})");
    EXPECT_EQ(m1::canonical_json(a), m1::canonical_json(b));
    EXPECT_EQ(m1::canonical_json(a), R"({"a":"s","b":[1,{"x":1.5,"y":2}]})");
    EXPECT_NE(m1::canonical_json(json::parse("[1, 2]")), m1::canonical_json(json::parse("[2, 1]")));
    EXPECT_NE(m1::canonical_json(json(1)), m1::canonical_json(json(1.0)));  // an integer is not a float
}

TEST(JsonSource, KindsForMessages) {
    EXPECT_STREQ(json_kind(json::object()), "an object");
    EXPECT_STREQ(json_kind(json::array()), "a list");
    EXPECT_STREQ(json_kind(json("x")), "a string");
    EXPECT_STREQ(json_kind(json(true)), "a boolean");
    EXPECT_STREQ(json_kind(json()), "null");
    EXPECT_STREQ(json_kind(json(1.5)), "a number");
}

}  // namespace
