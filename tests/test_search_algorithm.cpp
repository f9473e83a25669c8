// The search's optimisers (batch/search_algorithm.hpp, batch/cmaes.hpp,
// batch/differential_evolution.hpp): determinism and state, the unit cube, Latin hypercube strata,
// failed runs, CMA-ES against pagmo's sequential pagmo::cmaes on sphere, Rosenbrock and Rastrigin
// in 5 and 10 dimensions, and DE and SADE against pagmo::de and pagmo::sade on sphere and
// Rosenbrock.
#include "batch/cmaes.hpp"
#include "batch/differential_evolution.hpp"
#include "batch/search_algorithm.hpp"

#include <gtest/gtest.h>
#include <pagmo/algorithm.hpp>
#include <pagmo/algorithms/cmaes.hpp>
#include <pagmo/algorithms/de.hpp>
#include <pagmo/algorithms/sade.hpp>
#include <pagmo/population.hpp>
#include <pagmo/problem.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <memory>
#include <numbers>
#include <set>
#include <string>
#include <vector>

namespace {

using namespace m1::batch;
constexpr double inf = std::numeric_limits<double>::infinity();
using generations_t = std::vector<std::vector<unit_point>>;

// ---- test functions on the unit cube (none has its optimum at the cube's centre, CMA-ES's start)

double sphere(const std::vector<double>& u) {  // minimum 0 at u = 0.3
    double f = 0;
    for (double x : u) f += (x - 0.3) * (x - 0.3);
    return f;
}

double rosenbrock(const std::vector<double>& u) {  // [-2, 2]^n; minimum 0 at u = 0.75 (x = 1)
    double f = 0;
    for (std::size_t i = 0; i + 1 < u.size(); ++i) {
        const double x = 4 * u[i] - 2, y = 4 * u[i + 1] - 2;
        f += 100 * (y - x * x) * (y - x * x) + (1 - x) * (1 - x);
    }
    return f;
}

// [-5.12, 5.12]^n shifted by 1.3 so that the minimum, 0, is at u = 0.627, off the centre.
double rastrigin(const std::vector<double>& u) {
    double f = 10.0 * double(u.size());
    for (double v : u) {
        const double x = 10.24 * v - 5.12 - 1.3;
        f += x * x - 10 * std::cos(2 * std::numbers::pi * x);
    }
    return f;
}

// Minimum 0 on the cube's faces: u_i = 0, 1, 0.3, 0, 1, 0.3, ... (two thirds of the coordinates
// at a bound).
double corner(const std::vector<double>& u) {
    double f = 0;
    for (std::size_t i = 0; i < u.size(); ++i) {
        const double c = i % 3 == 0 ? 0.0 : i % 3 == 1 ? 1.0 : 0.3;
        f += (u[i] - c) * (u[i] - c);
    }
    return f;
}

// ---- driving an algorithm

std::vector<double> evaluate(const std::vector<unit_point>& points,
                             const std::function<double(const unit_point&)>& f) {
    std::vector<double> fitness;
    for (const unit_point& x : points) fitness.push_back(f(x));
    return fitness;
}

// `generations` asks of `a`, each told f's values.
generations_t drive(search_algorithm& a, std::size_t generations,
                    const std::function<double(const unit_point&)>& f = sphere) {
    generations_t asked;
    for (std::size_t g = 0; g < generations; ++g) {
        asked.push_back(a.ask());
        a.tell(evaluate(asked.back(), f));
    }
    return asked;
}

using factory = std::unique_ptr<search_algorithm> (*)(std::size_t dimension,
                                                      std::size_t population, std::uint64_t seed);

std::unique_ptr<search_algorithm> make(const std::string& name, std::uint64_t seed) {
    if (name == "cmaes") return make_cmaes(4, 6, seed);
    if (name == "random") return make_random_search(4, 6, seed);
    if (name == "de") return make_de(4, 6, seed);
    if (name == "sade") return make_sade(4, 8, seed);  // at least 7
    return make_latin_hypercube(4, 6, 30, seed);
}

class each_algorithm : public testing::TestWithParam<std::string> {};
INSTANTIATE_TEST_SUITE_P(search, each_algorithm,
                         testing::Values("cmaes", "random", "latin_hypercube", "de", "sade"));

TEST_P(each_algorithm, same_seed_same_tells_same_candidates_bit_for_bit) {
    auto a = make(GetParam(), 42), b = make(GetParam(), 42);
    EXPECT_EQ(drive(*a, 5), drive(*b, 5));
    EXPECT_EQ(a->generation(), 5u);
    EXPECT_EQ(a->ask(), a->ask());  // asking changes nothing
}

TEST_P(each_algorithm, different_seeds_differ) {
    auto a = make(GetParam(), 42), b = make(GetParam(), 43), c = make(GetParam(), 42ull << 32);
    const generations_t from_a = drive(*a, 5);
    EXPECT_NE(from_a, drive(*b, 5));
    EXPECT_NE(from_a, drive(*c, 5));  // the seed's high half counts too
}

// The state goes through JSON text, into an object made with another seed: it carries the seed.
TEST_P(each_algorithm, restored_state_continues_bit_for_bit) {
    auto a = make(GetParam(), 7);
    drive(*a, 3);
    auto b = make(GetParam(), 8);
    b->restore(nlohmann::json::parse(a->state().dump()));
    EXPECT_EQ(b->generation(), 3u);
    EXPECT_EQ(b->state(), a->state());
    EXPECT_EQ(drive(*b, 5), drive(*a, 5));
}

TEST_P(each_algorithm, every_coordinate_in_the_unit_cube) {
    auto a = make(GetParam(), 3);
    // f pulls towards the corner (1.5, ...) outside the cube: CMA-ES's samples leave it.
    const auto outside = [](const unit_point& u) {
        double f = 0;
        for (double x : u) f += (x - 1.5) * (x - 1.5);
        return f;
    };
    for (const auto& generation : drive(*a, 30, outside))
        for (const unit_point& x : generation) {
            ASSERT_EQ(x.size(), 4u);
            for (double v : x) ASSERT_TRUE(v >= 0 && v <= 1) << v;
        }
    if (GetParam() == "cmaes") {  // its (unmirrored) mean went out, so samples were mirrored
        const std::vector<double> mean = a->state()["mean"];
        EXPECT_GT(*std::max_element(mean.begin(), mean.end()), 1.0);
    }
}

TEST_P(each_algorithm, refuses_a_wrong_number_of_fitness_values) {
    auto a = make(GetParam(), 1);
    EXPECT_THROW(a->tell(std::vector<double>(5, 1.0)), std::invalid_argument);
    EXPECT_EQ(a->generation(), 0u);
}

TEST_P(each_algorithm, refuses_malformed_states) {
    auto a = make(GetParam(), 1);
    drive(*a, 2);
    const nlohmann::json good = a->state();
    const auto refused = [&](const std::function<void(nlohmann::json&)>& spoil) {
        nlohmann::json s = good;
        spoil(s);
        auto b = make(GetParam(), 1);
        EXPECT_THROW(b->restore(s), std::invalid_argument) << s.dump();
    };
    refused([](nlohmann::json& s) { s = nlohmann::json::array(); });
    refused([](nlohmann::json& s) { s["algorithm"] = "other"; });
    refused([](nlohmann::json& s) { s["dimension"] = 5; });
    refused([](nlohmann::json& s) { s["population"] = 7; });
    refused([](nlohmann::json& s) { s.erase("seed"); });
    refused([](nlohmann::json& s) { s["generation"] = -1; });
    refused([](nlohmann::json& s) { s["generation"] = "3"; });
}

TEST(cmaes, refuses_malformed_numbers_in_its_state) {
    auto a = make_cmaes(3, 6, 1);
    drive(*a, 2);
    const nlohmann::json good = a->state();
    for (const auto& [key, value] : std::vector<std::pair<const char*, nlohmann::json>>{
             {"sigma", -0.1},
             {"sigma", "x"},
             {"mean", {0.5, 0.5}},
             {"p_c", {0.0, 0.0, nullptr}},
             {"C", {1, 0, 0, 0, 1, 0, 0, 0}},
             {"C", {1, 0.5, 0, 0, 1, 0, 0, 0, 1}},   // not symmetric
             {"C", {1, 0, 0, 0, -1, 0, 0, 0, 1}}}) { // not positive definite
        nlohmann::json s = good;
        s[key] = value;
        auto b = make_cmaes(3, 6, 1);
        EXPECT_THROW(b->restore(s), std::invalid_argument) << s.dump();
        EXPECT_EQ(b->generation(), 0u);  // nothing taken from a refused state
    }
}

TEST(latin_hypercube, each_stratum_of_each_coordinate_once_over_the_budget) {
    const std::size_t dimension = 3, population = 7, generations = 5, n = population * generations;
    auto a = make_latin_hypercube(dimension, population, generations, 11);
    const generations_t asked = drive(*a, generations);
    for (std::size_t i = 0; i < dimension; ++i) {
        std::set<std::size_t> strata;
        for (const auto& generation : asked)
            for (const unit_point& x : generation) strata.insert(std::size_t(x[i] * double(n)));
        EXPECT_EQ(strata.size(), n);
        EXPECT_EQ(*strata.rbegin(), n - 1);
    }
    EXPECT_THROW(a->ask(), std::logic_error);
    EXPECT_THROW(a->tell(std::vector<double>(population, 0.0)), std::logic_error);
}

TEST(latin_hypercube, refuses_another_budget_in_a_state) {
    auto a = make_latin_hypercube(2, 4, 6, 1), b = make_latin_hypercube(2, 4, 7, 1);
    EXPECT_THROW(b->restore(a->state()), std::invalid_argument);
    EXPECT_THROW(make_latin_hypercube(2, 4, 0, 1), std::invalid_argument);
}

TEST(random_search, uniform_enough) {
    auto a = make_random_search(10, 100, 5);
    double sum = 0, sum2 = 0, count = 0;
    for (const auto& generation : drive(*a, 10))
        for (const unit_point& x : generation)
            for (double v : x) sum += v, sum2 += v * v, ++count;
    ASSERT_EQ(count, 10000);
    EXPECT_NEAR(sum / count, 0.5, 0.01);                               // sd of the mean 0.0029
    EXPECT_NEAR(sum2 / count - (sum / count) * (sum / count), 1.0 / 12, 0.005);
}

TEST(minimum_population, pagmos_minimums) {
    EXPECT_EQ(minimum_population("cmaes"), 5u);
    EXPECT_EQ(minimum_population("random"), 1u);
    EXPECT_EQ(minimum_population("latin_hypercube"), 1u);
    EXPECT_EQ(minimum_population("sade"), 7u);
    EXPECT_EQ(minimum_population("de"), 5u);
    EXPECT_EQ(minimum_population("pso"), 2u);
    EXPECT_EQ(minimum_population("nsga2"), 8u);
    EXPECT_THROW(minimum_population("simplex"), std::invalid_argument);
}

TEST(cmaes, refuses_a_population_below_its_minimum_or_no_parameter) {
    EXPECT_THROW(make_cmaes(3, 4, 1), std::invalid_argument);
    EXPECT_NO_THROW(make_cmaes(3, 5, 1));
    EXPECT_THROW(make_cmaes(0, 8, 1), std::invalid_argument);
    EXPECT_THROW(make_random_search(3, 0, 1), std::invalid_argument);
}

// The tutorial's Table 1 for n = 10, lambda = 10, as printed from pycma's es.sp next to the
// tutorial's own values (c_c, c_1 as pycma; c_sigma, d_sigma, c_mu the tutorial's).
TEST(cmaes, default_parameters_are_the_tutorials) {
    const cmaes_parameters p = cmaes_default_parameters(10, 10);
    EXPECT_EQ(p.mu, 5u);
    EXPECT_NEAR(p.mu_eff, 3.167, 5e-4);
    EXPECT_NEAR(p.c_sigma, 0.2844, 5e-5);
    EXPECT_NEAR(p.d_sigma, 1.2844, 5e-5);
    EXPECT_NEAR(p.c_c, 0.2950, 5e-5);
    EXPECT_NEAR(p.c_1, 0.01528, 5e-6);
    EXPECT_NEAR(p.c_mu, 0.02015, 5e-6);
    EXPECT_NEAR(p.weights.head(5).sum(), 1.0, 1e-15);
    EXPECT_NEAR(p.weights[0], 0.4563, 5e-5);
    EXPECT_LT(p.weights[9], 0);
    // sum of the negative weights: -min(alpha_mu^-, alpha_mu_eff^-, alpha_posdef^-)
    const double alpha_mu = 1 + p.c_1 / p.c_mu;
    EXPECT_LE(-p.weights.tail(5).sum(), alpha_mu + 1e-12);
}

// ---- failed runs

// Half of each generation fails (+inf: every third candidate and a failing region u_0 > 0.6; NaN:
// the last candidate), and all of generation 5: the failures rank last, the state stays finite,
// and sphere still reaches 1e-8: after 2016 evaluations (failed ones included) against 752
// without failures (seed 9; 4 of 8 candidates to select from): asserted within 4 times.
// Left to converge for thousands of generations, sigma would underflow and C stop being
// decomposable (the benchmark's loop met it after ~80,000 generations): the strategy restarts
// around its mean instead, and keeps proposing points of the cube. A restored state keeps the
// count.
TEST(cmaes, a_collapsed_distribution_restarts_instead_of_failing) {
    m1::batch::cmaes c(4, 8, 1);
    for (int g = 0; g < 3000; ++g) {
        const auto points = c.ask();
        std::vector<double> fitness;
        for (const auto& x : points) {
            double f = 0;
            for (double v : x) f += (v - 0.3) * (v - 0.3);
            fitness.push_back(f);
            for (double v : x) ASSERT_TRUE(v >= 0 && v <= 1) << "generation " << g;
        }
        ASSERT_NO_THROW(c.tell(fitness)) << "generation " << g;
    }
    EXPECT_GE(c.restarts(), 1u);
    m1::batch::cmaes back(4, 8, 2);
    back.restore(c.state());
    EXPECT_EQ(back.restarts(), c.restarts());
    EXPECT_EQ(back.ask(), c.ask());
}

TEST(cmaes, infinite_and_nan_fitness_do_not_break_it) {
    const auto fails = [](const unit_point& x, std::size_t k, int g) {
        return x[0] > 0.6 || k % 3 == 0 || k == 7 || g == 5;
    };
    int evaluations[2] = {0, 0};
    for (const bool failures : {false, true}) {
        auto a = make_cmaes(5, 8, 9);
        int generations = 0;
        double best = inf;
        for (; generations < 1000 && !(best < 1e-8); ++generations) {
            const std::vector<unit_point> points = a->ask();
            std::vector<double> fitness = evaluate(points, sphere);
            for (std::size_t k = 0; failures && k < fitness.size(); ++k)
                if (fails(points[k], k, generations)) fitness[k] = k == 7 ? std::nan("") : inf;
            for (double f : fitness) best = std::min(best, f);
            a->tell(fitness);
        }
        const std::string text = a->state().dump();
        EXPECT_EQ(text.find("null"), std::string::npos) << text;  // NaN and inf dump as null
        evaluations[failures] = generations * 8;
        std::printf("%s failures: %d evaluations to 1e-8\n", failures ? "with" : "without",
                    evaluations[failures]);
        EXPECT_LT(best, 1e-8);
    }
    EXPECT_LE(evaluations[1], 4 * evaluations[0]);
}

// ---- against pagmo::cmaes

struct test_function {
    const char* name;
    double (*f)(const std::vector<double>&);
    std::size_t dimension, population, generations;  // the budget: population * generations
    double target;                                    // for "evaluations to reach"
};

// A run's best fitness, and the evaluations until it first reached the target (0: never).
struct trace {
    double target = 0;
    std::size_t evaluations = 0, to_target = 0;
    double best = inf;
    void add(double f) {
        ++evaluations;
        best = std::min(best, f);
        if (to_target == 0 && best <= target) to_target = evaluations;
    }
};

// One of our optimisers and pagmo's counterpart, run for `generations` generations after its
// initial population (which costs one generation of the budget).
struct contender {
    const char* name;
    factory ours;
    pagmo::algorithm (*pagmo)(unsigned generations, unsigned seed);
};

trace run_ours(const test_function& t, unsigned seed, const contender& c) {
    trace r{t.target};
    auto a = c.ours(t.dimension, t.population, seed);
    for (std::size_t g = 0; g < t.generations; ++g) {
        const std::vector<double> fitness = evaluate(a->ask(), t.f);
        for (double f : fitness) r.add(f);
        a->tell(fitness);
    }
    return r;
}

// pagmo's user-defined problem: t on [0, 1]^n, every evaluation recorded.
struct pagmo_problem {
    const test_function* t = nullptr;
    trace* record = nullptr;
    pagmo::vector_double fitness(const pagmo::vector_double& x) const {
        const double f = t->f(x);
        record->add(f);
        return {f};
    }
    std::pair<pagmo::vector_double, pagmo::vector_double> get_bounds() const {
        return {pagmo::vector_double(t->dimension, 0.0), pagmo::vector_double(t->dimension, 1.0)};
    }
};

// pagmo's CMA-ES on the same bounded problem, with the same population, sigma0 0.3 (of the
// bounds' width) and budget: its random initial population (whose best is its first mean) costs
// a generation. force_bounds: it evaluates only inside the bounds, clamping the samples (and
// updates with the clamped ones). Its own stopping tests are off (ftol = xtol = 0), its strategy
// parameters its defaults (the 2006 ones: positive weights only).
pagmo::algorithm pagmo_cmaes(unsigned generations, unsigned seed) {
    return pagmo::algorithm{
        pagmo::cmaes(generations, -1, -1, -1, -1, 0.3, 0, 0, false, true, seed + 1000)};
}

const contender cmaes_contender{"CMA-ES", make_cmaes, pagmo_cmaes};

trace run_pagmo(const test_function& t, unsigned seed, const contender& c) {
    trace r{t.target};
    pagmo::population population{pagmo::problem{pagmo_problem{&t, &r}}, t.population, seed};
    c.pagmo(unsigned(t.generations - 1), seed).evolve(population);
    EXPECT_EQ(r.evaluations, t.population * t.generations);
    return r;
}

// Over the seeds, sorted: the best fitness reached, and the evaluations to reach the target
// (a run that never reached it counts as infinitely many).
struct summary {
    std::vector<double> best, to_target;
    double median() const { return best[best.size() / 2]; }
    double median_to_target() const { return to_target[to_target.size() / 2]; }
};

summary summarise(const std::vector<trace>& runs) {
    summary s;
    for (const trace& r : runs) {
        s.best.push_back(r.best);
        s.to_target.push_back(r.to_target ? double(r.to_target) : inf);
    }
    std::sort(s.best.begin(), s.best.end());
    std::sort(s.to_target.begin(), s.to_target.end());
    return s;
}

void print(const char* who, const summary& s) {
    std::printf("  %-6s best: median %.3g [%.3g, %.3g]; evaluations to target:", who, s.median(),
                s.best.front(), s.best.back());
    for (double e : s.to_target) {
        if (std::isinf(e)) std::printf(" never");
        else std::printf(" %.0f", e);
    }
    std::printf("\n");
}

struct comparison {
    summary ours, pagmo;
};

// Seeds 1 to `seeds` each (printed: the figures the assertions below quote).
comparison compare(const test_function& t, const contender& with = cmaes_contender,
                   unsigned seeds = 5) {
    std::vector<trace> ours, pagmo;
    for (unsigned seed = 1; seed <= seeds; ++seed) {
        ours.push_back(run_ours(t, seed, with));
        pagmo.push_back(run_pagmo(t, seed, with));
    }
    const comparison c{summarise(ours), summarise(pagmo)};
    std::printf("%s: %s %zu-D, population %zu, %zu evaluations, target %g\n", with.name, t.name,
                t.dimension, t.population, t.population * t.generations, t.target);
    print("ours", c.ours);
    print("pagmo", c.pagmo);
    return c;
}

// Every figure quoted below is printed by the test (5 seeds, medians the upper of the middle two
// where even); "20 seeds" figures are from the same test with seeds 1-20. Both sides are
// deterministic given their seeds, so the assertions hold or fail for good: the tolerances are
// what we claim, derived from the figures.

// Sphere centred at 0.3 (one sigma0 from the bound 0). Both reach 1e-8 in every run (our worst
// 2.9e-9 and 1.4e-11, pagmo's 6.8e-11 and 4.6e-12). Ours needs more evaluations to 1e-8: medians
// 650 against 531 in 5-D (ratio 1.22; 20 seeds 630 against 564, 1.12), 1336 against 1122 in 10-D
// (1.19; 20 seeds 1306 against 1134, 1.15), beyond pagmo's seed-to-seed spread (513-597,
// 1097-1161): the price of the reflection at the bounds (cmaes.cpp). So at the budget our median
// best is 6.6 (5-D) and 5.0 (10-D) times pagmo's (asserted within 10 times), while pagmo's median,
// 2.0e-11 and 1.2e-12, lies within our seed-to-seed spread, 1.7e-11 to 2.9e-9 and 5.1e-13 to
// 1.4e-11.
TEST(cmaes_against_pagmo, sphere) {
    for (const test_function& t : {test_function{"sphere", sphere, 5, 8, 100, 1e-8},
                                   test_function{"sphere", sphere, 10, 10, 180, 1e-8}}) {
        const comparison c = compare(t);
        EXPECT_LT(c.ours.best.back(), 1e-8);
        EXPECT_LT(c.pagmo.best.back(), 1e-8);
        EXPECT_LE(c.ours.median_to_target(), 1.3 * c.pagmo.median_to_target());
        EXPECT_LE(c.ours.median(), 10 * c.pagmo.median());
        EXPECT_GE(c.pagmo.median(), c.ours.best.front());
    }
}

// Rosenbrock on [-2, 2]^n: ours is faster (the active covariance update of the tutorial's negative
// weights; pagmo has positive weights only): medians 1719 against 2038 evaluations to 1e-8 in 5-D
// (20 seeds: 1783 against 2032), 5021 against 5565 in 10-D (20 seeds: 5174 against 6275), and
// our median best, 4e-27 and 2e-29, is below pagmo's worst, 1.8e-15 and 2.2e-27. Like any
// non-elitist CMA-ES with a small population, a run can settle in the local minimum near
// x = (-1, 1, ...): ours 1 of 5 here in 5-D (20 seeds: ours 2 in 5-D and 1 in 10-D, pagmo 0 and 2).
TEST(cmaes_against_pagmo, rosenbrock) {
    for (const test_function& t : {test_function{"rosenbrock", rosenbrock, 5, 8, 400, 1e-8},
                                   test_function{"rosenbrock", rosenbrock, 10, 10, 1000, 1e-8}}) {
        const comparison c = compare(t);
        EXPECT_LE(c.ours.median(), c.pagmo.best.back());
        EXPECT_LE(c.ours.median_to_target(), c.pagmo.median_to_target());
    }
}

// Rastrigin (multimodal): with the default population both end in local minima, with a wide
// spread (ours 1.0-9.0 and 5.0-19.9, pagmo 1.0-13.3 and 5.0-18.9); medians 3.98 against 7.96 in
// 5-D (20 seeds: 3.98 against 5.97) and 12.9 against 12.9 in 10-D (20 seeds: 15.9 against 12.9,
// ratio 1.23): asserted within 1.5 times pagmo's median.
TEST(cmaes_against_pagmo, rastrigin) {
    for (const test_function& t : {test_function{"rastrigin", rastrigin, 5, 8, 300, 1},
                                   test_function{"rastrigin", rastrigin, 10, 10, 500, 1}}) {
        const comparison c = compare(t);
        EXPECT_LE(c.ours.median(), 1.5 * c.pagmo.median());
    }
}

// An optimum on the bounds (two thirds of the coordinates at 0 or 1): ours reaches it like an
// interior one, 1e-8 in every run, medians 626 and 1235 evaluations (20 seeds: 629 and 1276,
// where pagmo on the unbounded problem, force_bounds off, takes 595 and 1196). pagmo's clamping
// gets there sooner, a clamped sample sitting exactly on the bound: 381 and 865 (20 seeds: 387
// and 918): asserted within 1.8 times (measured 1.64 and 1.43; 20 seeds 1.63 and 1.39).
TEST(cmaes_against_pagmo, optimum_on_the_bounds) {
    for (const test_function& t : {test_function{"corner", corner, 5, 8, 120, 1e-8},
                                   test_function{"corner", corner, 10, 10, 200, 1e-8}}) {
        const comparison c = compare(t);
        EXPECT_LT(c.ours.best.back(), 1e-8);
        EXPECT_LE(c.ours.median_to_target(), 1.8 * c.pagmo.median_to_target());
    }
}


// ---- differential evolution (pagmo's de and sade defaults)

constexpr factory de_and_sade[] = {make_de, make_sade};

// The members' points, from the state.
std::vector<unit_point> members_of(const search_algorithm& a) {
    const nlohmann::json s = a.state();
    const std::vector<double> x = s["x"];
    const std::size_t n = s["dimension"];
    std::vector<unit_point> members;
    for (auto it = x.begin(); it != x.end(); it += std::ptrdiff_t(n))
        members.emplace_back(it, it + std::ptrdiff_t(n));
    return members;
}

TEST(differential_evolution, the_first_generation_is_the_initial_population) {
    for (const factory make : de_and_sade) {
        auto a = make(3, 7, 5);
        const std::vector<unit_point> initial = a->ask();
        a->tell(evaluate(initial, sphere));
        EXPECT_EQ(members_of(*a), initial);
        EXPECT_NE(a->ask(), initial);
    }
}

// Each trial is judged against its own target, all at once: no worse (equal included) replaces it.
TEST(differential_evolution, selects_each_trial_against_its_target) {
    for (const factory make : de_and_sade) {
        auto a = make(3, 9, 5);
        a->tell(std::vector<double>(9, 1.0));
        const std::vector<unit_point> before = members_of(*a), trials = a->ask();
        a->tell({0.5, 1.0, 2.0, 0.5, 1.0, 2.0, 0.5, 1.0, 2.0});
        const std::vector<unit_point> after = members_of(*a);
        for (std::size_t k = 0; k < 9; ++k) EXPECT_EQ(after[k], k % 3 == 2 ? before[k] : trials[k]);
        EXPECT_EQ(a->state()["fitness"], nlohmann::json({0.5, 1, 1, 0.5, 1, 1, 0.5, 1, 1}));
    }
}

// NaN counts as +inf, a failed run: any trial replaces a failed member (a failed one too, as
// pagmo's +inf <= +inf), a failed trial replaces no member that ran. The state writes +inf as
// null, and -inf as the lowest double, and reads them back.
TEST(differential_evolution, nan_and_infinite_fitness_count_as_failed_runs) {
    const double nan = std::nan(""), lowest = std::numeric_limits<double>::lowest();
    for (const factory make : de_and_sade) {
        auto a = make(2, 8, 3);
        a->tell({nan, inf, nan, inf, 1, 1, 1, 1});
        const std::vector<unit_point> before = members_of(*a), trials = a->ask();
        a->tell({1, nan, inf, 0.5, nan, inf, 0.5, -inf});
        const std::vector<unit_point> after = members_of(*a);
        for (std::size_t k = 0; k < 8; ++k)
            EXPECT_EQ(after[k], k < 4 || k >= 6 ? trials[k] : before[k]) << k;
        const nlohmann::json state = nlohmann::json::parse(a->state().dump());
        EXPECT_EQ(state["fitness"], nlohmann::json({1, nullptr, nullptr, 0.5, 1, 1, 0.5, lowest}));
        auto b = make(2, 8, 4);
        b->restore(state);
        EXPECT_EQ(b->state(), a->state());
        EXPECT_EQ(drive(*b, 3), drive(*a, 3));
    }
}

// pagmo's exponential crossover: the coordinates a trial changes are one cyclic run from a random
// coordinate, of length L with P(L > l) = CR^l (l < n): E[L] = (1 - 0.9^10) / 0.1 = 6.51 for
// n = 10 (measured 6.59 over these 1900 trials; sd of L 3.4, so 0.08 for the mean: 0.25 is 3 sd).
TEST(differential_evolution, a_trial_changes_one_cyclic_run_of_coordinates) {
    auto a = make_de(10, 100, 2);
    a->tell(evaluate(a->ask(), sphere));
    double changed = 0, trials = 0;
    for (int g = 0; g < 19; ++g) {
        const std::vector<unit_point> members = members_of(*a), asked = a->ask();
        for (std::size_t k = 0; k < asked.size(); ++k) {
            std::size_t length = 0, ends = 0;
            for (std::size_t i = 0; i < 10; ++i) {
                const bool differs = asked[k][i] != members[k][i];
                length += differs;
                ends += differs != (asked[k][(i + 1) % 10] != members[k][(i + 1) % 10]);
            }
            ASSERT_GE(length, 1u);
            ASSERT_EQ(ends, length == 10 ? 0u : 2u);
            changed += double(length), ++trials;
        }
        a->tell(evaluate(asked, sphere));
    }
    std::printf("mean length of the crossover %.3f over %.0f trials\n", changed / trials, trials);
    EXPECT_NEAR(changed / trials, (1 - std::pow(0.9, 10)) / 0.1, 0.25);
}

// jDE: a trial's F and CR, each re-drawn with probability 0.1 (F in [0.1, 1), CR in [0, 1)),
// stay with the member only if the trial wins: about 1 - 0.9^2 = 19% of 200 winners (38, sd 5.5)
// carry a new F or CR.
TEST(sade, a_member_takes_its_trials_F_and_CR_only_when_the_trial_wins) {
    auto a = make_sade(3, 200, 8);
    a->tell(std::vector<double>(200, 1.0));
    const nlohmann::json first = a->state();
    a->tell(std::vector<double>(200, 2.0));  // every trial loses
    EXPECT_EQ(a->state()["F"], first["F"]);
    EXPECT_EQ(a->state()["CR"], first["CR"]);
    a->tell(std::vector<double>(200, 0.0));  // every trial wins
    const std::vector<double> F0 = first["F"], CR0 = first["CR"];
    const std::vector<double> F = a->state()["F"], CR = a->state()["CR"];
    int renewed = 0;
    for (std::size_t k = 0; k < 200; ++k) {
        renewed += F[k] != F0[k] || CR[k] != CR0[k];
        EXPECT_TRUE(F[k] >= 0.1 && F[k] < 1 && CR[k] >= 0 && CR[k] < 1) << F[k] << " " << CR[k];
    }
    std::printf("%d of 200 winners with a new F or CR\n", renewed);
    EXPECT_GE(renewed, 20);
    EXPECT_LE(renewed, 60);
}

TEST(differential_evolution, refuses_malformed_numbers_in_its_state) {
    auto a = make_sade(2, 7, 1);
    drive(*a, 2);
    const nlohmann::json good = a->state();
    const auto refused = [&](factory make, const std::function<void(nlohmann::json&)>& spoil) {
        nlohmann::json s = good;
        spoil(s);
        auto b = make(2, 7, 1);
        EXPECT_THROW(b->restore(s), std::invalid_argument) << s.dump();
        EXPECT_EQ(b->generation(), 0u);  // nothing taken from a refused state
    };
    refused(make_de, [](nlohmann::json&) {});  // a SADE state
    refused(make_sade, [](nlohmann::json& s) { s["x"][3] = 1.5; });
    refused(make_sade, [](nlohmann::json& s) { s["x"].erase(0); });
    refused(make_sade, [](nlohmann::json& s) { s["fitness"][2] = "x"; });
    refused(make_sade, [](nlohmann::json& s) { s["fitness"].erase(0); });
    refused(make_sade, [](nlohmann::json& s) { s.erase("F"); });
    refused(make_sade, [](nlohmann::json& s) { s["CR"][0] = -0.1; });
}

TEST(differential_evolution, refuses_a_population_below_pagmos_minimum) {
    EXPECT_THROW(make_de(3, 4, 1), std::invalid_argument);
    EXPECT_NO_THROW(make_de(3, 5, 1));
    EXPECT_THROW(make_sade(3, 6, 1), std::invalid_argument);
    EXPECT_NO_THROW(make_sade(3, 7, 1));
    EXPECT_THROW(make_de(0, 8, 1), std::invalid_argument);
}

// ---- DE and SADE against pagmo::de and pagmo::sade

// pagmo's defaults (variant 2; F 0.8, CR 0.9 for de; jDE for sade) with its stopping tests off
// (ftol = xtol = 0); sade's memory off, as a single evolve() has no earlier F and CR to remember.
pagmo::algorithm pagmo_de(unsigned generations, unsigned seed) {
    return pagmo::algorithm{pagmo::de(generations, 0.8, 0.9, 2, 0, 0, seed + 1000)};
}

pagmo::algorithm pagmo_sade(unsigned generations, unsigned seed) {
    return pagmo::algorithm{pagmo::sade(generations, 2, 1, 0, 0, false, seed + 1000)};
}

const contender de_contender{"DE", make_de, pagmo_de};
const contender sade_contender{"SADE", make_sade, pagmo_sade};

// On sphere and Rosenbrock in 5 and 10 dimensions at population 20, with these budgets in
// generations (each above the slowest run of either): our median evaluations to 1e-8 within
// pagmo's seed-to-seed range, every run of both reaching it. 20 seeds each: with 5, pagmo's range
// is too narrow to be its spread (ours fell below it on the 10-D sphere, 3508 against 3649-3927
// for SADE with seeds 1-5).
void expect_like_pagmo(const contender& with, const std::size_t (&generations)[4]) {
    const test_function functions[] = {{"sphere", sphere, 5, 20, generations[0], 1e-8},
                                       {"sphere", sphere, 10, 20, generations[1], 1e-8},
                                       {"rosenbrock", rosenbrock, 5, 20, generations[2], 1e-8},
                                       {"rosenbrock", rosenbrock, 10, 20, generations[3], 1e-8}};
    for (const test_function& t : functions) {
        const comparison c = compare(t, with, 20);
        EXPECT_LT(c.ours.to_target.back(), inf);
        EXPECT_LT(c.pagmo.to_target.back(), inf);
        EXPECT_GE(c.ours.median_to_target(), c.pagmo.to_target.front());
        EXPECT_LE(c.ours.median_to_target(), c.pagmo.to_target.back());
    }
}

// Evaluations to 1e-8, seeds 1-20 as printed by the test (medians the 11th):
//                   ours    pagmo   pagmo's range
//   sphere 5-D      2846    2767    2133-3274
//   sphere 10-D     7442    7174    6477-8228
//   rosenbrock 5-D  7295    6954    6225-8182
//   rosenbrock 10-D 25340   24219   22952-27583
// With 200 seeds, the mean on sphere: 2845 against 2833 (5-D), 7286 against 7365 (10-D).
TEST(de_against_pagmo, sphere_and_rosenbrock) {
    expect_like_pagmo(de_contender, {200, 500, 500, 1500});
}

// As above for SADE (jDE):
//                   ours    pagmo   pagmo's range
//   sphere 5-D      1775    1736    1553-2010
//   sphere 10-D     3693    3817    3298-4150
//   rosenbrock 5-D  11258   11291   8039-13587
//   rosenbrock 10-D 50470   56193   39354-62202
// With 200 seeds, the mean on sphere: 1753 against 1747 (5-D), 3731 against 3724 (10-D).
TEST(sade_against_pagmo, sphere_and_rosenbrock) {
    expect_like_pagmo(sade_contender, {150, 250, 1000, 4000});
}

}  // namespace
