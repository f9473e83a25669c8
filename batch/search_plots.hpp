#pragma once
// The figures of a search (README "Searches"), drawn from its evaluations into OUTPUT/plots/ at the
// end of a search (analysis/plots.hpp conventions: PNG and SVG of each):
//   search_fitness     best so far, the generation's best and its median fitness per generation
//   search_param_<k>   parameter k over the evaluations in the order proposed, coloured by fitness
//                      (failed candidates as grey crosses); k counts [[optimize.param]] from 0
//   search_objectives  the best point's objectives against their targets, in widths (the form
//                      in which the fitness scores them, so that rates of 0.5 and 30 Hz and a
//                      Granger peak read on one axis), each with its value and target written
#include "batch/search.hpp"

#include <filesystem>
#include <vector>

namespace m1::batch {

void write_search_plots(const search_spec& search, const std::vector<evaluation>& evaluations,
                        const std::filesystem::path& plot_dir);

// The signed deviation the objectives plot shows: (value - target) / width, or for a range the
// distance in widths to the nearer end, negative below it, 0 inside (fitness.hpp deviation with a
// sign); NaN for a missing value.
double signed_deviation(const objective& o, double value);

}  // namespace m1::batch
