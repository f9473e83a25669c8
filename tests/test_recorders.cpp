// The recorders: soma-voltage traces and the LFP proxy's synaptic-current sums, sampled group by
// group and handed to the result.
#include "core/base/error.hpp"
#include "core/engine/recorders.hpp"
#include "core/engine/simulation.hpp"
#include "engine_test_models.hpp"

#include <gtest/gtest.h>

namespace {

// 70 cells after a NetStim population of 2 (gids 2..71 are slots 0..69).
struct cells_and_lanes : m1::test::cells_and_lanes {
    cells_and_lanes()
        : m1::test::cells_and_lanes(m1::test::model_with(
              R"("src": {"cellModel": "NetStim", "numCells": 2, "rate": 10},
                 "E": {"cellModel": "Izhi", "cellType": "RS", "numCells": 70})",
              R"(, "connParams": {"in": {"preConds": {"pop": "src"}, "postConds": {"pop": "E"},
                  "synMech": "AMPA", "weight": 0.002, "delay": 1}})")) {}
};

}  // namespace

TEST(VoltageTraces, SampleTheTracedCellsOfEachGroup) {
    cells_and_lanes b;
    m1::voltage_traces traces(b.cells, b.net, {{2, 71}, 0.1}, 0.05);
    EXPECT_FALSE(traces.due(0));
    EXPECT_TRUE(traces.due(1)) << "every 2 steps, after the step";
    b.cells.v_soma[0] = -10;
    b.cells.v_soma[69] = -20;
    traces.sample(0, 0, 64, 1, 0);
    traces.sample(1, 64, 70, 1, 0);
    m1::simulation_result result;
    traces.finish(result);
    ASSERT_EQ(result.traces.size(), 2u);
    EXPECT_EQ(result.traces[0], (std::vector<double>{-60, -10})) << "the initial v first";
    EXPECT_EQ(result.traces[1], (std::vector<double>{-60, -20}));
}

TEST(VoltageTraces, RefuseArtificialCellsAndAStepThatIsNotWhole) {
    const cells_and_lanes b;
    EXPECT_THROW(m1::voltage_traces(b.cells, b.net, {{0}, 0.1}, 0.05), m1::run_error);
    EXPECT_THROW(m1::voltage_traces(b.cells, b.net, {{200}, 0.1}, 0.05), m1::run_error);
    EXPECT_THROW(m1::voltage_traces(b.cells, b.net, {{2}, 0.125}, 0.05), m1::run_error);
}

TEST(CurrentSums, AddEachElectrodesCellsByClassInGroupOrder) {
    cells_and_lanes b;
    std::vector<std::int16_t> electrode_of_gid(72, -1);
    electrode_of_gid[2] = 0;   // slot 0, group 0
    electrode_of_gid[71] = 1;  // slot 69, group 1
    const std::vector<std::uint8_t> classes{2};  // AMPA counted as inhibitory here
    const m1::current_sums_spec spec{electrode_of_gid, 2, classes, 4};
    m1::current_sums sums(b.cells, b.lanes, b.net, spec, 16, 8);
    EXPECT_TRUE(sums.due(3));
    EXPECT_FALSE(sums.due(4));
    b.lanes.B[0] = 0.003;   // g = B - A of slot 0
    b.lanes.B[69] = 0.001;  // slot 69
    sums.sample(0, 0, 64, 7, 0);   // sample 1 of the epoch [0, 8)
    sums.sample(1, 64, 70, 7, 0);
    sums.end_epoch(0, 8);
    m1::simulation_result result;
    sums.finish(result);
    ASSERT_EQ(result.inhibitory_sums.size(), 8u) << "16 steps / 4, 2 electrodes";
    EXPECT_EQ(result.excitatory_sums, std::vector<double>(8, 0.0));
    EXPECT_EQ(result.inhibitory_sums[2], 0.003 * 60) << "|g (v - e)|, v = -60, e = 0";
    EXPECT_EQ(result.inhibitory_sums[3], 0.001 * 60);
    EXPECT_EQ(result.inhibitory_sums[0], 0.0);
}

TEST(CurrentSums, RefuseAnIntervalUnderOneStep) {
    const cells_and_lanes b;
    const std::vector<std::int16_t> electrode_of_gid(72, 0);
    const std::vector<std::uint8_t> classes{1};
    const m1::current_sums_spec spec{electrode_of_gid, 1, classes, 0};
    EXPECT_THROW(m1::current_sums(b.cells, b.lanes, b.net, spec, 16, 8), m1::run_error);
}
