// The stimulation sources: NetStim processes, each cell's NetStim, VecStim and IClamp
// stimulations, and the artificial cells of NetStim and VecStim populations.
#include "core/engine/stimuli.hpp"
#include "engine_test_models.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace {

// One cell with a VecStim stimulation (events at 2 and 3 ms, delay 1, weight 0.01) and an IClamp
// of 0.5 nA from 5 ms for 2 ms, beside a VecStim population.
struct stimulated {
    m1::model_spec model = m1::test::model_with(
        R"("E": {"cellModel": "Izhi", "cellType": "RS", "numCells": 1},
           "pre": {"cellModel": "VecStim", "numCells": 1, "spkTimes": [1, 7.5]})",
        R"(, "stimSourceParams": {"play": {"type": "VecStim", "spkTimes": [2, 3]},
                                  "clamp": {"type": "IClamp", "del": 5, "dur": 2, "amp": 0.5}},
           "stimTargetParams": {"play->E": {"source": "play", "conds": {"pop": "E"},
                                            "synMech": "AMPA", "weight": 0.01, "delay": 1},
                                "clamp->E": {"source": "clamp", "conds": {"pop": "E"}}})");
    m1::recipe recipe{model};
    m1::network net = m1::build_network(recipe);
    m1::time_grid grid{10, 0.05};
    m1::synapse_lanes lanes{recipe, net, 0.05, 64};
    m1::cell_stimuli stimuli{recipe, net, lanes, grid, 64};
};

}  // namespace

TEST(NetStimProcess, StartsAtItsStartAndFiresNumberTimes) {
    m1::netstim_process p(10, 0, 2, m1::stream_key{1, 2, 3});
    p.start(5);
    EXPECT_TRUE(p.on);
    EXPECT_EQ(p.next_time, 5.0) << "noise 0: start + interval - interval";
    p.fire();
    EXPECT_EQ(p.next_time, 15.0);
    EXPECT_TRUE(p.on);
    p.fire();
    EXPECT_FALSE(p.on) << "number = 2 events";
    m1::netstim_process never(10, 0, 2, m1::stream_key{1, 2, 3});
    never.start(-1);
    EXPECT_FALSE(never.on) << "a negative start never starts";
}

TEST(CellStimuli, PlayedEventsJoinTheirArrivalSteps) {
    stimulated s;
    const std::size_t first = s.grid.step_of(3.0), second = s.grid.step_of(4.0);
    for (std::size_t n = 0; n < first; ++n) {
        double in[m1::group_size] = {};
        s.stimuli.add_events(0, n, in);
        EXPECT_EQ(in[0], 0.0) << n;
    }
    EXPECT_TRUE(s.stimuli.due(0, first));
    double in[m1::group_size] = {};
    s.stimuli.add_events(0, first, in);
    EXPECT_EQ(in[0], 0.01 * s.lanes.factor[0]);
    double later[m1::group_size] = {};
    s.stimuli.add_events(0, second, later);
    EXPECT_EQ(later[0], 0.01 * s.lanes.factor[0]);
}

TEST(CellStimuli, TheClampInjectsItsAmplitudeWhileOn) {
    const stimulated s;
    EXPECT_TRUE(s.stimuli.due(0, 0)) << "a cell with a clamp has work every step";
    double rhs = 0, diag = 0;
    s.stimuli.add_clamps(0, 4.9, 2.0, rhs, diag);
    EXPECT_EQ(rhs, 0.0);
    s.stimuli.add_clamps(0, 5.5, 2.0, rhs, diag);
    EXPECT_EQ(rhs, 0.5 * 2.0);
    EXPECT_EQ(diag, 0.0);
    rhs = 0;
    s.stimuli.add_clamps(0, 7.0, 2.0, rhs, diag);
    EXPECT_EQ(rhs, 0.0) << "off at del + dur";
}

TEST(ArtificialCells, EmitTheirSpikesEpochByEpoch) {
    const stimulated s;
    m1::artificial_cells artificial(s.recipe, s.grid);
    std::vector<m1::spike> out;
    std::vector<std::size_t> steps;
    artificial.emit(0, 100, out, steps);  // up to 5 ms
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].time, 1.0);
    EXPECT_EQ(out[0].gid, 1u);
    EXPECT_EQ(steps[0], s.grid.step_of(1.0));
    artificial.emit(100, 200, out, steps);
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[1].time, 7.5);
    artificial.emit(200, 200, out, steps);
    EXPECT_EQ(out.size(), 2u) << "each spike once";
}
