// Run ids (batch/run_id.hpp): the same effective model and run keys give the same id whatever
// the key order, threads or output directory; anything that changes the run changes it; the ids
// expansion computes in parallel are run_id of the effective document.
#include "batch/run_id.hpp"
#include "sweep_test_support.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

using namespace m1::test;

namespace {

class RunId : public sweep_test {};

TEST_F(RunId, TheSameEffectiveModelHasTheSameId) {
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
    write("reordered.json", reversed(json::parse(tiny_sweep_model)).dump(2));
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
TEST_F(RunId, ExpandedIdsAreRunIdOfTheEffectiveDocument) {
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

}  // namespace
