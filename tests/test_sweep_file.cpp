// Sweep files (batch/sweep_file.hpp): malformed sweeps refused naming file, key and line, before
// any run; base files imported and overridden, cycles found; the self-contained sweep.toml a
// results directory keeps gives the same runs. Every case uses real files in a temporary directory.
#include "sweep_test_support.hpp"

#include <gtest/gtest.h>

#include <fstream>

using namespace m1::test;

namespace {

class SweepFile : public sweep_test {};

// ---------------------------------------------------------------------------------------------
// Malformed sweeps: each names the file, the key and the line.

TEST_F(SweepFile, UnknownPointersAreRefused) {
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
                 "sweep.param[0].path", "path =",
                 "vary the run key seed or seeds.conn, seeds.stim, seeds.loc in sweep.param instead");
    // The model parser's word on the first run's value, at that value.
    expect_error(on_tiny("[sweep]\n[[sweep.param]]\npath = \"/netParams/connParams/EE/synMech\"\n"
                         "values = [\"NMDA\", \"AMPA\"]\n"),
                 "sweep.param[0].values[0]", "values =", "unknown synaptic mechanism");
}

TEST_F(SweepFile, UnknownRunKeysAreRefused) {
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

TEST_F(SweepFile, BadValueListsAreRefused) {
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
                 "already varied by sweep.param[0]");
    expect_error(on_tiny("[sweep]\n[[sweep.param]]\npath = \"/netParams/sizeX\"\nvalues = [100, 200, 100.0]\n"),
                 "sweep.param[0].values[2]", "values =", "repeats sweep.param[0].values[0]");
    expect_error(on_tiny("[sweep]\n[[sweep.param]]\npath = \"/netParams/connParams/EE\"\nvalues = [1]\n"
                         "[[sweep.param]]\npath = \"/netParams/connParams/EE/weight\"\nvalues = [1]\n"),
                 "sweep.param[1].path", "EE/weight", "overlaps");
}

TEST_F(SweepFile, DuplicateTomlKeysNameFileAndLine) {
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

TEST_F(SweepFile, KeysOfAnotherMethodAreRefused) {
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

TEST_F(SweepFile, MalformedSweepTablesAreRefused) {
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

TEST_F(SweepFile, TooManyRunsFailFastBeforeExpanding) {
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

TEST_F(SweepFile, BaseFilesAreImportedAndOverridden) {
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

TEST_F(SweepFile, BaseCyclesAreDetected) {
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

TEST_F(SweepFile, SelfContainedCopyGivesTheSameRuns) {
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

TEST_F(SweepFile, IsSweepFileLooksForASweepTable) {
    EXPECT_TRUE(m1::batch::is_sweep_file(write("s.toml", on_tiny("[sweep]\nreplicates = 2\n"))));
    EXPECT_FALSE(m1::batch::is_sweep_file(write("r.toml", on_tiny("seed = 2\n"))));
    EXPECT_FALSE(m1::batch::is_sweep_file(fs::path(M1_SOURCE_DIR) / "configs" / "m1.toml"));
    EXPECT_THROW(m1::batch::is_sweep_file(dir_ / "missing.toml"), m1::input_error);
}

}  // namespace
