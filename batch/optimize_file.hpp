#pragma once
// A search file: a run configuration plus an [optimize] table (issue 13). The run keys, `name` and
// `base` are a sweep file's (sweep_file.hpp, batch_file.hpp); a file has either [sweep] or
// [optimize], and a base file neither.
//
//   [optimize]
//   algorithm = "cmaes"          # cmaes | sade | de | pso | nsga2 (pagmo's sade, de, pso_gen,
//                                # nsga2) | random | latin_hypercube (baselines)
//   population = 16              # candidates per generation; at least minimum_population()
//                                # (cmaes 5, sade 7, de 5, pso 1, nsga2 8 and a multiple of 4)
//   generations = 25             # or max_evaluations = 400 (candidates in all, >= population),
//                                # not both; neither: generations = 25
//   seed = 1                     # the algorithm's seed, 0 to 4294967295 (pagmo's are unsigned)
//   replicates = 1               # runs per candidate (seeds as in sweeps: replicate_seeds), the
//   replicate_seeds = ["stim"]   #   candidate's scores averaged
//   timeout_s = 600              # per run; a run over it is failed
//   analysis = ["rates"]         # measures run after each run; those the objectives need are
//                                # added (rates, rate_psd, granger, nte, lfp, in that order)
//   fitness = "netpyne"          # netpyne (NetPyNE's form: target, width, min, max_fitness) |
//                                # squared (weighted normalised squared error)
//   max_fitness = 1000           # netpyne only (NetPyNE's maxFitness)
//   [[optimize.param]]           # at least one
//   path = "/netParams/scaleConnWeight"   # JSON Pointer into the model file, or a run key
//   range = [0.0001, 0.001]               # required: the box the algorithm searches (lo < hi;
//   log = true                            # integer ends: whole numbers); log needs lo > 0
//   [[optimize.objective]]       # at least one (nsga2: two, it is multi-objective)
//   column = "rate_hz:IT_L23"    # a summary.csv column of m1analyze (see objective below)
//   target = 5.0                 # target and width (> 0), or range = [lo, hi] (no penalty
//   width = 5.0                  #   inside; width optional, default hi - lo), not both
//   min = 0.5                    # netpyne only, optional
//   weight = 1.0                 # optional, > 0
//
// Everything is validated when the file is loaded, as a sweep's is: each refusal is an input_error
// naming the file, the key (optimize.objective[1].column) and the line, before any run starts.
#include "batch/sweep_file.hpp"

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace m1::batch {

enum class search_algorithm_kind { cmaes, sade, de, pso, nsga2, random, latin_hypercube };
enum class fitness_kind { netpyne, squared };

// One thing the runs are scored on: a summary column of m1analyze (analysis/results_analysis.cpp)
//   rate_hz                    rates      peak_hz, theta, alpha, beta, gamma        rate_psd
//   rate_hz:<population>       rates      cv_isi:<population>                       rates
//   lfp_peak_hz:<electrode>    lfp        granger_peak:<pre>__<post>                granger
//   nte:<a>__<b>, nte_z:<a>__<b>, nte_p:<a>__<b>                                    nte
// (populations: the model's popParams; electrodes: [lfp] electrodes, else the model's default
// ones; pairs: two different populations).
struct objective {
    std::string column;                          // a summary column
    std::optional<double> target, width, min;    // netpyne's form (width also scales a range)
    std::optional<std::array<double, 2>> range;  // or a range: no penalty inside
    double weight = 1;
    std::string measure;                         // the analysis it needs: rates, rate_psd,
                                                 // granger, nte or lfp
    source_location where;                       // the entry's `column`
};

struct search_spec {
    // What a sweep has: file, sources, name, config, model, params (from [[optimize.param]], each
    // with a range), replicates, replicate_seeds, timeout_s, analysis (with what the objectives
    // need), cluster_tables, self_contained (the [optimize] table, the run keys merged, model =
    // "model.json", output = "."); method = list with no points: the search sets them per
    // generation.
    sweep_spec runs;
    search_algorithm_kind algorithm = search_algorithm_kind::cmaes;
    std::size_t population = 16;
    // Exactly one is set after loading.
    std::optional<std::size_t> generations, max_evaluations;
    std::uint64_t seed = 1;
    fitness_kind fitness = fitness_kind::netpyne;
    double max_fitness = 1000;  // NetPyNE's maxFitness
    std::vector<objective> objectives;
};

// The budget in whole generations (load_search sets exactly one of generations, max_evaluations).
std::size_t generation_budget(const search_spec& search);

// True when `file` is TOML with a top-level [optimize] table.
bool is_search_file(const std::filesystem::path& file);

// Reads and validates a search file (its base files, the model file it names). Throws input_error.
search_spec load_search(const std::filesystem::path& file);

// "cmaes", "sade", "de", "pso", "nsga2", "random", "latin_hypercube": as the file writes it.
std::string algorithm_name(search_algorithm_kind algorithm);

// The smallest population the algorithm runs with. pagmo 2.18.0's own minimums, from the checks at
// the start of each evolve() (esa/pagmo2 tag v2.18.0):
//   sade   7  src/algorithms/sade.cpp:111     "needs at least 7 individuals in the population"
//   de     5  src/algorithms/de.cpp:109       "needs at least 5 individuals in the population"
//   pso    2  src/algorithms/pso_gen.cpp:142  "does not work on an empty population", and its
//             default ring topology reads past the end of a swarm of 1
//   nsga2  8  src/algorithms/nsga2.cpp:123    "at least 5 individuals ... and the population size
//             must be a multiple of 4": 8 is the smallest such size (load_search also refuses
//             sizes that are not multiples of 4)
// cmaes 5 is our own (batch/cmaes): CMA-ES recombines the best mu = population / 2 candidates,
// and with mu = 1 the recombination is a copy of the best one (mu_eff = 1, no rank-mu update), so
// it needs population >= 4; we keep pagmo's cmaes minimum of 5 (src/algorithms/cmaes.cpp:132) so
// that a file valid for one CMA-ES is valid for the other. random, latin_hypercube: 1.
// (The table is search_algorithm.hpp's minimum_population, which the optimisers check too.)
std::size_t minimum_population(search_algorithm_kind algorithm);

}  // namespace m1::batch
