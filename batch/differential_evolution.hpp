#pragma once
// Differential evolution as pagmo 2.18 runs it by default (src/algorithms/de.cpp, sade.cpp of
// pagmo2 tag v2.18.0), one generation at a time: pagmo evaluates each trial as soon as it is
// built, the search evaluates a whole generation's trials in parallel (see
// differential_evolution.cpp for why the results are the same algorithm).
#include "batch/search_algorithm.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>

namespace m1::batch {

// pagmo::de's defaults: variant 2 (DE/rand/1/exp), F = 0.8, CR = 0.9, out-of-bounds components
// re-drawn uniformly. The first ask() gives the initial population (uniform points), each later
// one every member's trial. Population at least minimum_population("de").
std::unique_ptr<search_algorithm> make_de(std::size_t dimension, std::size_t population,
                                          std::uint64_t seed);
// pagmo::sade's defaults: variant 2 with variant_adptv 1 (jDE, Brest et al. 2006): each member
// carries its own F and CR, re-drawn with probability 0.1 for its trial and kept only when the
// trial wins. Population at least minimum_population("sade").
std::unique_ptr<search_algorithm> make_sade(std::size_t dimension, std::size_t population,
                                            std::uint64_t seed);

}  // namespace m1::batch
