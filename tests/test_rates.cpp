// Population rates on small trains computed by hand: mean and per-cell rates, ISI CV (population
// std, cells with >= 3 spikes), silent fraction, and the window (closed, as the run summary's).
#include "analysis/rates.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>

namespace {

using namespace m1::analysis;

// A population train from each cell's spike times, merged in time order as the run file has them.
population_train train_of(std::uint32_t cells, const std::map<std::uint64_t, std::vector<double>>& by_cell) {
    std::vector<std::pair<double, std::uint64_t>> all;
    for (const auto& [id, ts] : by_cell)
        for (double t : ts) all.emplace_back(t, id);
    std::sort(all.begin(), all.end());
    population_train p{.name = "P", .cells = cells, .mean_ynorm = 0, .times = {}, .node_ids = {}};
    for (const auto& [t, id] : all) {
        p.times.push_back(t);
        p.node_ids.push_back(id);
    }
    return p;
}

// Cell 0 regular (CV 0), cell 1 ISIs 100, 200, 300 (CV sqrt(20000/3)/200), cell 2 two spikes (no
// CV), cell 3 silent.
population_train four_cells() {
    return train_of(4, {{0, {100, 200, 300, 400, 500, 600, 700, 800, 900}},
                        {1, {0, 100, 300, 600}},
                        {2, {150, 1000}}});
}

const double cv_cell1 = std::sqrt(20000.0 / 3.0) / 200.0;  // np.std([100, 200, 300]) / 200

TEST(Rates, WholeRunByHand) {
    const population_rates r = rates_of(four_cells(), {0, 1000});
    EXPECT_DOUBLE_EQ(r.rate_hz, 15.0 / 4 / 1.0);
    ASSERT_EQ(r.cell_rates_hz.size(), 4u);
    EXPECT_DOUBLE_EQ(r.cell_rates_hz[0], 9.0);
    EXPECT_DOUBLE_EQ(r.cell_rates_hz[1], 4.0);
    EXPECT_DOUBLE_EQ(r.cell_rates_hz[2], 2.0);  // its spike at t = stop counts
    EXPECT_DOUBLE_EQ(r.cell_rates_hz[3], 0.0);
    EXPECT_DOUBLE_EQ(r.silent_fraction, 0.25);
    EXPECT_NEAR(r.cv_isi, (0.0 + cv_cell1) / 2, 1e-15);
}

TEST(Rates, RegularTrainHasCvZeroAndKnownIsisTheirCv) {
    EXPECT_EQ(rates_of(train_of(1, {{0, {10, 20, 30, 40, 50}}}), {0, 100}).cv_isi, 0.0);
    EXPECT_NEAR(rates_of(train_of(1, {{0, {0, 100, 300, 600}}}), {0, 1000}).cv_isi, cv_cell1, 1e-15);
    // ISIs 1 and 3: mean 2, population std 1 (not the sample std sqrt(2)).
    EXPECT_NEAR(rates_of(train_of(1, {{0, {5, 6, 9}}}), {0, 10}).cv_isi, 0.5, 1e-15);
}

TEST(Rates, CvNeedsThreeSpikesInTheWindow) {
    const population_rates r = rates_of(train_of(2, {{0, {1, 2}}, {1, {5}}}), {0, 10});
    EXPECT_TRUE(std::isnan(r.cv_isi));
    // Cell 1 of four_cells has 4 spikes in all, but two in [250, 650]: no CV from it.
    const population_rates w = rates_of(four_cells(), {250, 650});
    EXPECT_EQ(w.cv_isi, 0.0);  // only cell 0 (300, ..., 600) qualifies
}

TEST(Rates, WindowHonouredAndClosed) {
    // [150, 600]: cell 0 has 200..600 (5, 600 at the end included), cell 1 300 and 600,
    // cell 2 150 (at the start, included); cell 3 silent.
    const population_rates r = rates_of(four_cells(), {150, 600});
    EXPECT_DOUBLE_EQ(r.rate_hz, 8.0 / 4 / 0.45);
    EXPECT_DOUBLE_EQ(r.cell_rates_hz[0], 5 / 0.45);
    EXPECT_DOUBLE_EQ(r.cell_rates_hz[1], 2 / 0.45);
    EXPECT_DOUBLE_EQ(r.cell_rates_hz[2], 1 / 0.45);
    EXPECT_DOUBLE_EQ(r.silent_fraction, 0.25);
    EXPECT_EQ(r.cv_isi, 0.0);
    // A window with no spike of cells 1 and 2.
    const population_rates late = rates_of(four_cells(), {700, 950});
    EXPECT_DOUBLE_EQ(late.silent_fraction, 0.75);
    EXPECT_DOUBLE_EQ(late.rate_hz, 3.0 / 4 / 0.25);
}

TEST(Rates, MeanRateIsTheRunSummarys) {
    // The run summary counts 0 <= t <= duration over cells and seconds.
    const population_train p = train_of(3, {{0, {0.0, 499.95, 1000.0}}, {2, {250.0}}});
    EXPECT_DOUBLE_EQ(rates_of(p, {0, 1000}).rate_hz, 4.0 / 3 / 1.0);
}

TEST(Rates, NoCellsAndBadInput) {
    const population_rates empty = rates_of(train_of(0, {}), {0, 1000});
    EXPECT_EQ(empty.rate_hz, 0.0);
    EXPECT_EQ(empty.silent_fraction, 0.0);
    EXPECT_TRUE(empty.cell_rates_hz.empty());
    EXPECT_THROW(rates_of(four_cells(), {100, 100}), std::invalid_argument);
    EXPECT_THROW(rates_of(train_of(2, {{2, {1.0}}}), {0, 10}), std::invalid_argument);
    population_train bad = four_cells();
    bad.node_ids.pop_back();
    EXPECT_THROW(rates_of(bad, {0, 1000}), std::invalid_argument);
    // A node id beyond the cells outside the window is not looked at.
    EXPECT_NO_THROW(rates_of(train_of(2, {{2, {50.0}}}), {0, 10}));
}

}  // namespace

// NetPyNE's plotSpikeStats counts a cell in the CV only with more than 10 spikes (netpyne mode).
TEST(Rates, CvMinimumSpikesIsAParameter) {
    // Cell 0: 5 spikes, ISIs 10, 10, 20, 20 (mean 15, std 5: CV 1/3); cell 1: 11 spikes every 10 ms.
    const auto t = train_of(2, {{0, {0, 10, 20, 40, 60}},
                                {1, {0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100}}});
    const window w{0, 200};
    EXPECT_NEAR(rates_of(t, w).cv_isi, (1.0 / 3.0 + 0.0) / 2, 1e-12);  // both cells
    EXPECT_EQ(rates_of(t, w, 11).cv_isi, 0.0);                         // cell 1 only
    EXPECT_TRUE(std::isnan(rates_of(t, w, 12).cv_isi));                // no cell
}
