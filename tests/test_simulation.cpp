// The engine on small models whose answers are known exactly: NetStim and VecStim populations emit
// at NEURON's times, and the result does not depend on the thread count.
#include "core/format/model.hpp"
#include "core/engine/network.hpp"
#include "core/engine/recipe.hpp"
#include "core/engine/simulation.hpp"
#include "engine_test_models.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

namespace {

using m1::test::model_with;

std::vector<m1::spike> run(const m1::model_spec& m, std::size_t threads) {
    const m1::recipe r(m);
    const m1::network net = m1::build_network(r);
    m1::simulation_options options;
    options.duration = m.sim.duration;
    options.dt = m.sim.dt;
    m1::execution share(threads);
    m1::simulation sim(r, net, options, share);
    return sim.run().spikes;
}

}  // namespace

TEST(Simulation, NetStimPopulationFiresAtNeuronTimes) {
    // SEMANTICS.md §5: the NetStim stream of gid 0 with stim seed 1 gives a 10 Hz, noise 1 NetStim
    // started at 0 the events 27.79055391807509, 79.07873342097274, 338.0557003107654 (NEURON 8).
    const m1::model_spec m = model_with(
        R"("stim": {"cellModel": "NetStim", "numCells": 1, "rate": 10, "noise": 1, "start": 0})");
    const std::vector<m1::spike> spikes = run(m, 1);
    ASSERT_GE(spikes.size(), 3u);
    EXPECT_EQ(spikes[0].gid, 0u);
    EXPECT_EQ(spikes[0].time, 27.79055391807509);
    EXPECT_EQ(spikes[1].time, 79.07873342097274);
    EXPECT_EQ(spikes[2].time, 338.0557003107654);
}

TEST(Simulation, NetStimPopulationStartsAt50msByDefault) {
    // pointCell.py keeps NEURON's NetStim default start = 50 ms for populations.
    const m1::model_spec m = model_with(
        R"("stim": {"cellModel": "NetStim", "numCells": 1, "rate": 10, "noise": 1})");
    const std::vector<m1::spike> spikes = run(m, 1);
    ASSERT_GE(spikes.size(), 1u);
    EXPECT_EQ(spikes[0].time, 50 + 27.79055391807509);
}

TEST(Simulation, VecStimPopulationSpikesAtItsTimesAndDrivesItsTarget) {
    const m1::model_spec m = model_with(
        R"("pre": {"cellModel": "VecStim", "numCells": 1, "spkTimes": [10, 12.5, 15, 17.5, 20, 22.5]},
           "cell": {"cellModel": "Izhi", "cellType": "RS", "numCells": 1})",
        R"(, "connParams": {"drive": {"preConds": {"pop": "pre"}, "postConds": {"pop": "cell"},
            "synMech": "AMPA", "probability": 1.0, "weight": 0.05, "delay": 1.5}})");
    const std::vector<m1::spike> spikes = run(m, 1);
    std::vector<double> pre;
    std::size_t post = 0;
    for (const m1::spike& s : spikes) {
        if (s.gid == 0) pre.push_back(s.time);
        else ++post;
    }
    EXPECT_EQ(pre, (std::vector<double>{10, 12.5, 15, 17.5, 20, 22.5}));
    EXPECT_GT(post, 0u) << "six strong AMPA events must make the cell fire";
}

TEST(Simulation, SpikesDoNotDependOnThreads) {
    const m1::model_spec m = model_with(
        R"("E": {"cellModel": "Izhi", "cellType": "RS", "numCells": 300})",
        R"(, "stimSourceParams": {"bg": {"type": "NetStim", "rate": 40, "noise": 1}},
           "stimTargetParams": {"bg->E": {"source": "bg", "conds": {"pop": "E"}, "synMech": "AMPA",
                                          "weight": 0.04, "delay": 1}},
           "connParams": {"EE": {"preConds": {"pop": "E"}, "postConds": {"pop": "E"},
                                 "synMech": "AMPA", "probability": 0.1, "weight": 0.002,
                                 "delay": "2 + dist_3D/100"}})");
    const std::vector<m1::spike> one = run(m, 1), two = run(m, 2);
    ASSERT_GT(one.size(), 100u);
    ASSERT_EQ(one.size(), two.size());
    for (std::size_t i = 0; i < one.size(); ++i) {
        EXPECT_EQ(one[i].gid, two[i].gid) << i;
        EXPECT_EQ(one[i].time, two[i].time) << i;
    }
}

// The LFP current sums (simulation_options::current_sums): one cell receiving one AMPA event.
// After the event the recorded |g (v - e)| divided by |v - e| (v from the cell's trace at the same
// times) decays by exp(-1 ms / tau2) per 1 ms sample, the Exp2Syn law, and its size is the event's
// weight times Exp2Syn's normalised double exponential (within the one-step uncertainty of when the
// event lands). The sums do not depend on the thread count.
TEST(Simulation, CurrentSumsFollowTheSynapticConductance) {
    const m1::model_spec m = model_with(
        R"("E": {"cellModel": "Izhi", "cellType": "RS", "numCells": 1},
           "src": {"cellModel": "VecStim", "numCells": 1, "spkTimes": [100]})",
        R"(, "connParams": {"in": {"preConds": {"pop": "src"}, "postConds": {"pop": "E"},
            "synMech": "AMPA", "weight": 0.002, "delay": 1}})");
    auto sums = [&](std::size_t threads) {
        const m1::recipe r(m);
        const m1::network net = m1::build_network(r);
        m1::simulation_options o;
        o.duration = 200;
        o.dt = m.sim.dt;
        o.voltage_traces = {{0}, 1.0};
        o.current_sums.electrode_of_gid = {0, -1};
        o.current_sums.electrodes = 1;
        o.current_sums.current_class = {1};
        o.current_sums.interval = 20;  // 1 ms
        m1::execution share(threads);
        return m1::simulation(r, net, o, share).run();
    };
    const m1::simulation_result one = sums(1), two = sums(2);
    EXPECT_EQ(one.excitatory_sums, two.excitatory_sums);
    ASSERT_EQ(one.excitatory_sums.size(), 200u);
    ASSERT_EQ(one.inhibitory_sums.size(), 200u);
    for (double x : one.inhibitory_sums) EXPECT_EQ(x, 0.0);
    for (std::size_t k = 0; k < 99; ++k) EXPECT_EQ(one.excitatory_sums[k], 0.0) << k;  // before the event
    const double tau1 = 0.05, tau2 = 2.3, w = 0.002;
    const double tp = tau1 * tau2 / (tau2 - tau1) * std::log(tau2 / tau1);
    const double factor = 1 / (-std::exp(-tp / tau1) + std::exp(-tp / tau2));
    const auto& v = one.traces[0];  // v[j] at j ms
    auto g = [&](std::size_t k) { return one.excitatory_sums[k] / std::fabs(v[k + 1] - 0.0); };
    // The event arrives at 101 ms (spike at 100 + delay 1): sample k is at k + 1 ms.
    for (std::size_t k = 103; k < 120; ++k) {
        EXPECT_NEAR(g(k + 1) / g(k), std::exp(-1.0 / tau2), 1e-9) << k;
        const double after = double(k + 1) - 101.0;
        const double late = w * factor * (std::exp(-after / tau2) - std::exp(-after / tau1));
        const double early = w * factor * (std::exp(-(after + 0.05) / tau2) - std::exp(-(after + 0.05) / tau1));
        EXPECT_LE(g(k), late * (1 + 1e-9)) << k;
        EXPECT_GE(g(k), early * (1 - 1e-9)) << k;
    }
}

// A cell whose state leaves the numbers (here: an event of weight 1e308 makes its conductance
// inf - inf) falls silent as in NEURON; the run goes on, the other cells keep firing, and the
// result lists the cell once, by the end of the epoch it was found in.
TEST(Simulation, ARunawayCellFallsSilentAndIsListedWhileTheRunGoesOn) {
    const m1::model_spec m = model_with(
        R"("E": {"cellModel": "Izhi", "cellType": "RS", "numCells": 1},
           "F": {"cellModel": "Izhi", "cellType": "RS", "numCells": 1},
           "src": {"cellModel": "VecStim", "numCells": 1, "spkTimes": [100]})",
        R"(, "connParams": {"in": {"preConds": {"pop": "src"}, "postConds": {"pop": "E"},
            "synMech": "AMPA", "weight": 1e308, "delay": 1}},
           "stimSourceParams": {"step": {"type": "IClamp", "del": 10, "dur": 380, "amp": 0.4}},
           "stimTargetParams": {"step->EF": {"source": "step", "conds": {"cellType": "RS"}}})");
    const m1::recipe r(m);
    const m1::network net = m1::build_network(r);
    m1::simulation_options options;
    options.duration = m.sim.duration;
    options.dt = m.sim.dt;
    m1::execution share(2);
    const m1::simulation_result result = m1::simulation(r, net, options, share).run();
    ASSERT_EQ(result.runaway_cells.size(), 1u);
    EXPECT_EQ(result.runaway_cells[0].gid, 0u);
    EXPECT_GE(result.runaway_cells[0].by_ms, 101.0);
    EXPECT_LE(result.runaway_cells[0].by_ms, 101.0 + 10.0) << "within its epoch (at most 10 ms)";
    std::size_t e_before = 0, e_after = 0, f_after = 0;
    for (const m1::spike& sp : result.spikes) {
        if (sp.gid == 0) (sp.time < 101 ? e_before : e_after)++;
        if (sp.gid == 1 && sp.time > 150) ++f_after;
    }
    EXPECT_GT(e_before, 0u) << "E fired under its step before the event";
    EXPECT_EQ(e_after, 0u) << "and never after";
    EXPECT_GT(f_after, 5u) << "F is untouched";
}
