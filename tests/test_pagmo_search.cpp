// pagmo's pso_gen and nsga2 replayed generation by generation (batch/pagmo_search.hpp): the
// candidates are exactly those of pagmo's own uninterrupted evolve() over the whole budget,
// whatever restores happen in between; state, budget and refusals.
#include "batch/pagmo_search.hpp"

#include <gtest/gtest.h>
#include <pagmo/algorithms/nsga2.hpp>
#include <pagmo/algorithms/pso_gen.hpp>
#include <pagmo/bfe.hpp>
#include <pagmo/population.hpp>
#include <pagmo/problem.hpp>

#include <cmath>
#include <functional>
#include <limits>
#include <memory>
#include <vector>

namespace {

using namespace m1::batch;
using batches = std::vector<pagmo::vector_double>;

// Two objectives on the unit cube (the distance to 0.2 and to 0.7 in every coordinate): a front
// of compromises between them.
std::vector<double> two_targets(const std::vector<double>& u) {
    double a = 0, b = 0;
    for (double x : u) a += (x - 0.2) * (x - 0.2), b += (x - 0.7) * (x - 0.7);
    return {a, b};
}

std::vector<double> sphere(const std::vector<double>& u) {
    double f = 0;
    for (double x : u) f += (x - 0.3) * (x - 0.3);
    return {f};
}

using objective_fn = std::function<std::vector<double>(const std::vector<double>&)>;

// The problem as pagmo's own run sees it, with every batch it evaluates recorded.
struct cube_problem {
    std::size_t dimension = 1, objectives = 1;
    pagmo::vector_double fitness(const pagmo::vector_double&) const { throw std::logic_error("batch only"); }
    std::pair<pagmo::vector_double, pagmo::vector_double> get_bounds() const {
        return {pagmo::vector_double(dimension, 0.0), pagmo::vector_double(dimension, 1.0)};
    }
    pagmo::vector_double::size_type get_nobj() const { return objectives; }
};

struct recording_evaluator {
    objective_fn f;
    std::size_t dimension = 1;
    std::shared_ptr<batches> asked = std::make_shared<batches>();
    pagmo::vector_double operator()(const pagmo::problem&, const pagmo::vector_double& dvs) const {
        asked->push_back(dvs);
        pagmo::vector_double out;
        for (std::size_t k = 0; k < dvs.size() / dimension; ++k) {
            const std::vector<double> x(dvs.begin() + std::ptrdiff_t(k * dimension),
                                        dvs.begin() + std::ptrdiff_t((k + 1) * dimension));
            for (double v : f(x)) out.push_back(v);
        }
        return out;
    }
};

// pagmo's own run: the initial population and one evolve() over the rest of the budget.
template <class Algorithm>
batches pagmo_run(Algorithm algorithm, std::size_t dimension, std::size_t objectives,
                  std::size_t population, std::uint64_t seed, const objective_fn& f) {
    const recording_evaluator recorder{f, dimension};
    const pagmo::bfe evaluator{recorder};
    pagmo::population pop(pagmo::problem{cube_problem{dimension, objectives}}, evaluator, population,
                          pagmo_seeds_of(seed).population);
    algorithm.set_bfe(evaluator);
    algorithm.evolve(pop);
    return *recorder.asked;
}

pagmo::vector_double flatten(const std::vector<unit_point>& points) {
    pagmo::vector_double x;
    for (const unit_point& p : points) x.insert(x.end(), p.begin(), p.end());
    return x;
}

// Ours, a generation at a time; with `restart_every`, each generation from a fresh object restored
// from the previous one's state as text (as a resumed search does).
batches ours(const std::function<std::unique_ptr<search_algorithm>()>& make, std::size_t generations,
             const objective_fn& f, bool restart_every = false) {
    batches asked;
    std::unique_ptr<search_algorithm> a = make();
    for (std::size_t g = 0; g < generations; ++g) {
        if (restart_every) {
            const std::string text = a->state().dump();
            a = make();
            a->restore(nlohmann::json::parse(text));
        }
        const std::vector<unit_point> points = a->ask();
        asked.push_back(flatten(points));
        std::vector<double> told;
        for (const unit_point& p : points)
            for (double v : f(p)) told.push_back(v);
        a->tell(told);
    }
    return asked;
}

TEST(pagmo_search, pso_proposes_what_pagmos_own_uninterrupted_run_proposes) {
    for (std::uint64_t seed : {1u, 7u, 123456789u}) {
        const auto make = [&] { return make_pso(3, 6, 12, seed); };
        const batches expected =
            pagmo_run(pagmo::pso_gen(11, 0.7298, 2.05, 2.05, 0.5, 5u, 2u, 4u, false,
                                     pagmo_seeds_of(seed).algorithm),
                      3, 1, 6, seed, sphere);
        ASSERT_EQ(expected.size(), 12u);  // the initial population and one batch per generation
        EXPECT_EQ(ours(make, 12, sphere), expected) << "seed " << seed;
        EXPECT_EQ(ours(make, 12, sphere, /*restart_every=*/true), expected) << "seed " << seed;
    }
}

TEST(pagmo_search, nsga2_proposes_what_pagmos_own_uninterrupted_run_proposes) {
    for (std::uint64_t seed : {1u, 42u}) {
        const auto make = [&] { return make_nsga2(4, 8, 2, 10, seed); };
        const batches expected = pagmo_run(
            pagmo::nsga2(9, 0.95, 10., 0.01, 50., pagmo_seeds_of(seed).algorithm), 4, 2, 8, seed, two_targets);
        ASSERT_EQ(expected.size(), 10u);
        EXPECT_EQ(ours(make, 10, two_targets), expected) << "seed " << seed;
        EXPECT_EQ(ours(make, 10, two_targets, /*restart_every=*/true), expected) << "seed " << seed;
    }
}

TEST(pagmo_search, pso_finds_the_sphere_minimum) {
    auto a = make_pso(3, 10, 40, 3);
    double best = std::numeric_limits<double>::infinity();
    for (std::size_t g = 0; g < 40; ++g) {
        std::vector<double> told;
        for (const unit_point& p : a->ask()) told.push_back(sphere(p)[0]);
        for (double f : told) best = std::min(best, f);
        a->tell(told);
    }
    EXPECT_LT(best, 1e-4);  // 400 evaluations of a 3-D sphere; from 0.1-0.3 at random
}

TEST(pagmo_search, asking_changes_nothing_and_the_budget_ends_it) {
    auto a = make_nsga2(2, 8, 2, 3, 5);
    EXPECT_EQ(a->objectives(), 2u);
    for (std::size_t g = 0; g < 3; ++g) {
        const auto first = a->ask();
        EXPECT_EQ(a->ask(), first);
        EXPECT_THROW(a->tell(std::vector<double>(8, 1.0)), std::invalid_argument);  // 8, not 16
        std::vector<double> told;
        for (const unit_point& p : first)
            for (double v : two_targets(p)) told.push_back(v);
        a->tell(told);
    }
    EXPECT_EQ(a->generation(), 3u);
    EXPECT_THROW(a->ask(), std::logic_error);
}

TEST(pagmo_search, failed_candidates_are_the_worst_and_break_nothing) {
    for (auto make : {std::function([] { return make_pso(2, 4, 5, 1); }),
                      std::function([] { return make_nsga2(2, 8, 2, 5, 1); })}) {
        auto a = make();
        for (std::size_t g = 0; g < 5; ++g) {
            const auto points = a->ask();
            std::vector<double> told(points.size() * a->objectives(), 1.0);
            told[0] = std::numeric_limits<double>::quiet_NaN();
            told[1] = std::numeric_limits<double>::infinity();
            a->tell(told);
            for (const unit_point& p : points)
                for (double x : p) EXPECT_TRUE(x >= 0 && x <= 1);
        }
        auto b = make();
        EXPECT_NO_THROW(b->restore(nlohmann::json::parse(a->state().dump())));  // no inf in JSON
    }
}

TEST(pagmo_search, refuses_what_pagmo_would_and_states_of_other_searches) {
    EXPECT_THROW(make_nsga2(2, 8, 1, 5, 1), std::invalid_argument);   // one objective
    EXPECT_THROW(make_nsga2(2, 10, 2, 5, 1), std::invalid_argument);  // not a multiple of 4
    EXPECT_THROW(make_nsga2(2, 4, 2, 5, 1), std::invalid_argument);   // below 8
    EXPECT_THROW(make_pso(2, 1, 5, 1), std::invalid_argument);        // below 2
    EXPECT_THROW(make_pso(2, 4, 0, 1), std::invalid_argument);        // no budget
    auto a = make_pso(2, 4, 5, 1);
    a->tell(std::vector<double>(4, 1.0));
    const nlohmann::json state = a->state();
    EXPECT_THROW(make_pso(2, 4, 6, 1)->restore(state), std::invalid_argument);  // another budget
    EXPECT_THROW(make_pso(3, 4, 5, 1)->restore(state), std::invalid_argument);  // another dimension
    EXPECT_THROW(make_nsga2(2, 8, 2, 5, 1)->restore(state), std::invalid_argument);
    nlohmann::json short_told = state;
    short_told["told"] = nlohmann::json::array();
    EXPECT_THROW(make_pso(2, 4, 5, 1)->restore(short_told), std::invalid_argument);
    nlohmann::json bad_value = state;
    bad_value["told"][0] = "x";
    EXPECT_THROW(make_pso(2, 4, 5, 1)->restore(bad_value), std::invalid_argument);
}

}  // namespace
