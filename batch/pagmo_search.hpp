#pragma once
// pagmo 2.18's batch-capable algorithms as generation-at-a-time optimisers (search_algorithm.hpp):
// pso_gen (particle swarm) and nsga2 (multi-objective). pagmo drives them through a batch fitness
// evaluator (pagmo::bfe), handing it one generation's decision vectors at a time; the search
// evaluates a generation as runs on its executors, across processes and restarts, so it cannot
// sit inside pagmo's evolve(). Instead the algorithm is replayed: pagmo's own population and
// evolve() run from the seed with an evaluator that answers each batch already evaluated with the
// fitness told for it, and whose first unanswered batch is the generation asked. pagmo's
// algorithms depend only on their seed and the fitness they are given, so a replay proposes
// exactly what one uninterrupted evolve() over the whole budget would; the state is the seed and
// the fitness told. A replay costs pagmo's own work for the generations so far (microseconds
// each), nothing next to a generation of simulations.
#include "batch/search_algorithm.hpp"

namespace m1::batch {

// pagmo's algorithms take 32-bit seeds: the search's seed gives one to pagmo's initial population
// and one to the algorithm.
struct pagmo_seeds {
    unsigned population = 0, algorithm = 0;
};
pagmo_seeds pagmo_seeds_of(std::uint64_t seed);

// pagmo's pso_gen with its default parameters (omega 0.7298, eta1 = eta2 = 2.05, max_vel 0.5,
// variant 5, lbest ring topology of 4 neighbours) over `generations` generations, the first of
// which is pagmo's random initial population.
std::unique_ptr<search_algorithm> make_pso(std::size_t dimension, std::size_t population,
                                           std::size_t generations, std::uint64_t seed);

// pagmo's nsga2 with its default parameters (crossover 0.95, eta_c 10, mutation 0.01, eta_m 50)
// over `generations` generations for `objectives` (at least 2) objectives: tell() takes each
// candidate's objective scores, candidate after candidate.
std::unique_ptr<search_algorithm> make_nsga2(std::size_t dimension, std::size_t population,
                                             std::size_t objectives, std::size_t generations,
                                             std::uint64_t seed);

}  // namespace m1::batch
