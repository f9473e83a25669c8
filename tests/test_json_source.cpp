// core/format/json_source: JSON read with where each value stands (file, key path, line), the
// canonical text that run ids hash, and the kinds messages name.
#include "core/format/json_source.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

using json = nlohmann::ordered_json;
using m1::json_kind;

// The input_error parsing `text` as bad.json gives (a test failure when it parses).
m1::input_error malformed(const std::string& text) {
    try {
        m1::json_document::parse(text, "bad.json");
    } catch (const m1::input_error& e) {
        return e;
    }
    ADD_FAILURE() << "malformed JSON was accepted:\n" << text;
    return m1::input_error({}, "");
}

TEST(JsonSource, MalformedJsonGivesLineAndColumn) {
    // Line 3 is `  "sizeX": 100 x,`: the stray 'x' is at column 16.
    const m1::input_error e = malformed("{\n \"netParams\": {\n  \"sizeX\": 100 x,\n  \"sizeY\": 1\n }\n}\n");
    EXPECT_EQ(e.where().file, "bad.json");
    EXPECT_EQ(e.where().line, 3u);
    EXPECT_EQ(e.where().column, 16u);
    const std::string what = e.what();
    EXPECT_NE(what.find("bad.json:3:16"), std::string::npos) << what;
    EXPECT_NE(what.find("malformed JSON"), std::string::npos) << what;
    // Truncated: the error is at the end, line 3 or after.
    const m1::input_error truncated = malformed("{\n \"netParams\": {\n  \"sizeX\": 100,\n");
    EXPECT_EQ(truncated.where().file, "bad.json");
    EXPECT_GE(truncated.where().line, 3u);
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
