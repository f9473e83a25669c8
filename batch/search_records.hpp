#pragma once
// What a search leaves in its results directory besides the runs (search.hpp): the state it
// resumes from, optimization.csv and .h5, and the best point as a run configuration. Every file is
// written under a temporary name and renamed: an interrupted write never leaves half a file.
#include "batch/search.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace m1::batch {

// What a search resumes from: the generations evaluated, the optimiser's state after them, and
// the digest of the search they belong to (its self-contained file and model).
struct search_state {
    std::string search_digest;
    std::size_t generations = 0;
    nlohmann::json optimiser;
    std::vector<evaluation> evaluations;
};

// The SHA-256 of the search's self-contained file and model: a state of another search (the file
// edited since) is not resumed.
std::string search_digest(const search_spec& search);

void save_state(const results_directory& dir, const search_spec& search, const search_state& state);
// The state saved in `dir`, if any, and if it is this search's; throws run_error when the file is
// there but unreadable.
std::optional<search_state> load_state(const results_directory& dir, const search_spec& search);

// OUTPUT/optimization.csv: generation, individual, each parameter under its path, each
// objective's value under its column and its score (score:<column>), fitness, run_id (the
// replicates' ids joined by '/'), status.
void write_optimization_csv(const results_directory& dir, const search_spec& search,
                            const std::vector<evaluation>& evaluations);

// OUTPUT/optimization.h5, the same table (README "Searches"): /generation, /individual (uint64),
// /params/p<k> in the parameter's type (int64, float64, bool as h5py's enum, else text) with its
// path as attribute, /objectives/<column> and /scores/<column> (float64, NaN where missing),
// /fitness, /run_id, /status; groups in creation order, as the CSV's columns.
void write_optimization_h5(const results_directory& dir, const search_spec& search,
                           const std::vector<evaluation>& evaluations);

// The evaluations no other evaluation dominates in the objectives' scores (fitness.hpp
// objective_scores: no worse in every one, better in one), in the order proposed; of evaluations
// with equal scores, the first proposed. O(n^2) over all evaluations: 8,000 (NetPyNE's M1 tuning,
// 40 x 200) take well under a second, once per generation of simulations.
std::vector<std::size_t> pareto_front(const search_spec& search, const std::vector<evaluation>& evaluations);

// OUTPUT/pareto.csv (multi-objective searches): the Pareto front's evaluations, as
// optimization.csv's rows.
void write_pareto_csv(const results_directory& dir, const search_spec& search,
                      const std::vector<evaluation>& evaluations);

// The median of a generation's fitness (NaN when empty): the progress line's and the fitness
// plot's.
double median_of(std::vector<double> fitness);

// The evaluation with the lowest fitness (the first proposed among equals); none when empty.
const evaluation* best_of(const std::vector<evaluation>& evaluations);

// OUTPUT/best_model.json (the model with the best point's parameters) and OUTPUT/best.toml (the
// search's run keys with the point's run-key parameters and its first replicate's seeds,
// model = "best_model.json", output = "best"): `m1batch OUTPUT/best.toml` runs it.
void write_best(const results_directory& dir, const search_spec& search, const evaluation& best);

}  // namespace m1::batch
