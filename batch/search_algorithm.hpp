#pragma once
// The optimisers of a search (issue 13), driven one generation at a time so that a generation's
// candidates run in parallel as simulations on any executor: CMA-ES (batch/cmaes.hpp), random
// search and a Latin hypercube here; pagmo's pso_gen and nsga2 replayed (batch/pagmo_search.hpp).
// pagmo 2.18's cmaes, de and sade evaluate one candidate after the other, which would leave every
// core but one idle: CMA-ES is implemented here instead, DE and SADE in
// batch/differential_evolution.hpp.
#include "core/base/random.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

namespace m1::batch {

// A point of the search space: one coordinate per parameter, each in [0, 1] (the search maps it
// onto the parameter's range, log or integer as the parameter says).
using unit_point = std::vector<double>;

// An optimiser driven one generation at a time: ask() gives a generation's candidates, the search
// evaluates them all (as runs, in parallel), then tell() gives their fitness in the order asked
// (lower is better; +infinity for a candidate whose run failed, and NaN counts as +infinity).
// Deterministic: candidates depend only on the seed, the generation and the fitness told, never on
// timing; ask() changes nothing, so asking twice gives the same candidates. state()/restore(): the
// whole state as JSON; after restore(state()) in a fresh object the next ask() is bit-identical.
class search_algorithm {
public:
    virtual ~search_algorithm() = default;
    virtual std::vector<unit_point> ask() = 0;
    // `fitness` holds objectives() values per candidate, candidate after candidate; throws
    // std::invalid_argument unless there are that many.
    virtual void tell(const std::vector<double>& fitness) = 0;
    // The values told per candidate: 1 (its fitness), or each objective's score for a
    // multi-objective algorithm.
    virtual std::size_t objectives() const { return 1; }
    virtual std::size_t generation() const = 0;  // generations told so far
    virtual nlohmann::json state() const = 0;
    // Takes the seed and everything else from `state`; throws std::invalid_argument on a malformed
    // state or one of another algorithm, dimension or population (or Latin hypercube budget).
    virtual void restore(const nlohmann::json& state) = 0;
};

// CMA-ES from mean 0.5 and sigma 0.3 in every coordinate, Hansen's default strategy parameters for
// population `population` (at least minimum_population("cmaes")).
std::unique_ptr<search_algorithm> make_cmaes(std::size_t dimension, std::size_t population,
                                             std::uint64_t seed);
// Independent uniform points.
std::unique_ptr<search_algorithm> make_random_search(std::size_t dimension, std::size_t population,
                                                     std::uint64_t seed);
// Latin hypercube over the whole budget (population * generations samples, each of the n strata
// of every coordinate once), handed out one generation at a time; asking past the budget throws
// std::logic_error.
std::unique_ptr<search_algorithm> make_latin_hypercube(std::size_t dimension,
                                                       std::size_t population,
                                                       std::size_t generations,
                                                       std::uint64_t seed);

// The smallest population an algorithm the search accepts works with (pagmo's, for the names
// pagmo has); throws std::invalid_argument for an unknown name.
std::size_t minimum_population(std::string_view algorithm);

// Populations are below 2^24 (the candidate's share of a random stream's name, below).
inline constexpr std::size_t max_search_population = std::size_t{1} << 24;
// Throws std::invalid_argument for dimension 0 or a population outside
// [minimum_population(algorithm), max_search_population).
void check_search_shape(std::string_view algorithm, std::size_t dimension, std::size_t population);

// Random numbers of the algorithms: candidate `candidate` of generation `generation` draws from its
// own Philox stream (core/base/random.hpp), named by the seed's two 32-bit halves as ids 1 and 2,
// the generation as id 3, and the algorithm and candidate as the global index
// (algorithm << 24 | candidate): no two (seed, algorithm, generation, candidate) share a stream,
// and nothing depends on the order in which candidates draw. The Latin hypercube's permutation of
// the strata of coordinate i is the stream (seed, latin_hypercube_strata, generation i, 0).
// Differential evolution (batch/differential_evolution.hpp) draws member k's initial point in
// generation 0 and its trial of generation g from (seed, de or sade, g, k).
// Throws std::length_error for a generation past 2^32 - 1 or a candidate past 2^24 - 1.
enum class search_stream : std::uint32_t {
    cmaes = 1,
    random = 2,
    latin_hypercube = 3,
    latin_hypercube_strata = 4,
    de = 5,
    sade = 6,
};
random_stream candidate_stream(std::uint64_t seed, search_stream algorithm, std::size_t generation,
                               std::size_t candidate);

// For the algorithms' state() and restore(): the head every state starts with, and its checks.
struct search_state_head {
    std::string_view algorithm;
    std::size_t dimension = 0, population = 0;
    std::uint64_t seed = 0;
    std::size_t generation = 0;
};
nlohmann::json write_state_head(const search_state_head& head);
// Checks `state`'s algorithm, dimension and population against `expected`'s; gives the state's seed
// and generation (std::invalid_argument when something is missing, malformed or different).
search_state_head read_state_head(const nlohmann::json& state, const search_state_head& expected);
// state[key] as a non-negative integer, a finite double, or `size` finite doubles.
std::uint64_t state_count(const nlohmann::json& state, const char* key);
double state_number(const nlohmann::json& state, const char* key);
std::vector<double> state_numbers(const nlohmann::json& state, const char* key, std::size_t size);

}  // namespace m1::batch
