// Sweeps (batch/sweep.hpp): sweep files read and validated with file, key and line; the methods'
// points (grid, list, random, latin_hypercube) and replicates; run ids; the dry-run table and CSV;
// the self-contained sweep.toml. Every case uses real files in a temporary directory.
#include "core/base/error.hpp"
#include "core/format/json_source.hpp"
#include "batch/sweep.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using m1::batch::param_value;
using json = nlohmann::ordered_json;
using m1::test::line_of;
using m1::test::read_file;

namespace {

// tests/test_cli.cpp's tiny model (by density, so that scale applies), with an annotation (free text: any string is accepted there)
// and a stimulation target whose name holds a '/' (JSON Pointer ~1).
const std::string tiny_model = R"({
 "netParams": {
  "sizeX": 100,
  "sizeY": 100,
  "sizeZ": 100,
  "popParams": {"E": {"cellModel": "Izhi", "cellType": "RS", "density": 4000}},
  "cellParams": {"RS": {"conds": {"cellType": "RS"}, "secs": {"soma": {"geom": {"diam": 10, "L": 10, "cm": 31.831}, "pointps": {"Izhi": {"mod": "Izhi2007b", "celltype": 1}}}}}},
  "synMechParams": {"AMPA": {"mod": "Exp2Syn", "tau1": 0.05, "tau2": 5.3, "e": 0}},
  "stimSourceParams": {"bg": {"type": "NetStim", "rate": 50, "noise": 1.0}},
  "stimTargetParams": {"bg_E": {"source": "bg", "conds": {"pop": "E"}, "synMech": "AMPA", "weight": 0.5, "delay": 2},
                       "bg/E~": {"source": "bg", "conds": {"pop": "E"}, "synMech": "AMPA", "weight": 0.25, "delay": 2}},
  "connParams": {"EE": {"preConds": {"pop": "E"}, "postConds": {"pop": "E"}, "synMech": "AMPA", "probability": 0.5, "weight": 0.01, "delay": 2}},
  "annots": {"note": "none"}
 },
 "simConfig": {"duration": 100, "dt": 0.025}
}
)";

const std::string conn_weight = "/netParams/connParams/EE/weight";  // 0.01 in the tiny model
const std::string stim_weight = "/netParams/stimTargetParams/bg_E/weight";  // 0.5

fs::path m1_2017() { return fs::path(M1_SOURCE_DIR) / "configs" / "models" / "m1_2017.json"; }

std::set<std::string> ids_of(const std::vector<m1::batch::sweep_run>& runs) {
    std::set<std::string> ids;
    for (const auto& r : runs) ids.insert(r.id);
    return ids;
}

// The same JSON with every object's keys in reverse order.
json reversed(const json& v) {
    if (v.is_array()) {
        json out = json::array();
        for (const auto& e : v) out.push_back(reversed(e));
        return out;
    }
    if (!v.is_object()) return v;
    std::vector<std::pair<std::string, json>> members;
    for (auto it = v.begin(); it != v.end(); ++it) members.emplace_back(it.key(), reversed(*it));
    json out = json::object();
    for (auto it = members.rbegin(); it != members.rend(); ++it) out[it->first] = it->second;
    return out;
}

class Sweep : public ::testing::Test {
protected:
    void SetUp() override { write("tiny.json", tiny_model); }
    fs::path write(const std::string& name, const std::string& text) {
        return temp_.write(name, text);
    }
    // A sweep file over the tiny model: the run keys, then `body`.
    static std::string on_tiny(const std::string& body) {
        return "model = \"tiny.json\"\noutput = \"out\"\n" + body;
    }
    m1::batch::sweep_spec load(const std::string& body, const std::string& name = "sweep.toml") {
        return m1::batch::load_sweep(write(name, on_tiny(body)));
    }
    // Loading (and expanding) `text` fails with an input_error at `key` on the line holding
    // `needle` (0: no line), whose reason contains `words`.
    void expect_error(const std::string& text, const std::string& key, const std::string& needle,
                      const std::string& words, std::size_t max_runs = 100000) {
        const fs::path p = write("bad.toml", text);
        try {
            const auto sweep = m1::batch::load_sweep(p);
            m1::batch::expand_sweep(sweep, max_runs);
            ADD_FAILURE() << "accepted:\n" << text;
        } catch (const m1::input_error& e) {
            EXPECT_EQ(e.where().file, p.string()) << e.what();
            EXPECT_EQ(e.where().key_path, key) << e.what();
            const std::size_t line = needle.empty() ? 0 : line_of(text, needle);
            EXPECT_EQ(e.where().line, line) << e.what();
            EXPECT_NE(e.reason().find(words), std::string::npos) << e.what();
            std::string head = p.string();
            if (line) head.append(":").append(std::to_string(line));
            head.append(":");
            EXPECT_EQ(std::string(e.what()).rfind(head, 0), 0u) << e.what();
        }
    }
    m1::test::temporary_directory temp_{"sweep"};
    const fs::path dir_ = temp_.path();
};

// ---------------------------------------------------------------------------------------------
// Methods and order

TEST_F(Sweep, GridIsACartesianProductWithReplicatesInnermost) {
    const auto sweep = load(R"(seed = 7
[sweep]
replicates = 2
[[sweep.param]]
path = "/netParams/connParams/EE/weight"
values = [0.001, 0.002, 0.003]
[[sweep.param]]
path = "/netParams/stimTargetParams/bg_E/weight"
values = [0.1, 0.2, 0.3, 0.4]
)");
    EXPECT_EQ(sweep.name, "sweep");
    EXPECT_EQ(sweep.method, m1::batch::sweep_method::grid);
    const auto runs = m1::batch::expand_sweep(sweep, 1000);
    ASSERT_EQ(runs.size(), 24u);
    const double w1[] = {0.001, 0.002, 0.003}, w2[] = {0.1, 0.2, 0.3, 0.4};
    for (std::size_t i = 0; i < runs.size(); ++i) {
        const auto& r = runs[i];
        EXPECT_EQ(r.index, i);
        EXPECT_EQ(r.point, i / 2);
        EXPECT_EQ(r.replicate, i % 2);
        ASSERT_EQ(r.values.size(), 2u);
        EXPECT_EQ(std::get<double>(r.values[0]), w1[i / 8]);        // first parameter slowest
        EXPECT_EQ(std::get<double>(r.values[1]), w2[(i / 2) % 4]);
        const std::uint32_t seed = 7 + static_cast<std::uint32_t>(i % 2);
        EXPECT_EQ(r.seeds.conn, seed);
        EXPECT_EQ(r.seeds.stim, seed);
        EXPECT_EQ(r.seeds.loc, seed);
        EXPECT_FALSE(r.config.seed.has_value());
        ASSERT_TRUE(r.config.seeds.has_value());
        EXPECT_EQ(r.config.seeds->stim, seed);
        ASSERT_EQ(r.id.size(), 16u);
        EXPECT_EQ(r.id.find_first_not_of("0123456789abcdef"), std::string::npos) << r.id;
        EXPECT_EQ(r.config.output, dir_ / "out" / "runs" / r.id);
        const json doc = m1::batch::effective_document(sweep, r);
        EXPECT_EQ(doc["netParams"]["connParams"]["EE"]["weight"].get<double>(), w1[i / 8]);
        EXPECT_EQ(doc["netParams"]["stimTargetParams"]["bg_E"]["weight"].get<double>(), w2[(i / 2) % 4]);
        EXPECT_EQ(doc["simConfig"]["seeds"]["loc"].get<std::uint32_t>(), seed);
        EXPECT_EQ(r.id, m1::batch::run_id(doc, r.config));
    }
    EXPECT_EQ(ids_of(runs).size(), 24u);
}

TEST_F(Sweep, GroupedParametersAreZippedIntoOneAxis) {
    const auto sweep = load(R"([sweep]
[[sweep.param]]
path = "/netParams/connParams/EE/probability"
values = [0.1, 0.2, 0.3]
[[sweep.param]]
path = "/netParams/connParams/EE/weight"
values = [0.01, 0.02, 0.03]
group = "w"
[[sweep.param]]
path = "/netParams/stimTargetParams/bg_E/weight"
values = [0.5, 0.6, 0.7]
group = "w"
)");
    const auto runs = m1::batch::expand_sweep(sweep, 1000);
    ASSERT_EQ(runs.size(), 9u);
    const double p[] = {0.1, 0.2, 0.3}, w[] = {0.01, 0.02, 0.03}, s[] = {0.5, 0.6, 0.7};
    for (std::size_t i = 0; i < 9; ++i) {
        EXPECT_EQ(std::get<double>(runs[i].values[0]), p[i / 3]);
        EXPECT_EQ(std::get<double>(runs[i].values[1]), w[i % 3]);
        EXPECT_EQ(std::get<double>(runs[i].values[2]), s[i % 3]);
    }

    // The group's axis sits where its first parameter is: here it is the slowest.
    const auto first = load(R"([sweep]
[[sweep.param]]
path = "/netParams/connParams/EE/weight"
values = [0.01, 0.02]
group = "w"
[[sweep.param]]
path = "/netParams/connParams/EE/probability"
values = [0.1, 0.2, 0.3]
[[sweep.param]]
path = "/netParams/stimTargetParams/bg_E/weight"
values = [0.5, 0.6]
group = "w"
)");
    const auto zipped = m1::batch::expand_sweep(first, 1000);
    ASSERT_EQ(zipped.size(), 6u);
    for (std::size_t i = 0; i < 6; ++i) {
        EXPECT_EQ(std::get<double>(zipped[i].values[0]), i < 3 ? 0.01 : 0.02);
        EXPECT_EQ(std::get<double>(zipped[i].values[1]), p[i % 3]);
        EXPECT_EQ(std::get<double>(zipped[i].values[2]), i < 3 ? 0.5 : 0.6);
    }
}

TEST_F(Sweep, ListGivesOnePointPerEntry) {
    const auto sweep = load(R"([sweep]
method = "list"
points = [[0.01, 3], [0.02, 4], [0.03, 5]]
[[sweep.param]]
path = "/netParams/connParams/EE/weight"
[[sweep.param]]
path = "seed"
)");
    const auto runs = m1::batch::expand_sweep(sweep, 1000);
    ASSERT_EQ(runs.size(), 3u);
    for (std::size_t i = 0; i < 3; ++i) {
        EXPECT_EQ(std::get<double>(runs[i].values[0]), 0.01 * double(i + 1));
        EXPECT_EQ(std::get<std::int64_t>(runs[i].values[1]), std::int64_t(i + 3));
        EXPECT_EQ(runs[i].seeds.conn, i + 3);
        EXPECT_EQ(runs[i].seeds.loc, i + 3);
        const json doc = m1::batch::effective_document(sweep, runs[i]);
        EXPECT_EQ(doc["simConfig"]["seeds"]["stim"].get<std::uint32_t>(), i + 3);
    }
}

TEST_F(Sweep, RandomSamplesInRangeAndRepeatsWithItsSeed) {
    const std::string body = R"([sweep]
method = "random"
samples = 200
sampling_seed = SEED
[[sweep.param]]
path = "/netParams/connParams/EE/weight"
range = [0.001, 10.0]
log = true
[[sweep.param]]
path = "/netParams/stimTargetParams/bg_E/weight"
range = [0.25, 0.75]
[[sweep.param]]
path = "seeds.stim"
range = [1, 4]
)";
    auto with_seed = [&](const std::string& seed) {
        std::string text = body;
        text.replace(text.find("SEED"), 4, seed);
        return m1::batch::expand_sweep(load(text), 1000);
    };
    const auto a = with_seed("5"), again = with_seed("5"), other = with_seed("6");
    ASSERT_EQ(a.size(), 200u);
    std::size_t below_geometric_mean = 0;
    std::set<std::int64_t> seeds;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const double w = std::get<double>(a[i].values[0]);
        EXPECT_GE(w, 0.001);
        EXPECT_LE(w, 10.0);
        below_geometric_mean += w < 0.1;
        const double s = std::get<double>(a[i].values[1]);
        EXPECT_GE(s, 0.25);
        EXPECT_LE(s, 0.75);
        const std::int64_t k = std::get<std::int64_t>(a[i].values[2]);  // whole-number range
        EXPECT_GE(k, 1);
        EXPECT_LE(k, 4);
        seeds.insert(k);
        EXPECT_EQ(a[i].seeds.stim, std::uint32_t(k));
        EXPECT_EQ(a[i].seeds.conn, 1u);  // the model's (default) seed
        for (std::size_t p = 0; p < 3; ++p) {
            EXPECT_EQ(a[i].values[p], again[i].values[p]);
            if (p < 2) {
                EXPECT_NE(a[i].values[p], other[i].values[p]);
            }
        }
    }
    EXPECT_EQ(seeds.size(), 4u);  // every whole number in [1, 4] drawn
    // Log-uniform: about half below sqrt(0.001 * 10) = 0.1 (uniform would put ~1 % there).
    EXPECT_GT(below_geometric_mean, 70u);
    EXPECT_LT(below_geometric_mean, 130u);
}

TEST_F(Sweep, LatinHypercubeHitsEveryStratumOnce) {
    const std::string body = R"([sweep]
method = "latin_hypercube"
samples = 25
sampling_seed = SEED
[[sweep.param]]
path = "/netParams/connParams/EE/weight"
range = [0.01, 100.0]
log = true
[[sweep.param]]
path = "/netParams/stimTargetParams/bg_E/weight"
range = [2.0, 4.0]
)";
    auto with_seed = [&](const std::string& seed) {
        std::string text = body;
        text.replace(text.find("SEED"), 4, seed);
        return m1::batch::expand_sweep(load(text), 1000);
    };
    const auto runs = with_seed("1");
    ASSERT_EQ(runs.size(), 25u);
    std::set<long> log_strata, lin_strata;
    for (const auto& r : runs) {
        const double w = std::get<double>(r.values[0]), s = std::get<double>(r.values[1]);
        EXPECT_GE(w, 0.01);
        EXPECT_LE(w, 100.0);
        EXPECT_GE(s, 2.0);
        EXPECT_LE(s, 4.0);
        log_strata.insert(std::lround(std::floor((std::log(w) - std::log(0.01)) /
                                                 (std::log(100.0) - std::log(0.01)) * 25)));
        lin_strata.insert(std::lround(std::floor((s - 2.0) / 2.0 * 25)));
    }
    EXPECT_EQ(log_strata.size(), 25u);
    EXPECT_EQ(lin_strata.size(), 25u);
    EXPECT_EQ(*log_strata.begin(), 0);
    EXPECT_EQ(*log_strata.rbegin(), 24);
    EXPECT_EQ(*lin_strata.begin(), 0);
    EXPECT_EQ(*lin_strata.rbegin(), 24);
    const auto again = with_seed("1"), other = with_seed("2");
    std::size_t differing = 0;
    for (std::size_t i = 0; i < runs.size(); ++i) {
        EXPECT_EQ(runs[i].values, again[i].values);
        EXPECT_EQ(runs[i].id, again[i].id);
        differing += runs[i].values != other[i].values;
    }
    EXPECT_EQ(differing, runs.size());
}

TEST_F(Sweep, ReplicateSeedsVaryOnlyTheNamedSeeds) {
    const auto sweep = load(R"([seeds]
conn = 3
stim = 5
loc = 7
[sweep]
replicates = 3
replicate_seeds = ["stim"]
[[sweep.param]]
path = "/netParams/connParams/EE/weight"
values = [0.01, 0.02]
)");
    const auto runs = m1::batch::expand_sweep(sweep, 1000);
    ASSERT_EQ(runs.size(), 6u);
    for (std::size_t i = 0; i < runs.size(); ++i) {
        EXPECT_EQ(runs[i].seeds.conn, 3u);
        EXPECT_EQ(runs[i].seeds.stim, 5u + i % 3);
        EXPECT_EQ(runs[i].seeds.loc, 7u);
        EXPECT_EQ(m1::batch::format_seeds(runs[i].seeds), "3/" + std::to_string(5 + i % 3) + "/7");
    }
    // A pure replicate sweep from the model's own simConfig.seeds, and a swept seed that
    // replicates then add to.
    std::string model = tiny_model;
    model.replace(model.find("\"dt\": 0.025"), 11,
                  "\"dt\": 0.025, \"seeds\": {\"conn\": 4, \"stim\": 5, \"loc\": 6}");
    write("seeded.json", model);
    const auto pure = m1::batch::load_sweep(write("pure.toml", R"(model = "seeded.json"
output = "out"
[sweep]
replicates = 2
replicate_seeds = ["conn", "loc"]
)"));
    const auto reps = m1::batch::expand_sweep(pure, 10);
    ASSERT_EQ(reps.size(), 2u);
    EXPECT_EQ(m1::batch::format_seeds(reps[0].seeds), "4/5/6");
    EXPECT_EQ(m1::batch::format_seeds(reps[1].seeds), "5/5/7");
    const auto swept = m1::batch::expand_sweep(load(R"([sweep]
replicates = 2
[[sweep.param]]
path = "seeds.stim"
values = [10, 20]
)"), 10);
    ASSERT_EQ(swept.size(), 4u);
    EXPECT_EQ(m1::batch::format_seeds(swept[0].seeds), "1/10/1");
    EXPECT_EQ(m1::batch::format_seeds(swept[1].seeds), "2/11/2");
    EXPECT_EQ(m1::batch::format_seeds(swept[3].seeds), "2/21/2");
}

TEST_F(Sweep, RunKeyParametersSetTheRunConfiguration) {
    const auto sweep = load(R"(duration = 50
scale = 0.5
[sweep]
[[sweep.param]]
path = "duration"
values = [20, 30.5]
[[sweep.param]]
path = "dt"
values = [0.05]
)");
    const auto runs = m1::batch::expand_sweep(sweep, 10);
    ASSERT_EQ(runs.size(), 2u);
    EXPECT_EQ(*runs[0].config.duration, 20.0);
    EXPECT_EQ(*runs[1].config.duration, 30.5);
    EXPECT_EQ(*runs[1].config.dt, 0.05);
    EXPECT_EQ(*runs[1].config.scale, 0.5);
    const json doc = m1::batch::effective_document(sweep, runs[1]);
    EXPECT_EQ(doc["simConfig"]["duration"].get<double>(), 30.5);
    EXPECT_EQ(doc["simConfig"]["dt"].get<double>(), 0.05);
    EXPECT_EQ(doc["netParams"]["scale"].get<double>(), 0.5);
    // A list with a float holds floats: the 20 is the float 20.0, as the run uses it.
    EXPECT_EQ(m1::batch::format_value(runs[0].values[0]), "20.0");
}

// ---------------------------------------------------------------------------------------------
// Run ids

TEST_F(Sweep, TheSameEffectiveModelHasTheSameId) {
    const std::string body = R"([sweep]
[[sweep.param]]
path = "/netParams/connParams/EE/weight"
values = VALUES
[[sweep.param]]
path = "/netParams/sizeX"
values = [100, 200]
)";
    auto ids = [&](const std::string& run_keys, const std::string& values,
                   const std::string& model = "tiny.json") {
        std::string text = "model = \"" + model + "\"\n" + run_keys + "\n" + body;
        text.replace(text.find("VALUES"), 6, values);
        const auto sweep = m1::batch::load_sweep(write("ids.toml", text));
        std::vector<std::string> out;
        for (const auto& r : m1::batch::expand_sweep(sweep, 100)) out.push_back(r.id);
        return std::make_pair(out, sweep);
    };
    const auto [base, base_sweep] = ids("output = \"a\"", "[1, 2]");
    ASSERT_EQ(base.size(), 4u);
    EXPECT_EQ(std::set<std::string>(base.begin(), base.end()).size(), 4u);
    // 1 and 1.0 in a float field are the same model, stored as a float.
    EXPECT_EQ(ids("output = \"a\"", "[1.0, 2.0]").first, base);
    const auto run0 = m1::batch::expand_sweep(base_sweep, 100)[0];
    const json doc = m1::batch::effective_document(base_sweep, run0);
    EXPECT_TRUE(doc["netParams"]["connParams"]["EE"]["weight"].is_number_float());
    EXPECT_TRUE(doc["netParams"]["sizeX"].is_number_integer());  // an integer field stays one
    // Threads and output directory are not part of the id; key order in the model is not either.
    EXPECT_EQ(ids("output = \"elsewhere\"\nthreads = 1", "[1, 2]").first, base);
    write("reordered.json", reversed(json::parse(tiny_model)).dump(2));
    EXPECT_NE(read_file(dir_ / "reordered.json"), read_file(dir_ / "tiny.json"));
    EXPECT_EQ(ids("output = \"a\"", "[1, 2]", "reordered.json").first, base);
    // A different value, seed, duration, scale or trace is a different run.
    const auto changed = ids("output = \"a\"", "[1, 3]").first;
    EXPECT_EQ(changed[0], base[0]);
    EXPECT_EQ(changed[1], base[1]);
    EXPECT_NE(changed[2], base[2]);
    for (const char* keys : {"output = \"a\"\nseed = 2", "output = \"a\"\nduration = 50",
                             "output = \"a\"\nscale = 0.5", "output = \"a\"\n[record]\ntraces = [\"E:0\"]"})
        for (const auto& id : ids(keys, "[1, 2]").first)
            EXPECT_EQ(std::count(base.begin(), base.end(), id), 0) << keys;

    // run_id directly: threads and output never count.
    m1::run_config config = run0.config;
    config.threads = 7;
    config.output = "/somewhere/else";
    EXPECT_EQ(m1::batch::run_id(doc, config), run0.id);
}

// The ids expand_sweep computes (in parallel, without building every model) are run_id of
// effective_document, whatever the sweep touches: arrays, keys the file leaves out, run keys.
TEST_F(Sweep, ExpandedIdsAreRunIdOfTheEffectiveDocument) {
    const fs::path model = m1_2017();
    auto check = [&](const std::string& text) {
        const auto sweep = m1::batch::load_sweep(write("check.toml", text));
        const auto runs = m1::batch::expand_sweep(sweep, 1000);
        ASSERT_GT(runs.size(), 1u);
        for (const auto& r : runs)
            EXPECT_EQ(r.id, m1::batch::run_id(m1::batch::effective_document(sweep, r), r.config))
                << text << "\nrun " << r.index;
        EXPECT_EQ(ids_of(runs).size(), runs.size());
    };
    const std::string head = "model = \"" + model.string() + "\"\noutput = \"out\"\n";
    check(head + R"toml(scale = 0.1
[record]
traces = ["PT_L5B:0"]
[sweep]
replicates = 2
[[sweep.param]]
path = "/netParams/connParams/0/postConds/ynorm/1"
values = [0.2, 0.25]
[[sweep.param]]
path = "/netParams/defaultWeight"
values = [1, 2]
[[sweep.param]]
path = "/netParams/stimTargetParams/bgE->PT/weight"
values = ["0.15", "0.1+uniform(0,0.1)"]
[[sweep.param]]
path = "/netParams/sizeX"
values = [300, 250.5]
)toml");
    check(head + R"([sweep]
method = "list"
points = [[0.1, 1, 0.05, 1], [0.2, 2, 0.1, 3]]
[[sweep.param]]
path = "scale"
[[sweep.param]]
path = "seed"
[[sweep.param]]
path = "dt"
[[sweep.param]]
path = "/simConfig/recordStep"
)");
    check(on_tiny(R"([sweep]
method = "latin_hypercube"
samples = 5
[[sweep.param]]
path = "/netParams/stimTargetParams/bg~1E~0/weight"
range = [0.1, 0.3]
[[sweep.param]]
path = "duration"
range = [10, 100]
)"));
}

TEST_F(Sweep, TenThousandRunsOfTheFullModelExpandInSeconds) {
    std::string values1 = "[", values2 = "[";
    for (int i = 0; i < 100; ++i) {
        values1.append(i ? ", " : "").append(std::to_string(0.0001 + 0.000005 * i));
        values2.append(i ? ", " : "").append(std::to_string(0.05 + 0.01 * i));
    }
    const fs::path file = write("big.toml", "model = \"" + m1_2017().string() +
                                                "\"\noutput = \"out\"\n[sweep]\n[[sweep.param]]\n"
                                                "path = \"/netParams/scaleConnWeight\"\nvalues = " +
                                                values1 + "]\n[[sweep.param]]\npath = "
                                                "\"/netParams/stimTargetParams/bgE->PT/weight\"\n"
                                                "values = " + values2 + "]\n");
    const auto t0 = std::chrono::steady_clock::now();
    const auto sweep = m1::batch::load_sweep(file);
    const auto t1 = std::chrono::steady_clock::now();
    const auto runs = m1::batch::expand_sweep(sweep, 10000);
    const auto t2 = std::chrono::steady_clock::now();
    const double load_s = std::chrono::duration<double>(t1 - t0).count();
    const double expand_s = std::chrono::duration<double>(t2 - t1).count();
    std::cout << "m1_2017, 100 x 100 grid: load " << load_s << " s, expand 10,000 runs " << expand_s
              << " s\n";
    RecordProperty("expand_10000_runs_s", std::to_string(expand_s));
    ASSERT_EQ(runs.size(), 10000u);
    EXPECT_EQ(ids_of(runs).size(), 10000u);
    for (std::size_t i : {std::size_t{0}, std::size_t{4321}, std::size_t{9999}})
        EXPECT_EQ(runs[i].id, m1::batch::run_id(m1::batch::effective_document(sweep, runs[i]),
                                                runs[i].config));
    // Speed is bench_batch's BM_ExpandSweep, not an assertion here (the time is only printed).
}

// ---------------------------------------------------------------------------------------------
// Malformed sweeps: each names the file, the key and the line.

TEST_F(Sweep, UnknownPointersAreRefused) {
    expect_error(on_tiny("[sweep]\n[[sweep.param]]\npath = \"/netParams/connParams/XX/weight\"\n"
                         "values = [1.0]\n"),
                 "sweep.param[0].path", "path =", "netParams.connParams has no key 'XX'");
    // A missing last key is taken only where the model accepts it (defaultWeight: NetPyNE's).
    expect_error(on_tiny("[sweep]\n[[sweep.param]]\npath = \"/netParams/bogus\"\nvalues = [1.0]\n"),
                 "sweep.param[0].path", "path =", "unknown key");
    const auto ok = load("[sweep]\n[[sweep.param]]\npath = \"/netParams/defaultWeight\"\n"
                         "values = [1.0, 2.0]\n");
    EXPECT_EQ(m1::batch::expand_sweep(ok, 10).size(), 2u);
    expect_error(on_tiny("[sweep]\n[[sweep.param]]\npath = \"/netParams/sizeX/inner\"\nvalues = [1]\n"),
                 "sweep.param[0].path", "path =", "netParams.sizeX is a number");
    expect_error(on_tiny("[sweep]\n[[sweep.param]]\npath = \"/netParams/a~2b\"\nvalues = [1]\n"),
                 "sweep.param[0].path", "path =", "malformed JSON Pointer");
    expect_error("model = \"" + m1_2017().string() + "\"\noutput = \"o\"\n[sweep]\n"
                 "[[sweep.param]]\npath = \"/netParams/connParams/0/preConds/ynorm/2\"\nvalues = [1]\n",
                 "sweep.param[0].path", "path =", "not an index of netParams.connParams.0.preConds.ynorm");
    // simConfig.seeds is what every run's seeds set.
    expect_error(on_tiny("[sweep]\n[[sweep.param]]\npath = \"/simConfig/seeds/conn\"\nvalues = [1]\n"),
                 "sweep.param[0].path", "path =", "sweep seed or seeds.conn");
    // The model parser's word on the first run's value, at that value.
    expect_error(on_tiny("[sweep]\n[[sweep.param]]\npath = \"/netParams/connParams/EE/synMech\"\n"
                         "values = [\"NMDA\", \"AMPA\"]\n"),
                 "sweep.param[0].values[0]", "values =", "unknown synaptic mechanism");
}

TEST_F(Sweep, UnknownRunKeysAreRefused) {
    expect_error(on_tiny("[sweep]\n[[sweep.param]]\npath = \"durations\"\nvalues = [10]\n"),
                 "sweep.param[0].path", "durations",
                 "unknown run key 'durations' (seed, seeds.conn, seeds.stim, seeds.loc, duration, "
                 "dt, scale); a model parameter is a JSON Pointer starting with /");
    expect_error(on_tiny("[sweep]\n[[sweep.param]]\npath = \"seed\"\nvalues = [1, -2]\n"),
                 "sweep.param[0].values[1]", "values =", "a seed is a whole number");
    expect_error(on_tiny("[sweep]\n[[sweep.param]]\npath = \"dt\"\nvalues = [0.1, 0]\n"),
                 "sweep.param[0].values[1]", "values =", "dt must be a positive number");
    expect_error(on_tiny("[sweep]\n[[sweep.param]]\npath = \"seed\"\nvalues = [1]\n"
                         "[[sweep.param]]\npath = \"seeds.loc\"\nvalues = [1]\n"),
                 "sweep.param[1].path", "\"seeds.loc\"", "seed sets all three seeds");
}

TEST_F(Sweep, BadValueListsAreRefused) {
    expect_error(on_tiny("[sweep]\n[[sweep.param]]\npath = \"/netParams/sizeX\"\nvalues = []\n"),
                 "sweep.param[0].values", "values =", "must not be empty");
    // The element's own line.
    expect_error(on_tiny("[sweep]\n[[sweep.param]]\npath = \"/netParams/sizeX\"\nvalues = [\n  100,\n"
                         "  \"wide\",\n]\n"),
                 "sweep.param[0].values[1]", "\"wide\"", "mixed types: this value is a string");
    expect_error(on_tiny("[sweep]\n[[sweep.param]]\npath = \"/netParams/sizeX\"\nvalues = [[1, 2]]\n"),
                 "sweep.param[0].values[0]", "values =", "not a list");
    expect_error(on_tiny("[sweep]\n[[sweep.param]]\npath = \"/netParams/sizeX\"\nvalues = [100, 200]\n"
                         "[[sweep.param]]\npath = \"/netParams/sizeX\"\nvalues = [1]\n"),
                 "sweep.param[1].path", "path = \"/netParams/sizeX\"\nvalues = [1]",
                 "already swept by sweep.param[0]");
    expect_error(on_tiny("[sweep]\n[[sweep.param]]\npath = \"/netParams/sizeX\"\nvalues = [100, 200, 100.0]\n"),
                 "sweep.param[0].values[2]", "values =", "repeats sweep.param[0].values[0]");
    expect_error(on_tiny("[sweep]\n[[sweep.param]]\npath = \"/netParams/connParams/EE\"\nvalues = [1]\n"
                         "[[sweep.param]]\npath = \"/netParams/connParams/EE/weight\"\nvalues = [1]\n"),
                 "sweep.param[1].path", "EE/weight", "overlaps");
}

TEST_F(Sweep, DuplicateTomlKeysNameFileAndLine) {
    const std::string text = on_tiny("[sweep]\nreplicates = 2\nreplicates = 3\n");
    const fs::path p = write("dup.toml", text);
    try {
        m1::batch::load_sweep(p);
        ADD_FAILURE() << "accepted a duplicate key";
    } catch (const m1::input_error& e) {
        EXPECT_EQ(e.where().file, p.string());
        EXPECT_EQ(e.where().line, line_of(text, "replicates = 3"));
        EXPECT_NE(std::string(e.what()).find(p.string() + ":5:"), std::string::npos) << e.what();
        EXPECT_NE(e.reason().find("replicates"), std::string::npos) << e.what();
    }
    EXPECT_THROW(m1::batch::is_sweep_file(p), m1::input_error);
}

TEST_F(Sweep, KeysOfAnotherMethodAreRefused) {
    expect_error(on_tiny("[sweep]\nmethod = \"random\"\nsamples = 3\n[[sweep.param]]\n"
                         "path = \"/netParams/sizeX\"\nvalues = [1, 2]\n"),
                 "sweep.param[0].values", "values =", "values does not belong here");
    expect_error(on_tiny("[sweep]\n[[sweep.param]]\npath = \"/netParams/sizeX\"\nrange = [1, 2]\n"),
                 "sweep.param[0].range", "range =", "range does not belong here");
    expect_error(on_tiny("[sweep]\nsamples = 4\n[[sweep.param]]\npath = \"/netParams/sizeX\"\nvalues = [1]\n"),
                 "sweep.samples", "samples =", "samples is for method = \"random\"");
    expect_error(on_tiny("[sweep]\npoints = [[1]]\n[[sweep.param]]\npath = \"/netParams/sizeX\"\nvalues = [1]\n"),
                 "sweep.points", "points =", "points belong to method = \"list\"");
    expect_error(on_tiny("[sweep]\nmethod = \"list\"\npoints = [[1]]\n[[sweep.param]]\n"
                         "path = \"/netParams/sizeX\"\nvalues = [1]\n"),
                 "sweep.param[0].values", "values =", "only path");
    expect_error(on_tiny("[sweep]\nmethod = \"latin_hypercube\"\nsamples = 3\n[[sweep.param]]\n"
                         "path = \"/netParams/sizeX\"\nrange = [1, 2]\ngroup = \"g\"\n"),
                 "sweep.param[0].group", "group =", "values and group are for grid sweeps");
    expect_error(on_tiny("[sweep]\nmethod = \"sobol\"\n"), "sweep.method", "method =",
                 "must be \"grid\", \"list\", \"random\" or \"latin_hypercube\"");
}

TEST_F(Sweep, MalformedSweepTablesAreRefused) {
    const std::string one = "[[sweep.param]]\npath = \"/netParams/sizeX\"\nvalues = [100, 200]\n";
    expect_error(on_tiny("[sweep]\nrepeats = 2\n" + one), "sweep.repeats", "repeats", "unknown key");
    expect_error(on_tiny("[sweep]\n" + one + "colour = \"red\"\n"), "sweep.param[0].colour",
                 "colour", "unknown key");
    expect_error(on_tiny("[sweep]\nreplicates = 0\n" + one), "sweep.replicates", "replicates",
                 "must be a whole number >= 1");
    expect_error(on_tiny("[sweep]\nreplicate_seeds = [\"stim\", \"net\"]\n" + one),
                 "sweep.replicate_seeds[1]", "replicate_seeds", "\"conn\", \"stim\" or \"loc\"");
    expect_error(on_tiny("[sweep]\nreplicate_seeds = [\"stim\", \"stim\"]\n" + one),
                 "sweep.replicate_seeds[1]", "replicate_seeds", "named twice");
    expect_error(on_tiny("[sweep]\ntimeout_s = -1\n" + one), "sweep.timeout_s", "timeout_s",
                 "positive");
    expect_error(on_tiny("[sweep]\nanalysis = [\"rates\", \"spikes\"]\n" + one), "sweep.analysis[1]",
                 "analysis", "unknown analysis");
    expect_error(on_tiny("[sweep]\n"), "sweep.param", "[sweep]", "nothing to sweep");
    expect_error(on_tiny("[sweep]\n[[sweep.param]]\nvalues = [1]\n"), "sweep.param[0].path",
                 "[[sweep.param]]", "missing");
    expect_error(on_tiny("[sweep]\n[[sweep.param]]\npath = \"/netParams/connParams/EE/weight\"\n"
                         "values = [1.0, 2.0]\n[[sweep.param]]\npath = \"/netParams/sizeX\"\n"
                         "values = [1, 2, 3]\ngroup = \"g\"\n[[sweep.param]]\n"
                         "path = \"/netParams/sizeY\"\nvalues = [1, 2]\ngroup = \"g\"\n"),
                 "sweep.param[2].values", "values = [1, 2]\n",
                 "group 'g' zips lists of equal length: sweep.param[1] has 3 values");
    expect_error(on_tiny("[sweep]\nmethod = \"list\"\npoints = [\n  [1, 2],\n  [3],\n]\n"
                         "[[sweep.param]]\npath = \"/netParams/sizeX\"\n[[sweep.param]]\n"
                         "path = \"/netParams/sizeY\"\n"),
                 "sweep.points[1]", "[3]", "one value per [[sweep.param]] (2), this one has 1");
    expect_error(on_tiny("[sweep]\nmethod = \"random\"\nsamples = 3\n[[sweep.param]]\n"
                         "path = \"/netParams/connParams/EE/weight\"\nrange = [2.0, 1.0]\n"),
                 "sweep.param[0].range", "range =", "lo < hi");
    expect_error(on_tiny("[sweep]\nmethod = \"random\"\nsamples = 3\n[[sweep.param]]\n"
                         "path = \"/netParams/connParams/EE/weight\"\nrange = [0.0, 1.0]\nlog = true\n"),
                 "sweep.param[0].range", "range =", "log range needs lo > 0");
    expect_error(on_tiny("[sweep]\nmethod = \"random\"\nsamples = 3\n[[sweep.param]]\n"
                         "path = \"/netParams/connParams/EE/weight\"\nrange = [0.1]\n"),
                 "sweep.param[0].range", "range =", "two numbers");
    expect_error(on_tiny("[sweep]\nmethod = \"latin_hypercube\"\n[[sweep.param]]\n"
                         "path = \"/netParams/connParams/EE/weight\"\nrange = [0.1, 1]\n"),
                 "sweep.samples", "[sweep]", "samples = N");
    // Runs that would be one simulation (a seed varied by a parameter and by replicates).
    expect_error(on_tiny("[sweep]\nreplicates = 2\n[[sweep.param]]\npath = \"seed\"\nvalues = [1, 2]\n"),
                 "sweep", "", "are the same simulation");
    // No [sweep] table at all.
    expect_error(on_tiny(""), "sweep", "", "a sweep file has a [sweep] table");
}

TEST_F(Sweep, TooManyRunsFailFastBeforeExpanding) {
    std::string values = "[";
    for (int i = 0; i < 100; ++i) values.append(i ? ", " : "").append(std::to_string(i + 1));
    values += "]";
    std::string text = "[sweep]\n";
    for (const char* path : {"/netParams/sizeX", "/netParams/sizeY", "/netParams/sizeZ"})
        text += "[[sweep.param]]\npath = \"" + std::string(path) + "\"\nvalues = " + values + "\n";
    // Counted before any run is built: a million runs are refused without being made.
    expect_error(on_tiny(text), "sweep", "",
                 "the sweep has 1000000 runs, more than --max-runs 10000; raise --max-runs to run it",
                 10000);
    // Exactly max_runs is fine.
    EXPECT_EQ(m1::batch::expand_sweep(load("[sweep]\nreplicates = 3\n"), 3).size(), 3u);
    expect_error(on_tiny("[sweep]\nreplicates = 4\n"), "sweep", "", "has 4 runs, more than --max-runs 3", 3);
}

// ---------------------------------------------------------------------------------------------
// Base files

TEST_F(Sweep, BaseFilesAreImportedAndOverridden) {
    write("conf/common.toml", "model = \"../tiny.json\"\noutput = \"../common_out\"\nseed = 9\n"
                              "threads = 3\nduration = 40\n[record]\ntraces = [\"E:1\"]\n");
    write("conf/base.toml", "base = \"common.toml\"\nname = \"ignored\"\nduration = 50\ndt = 0.05\n");
    const fs::path file = write("sweeps/s.toml", R"(base = "../conf/base.toml"
duration = 80
output = "results"
[sweep]
[[sweep.param]]
path = "/netParams/sizeX"
values = [100, 200]
)");
    const auto sweep = m1::batch::load_sweep(file);
    EXPECT_EQ(sweep.name, "s");
    ASSERT_EQ(sweep.sources.size(), 3u);
    EXPECT_EQ(sweep.sources[0], file);
    EXPECT_EQ(sweep.sources[1], dir_ / "conf" / "base.toml");
    EXPECT_EQ(sweep.sources[2], dir_ / "conf" / "common.toml");
    EXPECT_EQ(sweep.config.model, dir_ / "tiny.json");
    EXPECT_EQ(sweep.config.output, dir_ / "sweeps" / "results");  // the sweep file's own
    EXPECT_EQ(*sweep.config.seed, 9u);
    EXPECT_EQ(sweep.config.threads, 3u);
    EXPECT_EQ(*sweep.config.duration, 80.0);
    EXPECT_EQ(*sweep.config.dt, 0.05);
    EXPECT_EQ(sweep.config.traces, std::vector<std::string>{"E:1"});
    const auto runs = m1::batch::expand_sweep(sweep, 10);
    ASSERT_EQ(runs.size(), 2u);
    EXPECT_EQ(runs[0].seeds.stim, 9u);
    EXPECT_EQ(*runs[1].config.duration, 80.0);
    EXPECT_EQ(runs[1].config.output, dir_ / "sweeps" / "results" / "runs" / runs[1].id);

    // An error in a base file names the base file.
    const std::string bad_base = "model = \"tiny.json\"\noutput = \"o\"\nduraton = 3\n";
    write("bad_base.toml", bad_base);
    const fs::path uses = write("uses.toml", "base = \"bad_base.toml\"\n[sweep]\nreplicates = 2\n");
    try {
        m1::batch::load_sweep(uses);
        ADD_FAILURE() << "accepted an unknown key in a base file";
    } catch (const m1::input_error& e) {
        EXPECT_EQ(e.where().file, (dir_ / "bad_base.toml").string()) << e.what();
        EXPECT_EQ(e.where().key_path, "duraton");
        EXPECT_EQ(e.where().line, 3u);
    }
    write("with_sweep.toml", "model = \"tiny.json\"\noutput = \"o\"\n[sweep]\nreplicates = 2\n");
    try {
        m1::batch::load_sweep(write("uses2.toml", "base = \"with_sweep.toml\"\n[sweep]\nreplicates = 2\n"));
        ADD_FAILURE() << "accepted a base file with a [sweep] table";
    } catch (const m1::input_error& e) {
        EXPECT_EQ(e.where().file, (dir_ / "with_sweep.toml").string()) << e.what();
        EXPECT_EQ(e.where().key_path, "sweep");
        EXPECT_EQ(e.where().line, 3u);
        EXPECT_NE(e.reason().find("run keys only"), std::string::npos) << e.what();
    }
    expect_error("base = \"nowhere.toml\"\n[sweep]\nreplicates = 2\n", "base", "base",
                 "no such file");
}

TEST_F(Sweep, BaseCyclesAreDetected) {
    write("a.toml", "base = \"b.toml\"\nmodel = \"tiny.json\"\n");
    const std::string b = "output = \"o\"\nbase = \"a.toml\"\n";
    write("b.toml", b);
    const fs::path sweep = write("s.toml", "base = \"a.toml\"\n[sweep]\nreplicates = 2\n");
    try {
        m1::batch::load_sweep(sweep);
        ADD_FAILURE() << "accepted a cycle";
    } catch (const m1::input_error& e) {
        EXPECT_EQ(e.where().file, (dir_ / "b.toml").string()) << e.what();
        EXPECT_EQ(e.where().key_path, "base");
        EXPECT_EQ(e.where().line, 2u);
        EXPECT_NE(e.reason().find("cycle"), std::string::npos) << e.what();
    }
    // A sweep file that is its own base.
    expect_error("base = \"bad.toml\"\n[sweep]\nreplicates = 2\n", "base", "base", "cycle");
}

// ---------------------------------------------------------------------------------------------
// Output

TEST_F(Sweep, FormatsValuesAndSeeds) {
    EXPECT_EQ(m1::batch::format_value(param_value{0.1}), "0.1");
    // Shortest round-trip digits in Python's repr layout (what NetPyNE users see for a float).
    EXPECT_EQ(m1::batch::format_value(param_value{0.001}), "0.001");
    EXPECT_EQ(m1::batch::format_value(param_value{0.0003}), "0.0003");
    EXPECT_EQ(m1::batch::format_value(param_value{0.0001}), "0.0001");
    EXPECT_EQ(m1::batch::format_value(param_value{0.00001}), "1e-05");
    EXPECT_EQ(m1::batch::format_value(param_value{-0.00045}), "-0.00045");
    EXPECT_EQ(m1::batch::format_value(param_value{1.0}), "1.0");
    EXPECT_EQ(m1::batch::format_value(param_value{1234.5}), "1234.5");
    EXPECT_EQ(m1::batch::format_value(param_value{1e15}), "1000000000000000.0");
    EXPECT_EQ(m1::batch::format_value(param_value{1e16}), "1e+16");
    EXPECT_EQ(m1::batch::format_value(param_value{1e21}), "1e+21");
    EXPECT_EQ(m1::batch::format_value(param_value{1.7e308}), "1.7e+308");
    EXPECT_EQ(m1::batch::format_value(param_value{0.1 + 0.2}), "0.30000000000000004");
    EXPECT_EQ(m1::batch::format_value(param_value{std::int64_t{-42}}), "-42");
    EXPECT_EQ(m1::batch::format_value(param_value{true}), "true");
    EXPECT_EQ(m1::batch::format_value(param_value{std::string("a, b")}), "a, b");
    EXPECT_EQ(m1::batch::format_seeds({3, 3, 3}), "3");
    EXPECT_EQ(m1::batch::format_seeds({1, 2, 1}), "1/2/1");
}

TEST_F(Sweep, CsvIsRfc4180) {
    const auto sweep = load(R"([sweep]
replicates = 2
replicate_seeds = ["stim"]
[[sweep.param]]
path = "/netParams/annots/note"
values = ["a, \"b\"", "plain"]
[[sweep.param]]
path = "/netParams/connParams/EE/weight"
values = [0.25]
)");
    const auto runs = m1::batch::expand_sweep(sweep, 10);
    ASSERT_EQ(runs.size(), 4u);
    std::ostringstream csv;
    m1::batch::print_runs(sweep, runs, csv, true);
    const std::string expected =
        "run_id,/netParams/annots/note,/netParams/connParams/EE/weight,seed\r\n" +
        runs[0].id + ",\"a, \"\"b\"\"\",0.25,1\r\n" +
        runs[1].id + ",\"a, \"\"b\"\"\",0.25,1/2/1\r\n" +
        runs[2].id + ",plain,0.25,1\r\n" +
        runs[3].id + ",plain,0.25,1/2/1\r\n";
    EXPECT_EQ(csv.str(), expected);
}

TEST_F(Sweep, DryRunTableIsAligned) {
    const auto sweep = load(R"([sweep]
replicates = 2
[[sweep.param]]
path = "/netParams/connParams/EE/weight"
values = [0.001, 0.25, 1e-05]
)");
    const auto runs = m1::batch::expand_sweep(sweep, 10);
    std::ostringstream table;
    m1::batch::print_runs(sweep, runs, table, false);
    std::vector<std::string> lines;
    std::istringstream in(table.str());
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    ASSERT_EQ(lines.size(), 8u);
    EXPECT_EQ(lines[0].find("#"), 0u);
    const auto id_column = lines[0].find("run_id");
    const auto value_column = lines[0].find("/netParams/connParams/EE/weight");
    const auto seed_column = lines[0].find("seed");
    ASSERT_NE(value_column, std::string::npos);
    for (std::size_t i = 0; i < runs.size(); ++i) {
        const std::string& line = lines[i + 1];
        EXPECT_EQ(line.find(runs[i].id), id_column) << line;
        EXPECT_EQ(line.find(m1::batch::format_value(runs[i].values[0]), id_column + 16), value_column) << line;
        EXPECT_EQ(line.substr(seed_column), std::to_string(1 + i % 2)) << line;
    }
    EXPECT_NE(lines[5].find("1e-05"), std::string::npos);
    EXPECT_EQ(lines[7], "6 runs (3 points x 2 replicates)");
}

TEST_F(Sweep, SelfContainedCopyGivesTheSameRuns) {
    write("conf/base.toml", "model = \"../tiny.json\"\nthreads = 2\n[seeds]\nconn = 2\nstim = 3\n"
                            "loc = 4\n[record]\ntraces = [\"E:0\"]\n"
                            "[lfp]\ninterval_ms = 0.5\nelectrodes = [{name = \"all\", ynorm = [0.0, 1.0]}]\n");
    const fs::path file = write("orig.toml", R"(base = "conf/base.toml"
output = "out"
duration = 60.5
dt = 0.1
scale = 0.7
[sweep]
replicates = 2
replicate_seeds = ["stim", "loc"]
timeout_s = 30
[[sweep.param]]
path = "/netParams/connParams/EE/weight"
values = [0.0003, 1, 2.5e-7]
[[sweep.param]]
path = "/netParams/stimTargetParams/bg~1E~0/delay"
values = [1, 3]
[[sweep.param]]
path = "duration"
values = [33.3, 66.6]
group = "d"
[[sweep.param]]
path = "/netParams/annots/note"
values = ["x", "y"]
group = "d"
)");
    const auto original = m1::batch::load_sweep(file);
    const fs::path output = dir_ / "copy";
    fs::create_directories(output);
    {
        std::ofstream out(output / "sweep.toml");
        out << original.self_contained << "\n";
    }
    fs::copy_file(original.config.model, output / "model.json");
    const auto copy = m1::batch::load_sweep(output / "sweep.toml");
    EXPECT_EQ(copy.name, "orig");
    EXPECT_EQ(copy.config.model, output / "model.json");
    EXPECT_EQ(copy.config.output, (output / ".").lexically_normal());
    EXPECT_EQ(copy.config.threads, 2u);
    EXPECT_EQ(copy.config.lfp.to_json(), original.config.lfp.to_json());  // [lfp] came along
    EXPECT_EQ(copy.config.lfp.interval_ms, 0.5);
    EXPECT_EQ(*copy.timeout_s, 30.0);
    EXPECT_FALSE(original.self_contained.contains("base"));
    const auto a = m1::batch::expand_sweep(original, 100), b = m1::batch::expand_sweep(copy, 100);
    ASSERT_EQ(a.size(), 24u);
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        EXPECT_EQ(a[i].id, b[i].id) << i;
        EXPECT_EQ(a[i].values, b[i].values) << i;
        EXPECT_EQ(m1::batch::format_seeds(a[i].seeds), m1::batch::format_seeds(b[i].seeds));
    }
    EXPECT_EQ(m1::batch::format_seeds(a[1].seeds), "2/4/5");

    // Sampled values survive the round trip too.
    const fs::path sampled = write("sampled.toml", on_tiny(R"([sweep]
method = "random"
samples = 8
sampling_seed = 12345678901
[[sweep.param]]
path = "/netParams/connParams/EE/weight"
range = [0.000123, 0.987]
log = true
)"));
    const auto s1 = m1::batch::load_sweep(sampled);
    {
        std::ofstream out(output / "sweep.toml");
        out << s1.self_contained << "\n";
    }
    const auto s2 = m1::batch::load_sweep(output / "sweep.toml");
    const auto r1 = m1::batch::expand_sweep(s1, 100), r2 = m1::batch::expand_sweep(s2, 100);
    ASSERT_EQ(r1.size(), 8u);
    for (std::size_t i = 0; i < r1.size(); ++i) EXPECT_EQ(r1[i].id, r2[i].id);
}

TEST_F(Sweep, IsSweepFileLooksForASweepTable) {
    EXPECT_TRUE(m1::batch::is_sweep_file(write("s.toml", on_tiny("[sweep]\nreplicates = 2\n"))));
    EXPECT_FALSE(m1::batch::is_sweep_file(write("r.toml", on_tiny("seed = 2\n"))));
    EXPECT_FALSE(m1::batch::is_sweep_file(fs::path(M1_SOURCE_DIR) / "configs" / "m1.toml"));
    EXPECT_THROW(m1::batch::is_sweep_file(dir_ / "missing.toml"), m1::input_error);
}

}  // namespace
