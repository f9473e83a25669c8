#include "batch/search_algorithm.hpp"

#include "batch/cmaes.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>
#include <utility>

namespace m1::batch {

namespace {

std::string number_text(std::size_t n) { return std::to_string(n); }

[[noreturn]] void malformed(const char* key, const char* what) {
    throw std::invalid_argument(std::string("search state: \"") + key + "\" " + what);
}

const nlohmann::json& field(const nlohmann::json& state, const char* key) {
    if (!state.is_object()) throw std::invalid_argument("search state: not a JSON object");
    const auto it = state.find(key);
    if (it == state.end()) malformed(key, "is missing");
    return *it;
}

// What random search and the Latin hypercube share: a shape, a seed and a generation count, with
// no memory of the fitness told.
class counted_search : public search_algorithm {
public:
    void tell(const std::vector<double>& fitness) override {
        if (fitness.size() != head_.population)
            throw std::invalid_argument(std::string(head_.algorithm) + " told " +
                                        number_text(fitness.size()) + " fitness values for " +
                                        number_text(head_.population) + " candidates");
        ++head_.generation;
    }
    std::size_t generation() const override { return head_.generation; }
    nlohmann::json state() const override { return write_state_head(head_); }
    void restore(const nlohmann::json& state) override { head_ = read_state_head(state, head_); }

protected:
    counted_search(std::string_view algorithm, std::size_t dimension, std::size_t population,
                   std::uint64_t seed)
        : head_{algorithm, dimension, population, seed, 0} {
        check_search_shape(algorithm, dimension, population);
    }
    search_state_head head_;
};

class random_search final : public counted_search {
public:
    random_search(std::size_t dimension, std::size_t population, std::uint64_t seed)
        : counted_search("random", dimension, population, seed) {}

    std::vector<unit_point> ask() override {
        std::vector<unit_point> points(head_.population, unit_point(head_.dimension));
        for (std::size_t k = 0; k < points.size(); ++k) {
            random_stream stream =
                candidate_stream(head_.seed, search_stream::random, head_.generation, k);
            for (double& x : points[k]) x = stream.uniform01();
        }
        return points;
    }
};

// A random permutation of 0..size-1 (Fisher-Yates, one draw per position from the top).
std::vector<std::uint32_t> permutation(std::size_t size, random_stream stream) {
    std::vector<std::uint32_t> p(size);
    std::iota(p.begin(), p.end(), std::uint32_t{0});
    for (std::size_t i = size; i > 1; --i) {
        const auto j = static_cast<std::size_t>(stream.uniform01() * double(i));
        std::swap(p[i - 1], p[std::min(j, i - 1)]);
    }
    return p;
}

// Sample s = generation * population + candidate takes, in coordinate i, a uniform point of stratum
// strata_[i][s] of the budget's n = population * generations strata [j/n, (j+1)/n). The
// permutations depend on the seed only, the points inside the strata on the candidate's stream.
class latin_hypercube final : public counted_search {
public:
    latin_hypercube(std::size_t dimension, std::size_t population, std::size_t generations,
                    std::uint64_t seed)
        : counted_search("latin_hypercube", dimension, population, seed), generations_(generations) {
        if (generations == 0)
            throw std::invalid_argument("a Latin hypercube needs a budget of at least 1 generation");
        if (population > std::numeric_limits<std::uint32_t>::max() / generations)
            throw std::invalid_argument("a Latin hypercube of more than 2^32 - 1 samples");
        draw_strata();
    }

    std::vector<unit_point> ask() override {
        check_budget();
        const double n = double(head_.population * generations_);
        std::vector<unit_point> points(head_.population, unit_point(head_.dimension));
        for (std::size_t k = 0; k < points.size(); ++k) {
            const std::size_t s = head_.generation * head_.population + k;
            random_stream stream =
                candidate_stream(head_.seed, search_stream::latin_hypercube, head_.generation, k);
            for (std::size_t i = 0; i < head_.dimension; ++i)
                points[k][i] = (strata_[i][s] + stream.uniform01()) / n;
        }
        return points;
    }

    void tell(const std::vector<double>& fitness) override {
        check_budget();
        counted_search::tell(fitness);
    }

    nlohmann::json state() const override {
        nlohmann::json s = counted_search::state();
        s["generations"] = generations_;
        return s;
    }

    void restore(const nlohmann::json& state) override {
        const search_state_head head = read_state_head(state, head_);
        if (state_count(state, "generations") != generations_)
            malformed("generations", ("is not this Latin hypercube's " +
                                      number_text(generations_)).c_str());
        if (head.generation > generations_) malformed("generation", "is past the budget");
        const bool reseeded = head.seed != head_.seed;
        head_ = head;
        if (reseeded) draw_strata();
    }

private:
    void draw_strata() {
        strata_.clear();
        for (std::size_t i = 0; i < head_.dimension; ++i)
            strata_.push_back(permutation(head_.population * generations_,
                                          candidate_stream(head_.seed,
                                                           search_stream::latin_hypercube_strata,
                                                           i, 0)));
    }

    void check_budget() const {
        if (head_.generation >= generations_)
            throw std::logic_error("the Latin hypercube's budget of " + number_text(generations_) +
                                   " generations is spent");
    }

    std::size_t generations_;
    std::vector<std::vector<std::uint32_t>> strata_;  // [coordinate][sample]
};

}  // namespace

std::unique_ptr<search_algorithm> make_cmaes(std::size_t dimension, std::size_t population,
                                             std::uint64_t seed) {
    return std::make_unique<cmaes>(dimension, population, seed);
}

std::unique_ptr<search_algorithm> make_random_search(std::size_t dimension, std::size_t population,
                                                     std::uint64_t seed) {
    return std::make_unique<random_search>(dimension, population, seed);
}

std::unique_ptr<search_algorithm> make_latin_hypercube(std::size_t dimension,
                                                       std::size_t population,
                                                       std::size_t generations,
                                                       std::uint64_t seed) {
    return std::make_unique<latin_hypercube>(dimension, population, generations, seed);
}

// pagmo 2.18's own refusals, in evolve() of src/algorithms/<name>.cpp (pagmo2 tag v2.18.0):
//   cmaes.cpp  "if (lam < 5u)". Hansen's defaults need mu = lambda / 2 >= 2 (with mu = 1,
//              mu_eff = 1 makes c_mu 0, and eqs. 50 and 52 divide by it): lambda >= 4; pagmo's 5
//              is the stricter, and keeps ours comparable with pagmo's.
//   sade.cpp   "if (pop.size() < 7u)" (it picks 7 distinct individuals besides the target).
//   de.cpp     "if (pop.size() < 5u)".
//   pso.cpp    refuses only an empty swarm, but its default topology (neighb_type 2, a ring of
//              neighb_param 4: radius 2) indexes pidx - 2 + swarm_size, past a swarm of 1: 2.
//   nsga2.cpp  "if (NP < 5u || (NP % 4 != 0u))": the smallest multiple of 4 from 5, 8.
// Random search and the Latin hypercube work with any population.
std::size_t minimum_population(std::string_view algorithm) {
    static constexpr std::pair<std::string_view, std::size_t> minimums[] = {
        {"cmaes", 5}, {"random", 1}, {"latin_hypercube", 1}, {"sade", 7},
        {"de", 5},    {"pso", 2},    {"nsga2", 8},
    };
    for (const auto& [name, minimum] : minimums)
        if (name == algorithm) return minimum;
    throw std::invalid_argument("unknown search algorithm \"" + std::string(algorithm) + "\"");
}

void check_search_shape(std::string_view algorithm, std::size_t dimension, std::size_t population) {
    const std::string name(algorithm);
    if (dimension == 0) throw std::invalid_argument(name + " needs at least one parameter");
    const std::size_t minimum = minimum_population(algorithm);
    if (population < minimum)
        throw std::invalid_argument(name + " needs a population of at least " +
                                    number_text(minimum) + ", not " + number_text(population));
    if (population >= max_search_population)
        throw std::invalid_argument(name + ": a population of " + number_text(population) +
                                    " is past 2^24 - 1");
}

random_stream candidate_stream(std::uint64_t seed, search_stream algorithm, std::size_t generation,
                               std::size_t candidate) {
    if (generation > std::numeric_limits<std::uint32_t>::max())
        throw std::length_error("search: generation " + number_text(generation) + " past 2^32 - 1");
    if (candidate >= max_search_population)
        throw std::length_error("search: candidate " + number_text(candidate) + " past 2^24 - 1");
    const auto global = static_cast<std::uint32_t>(algorithm) << 24 |
                        static_cast<std::uint32_t>(candidate);
    return random_stream(static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32),
                         static_cast<std::uint32_t>(generation), global);
}

nlohmann::json write_state_head(const search_state_head& head) {
    return {{"algorithm", head.algorithm}, {"dimension", head.dimension},
            {"population", head.population}, {"seed", head.seed},
            {"generation", head.generation}};
}

search_state_head read_state_head(const nlohmann::json& state, const search_state_head& expected) {
    const nlohmann::json& algorithm = field(state, "algorithm");
    if (!algorithm.is_string() || algorithm.get<std::string>() != expected.algorithm)
        malformed("algorithm", ("is not \"" + std::string(expected.algorithm) + "\"").c_str());
    if (state_count(state, "dimension") != expected.dimension)
        malformed("dimension", ("is not " + number_text(expected.dimension)).c_str());
    if (state_count(state, "population") != expected.population)
        malformed("population", ("is not " + number_text(expected.population)).c_str());
    search_state_head head = expected;
    head.seed = state_count(state, "seed");
    head.generation = state_count(state, "generation");
    return head;
}

std::uint64_t state_count(const nlohmann::json& state, const char* key) {
    const nlohmann::json& value = field(state, key);
    if (value.is_number_unsigned()) return value.get<std::uint64_t>();
    if (value.is_number_integer() && value.get<std::int64_t>() >= 0)
        return value.get<std::uint64_t>();
    malformed(key, "is not a non-negative integer");
}

double state_number(const nlohmann::json& state, const char* key) {
    const nlohmann::json& value = field(state, key);
    if (!value.is_number() || !std::isfinite(value.get<double>()))
        malformed(key, "is not a finite number");
    return value.get<double>();
}

std::vector<double> state_numbers(const nlohmann::json& state, const char* key, std::size_t size) {
    const nlohmann::json& value = field(state, key);
    if (!value.is_array() || value.size() != size)
        malformed(key, ("is not an array of " + number_text(size) + " numbers").c_str());
    std::vector<double> numbers;
    numbers.reserve(size);
    for (const nlohmann::json& x : value) {
        if (!x.is_number() || !std::isfinite(x.get<double>()))
            malformed(key, "holds something other than a finite number");
        numbers.push_back(x.get<double>());
    }
    return numbers;
}

}  // namespace m1::batch
