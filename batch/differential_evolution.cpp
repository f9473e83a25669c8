#include "batch/differential_evolution.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// Why one generation at a time is pagmo's algorithm: pagmo's de and sade evaluate one trial at a
// time and write a winner into their population at once (pop.set_xf), but build every trial of a
// generation from `popold`, the population as the generation began, which the winners replace
// only at the generation's end. Variant 2 reads nothing else that changes within a generation (the
// running best feeds only the "best" variants; jDE reads only the member's own F and CR). So
// building all of a generation's trials, then selecting for all members at once, is pagmo's
// algorithm; replacing members while trials are still being built would not be (later trials
// would take new members as donors). Only the random draws differ: here each member's trial
// draws from its own stream, so nothing depends on the order of evaluation.
namespace m1::batch {

namespace {

constexpr double inf = std::numeric_limits<double>::infinity();
constexpr double de_F = 0.8, de_CR = 0.9;  // pagmo::de's defaults
constexpr double jde_keep = 0.9;           // jDE: F, and CR, are kept with probability 0.9
constexpr double jde_F_low = 0.1;          // and re-drawn uniform in [0.1, 1), CR in [0, 1)

// A member's point and control parameters (pagmo::de's constants, or sade's own).
struct member {
    unit_point x;
    double F = de_F, CR = de_CR;
};

std::size_t index_below(random_stream& s, std::size_t n) {
    return std::min(static_cast<std::size_t>(s.uniform01() * double(n)), n - 1);
}

// Three distinct members, drawn as pagmo draws its r[0..2] (Durstenfeld from the top of the
// indices; the target itself may be among them, as in pagmo).
std::array<std::size_t, 3> three_members(random_stream& s, std::size_t population) {
    std::vector<std::size_t> index(population);
    std::iota(index.begin(), index.end(), std::size_t{0});
    std::array<std::size_t, 3> r{};
    for (std::size_t j = 0; j < r.size(); ++j) {
        const std::size_t top = population - 1 - j, i = index_below(s, top + 1);
        r[j] = index[i];
        std::swap(index[i], index[top]);
    }
    return r;
}

// pagmo's force_bounds_random: a coordinate outside the bounds is re-drawn uniformly inside.
void redraw_outside(random_stream& s, unit_point& x) {
    for (double& v : x)
        if (v < 0 || v > 1) v = s.uniform01();
}

// NaN counts as a failed run, +inf; -inf (no fitness the search computes) as the lowest double,
// so that the state, in JSON, holds it.
double as_fitness(double f) {
    return std::isnan(f) ? inf : std::max(f, std::numeric_limits<double>::lowest());
}

[[noreturn]] void malformed(const char* key, const std::string& what) {
    throw std::invalid_argument(std::string("search state: \"") + key + "\" " + what);
}

// A failed run's +inf is null in the state (JSON has no infinity).
nlohmann::json fitness_json(const std::vector<double>& fitness) {
    nlohmann::json out = nlohmann::json::array();
    for (double f : fitness) out.push_back(std::isinf(f) ? nlohmann::json() : nlohmann::json(f));
    return out;
}

std::vector<double> read_fitness(const nlohmann::json& state, std::size_t population) {
    const auto it = state.find("fitness");
    if (it == state.end() || !it->is_array() || it->size() != population)
        malformed("fitness", "is not an array of " + std::to_string(population) + " values");
    std::vector<double> fitness;
    for (const nlohmann::json& f : *it) {
        if (!f.is_null() && !(f.is_number() && std::isfinite(f.get<double>())))
            malformed("fitness", "holds something other than a finite number or null");
        fitness.push_back(f.is_null() ? inf : f.get<double>());
    }
    return fitness;
}

// state_numbers(state, key, size), each in [0, 1].
std::vector<double> read_unit_numbers(const nlohmann::json& state, const char* key,
                                      std::size_t size) {
    std::vector<double> numbers = state_numbers(state, key, size);
    if (std::any_of(numbers.begin(), numbers.end(), [](double v) { return v < 0 || v > 1; }))
        malformed(key, "holds a number outside [0, 1]");
    return numbers;
}

class differential_evolution final : public search_algorithm {
public:
    differential_evolution(search_stream stream, std::string_view name, std::size_t dimension,
                           std::size_t population, std::uint64_t seed)
        : head_{name, dimension, population, seed, 0}, stream_(stream) {
        check_search_shape(name, dimension, population);
        // Before the first tell, placeholders of fitness +inf that every initial point replaces.
        members_.assign(population, member{unit_point(dimension, 0.0)});
        fitness_.assign(population, inf);
    }

    std::vector<unit_point> ask() override {
        std::vector<unit_point> points;
        for (member& t : trials()) points.push_back(std::move(t.x));
        return points;
    }

    // pagmo's selection: the trial replaces its target when no worse.
    void tell(const std::vector<double>& fitness) override {
        if (fitness.size() != head_.population)
            throw std::invalid_argument(std::string(head_.algorithm) + " told " +
                                        std::to_string(fitness.size()) + " fitness values for " +
                                        std::to_string(head_.population) + " candidates");
        std::vector<member> trial = trials();  // all built before any member is replaced
        for (std::size_t k = 0; k < trial.size(); ++k)
            if (const double f = as_fitness(fitness[k]); f <= fitness_[k])
                members_[k] = std::move(trial[k]), fitness_[k] = f;
        ++head_.generation;
    }

    std::size_t generation() const override { return head_.generation; }
    nlohmann::json state() const override;
    void restore(const nlohmann::json& state) override;

private:
    bool self_adaptive() const { return stream_ == search_stream::sade; }
    std::vector<member> trials() const;
    member initial(random_stream& s) const;
    void adapt(random_stream& s, member& t) const;
    void crossover(random_stream& s, member& t) const;

    search_state_head head_;
    search_stream stream_;
    std::vector<member> members_;
    std::vector<double> fitness_;  // +inf for a failed run
};

// Generation 0: the initial population; later, each member's trial.
std::vector<member> differential_evolution::trials() const {
    std::vector<member> out;
    for (std::size_t k = 0; k < head_.population; ++k) {
        random_stream s = candidate_stream(head_.seed, stream_, head_.generation, k);
        if (head_.generation == 0) {
            out.push_back(initial(s));
            continue;
        }
        member t = members_[k];
        crossover(s, t);
        redraw_outside(s, t.x);
        out.push_back(std::move(t));
    }
    return out;
}

// A uniform point; sade's CR and F drawn as pagmo's initial ones (variant_adptv 1).
member differential_evolution::initial(random_stream& s) const {
    member t{unit_point(head_.dimension)};
    for (double& v : t.x) v = s.uniform01();
    if (self_adaptive()) {
        t.CR = s.uniform01();
        t.F = jde_F_low + (1 - jde_F_low) * s.uniform01();
    }
    return t;
}

// jDE as pagmo's sade (variant_adptv 1): F, then CR, each re-drawn with probability 0.1.
void differential_evolution::adapt(random_stream& s, member& t) const {
    if (s.uniform01() >= jde_keep) t.F = jde_F_low + (1 - jde_F_low) * s.uniform01();
    if (s.uniform01() >= jde_keep) t.CR = s.uniform01();
}

// DE/rand/1/exp (pagmo's variant 2), in pagmo's order of draws: members r0, r1, r2, (sade's F and
// CR), then from a random coordinate n on, cyclically, x_n = r0_n + F (r1_n - r2_n) for one
// coordinate and for each next one while a uniform draw is below CR, at most all of them.
void differential_evolution::crossover(random_stream& s, member& t) const {
    const auto r = three_members(s, head_.population);
    if (self_adaptive()) adapt(s, t);
    const unit_point &a = members_[r[0]].x, &b = members_[r[1]].x, &c = members_[r[2]].x;
    std::size_t n = index_below(s, head_.dimension), length = 0;
    do {
        t.x[n] = a[n] + t.F * (b[n] - c[n]);
        n = (n + 1) % head_.dimension;
        ++length;
    } while (s.uniform01() < t.CR && length < head_.dimension);
}

// The members' points as population * dimension numbers, member by member; sade's F and CR.
nlohmann::json differential_evolution::state() const {
    nlohmann::json s = write_state_head(head_);
    std::vector<double> x, F, CR;
    for (const member& m : members_) {
        x.insert(x.end(), m.x.begin(), m.x.end());
        F.push_back(m.F), CR.push_back(m.CR);
    }
    s["x"] = x;
    s["fitness"] = fitness_json(fitness_);
    if (self_adaptive()) s["F"] = F, s["CR"] = CR;
    return s;
}

void differential_evolution::restore(const nlohmann::json& state) {
    const search_state_head head = read_state_head(state, head_);
    const std::size_t n = head_.dimension, size = head_.population;
    const std::vector<double> x = read_unit_numbers(state, "x", size * n);
    std::vector<double> fitness = read_fitness(state, size);
    std::vector<double> F(size, de_F), CR(size, de_CR);
    if (self_adaptive()) {
        F = read_unit_numbers(state, "F", size);
        CR = read_unit_numbers(state, "CR", size);
    }
    for (std::size_t k = 0; k < size; ++k) {
        const auto first = x.begin() + std::ptrdiff_t(k * n);
        members_[k] = {unit_point(first, first + std::ptrdiff_t(n)), F[k], CR[k]};
    }
    fitness_ = std::move(fitness);
    head_ = head;
}

}  // namespace

std::unique_ptr<search_algorithm> make_de(std::size_t dimension, std::size_t population,
                                          std::uint64_t seed) {
    return std::make_unique<differential_evolution>(search_stream::de, "de", dimension, population,
                                                    seed);
}

std::unique_ptr<search_algorithm> make_sade(std::size_t dimension, std::size_t population,
                                            std::uint64_t seed) {
    return std::make_unique<differential_evolution>(search_stream::sade, "sade", dimension,
                                                    population, seed);
}

}  // namespace m1::batch
