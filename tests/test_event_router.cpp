// Event routing: epochs as long as the shortest delay allows, and a spike's synaptic input in the
// input block of the step it lands in.
#include "core/base/error.hpp"
#include "core/engine/event_router.hpp"
#include "engine_test_models.hpp"

#include <gtest/gtest.h>

namespace {

// A VecStim cell (gid 0) driving 70 cells with weight 0.05 at `delay`.
m1::model_spec driven(const std::string& delay) {
    return m1::test::model_with(
        R"("pre": {"cellModel": "VecStim", "numCells": 1, "spkTimes": [1]},
           "E": {"cellModel": "Izhi", "cellType": "RS", "numCells": 70})",
        R"(, "connParams": {"drive": {"preConds": {"pop": "pre"}, "postConds": {"pop": "E"},
            "synMech": "AMPA", "weight": 0.05, "delay": )" + delay + "}}");
}

}  // namespace

namespace {

// Ten cells connected among themselves at `delay`, routed with dt = 0.05 ms.
struct recurrent {
    explicit recurrent(const std::string& delay)
        : model(m1::test::model_with(
              R"("E": {"cellModel": "Izhi", "cellType": "RS", "numCells": 10})",
              R"(, "connParams": {"EE": {"preConds": {"pop": "E"}, "postConds": {"pop": "E"},
                  "synMech": "AMPA", "weight": 0.001, "delay": )" + delay + "}}")) {}
    m1::model_spec model;
    m1::recipe recipe{model};
    m1::network net = m1::build_network(recipe);
    m1::time_grid grid{100, 0.05};
    m1::synapse_lanes lanes{recipe, net, 0.05, 64};
};

}  // namespace

TEST(EventRouter, EpochsAreAsLongAsTheShortestCellDelay) {
    const recurrent r("2");
    const m1::event_router router(r.net, r.lanes, r.grid, 1, 2);
    EXPECT_EQ(router.epoch_steps(), 40u) << "2 ms of 0.05 ms steps";
    EXPECT_EQ(router.partitions(), 1u) << "never more partitions than groups";
}

TEST(EventRouter, RefusesADelayShorterThanTheStep) {
    const recurrent r("0.01");
    EXPECT_THROW(m1::event_router(r.net, r.lanes, r.grid, 1, 1), m1::run_error);
}

TEST(EventRouter, DeliversASpikeIntoTheStepItLandsIn) {
    const m1::model_spec m = driven("1.5");
    const m1::recipe r(m);
    const m1::network net = m1::build_network(r);
    const m1::time_grid grid(100, 0.05);
    const m1::synapse_lanes lanes(r, net, 0.05, 128);
    m1::event_router router(net, lanes, grid, 2, 1);
    const std::vector<m1::spike> spikes{{1.0, 0}};
    const std::vector<std::size_t> emitted{grid.step_of(1.0)};
    for (std::size_t p = 0; p < router.partitions(); ++p) router.deliver(spikes, emitted, p);
    const std::size_t arrival = grid.step_of(2.5), epoch = router.epoch_steps();
    const std::size_t first = arrival / epoch * epoch;
    for (std::size_t p = 0; p < router.partitions(); ++p) router.scatter(first, p);
    const std::size_t row = (arrival - first) * lanes.mechs * m1::group_size;
    const double input = 0.05 * lanes.factor[0];
    EXPECT_EQ(router.block(0)[row + 0], input) << "cell slot 0";
    EXPECT_EQ(router.block(0)[row + 63], input);
    EXPECT_EQ(router.block(1)[row + 5], input) << "slot 69 in group 1";
    EXPECT_EQ(router.block(1)[row + 6], 0.0) << "padding receives nothing";
    EXPECT_EQ(router.block(0)[row + m1::group_size * lanes.mechs], 0.0) << "nothing a step later";
}
