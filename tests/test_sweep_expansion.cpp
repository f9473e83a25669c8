// Sweep expansion (batch/sweep_expansion.hpp): the methods' points (grid, groups, list, random,
// latin_hypercube), replicates and their seeds, run keys as parameters, and a 10,000-run
// expansion of the full model. Every case uses real files in a temporary directory.
#include "sweep_test_support.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <iostream>

using m1::batch::param_value;
using namespace m1::test;

namespace {

class SweepExpansion : public sweep_test {};

// ---------------------------------------------------------------------------------------------
// Methods and order

TEST_F(SweepExpansion, GridIsACartesianProductWithReplicatesInnermost) {
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

TEST_F(SweepExpansion, GroupedParametersAreZippedIntoOneAxis) {
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

TEST_F(SweepExpansion, ListGivesOnePointPerEntry) {
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

TEST_F(SweepExpansion, RandomSamplesInRangeAndRepeatsWithItsSeed) {
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

TEST_F(SweepExpansion, LatinHypercubeHitsEveryStratumOnce) {
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

TEST_F(SweepExpansion, ReplicateSeedsVaryOnlyTheNamedSeeds) {
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
    std::string model = tiny_sweep_model;
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

TEST_F(SweepExpansion, RunKeyParametersSetTheRunConfiguration) {
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

// The JSON form in which the MPI board hands a run to a worker rank: read back against the same
// sweep it is the same run, values of every kind to the bit, seeds, id and configuration.
TEST_F(SweepExpansion, ARunReadBackFromItsJsonIsTheSameRun) {
    const auto sweep = load(R"(duration = 50
[sweep]
replicates = 2
replicate_seeds = ["stim"]
[[sweep.param]]
path = "/netParams/connParams/EE/weight"
values = [0.1, 0.30000000000000004]
[[sweep.param]]
path = "seeds.conn"
values = [3]
[[sweep.param]]
path = "/netParams/annots/note"
values = ["a \"quoted\" note"]
[[sweep.param]]
path = "duration"
values = [20.5]
)");
    const auto runs = m1::batch::expand_sweep(sweep, 10);
    ASSERT_EQ(runs.size(), 4u);
    for (const auto& run : runs) {
        const std::string text = m1::batch::to_json(run).dump();
        const auto back = m1::batch::run_from_json(sweep, nlohmann::json::parse(text));
        EXPECT_EQ(back.index, run.index) << text;
        EXPECT_EQ(back.point, run.point);
        EXPECT_EQ(back.replicate, run.replicate);
        EXPECT_EQ(back.values, run.values) << text;  // the same alternatives, the same bits
        EXPECT_EQ(m1::batch::format_seeds(back.seeds), m1::batch::format_seeds(run.seeds));
        EXPECT_EQ(back.id, run.id);
        EXPECT_EQ(back.config.output, run.config.output);
        EXPECT_EQ(back.config.duration, run.config.duration);
        ASSERT_TRUE(back.config.seeds.has_value());
        EXPECT_EQ(m1::batch::format_seeds(*back.config.seeds), m1::batch::format_seeds(*run.config.seeds));
        EXPECT_EQ(m1::batch::run_id(m1::batch::effective_document(sweep, back), back.config), run.id);
    }
    EXPECT_EQ(std::get<double>(runs[2].values[0]), 0.1 + 0.2);
    for (const param_value& v : {param_value{true}, param_value{std::int64_t{-3}}, param_value{1.0},
                                 param_value{1e-300}, param_value{std::string("x")}})
        EXPECT_EQ(m1::batch::param_value_from_json(
                      nlohmann::json::parse(m1::batch::param_value_to_json(v).dump())),
                  v);
}

TEST_F(SweepExpansion, TenThousandRunsOfTheFullModelExpandInSeconds) {
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

}  // namespace
