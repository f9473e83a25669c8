#pragma once
// A search (README "Searches"): the optimiser of an [optimize] file (optimize_file.hpp) proposes a
// generation of candidate points; each candidate's replicates are runs with content-addressed ids
// (a point evaluated before is never run again), run by the local executor all at once and
// analysed right after; their measures score the candidate (fitness.hpp), and the fitness goes
// back to the optimiser. After every generation the optimiser's state and the evaluations are
// saved atomically: the same command after an interruption (kill -9 included) goes on from the
// last whole generation, reusing every run already done, and ends exactly as an uninterrupted
// search. Nothing depends on the order in which runs finish.
//
//   OUTPUT/optimize.toml, model.json, source/   the search, self-contained (as a sweep's)
//   OUTPUT/runs/<run_id>/                       every run of every candidate (results.hpp)
//   OUTPUT/index.csv, index.h5                  one row per run
//   OUTPUT/search_state.json                    the optimiser and the evaluations after the last
//                                               whole generation
//   OUTPUT/optimization.csv, .h5                one row per candidate, in the order proposed
//   OUTPUT/pareto.csv                           multi-objective (nsga2): the Pareto front
//   OUTPUT/best.toml, best_model.json           the best point as a run configuration
//   OUTPUT/plots/search_*.png, .svg             at the end (search_plots.hpp)
#include "batch/executor.hpp"
#include "batch/optimize_file.hpp"

#include <iosfwd>
#include <string>
#include <vector>

namespace m1::batch {

// One candidate evaluated: a row of optimization.csv.
struct evaluation {
    std::size_t generation = 0, individual = 0;
    std::vector<param_value> values;        // one per parameter
    std::vector<std::string> run_ids;       // one per replicate
    std::vector<double> objective_values;   // per objective: the mean over the replicates that gave it
    double fitness = 0;                     // the mean over replicates (a failed one scores max_fitness)
    std::string status = "done";            // or "failed: <why>" (the first failed replicate's)
};

// What runs a generation's runs: here (local_generations), or MPI workers (the bulletin board).
// run() is given every run of the search so far, in the order first proposed; the ledger skips
// those already done. Returns the ledger's exit code (exit_interrupted stops the search; a
// directory fault is seen through `dir`).
class generation_executor {
public:
    virtual ~generation_executor() = default;
    virtual int run(const sweep_spec& sweep, const std::vector<sweep_run>& runs,
                    const results_directory& dir, const batch_options& options, std::ostream& out) = 0;
};

// This process's jobs x threads (executor.hpp run_pool), networks reused between generations when
// candidates differ only in weights.
class local_generations : public generation_executor {
public:
    int run(const sweep_spec& sweep, const std::vector<sweep_run>& runs, const results_directory& dir,
            const batch_options& options, std::ostream& out) override;

private:
    network_cache networks_{3};
};

// Runs (or resumes) the search, its generations run by `executor`. Returns the exit code (README
// "Exit codes"): 0 when every generation was evaluated (failed candidates included: they score
// max_fitness), 3 interrupted, 1 when the results directory failed it, 4 when another batch holds
// the directory.
int run_search(const search_spec& search, const batch_options& options, std::ostream& out,
               generation_executor& executor);
// The same with local_generations.
int run_search(const search_spec& search, const batch_options& options, std::ostream& out);

// The runs of the generations a search's directory has evaluated (its saved state), in order.
std::vector<sweep_run> evaluated_runs(const search_spec& search, const results_directory& dir);

// `m1batch status OUTPUT` of a search's directory (OUTPUT/optimize.toml): the state of every run
// of the generations evaluated, as for a sweep (executor.hpp show_status).
int show_search_status(const std::filesystem::path& output, bool rebuild, bool csv, std::ostream& out);

}  // namespace m1::batch
