// The time grid: NEURON's step count and accumulated times, and the step an event joins.
#include "core/base/error.hpp"
#include "core/engine/time_grid.hpp"

#include <gtest/gtest.h>

TEST(TimeGrid, CountsStepsAsNeuronDoes) {
    // ncs2nrn_integrate: int(tstop/dt + 1e-9), so 1 ms of 0.025 ms steps is 40 steps, not 39.
    EXPECT_EQ(m1::time_grid(1.0, 0.025).steps(), 40u);
    EXPECT_EQ(m1::time_grid(400, 0.05).steps(), 8000u);
    EXPECT_EQ(m1::time_grid(1.0, 0.025).dt(), 0.025);
}

TEST(TimeGrid, AccumulatesHalfStepsLikeNeuron) {
    const m1::time_grid grid(10, 0.025);
    double t = 0;
    for (std::size_t n = 0; n < 100; ++n) {
        EXPECT_EQ(grid.start(n), t) << n;
        t += 0.5 * 0.025;
        EXPECT_EQ(grid.mid(n), t) << n;
        t += 0.5 * 0.025;
    }
    EXPECT_NE(grid.start(99), 99 * 0.025) << "the accumulated time is not n*dt";
}

TEST(TimeGrid, AnEventJoinsTheFirstStepWhoseMiddleItDoesNotExceed) {
    const m1::time_grid grid(10, 0.025);
    EXPECT_EQ(grid.step_of(-1.0), 0u);
    EXPECT_EQ(grid.step_of(0.0), 0u);
    EXPECT_EQ(grid.step_of(grid.mid(0)), 0u);
    EXPECT_EQ(grid.step_of(grid.mid(3)), 3u);
    EXPECT_EQ(grid.step_of(grid.mid(3) + 1e-12), 4u);
    EXPECT_EQ(grid.step_of(grid.start(200)), 200u);
    EXPECT_EQ(grid.step_of(1e6), 402u) << "past the end: the number of middles kept";
}

TEST(TimeGrid, RefusesANonPositiveStepOrDuration) {
    EXPECT_THROW(m1::time_grid(1.0, 0.0), m1::run_error);
    EXPECT_THROW(m1::time_grid(1.0, -0.025), m1::run_error);
    EXPECT_THROW(m1::time_grid(0.0, 0.025), m1::run_error);
}
