// Search files (batch/optimize_file.hpp): an [optimize] table read back field by field, the
// measures its objectives need added, base files as for sweeps, the self-contained copy read back
// to the same search; every malformed table refused naming file, key and line. Real files in a
// temporary directory, over the tiny model of the sweep tests (one population, "E").
#include "batch/optimize_file.hpp"
#include "sweep_test_support.hpp"

#include <gtest/gtest.h>

#include <tuple>

#include <fstream>

using namespace m1::test;
using m1::batch::fitness_kind;
using m1::batch::search_algorithm_kind;

namespace {

// One parameter and one objective: the smallest search over the tiny model.
const std::string one_param =
    "[[optimize.param]]\npath = \"/netParams/connParams/EE/weight\"\nrange = [0.001, 0.1]\n";
const std::string one_objective = "[[optimize.objective]]\ncolumn = \"rate_hz:E\"\ntarget = 5.0\nwidth = 5.0\n";

class OptimizeFile : public sweep_test {
protected:
    m1::batch::search_spec load_search(const std::string& body, const std::string& name = "search.toml") {
        return m1::batch::load_search(write(name, on_tiny(body)));
    }
    // A search over the tiny model: [optimize] with `keys`, then `entries` (default: one parameter
    // and one objective).
    static std::string search(const std::string& keys, const std::string& entries = one_param + one_objective) {
        return on_tiny("[optimize]\n" + keys + entries);
    }
    // As sweep_test::expect_error, loading `text` as a search.
    void expect_search_error(const std::string& text, const std::string& key, const std::string& needle,
                             const std::string& words) {
        expect_refusal(text, key, needle, words, [](const fs::path& p) { m1::batch::load_search(p); });
    }
    // The tiny model with a second population, "I", for pairs.
    void write_two_populations() {
        json model = json::parse(tiny_sweep_model);
        model["netParams"]["popParams"]["I"] = model["netParams"]["popParams"]["E"];
        write("two.json", model.dump(1));
    }
};

// ---------------------------------------------------------------------------------------------
// Read back

TEST_F(OptimizeFile, FullTableIsReadBack) {
    const auto s = load_search(R"(name = "fit_rates"
[optimize]
algorithm = "sade"
population = 12
max_evaluations = 400
seed = 7
replicates = 3
replicate_seeds = ["stim"]
analysis = ["rates", "rate_psd"]
fitness = "netpyne"
max_fitness = 500
timeout_s = 60
[[optimize.param]]
path = "/netParams/connParams/EE/weight"
range = [0.0001, 0.001]
log = true
[[optimize.param]]
path = "duration"
range = [50, 80]
[[optimize.objective]]
column = "rate_hz:E"
target = 5.0
width = 2.5
min = 0.5
[[optimize.objective]]
column = "peak_hz"
range = [10, 30]
weight = 2
)");
    EXPECT_EQ(s.algorithm, search_algorithm_kind::sade);
    EXPECT_EQ(s.population, 12u);
    EXPECT_FALSE(s.generations);
    EXPECT_EQ(*s.max_evaluations, 400u);
    EXPECT_EQ(s.seed, 7u);
    EXPECT_EQ(s.fitness, fitness_kind::netpyne);
    EXPECT_EQ(s.max_fitness, 500.0);
    const m1::batch::sweep_spec& runs = s.runs;
    EXPECT_EQ(runs.name, "fit_rates");
    EXPECT_EQ(runs.file, dir_ / "search.toml");
    EXPECT_EQ(runs.config.model, dir_ / "tiny.json");
    EXPECT_EQ(runs.config.output, dir_ / "out");
    EXPECT_EQ(runs.replicates, 3u);
    EXPECT_EQ(runs.replicate_seeds, std::vector<std::string>{"stim"});
    EXPECT_EQ(*runs.timeout_s, 60.0);
    EXPECT_EQ(runs.analysis, (std::vector<std::string>{"rates", "rate_psd"}));
    EXPECT_EQ(runs.method, m1::batch::sweep_method::list);
    EXPECT_TRUE(runs.points.empty());
    ASSERT_EQ(runs.params.size(), 2u);
    EXPECT_EQ(runs.groups.size(), 2u);
    EXPECT_EQ(runs.params[0].path, conn_weight);
    EXPECT_EQ(*runs.params[0].range, (std::array<double, 2>{0.0001, 0.001}));
    EXPECT_TRUE(runs.params[0].log);
    EXPECT_FALSE(runs.params[0].integer);
    EXPECT_EQ(runs.params[1].path, "duration");
    EXPECT_TRUE(runs.params[1].integer);
    ASSERT_EQ(s.objectives.size(), 2u);
    const auto& rate = s.objectives[0];
    EXPECT_EQ(rate.column, "rate_hz:E");
    EXPECT_EQ(rate.measure, "rates");
    EXPECT_EQ(*rate.target, 5.0);
    EXPECT_EQ(*rate.width, 2.5);
    EXPECT_EQ(*rate.min, 0.5);
    EXPECT_FALSE(rate.range);
    EXPECT_EQ(rate.weight, 1.0);
    EXPECT_EQ(rate.where.key_path, "optimize.objective[0].column");
    const auto& peak = s.objectives[1];
    EXPECT_EQ(peak.measure, "rate_psd");
    EXPECT_FALSE(peak.target);
    EXPECT_EQ(*peak.range, (std::array<double, 2>{10.0, 30.0}));
    EXPECT_EQ(*peak.width, 20.0);  // a range's width defaults to hi - lo
    EXPECT_FALSE(peak.min);
    EXPECT_EQ(peak.weight, 2.0);
}

TEST_F(OptimizeFile, DefaultsAreTheIssues) {
    const auto s = load_search("[optimize]\n" + one_param + one_objective);
    EXPECT_EQ(s.algorithm, search_algorithm_kind::cmaes);
    EXPECT_EQ(s.population, 16u);
    EXPECT_EQ(*s.generations, 25u);  // neither generations nor max_evaluations: 25 generations
    EXPECT_FALSE(s.max_evaluations);
    EXPECT_EQ(s.seed, 1u);
    EXPECT_EQ(s.fitness, fitness_kind::netpyne);
    EXPECT_EQ(s.max_fitness, 1000.0);
    EXPECT_EQ(s.runs.replicates, 1u);
    EXPECT_EQ(s.runs.name, "search");
    EXPECT_FALSE(s.runs.timeout_s);
    EXPECT_EQ(s.runs.analysis, std::vector<std::string>{"rates"});
    EXPECT_EQ(*load_search("[optimize]\ngenerations = 3\n" + one_param + one_objective).generations, 3u);
    const auto squared = load_search("[optimize]\nfitness = \"squared\"\nmax_fitness = 10\n" +
                                     one_param + one_objective);
    EXPECT_EQ(squared.fitness, fitness_kind::squared);
    EXPECT_EQ(squared.max_fitness, 10.0);  // both forms: the cap, and a failed candidate's score
    EXPECT_EQ(squared.runs.copy_name, "optimize.toml");
}

TEST_F(OptimizeFile, AnalysisGainsWhatTheObjectivesNeed) {
    write_two_populations();
    const auto s = m1::batch::load_search(write("two.toml", R"(model = "two.json"
output = "out"
[optimize]
analysis = ["lfp"]
[[optimize.param]]
path = "/netParams/connParams/EE/weight"
range = [0.001, 0.1]
[[optimize.objective]]
column = "nte_z:I__E"
target = 2
width = 1
[[optimize.objective]]
column = "cv_isi:I"
target = 1
width = 0.5
[[optimize.objective]]
column = "granger_peak:E__I"
range = [0, 40]
[[optimize.objective]]
column = "gamma"
target = 1
width = 1
)"));
    // In the order rates, rate_psd, granger, nte, lfp whatever the file's.
    EXPECT_EQ(s.runs.analysis, (std::vector<std::string>{"rates", "rate_psd", "granger", "nte", "lfp"}));
    ASSERT_EQ(s.objectives.size(), 4u);
    EXPECT_EQ(s.objectives[0].measure, "nte");
    EXPECT_EQ(s.objectives[1].measure, "rates");
    EXPECT_EQ(s.objectives[2].measure, "granger");
    EXPECT_EQ(s.objectives[3].measure, "rate_psd");
    // Electrodes: the model's default ones (an excitatory population "E": electrode "E"), else [lfp]'s.
    EXPECT_EQ(load_search("[optimize]\n" + one_param +
                          "[[optimize.objective]]\ncolumn = \"lfp_peak_hz:E\"\ntarget = 8\nwidth = 2\n")
                  .runs.analysis,
              std::vector<std::string>{"lfp"});
    const auto named = load_search("[lfp]\nelectrodes = [{name = \"top\", ynorm = [0.0, 0.5]}]\n"
                                   "[optimize]\n" + one_param +
                                   "[[optimize.objective]]\ncolumn = \"lfp_peak_hz:top\"\ntarget = 8\n"
                                   "width = 2\n");
    EXPECT_EQ(named.objectives[0].measure, "lfp");
}

TEST_F(OptimizeFile, BaseFilesWorkAsForSweeps) {
    write("conf/common.toml", "model = \"../tiny.json\"\noutput = \"../common_out\"\nseed = 9\n"
                              "duration = 40\n[cluster]\nscheduler = \"slurm\"\n");
    write("conf/base.toml", "base = \"common.toml\"\nduration = 50\ndt = 0.05\n");
    const fs::path file = write("searches/s.toml", "base = \"../conf/base.toml\"\nduration = 80\n"
                                                   "output = \"results\"\n[optimize]\n" +
                                                       one_param + one_objective);
    const auto s = m1::batch::load_search(file);
    EXPECT_EQ(s.runs.name, "s");
    ASSERT_EQ(s.runs.sources.size(), 3u);
    EXPECT_EQ(s.runs.sources[0], file);
    EXPECT_EQ(s.runs.sources[2], dir_ / "conf" / "common.toml");
    EXPECT_EQ(s.runs.config.model, dir_ / "tiny.json");
    EXPECT_EQ(s.runs.config.output, dir_ / "searches" / "results");
    EXPECT_EQ(*s.runs.config.seed, 9u);
    EXPECT_EQ(*s.runs.config.duration, 80.0);
    EXPECT_EQ(*s.runs.config.dt, 0.05);
    ASSERT_EQ(s.runs.cluster_tables.size(), 1u);
    EXPECT_EQ(s.runs.cluster_tables[0].file, dir_ / "conf" / "common.toml");

    // A base file gives run keys only: neither [optimize] nor [sweep].
    for (const auto& table : {std::string("optimize"), std::string("sweep")}) {
        const fs::path base = write("with_" + table + ".toml",
                                    "model = \"tiny.json\"\noutput = \"o\"\n[" + table + "]\nseed = 2\n");
        const fs::path uses = write("uses.toml", "base = \"with_" + table + ".toml\"\n[optimize]\n" +
                                                     one_param + one_objective);
        try {
            m1::batch::load_search(uses);
            ADD_FAILURE() << "accepted a base file with [" << table << "]";
        } catch (const m1::input_error& e) {
            EXPECT_EQ(e.where().file, base.string()) << e.what();
            EXPECT_EQ(e.where().key_path, table);
            EXPECT_EQ(e.where().line, 3u);
            EXPECT_NE(e.reason().find("a base file gives run keys only; the [" + table + "] table belongs in the " +
                                      (table == "sweep" ? "sweep file" : "search file")),
                      std::string::npos)
                << e.what();
        }
    }
    // The same for a sweep whose base file has [optimize].
    try {
        m1::batch::load_sweep(write("sweep.toml", "base = \"with_optimize.toml\"\n[sweep]\nreplicates = 2\n"));
        ADD_FAILURE() << "accepted a base file with [optimize]";
    } catch (const m1::input_error& e) {
        EXPECT_EQ(e.where().file, (dir_ / "with_optimize.toml").string()) << e.what();
        EXPECT_EQ(e.where().key_path, "optimize");
        EXPECT_NE(e.reason().find("run keys only"), std::string::npos) << e.what();
    }
}

TEST_F(OptimizeFile, SelfContainedCopyGivesTheSameSearch) {
    write("conf/base.toml", "model = \"../tiny.json\"\nthreads = 2\n[seeds]\nconn = 2\nstim = 3\nloc = 4\n"
                            "[lfp]\ninterval_ms = 0.5\nelectrodes = [{name = \"all\", ynorm = [0.0, 1.0]}]\n");
    const fs::path file = write("orig.toml", R"(base = "conf/base.toml"
output = "out"
duration = 60.5
[optimize]
algorithm = "nsga2"
population = 8
generations = 4
seed = 11
replicates = 2
fitness = "squared"
analysis = ["rate_psd"]
[[optimize.param]]
path = "/netParams/connParams/EE/weight"
range = [0.0001, 0.01]
log = true
[[optimize.param]]
path = "seeds.conn"
range = [1, 100]
[[optimize.objective]]
column = "rate_hz:E"
target = 5
width = 5
weight = 3
[[optimize.objective]]
column = "lfp_peak_hz:all"
range = [4, 12]
width = 2
)");
    const auto a = m1::batch::load_search(file);
    const fs::path output = dir_ / "copy";
    fs::create_directories(output);
    {
        std::ofstream out(output / "search.toml");
        out << a.runs.self_contained << "\n";
    }
    fs::copy_file(a.runs.config.model, output / "model.json");
    const auto b = m1::batch::load_search(output / "search.toml");
    EXPECT_FALSE(a.runs.self_contained.contains("base"));
    EXPECT_EQ(b.runs.name, "orig");
    EXPECT_EQ(b.runs.config.model, output / "model.json");
    EXPECT_EQ(b.runs.config.output, (output / ".").lexically_normal());
    EXPECT_EQ(b.runs.config.threads, 2u);
    EXPECT_EQ(b.runs.config.lfp.to_json(), a.runs.config.lfp.to_json());
    EXPECT_EQ(*b.runs.config.duration, 60.5);
    EXPECT_EQ(m1::batch::format_seeds(*b.runs.config.seeds), m1::batch::format_seeds(*a.runs.config.seeds));
    // Every field the search reads, as a tuple: the copy reads back the same.
    const auto settings = [](const m1::batch::search_spec& s) {
        return std::tuple(s.algorithm, s.population, s.generations, s.max_evaluations, s.seed,
                          s.fitness, s.max_fitness, s.runs.replicates, s.runs.analysis);
    };
    EXPECT_EQ(settings(b), settings(a));
    EXPECT_EQ(a.runs.analysis, (std::vector<std::string>{"rates", "rate_psd", "lfp"}));
    const auto params = [](const m1::batch::search_spec& s) {
        std::vector<std::tuple<std::string, std::optional<std::array<double, 2>>, bool, bool>> out;
        for (const auto& p : s.runs.params) out.emplace_back(p.path, p.range, p.log, p.integer);
        return out;
    };
    EXPECT_EQ(params(b), params(a));
    const auto objectives = [](const m1::batch::search_spec& s) {
        std::vector<std::tuple<std::string, std::optional<double>, std::optional<double>,
                               std::optional<double>, std::optional<std::array<double, 2>>, double,
                               std::string>> out;
        for (const auto& o : s.objectives)
            out.emplace_back(o.column, o.target, o.width, o.min, o.range, o.weight, o.measure);
        return out;
    };
    EXPECT_EQ(objectives(b), objectives(a));
    // The copy of the copy is the copy.
    EXPECT_EQ(b.runs.self_contained, a.runs.self_contained);
}

TEST_F(OptimizeFile, IsSearchFileLooksForAnOptimizeTable) {
    EXPECT_TRUE(m1::batch::is_search_file(write("s.toml", search(""))));
    EXPECT_FALSE(m1::batch::is_search_file(write("w.toml", on_tiny("[sweep]\nreplicates = 2\n"))));
    EXPECT_FALSE(m1::batch::is_sweep_file(write("s2.toml", search(""))));
    EXPECT_THROW(m1::batch::is_search_file(dir_ / "missing.toml"), m1::input_error);
}

TEST_F(OptimizeFile, AlgorithmsTheirNamesAndMinimums) {
    using m1::batch::algorithm_name;
    using m1::batch::minimum_population;
    EXPECT_EQ(algorithm_name(search_algorithm_kind::latin_hypercube), "latin_hypercube");
    EXPECT_EQ(algorithm_name(search_algorithm_kind::pso), "pso");
    EXPECT_EQ(minimum_population(search_algorithm_kind::cmaes), 5u);
    EXPECT_EQ(minimum_population(search_algorithm_kind::sade), 7u);
    EXPECT_EQ(minimum_population(search_algorithm_kind::de), 5u);
    EXPECT_EQ(minimum_population(search_algorithm_kind::pso), 2u);
    EXPECT_EQ(minimum_population(search_algorithm_kind::nsga2), 8u);
    EXPECT_EQ(minimum_population(search_algorithm_kind::random), 1u);
    EXPECT_EQ(minimum_population(search_algorithm_kind::latin_hypercube), 1u);
    // Every algorithm at its minimum is accepted (nsga2 with two objectives).
    const std::string two = one_objective + "[[optimize.objective]]\ncolumn = \"rate_hz\"\nrange = [1, 9]\n";
    for (const char* name : {"cmaes", "sade", "de", "pso", "nsga2", "random", "latin_hypercube"}) {
        const auto kind = load_search("[optimize]\nalgorithm = \"" + std::string(name) + "\"\n" + one_param + two)
                              .algorithm;
        EXPECT_EQ(algorithm_name(kind), name);
        const std::string minimum = std::to_string(minimum_population(kind));
        EXPECT_EQ(load_search("[optimize]\nalgorithm = \"" + std::string(name) + "\"\npopulation = " + minimum +
                              "\n" + one_param + two)
                      .population,
                  minimum_population(kind));
    }
}

// ---------------------------------------------------------------------------------------------
// Refusals: each names the file, the key and the line.

TEST_F(OptimizeFile, UnknownKeysAreRefused) {
    expect_search_error(search("populaton = 8\n"), "optimize.populaton", "populaton",
                        "unknown key (a [optimize] table has algorithm, population, generations");
    expect_search_error(search("", one_param + "scale = 2\n" + one_objective), "optimize.param[0].scale",
                        "scale = 2", "unknown key (an [[optimize.param]] has path, range, log)");
    expect_search_error(search("", one_param + one_objective + "tolerance = 1\n"),
                        "optimize.objective[0].tolerance", "tolerance",
                        "unknown key (an [[optimize.objective]] has column, target, width, min, range, weight)");
    // A sweep's keys are not a search's.
    expect_search_error(search("method = \"grid\"\n"), "optimize.method", "method", "unknown key");
    expect_search_error(search("", one_param + "group = \"g\"\n" + one_objective), "optimize.param[0].group",
                        "group", "unknown key");
}

TEST_F(OptimizeFile, AlgorithmPopulationAndBudgetAreChecked) {
    expect_search_error(search("algorithm = \"bayes\"\n"), "optimize.algorithm", "algorithm",
                        "unknown algorithm (cmaes, sade, de, pso, nsga2, random, latin_hypercube)");
    expect_search_error(search("algorithm = \"sade\"\npopulation = 6\n"), "optimize.population", "population",
                        "population 6 is below sade's minimum of 7 (pagmo 2.18's sade needs at least 7");
    expect_search_error(search("algorithm = \"de\"\npopulation = 4\n"), "optimize.population", "population",
                        "below de's minimum of 5 (pagmo 2.18's de");
    expect_search_error(search("population = 4\n"), "optimize.population", "population",
                        "below cmaes's minimum of 5 (ours, as pagmo 2.18's cmaes");
    const std::string two = one_objective + "[[optimize.objective]]\ncolumn = \"rate_hz\"\nrange = [1, 9]\n";
    expect_search_error(search("algorithm = \"nsga2\"\npopulation = 6\n", one_param + two), "optimize.population",
                        "population", "below nsga2's minimum of 8 (pagmo 2.18's nsga2");
    expect_search_error(search("algorithm = \"nsga2\"\npopulation = 10\n", one_param + two),
                        "optimize.population", "population", "population 10 is not a multiple of 4");
    expect_search_error(search("algorithm = \"nsga2\"\n"), "optimize.objective", "[optimize]",
                        "nsga2 is multi-objective: it needs at least 2");
    expect_search_error(search("population = 0\n"), "optimize.population", "population", ">= 1");
    expect_search_error(search("generations = 5\nmax_evaluations = 100\n"), "optimize.max_evaluations",
                        "max_evaluations", "generations or max_evaluations, not both");
    expect_search_error(search("population = 16\nmax_evaluations = 15\n"), "optimize.max_evaluations",
                        "max_evaluations", "max_evaluations 15 is less than one generation (population 16)");
    expect_search_error(search("generations = 0\n"), "optimize.generations", "generations", ">= 1");
    expect_search_error(search("seed = -1\n"), "optimize.seed", "seed", "0 to 4294967295");
    expect_search_error(search("seed = 4294967296\n"), "optimize.seed", "seed", "0 to 4294967295");
}

TEST_F(OptimizeFile, FitnessAndSharedKeysAreChecked) {
    expect_search_error(search("fitness = \"absolute\"\n"), "optimize.fitness", "fitness",
                        "unknown fitness (netpyne, squared)");
    expect_search_error(search("max_fitness = 0\n"), "optimize.max_fitness", "max_fitness", "> 0");
    expect_search_error(search("max_fitness = -5.0\n"), "optimize.max_fitness", "max_fitness", "> 0");
    expect_search_error(search("replicates = 0\n"), "optimize.replicates", "replicates",
                        "must be a whole number >= 1");
    expect_search_error(search("replicate_seeds = [\"net\"]\n"), "optimize.replicate_seeds[0]",
                        "replicate_seeds", "\"conn\", \"stim\" or \"loc\"");
    expect_search_error(search("analysis = [\"rates\", \"spectra\"]\n"), "optimize.analysis[1]", "analysis",
                        "unknown analysis (rates, rate_psd, granger, nte, lfp)");
    expect_search_error(search("timeout_s = 0\n"), "optimize.timeout_s", "timeout_s", "positive");
}

TEST_F(OptimizeFile, ParametersAreChecked) {
    expect_search_error(search("", one_objective), "optimize.param", "[optimize]",
                        "a search needs [[optimize.param]] entries");
    expect_search_error(search("", "[[optimize.param]]\npath = \"/netParams/sizeX\"\n" + one_objective),
                        "optimize.param[0].range", "[[optimize.param]]", "missing: range = [lo, hi]");
    expect_search_error(search("", "[[optimize.param]]\npath = \"/netParams/sizeX\"\nvalues = [1, 2]\n" +
                                       one_objective),
                        "optimize.param[0].values", "values", "not supported yet");
    expect_search_error(search("", "[[optimize.param]]\npath = \"/netParams/sizeX\"\nrange = [200, 100]\n" +
                                       one_objective),
                        "optimize.param[0].range", "range = [200", "lo < hi");
    expect_search_error(search("", "[[optimize.param]]\npath = \"/netParams/sizeX\"\nrange = [100, 100]\n" +
                                       one_objective),
                        "optimize.param[0].range", "range = [100", "lo < hi");
    expect_search_error(search("", "[[optimize.param]]\npath = \"" + conn_weight +
                                       "\"\nrange = [0.0, 0.1]\nlog = true\n" + one_objective),
                        "optimize.param[0].range", "range = [0.0", "a log range needs lo > 0");
    expect_search_error(search("", "[[optimize.param]]\npath = \"/netParams/connParams/XX/weight\"\n"
                                   "range = [0.1, 1]\n" + one_objective),
                        "optimize.param[0].path", "path =", "netParams.connParams has no key 'XX'");
    const std::string again = "[[optimize.param]]\npath = \"" + conn_weight + "\"\nrange = [0.002, 0.1]\n";
    expect_search_error(search("", one_param + again + one_objective), "optimize.param[1].path",
                        "path = \"" + conn_weight + "\"\nrange = [0.002", "already varied by optimize.param[0]");
    // What the run keys set is varied through the run key, in the search's own table.
    expect_search_error(search("", "[[optimize.param]]\npath = \"/simConfig/seeds/conn\"\nrange = [1, 9]\n" +
                                       one_objective),
                        "optimize.param[0].path", "path =",
                        "vary the run key seed or seeds.conn, seeds.stim, seeds.loc in optimize.param instead");
    // The model's word on the first candidate's values (each range's lo), at that range.
    expect_search_error(search("", "[[optimize.param]]\npath = \"/netParams/popParams/E/density\"\n"
                                   "range = [-10.0, 4000.0]\n" + one_objective),
                        "optimize.param[0].range", "range = [-10.0", "the model refuses this value");
    // Replicates count the seeds up from the first candidate's: they must stay seeds.
    expect_search_error(search("replicates = 3\n", "[[optimize.param]]\npath = \"seed\"\n"
                                                   "range = [4294967294, 4294967295]\n" + one_objective),
                        "optimize.replicates", "replicates = 3", "past 4294967295");
}

TEST_F(OptimizeFile, ObjectivesAreChecked) {
    const auto objective = [](const std::string& body) { return one_param + "[[optimize.objective]]\n" + body; };
    expect_search_error(search("", one_param), "optimize.objective", "[optimize]",
                        "a search needs [[optimize.objective]] entries");
    expect_search_error(search("", objective("column = \"rate\"\ntarget = 1\nwidth = 1\n")),
                        "optimize.objective[0].column", "column", "unknown column 'rate' (a summary column of m1analyze");
    expect_search_error(search("", objective("column = \"peak_hz:E\"\ntarget = 1\nwidth = 1\n")),
                        "optimize.objective[0].column", "column", "unknown column 'peak_hz:E'");
    expect_search_error(search("", objective("column = \"cv_isi\"\ntarget = 1\nwidth = 1\n")),
                        "optimize.objective[0].column", "column", "unknown column 'cv_isi'");
    expect_search_error(search("", objective("column = \"rate_hz:IT_L23\"\ntarget = 1\nwidth = 1\n")),
                        "optimize.objective[0].column", "column", "'IT_L23' is not a population of the model (E)");
    expect_search_error(search("", objective("column = \"lfp_peak_hz:L5\"\ntarget = 1\nwidth = 1\n")),
                        "optimize.objective[0].column", "column", "'L5' is not an electrode of the runs (E)");
    expect_search_error(on_tiny("[lfp]\nrecord = false\n[optimize]\n" +
                                objective("column = \"lfp_peak_hz:E\"\ntarget = 1\nwidth = 1\n")),
                        "optimize.objective[0].column", "column", "the runs record no LFP");
    expect_search_error(search("", objective("column = \"nte:E__E\"\ntarget = 1\nwidth = 1\n")),
                        "optimize.objective[0].column", "column",
                        "'E__E' is not <pre>__<post> of two different populations");
    expect_search_error(search("", objective("column = \"granger_peak:E_I\"\ntarget = 1\nwidth = 1\n")),
                        "optimize.objective[0].column", "column", "'E_I' is not <pre>__<post>");
    expect_search_error(search("", objective("target = 1\nwidth = 1\n")), "optimize.objective[0].column",
                        "[[optimize.objective]]", "missing: column");
    expect_search_error(search("", one_param + one_objective +
                                       "[[optimize.objective]]\ncolumn = \"rate_hz:E\"\nrange = [1, 2]\n"),
                        "optimize.objective[1].column", "column = \"rate_hz:E\"\nrange",
                        "'rate_hz:E' is already an objective (line");
}

TEST_F(OptimizeFile, ObjectiveFormsAreChecked) {
    const auto objective = [](const std::string& body) {
        return one_param + "[[optimize.objective]]\ncolumn = \"rate_hz\"\n" + body;
    };
    expect_search_error(search("", objective("weight = 2\n")), "optimize.objective[0]", "[[optimize.objective]]",
                        "missing: target = ... with width = ..., or range = [lo, hi]");
    expect_search_error(search("", objective("target = 5\nwidth = 1\nrange = [1, 9]\n")),
                        "optimize.objective[0].range", "range = [1, 9]", "target (and width) or range, not both");
    expect_search_error(search("", objective("target = 5\n")), "optimize.objective[0].width",
                        "[[optimize.objective]]", "a target needs width");
    expect_search_error(search("", objective("target = 5\nwidth = 0\n")), "optimize.objective[0].width",
                        "width = 0", "> 0");
    expect_search_error(search("", objective("target = 5\nwidth = -2.5\n")), "optimize.objective[0].width",
                        "width = -2.5", "> 0");
    expect_search_error(search("", objective("range = [9, 1]\n")), "optimize.objective[0].range",
                        "range = [9, 1]", "lo < hi");
    expect_search_error(search("", objective("range = [3, 3]\n")), "optimize.objective[0].range",
                        "range = [3, 3]", "lo < hi");
    expect_search_error(search("", objective("target = 5\nwidth = 1\nweight = 0\n")),
                        "optimize.objective[0].weight", "weight = 0", "> 0");
    expect_search_error(search("", objective("target = \"high\"\nwidth = 1\n")), "optimize.objective[0].target",
                        "target = \"high\"", "must be a finite number");
    expect_search_error(search("fitness = \"squared\"\n", objective("target = 5\nwidth = 1\nmin = 0.5\n")),
                        "optimize.objective[0].min", "min = 0.5", "min belongs to fitness = \"netpyne\"");
}

TEST_F(OptimizeFile, AFileIsASweepOrASearch) {
    // The later of the two tables is refused, by either loader.
    const std::string both = on_tiny("[sweep]\nreplicates = 2\n[optimize]\n" + one_param + one_objective);
    expect_search_error(both, "optimize", "[optimize]", "a file has either [sweep] or [optimize]");
    expect_error(both, "optimize", "[optimize]", "a file has either [sweep] or [optimize]");
    const std::string reversed = on_tiny("[optimize]\nseed = 1\n[sweep]\nreplicates = 2\n");
    expect_error(reversed, "sweep", "[sweep]", "a file has either [sweep] or [optimize]");
    // Each loader says what the other file is.
    expect_error(search(""), "sweep", "", "this one has [optimize]: it is a search");
    expect_search_error(on_tiny("[sweep]\nreplicates = 2\n"), "optimize", "",
                        "a search file has an [optimize] table");
}

}  // namespace
