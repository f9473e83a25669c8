// The cell block: parameters, tree coefficients and initial state per slot, padded to whole
// groups, and the threshold checks at the start of a step.
#include "core/engine/izhikevich_cells.hpp"
#include "engine_test_models.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace {

struct block {
    m1::model_spec model = m1::test::model_with(
        R"("src": {"cellModel": "NetStim", "numCells": 2, "rate": 10},
           "E": {"cellModel": "Izhi", "cellType": "RS", "numCells": 70})");
    m1::recipe recipe{model};
    m1::network net = m1::build_network(recipe);
    m1::izhikevich_cells cells{recipe, net, 0.05};
};

}  // namespace

TEST(IzhikevichCells, PadsToWholeGroupsWithCopiesOfTheLastCell) {
    const block b;
    EXPECT_EQ(b.cells.cells, 70u) << "artificial cells are not simulated";
    EXPECT_EQ(b.cells.groups, 2u);
    EXPECT_EQ(b.cells.padded, 128u);
    EXPECT_EQ(m1::padded_cells(64), 64u);
    EXPECT_EQ(m1::padded_cells(65), 128u);
    for (const auto* v : {&b.cells.C, &b.cells.v_soma, &b.cells.u, &b.cells.cap_d})
        ASSERT_EQ(v->size(), 128u);
    EXPECT_EQ(b.cells.k[127], b.cells.k[69]);
    EXPECT_EQ(b.cells.A_s[127], b.cells.A_s[69]);
}

TEST(IzhikevichCells, StartsAsFinitializeLeavesThem) {
    const block b;
    for (std::size_t s = 0; s < b.cells.padded; ++s) {
        EXPECT_EQ(b.cells.v_soma[s], -60.0) << "the t = 0 self-event sets v to vr";
        EXPECT_EQ(b.cells.u[s], 0.2 * -60.0);
        EXPECT_EQ(b.cells.v_root[s], -65.0);
        EXPECT_EQ(b.cells.v_end[s], -65.0);
        EXPECT_EQ(b.cells.threshold[s], 10.0);
        EXPECT_EQ(b.cells.celltype[s], 1);
        EXPECT_EQ(b.cells.b_above[s], -2.0);
        EXPECT_EQ(b.cells.b_below[s], -2.0);
        EXPECT_EQ(b.cells.fs_mask[s], 0.0);
        EXPECT_EQ(b.cells.peak_u[s], 0.0);
    }
    EXPECT_EQ(b.cells.first_non_finite(), b.cells.padded);
}

TEST(IzhikevichCells, TreeCoefficientsFollowTheSomaGeometry) {
    const block b;
    const double pi = 3.14159265358979323846, area = pi * 10 * 10;
    EXPECT_EQ(b.cells.point_factor[0], 1.e2 / area);
    EXPECT_EQ(b.cells.cap_d[0], (.001 / 0.05) * 31.831);
    EXPECT_EQ(b.cells.solve_pe[0], b.cells.A_e[0] / (0.0 - b.cells.B_e[0]));
    EXPECT_EQ(b.cells.A_s[0], b.cells.B_e[0]);
    EXPECT_EQ(b.cells.B_s[0], b.cells.A_e[0]);
}

TEST(IzhikevichCells, DetectsEachUpwardCrossingOnce) {
    block b;
    b.cells.v_soma[3] = 20;
    EXPECT_TRUE(b.cells.detect_spike(3));
    EXPECT_FALSE(b.cells.detect_spike(3)) << "still above: no second spike";
    b.cells.v_soma[3] = 0;
    EXPECT_FALSE(b.cells.detect_spike(3));
    EXPECT_EQ(b.cells.spike_flag[3], 0);
    b.cells.v_soma[3] = 20;
    EXPECT_TRUE(b.cells.detect_spike(3)) << "re-armed below threshold";
}

TEST(IzhikevichCells, TheWatchResetsOncePerCrossing) {
    block b;
    b.cells.v_soma[5] = 40;
    const double u = b.cells.u[5];
    b.cells.watch_peak(5, 40);
    EXPECT_EQ(b.cells.v_soma[5], -50.0) << "v = c";
    EXPECT_EQ(b.cells.u[5], u + 100) << "u += d";
    b.cells.v_soma[5] = 40;
    b.cells.watch_peak(5, 40);
    EXPECT_EQ(b.cells.v_soma[5], 40.0) << "the WATCH fires once until v falls below the peak";
    b.cells.watch_peak(5, 0);
    EXPECT_EQ(b.cells.watch_flag[5], 0);
}

TEST(IzhikevichCells, FindsANonFiniteState) {
    block b;
    b.cells.u[17] = std::nan("");
    EXPECT_EQ(b.cells.first_non_finite(), 17u);
}
