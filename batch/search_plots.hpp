#pragma once
// The plots of a search (README "Searches"), drawn from its evaluations at its end with the
// generic plots of analysis/plots.hpp, each as PNG and SVG:
//
//   PLOT_DIR/search_fitness       best (so far, and of the generation) and median fitness per
//                                 generation
//   PLOT_DIR/search_parameters    each parameter over the evaluations, coloured by fitness, one
//                                 panel per parameter; failed candidates as grey crosses
//   PLOT_DIR/search_objectives    the best point's objectives against their targets
#include "batch/search.hpp"

#include <filesystem>
#include <vector>

namespace m1::batch {

// Writes the three plots of `evaluations` (in the order proposed) into plot_dir (a search's:
// OUTPUT/plots), creating it. Throws std::runtime_error when a file cannot be written.
void write_search_plots(const search_spec& search, const std::vector<evaluation>& evaluations,
                        const std::filesystem::path& plot_dir);

}  // namespace m1::batch
