// How a candidate's activity scores against a search's objectives (batch/fitness.hpp): NetPyNE's
// form (exp of the deviation in widths, maxFitness at or below `min` and as a cap), the squared
// form, ranges, weights, and values a run did not give.
#include "batch/fitness.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace {

using namespace m1::batch;

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

objective target(const std::string& column, double t, double width, std::optional<double> min = {},
                 double weight = 1) {
    objective o;
    o.column = column;
    o.target = t;
    o.width = width;
    o.min = min;
    o.weight = weight;
    return o;
}

objective range(const std::string& column, double lo, double hi) {
    objective o;
    o.column = column;
    o.range = std::array<double, 2>{lo, hi};
    o.width = hi - lo;  // as load_search gives a range without width
    return o;
}

search_spec with(std::vector<objective> objectives, fitness_kind kind = fitness_kind::netpyne) {
    search_spec s;
    s.objectives = std::move(objectives);
    s.fitness = kind;
    return s;
}

// NetPyNE's examples/evolutionary fitnessFunc:
//   min(exp(abs(target - rate) / width), maxFitness) if rate > min else maxFitness
TEST(Fitness, NetpyneScoresAsNetpyneFitnessFunc) {
    const search_spec s = with({target("rate_hz:S", 5, 2, 2)});
    const objective& o = s.objectives[0];
    EXPECT_DOUBLE_EQ(objective_score(s, o, 7), std::exp(1.0));
    EXPECT_DOUBLE_EQ(objective_score(s, o, 5), 1.0);
    EXPECT_DOUBLE_EQ(objective_score(s, o, 2.5), std::exp(1.25));
    EXPECT_EQ(objective_score(s, o, 2.0), 1000);  // not above min
    EXPECT_EQ(objective_score(s, o, 0.0), 1000);
    EXPECT_EQ(objective_score(s, o, 40), 1000);   // exp(17.5) capped at maxFitness
    EXPECT_EQ(objective_score(s, o, nan), 1000);  // no value: the worst
}

TEST(Fitness, RangesCostNothingInsideAndCountWidthsOutside) {
    const search_spec s = with({range("peak_hz", 10, 20)});
    const objective& o = s.objectives[0];
    EXPECT_EQ(deviation(o, 15), 0);
    EXPECT_EQ(deviation(o, 10), 0);
    EXPECT_DOUBLE_EQ(deviation(o, 25), 0.5);
    EXPECT_DOUBLE_EQ(deviation(o, 5), 0.5);
    objective narrow = o;
    narrow.width = 2;
    EXPECT_DOUBLE_EQ(deviation(narrow, 25), 2.5);
    EXPECT_DOUBLE_EQ(objective_score(s, o, 25), std::exp(0.5));
}

TEST(Fitness, SquaredIsTheSquaredDeviationCappedAtMaxFitness) {
    search_spec s = with({target("rate_hz", 5, 2)}, fitness_kind::squared);
    s.max_fitness = 50;
    const objective& o = s.objectives[0];
    EXPECT_DOUBLE_EQ(objective_score(s, o, 8), 2.25);
    EXPECT_EQ(objective_score(s, o, 100), 50);
    EXPECT_EQ(objective_score(s, o, nan), 50);
}

TEST(Fitness, AWeightedMeanOfTheObjectives) {
    const search_spec s = with({target("rate_hz:A", 5, 1, {}, 1), target("rate_hz:B", 10, 1, {}, 3)},
                               fitness_kind::squared);
    EXPECT_DOUBLE_EQ(fitness_of(s, {7, 11}), (1 * 4 + 3 * 1) / 4.0);
    EXPECT_EQ(fitness_of(s, {nan, nan}), 1000);
}

TEST(Fitness, ObjectiveValuesAreTheirColumnsAmongTheMeasures) {
    const search_spec s = with({target("rate_hz:B", 5, 1), target("peak_hz", 15, 2)});
    const auto values = objective_values(s, {{"rate_hz", 3}, {"rate_hz:B", 4.5}, {"rate_hz:A", 1}});
    ASSERT_EQ(values.size(), 2u);
    EXPECT_EQ(values[0], 4.5);
    EXPECT_TRUE(std::isnan(values[1]));  // the run was not analysed for peak_hz
}

}  // namespace
