// batch/parameter_space: parameters read from any TOML table (not only [sweep]) with file, key
// and line; their values and ranges; the checks against each other, the run keys and the model;
// the effective model, seeds and run keys of a point.
#include "batch/parameter_space.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace {

using namespace m1::batch;
using json = nlohmann::ordered_json;

// The tiny model of tests/test_sweep.cpp (one population, one connectivity rule).
const std::string tiny_model = R"({
 "netParams": {
  "sizeX": 100, "sizeY": 100, "sizeZ": 100,
  "popParams": {"E": {"cellModel": "Izhi", "cellType": "RS", "density": 4000}},
  "cellParams": {"RS": {"conds": {"cellType": "RS"}, "secs": {"soma": {"geom": {"diam": 10, "L": 10, "cm": 31.831}, "pointps": {"Izhi": {"mod": "Izhi2007b", "celltype": 1}}}}}},
  "synMechParams": {"AMPA": {"mod": "Exp2Syn", "tau1": 0.05, "tau2": 5.3, "e": 0}},
  "connParams": {"EE": {"preConds": {"pop": "E"}, "postConds": {"pop": "E"}, "synMech": "AMPA", "probability": 0.5, "weight": 0.01, "delay": 2}},
  "annots": {"note": "none"}
 },
 "simConfig": {"duration": 100, "dt": 0.025}
})";

// The [[optimize.param]] entries of `text` (a search's table: the parameter space does not care).
std::vector<parameter> read_all(const std::string& text, bool ranges) {
    const toml::table t = toml::parse(std::string_view(text), std::string_view("search.toml"));
    const toml::array& entries = *t.at_path("optimize.param").as_array();
    std::vector<parameter> params;
    for (std::size_t i = 0; i < entries.size(); ++i) {
        const toml::table& entry = *entries.get(i)->as_table();
        const std::string key = "optimize.param[" + std::to_string(i) + "]";
        parameter p = read_parameter_path(entry, "search.toml", key);
        if (ranges) read_parameter_range(p, entry, "search.toml", key);
        else read_parameter_values(p, entry, "search.toml", key);
        params.push_back(std::move(p));
    }
    return params;
}

// The message of the input_error `f` raises ("" when it raises none).
template <class F>
std::string refusal(F f) {
    try {
        f();
    } catch (const m1::input_error& e) {
        return e.what();
    }
    return "";
}

TEST(ParameterSpace, ReadsPointersAndRunKeysWithTheirLines) {
    const auto params = read_all(R"(
[[optimize.param]]
path = "/netParams/connParams/EE/weight"
range = [0.001, 0.1]
log = true
[[optimize.param]]
path = "seeds.conn"
range = [1, 100]
)", true);
    ASSERT_EQ(params.size(), 2u);
    EXPECT_EQ(params[0].tokens, (std::vector<std::string>{"netParams", "connParams", "EE", "weight"}));
    EXPECT_TRUE(params[0].log);
    EXPECT_FALSE(params[0].integer);
    EXPECT_EQ(params[0].where.key_path, "optimize.param[0].path");
    EXPECT_EQ(params[0].where.line, 3u);
    EXPECT_TRUE(params[1].tokens.empty());
    EXPECT_TRUE(params[1].integer);
    EXPECT_EQ(*params[1].range, (std::array<double, 2>{1, 100}));
    EXPECT_TRUE(is_run_key("scale"));
    EXPECT_FALSE(is_run_key("threads"));
}

TEST(ParameterSpace, RefusesBadPathsValuesAndRanges) {
    auto values = [](const std::string& entry) {
        return refusal([&] { read_all("[[optimize.param]]\n" + entry, false); });
    };
    auto range = [](const std::string& entry) {
        return refusal([&] { read_all("[[optimize.param]]\n" + entry, true); });
    };
    EXPECT_EQ(values("path = \"threads\"\nvalues = [1]\n"),
              "search.toml:2:8: optimize.param[0].path: unknown run key 'threads' (seed, seeds.conn, "
              "seeds.stim, seeds.loc, duration, dt, scale); a model parameter is a JSON Pointer "
              "starting with /");
    EXPECT_NE(values("path = \"/a~2\"\nvalues = [1]\n").find("malformed JSON Pointer"), std::string::npos);
    EXPECT_NE(values("path = \"/a\"\nvalues = [1, \"x\"]\n")
                  .find("optimize.param[0].values[1]: mixed types: this value is a string, "
                        "optimize.param[0].values[0] is a number"),
              std::string::npos);
    EXPECT_NE(values("path = \"dt\"\nvalues = [0.1, -1]\n").find("dt must be a positive number"),
              std::string::npos);
    EXPECT_NE(values("path = \"seed\"\nvalues = [1.5]\n").find("a seed is a whole number"), std::string::npos);
    EXPECT_NE(range("path = \"/a\"\nrange = [2, 1]\n").find("must be [lo, hi] with lo < hi"), std::string::npos);
    EXPECT_NE(range("path = \"/a\"\nrange = [0, 1]\nlog = true\n").find("a log range needs lo > 0"),
              std::string::npos);
    EXPECT_NE(range("path = \"seed\"\nrange = [0.5, 3]\n").find("a seed range is [lo, hi] of whole numbers"),
              std::string::npos);
    EXPECT_NE(range("path = \"/a\"\n").find("optimize.param[0].range: missing: range = [lo, hi]"),
              std::string::npos);
}

TEST(ParameterSpace, ValuesInRangeStayInsideIt) {
    parameter linear;
    linear.range = std::array<double, 2>{2.0, 4.0};
    EXPECT_EQ(value_in_range(linear, 0.0), param_value(2.0));
    EXPECT_EQ(value_in_range(linear, 0.5), param_value(3.0));
    parameter whole = linear;
    whole.integer = true;  // [2, 5) floored: 2, 3 and 4 alike
    EXPECT_EQ(value_in_range(whole, 0.0), param_value(std::int64_t{2}));
    EXPECT_EQ(value_in_range(whole, 0.5), param_value(std::int64_t{3}));
    EXPECT_EQ(value_in_range(whole, std::nextafter(1.0, 0.0)), param_value(std::int64_t{4}));
    parameter log = linear;
    log.range = std::array<double, 2>{0.01, 1.0};
    log.log = true;
    EXPECT_NEAR(std::get<double>(value_in_range(log, 0.5)), 0.1, 1e-12);
}

TEST(ParameterSpace, ChecksEachOtherAndTheRunKeys) {
    auto clash = [](const std::string& a, const std::string& b) {
        const auto params = read_all("[[optimize.param]]\npath = \"" + a + "\"\nvalues = [1]\n"
                                     "[[optimize.param]]\npath = \"" + b + "\"\nvalues = [2]\n", false);
        return refusal([&] { check_distinct_parameters(params, "optimize.param"); });
    };
    EXPECT_EQ(clash("/a/b", "/a/b"),
              "search.toml:5:8: optimize.param[1].path: '/a/b' is already varied by optimize.param[0] (line 2)");
    EXPECT_NE(clash("/a", "/a/b").find("'/a/b' overlaps '/a' varied by optimize.param[0] (line 2)"),
              std::string::npos);
    EXPECT_NE(clash("seed", "seeds.stim").find(": seed sets all three seeds"), std::string::npos);
    EXPECT_EQ(clash("/a/b", "/a/c"), "");
    EXPECT_EQ(clash("seeds.conn", "seeds.stim"), "");

    const auto dt = read_all("[[optimize.param]]\npath = \"/simConfig/dt\"\nvalues = [0.1]\n", false);
    m1::run_config config;
    EXPECT_EQ(refusal([&] { check_against_run_keys(dt, config, "optimize.param"); }), "");
    config.dt = 0.05;
    EXPECT_NE(refusal([&] { check_against_run_keys(dt, config, "optimize.param"); })
                  .find("the run key dt sets simConfig.dt for every run: vary the run key dt in "
                        "optimize.param instead"),
              std::string::npos);
}

TEST(ParameterSpace, ChecksPointersAgainstTheModel) {
    const auto model = m1::json_document::parse(tiny_model, "tiny.json");
    auto check = [&](const std::string& path, param_value first) {
        const auto params = read_all("[[optimize.param]]\npath = \"" + path + "\"\nvalues = [1]\n", false);
        return refusal([&] { check_in_model(params, {first}, model, "tiny.json"); });
    };
    EXPECT_EQ(check("/netParams/connParams/EE/weight", 0.02), "");
    EXPECT_NE(check("/netParams/connParams/IE/weight", 0.02)
                  .find("'/netParams/connParams/IE/weight' is not in the model file tiny.json: "
                        "netParams.connParams has no key 'IE'"),
              std::string::npos);
    EXPECT_NE(check("/netParams/sizeX/a", 1.0).find("netParams.sizeX is a number, not an object or a list"),
              std::string::npos);
    // A missing last key is taken only where the model accepts it (defaultWeight: NetPyNE's).
    EXPECT_NE(check("/netParams/bogus", 1.0).find("netParams has no key 'bogus'"), std::string::npos);
    EXPECT_NE(check("/netParams/bogus", 1.0).find(", and setting it is refused: "), std::string::npos);
    EXPECT_EQ(check("/netParams/defaultWeight", 1.0), "");
    EXPECT_EQ(model_key_path(read_all("[[optimize.param]]\npath = \"duration\"\nvalues = [1]\n", false)[0]),
              "simConfig.duration");
}

TEST(ParameterSpace, EffectiveModelKeepsTheModelsNumberTypes) {
    const json model = json::parse(R"({"a": {"f": 0.5, "i": 3, "l": [1, 2]}})");
    parameter f, i, l, added;
    f.tokens = {"a", "f"};
    i.tokens = {"a", "i"};
    l.tokens = {"a", "l", "1"};
    added.tokens = {"a", "new"};
    const json doc = effective_model(model, {f, i, l, added},
                                     {std::int64_t{1}, std::int64_t{4}, 2.5, std::int64_t{7}});
    EXPECT_TRUE(doc.at("a").at("f").is_number_float());    // 1 in a float field is 1.0
    EXPECT_TRUE(doc.at("a").at("i").is_number_integer());  // an integer stays one
    EXPECT_EQ(doc.at("a").at("l"), json::parse("[1, 2.5]"));
    EXPECT_TRUE(doc.at("a").at("new").is_number_float());
    EXPECT_EQ(model.at("a").at("i"), json(3));  // the model itself untouched
}

TEST(ParameterSpace, RunKeyParametersSetSeedsAndTheRunConfiguration) {
    parameter seed, stim, duration, scale, pointer;
    seed.path = "seed";
    stim.path = "seeds.stim";
    duration.path = "duration";
    scale.path = "scale";
    pointer.path = "/x";
    pointer.tokens = {"x"};
    const m1::seeds s = seeds_with({1, 2, 3}, {seed, stim, pointer},
                                   {std::int64_t{7}, std::int64_t{9}, std::int64_t{5}});
    EXPECT_EQ(s.conn, 7u);
    EXPECT_EQ(s.stim, 9u);
    EXPECT_EQ(s.loc, 7u);
    m1::run_config config;
    apply_run_key_values(config, {duration, scale}, {std::int64_t{250}, 0.5});
    EXPECT_EQ(*config.duration, 250.0);
    EXPECT_EQ(*config.scale, 0.5);
    EXPECT_FALSE(config.dt);
}

}  // namespace
