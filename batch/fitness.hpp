#pragma once
// How well a candidate's activity matches a search's objectives (README "Searches"). Each
// objective's deviation is measured in widths; its score is NetPyNE's exp(deviation) capped at
// max_fitness (fitness = "netpyne", as NetPyNE's M1 tuning scores population rates) or the
// squared deviation (fitness = "squared"); a candidate's fitness is the weighted mean of its
// objectives' scores. Lower is better; a value the run did not give (a failed run, a measure the
// analysis could not compute) scores max_fitness.
#include "analysis/summary_measures.hpp"
#include "batch/optimize_file.hpp"

#include <vector>

namespace m1::batch {

// |value - target| / width; or, for a range, the distance to the nearer end over the width (0
// inside). Every objective load_search reads has a width (a range's defaults to its length).
double deviation(const objective& o, double value);

// One objective's score under the search's fitness.
double objective_score(const search_spec& search, const objective& o, double value);

// The value of each objective's column among a run's measures (NaN where the run has none).
std::vector<double> objective_values(const search_spec& search,
                                     const std::vector<analysis::named_measure>& measures);

// Each objective's score for these values (a value missing or NaN scores max_fitness): what a
// multi-objective algorithm is told.
std::vector<double> objective_scores(const search_spec& search, const std::vector<double>& values);

// The weighted mean of the objectives' scores for these values.
double fitness_of(const search_spec& search, const std::vector<double>& values);

}  // namespace m1::batch
