// The synapse lanes: one per mechanism that receives input, with Exp2Syn's or MyExp2SynBB's
// constants as the mechanism's kinetics (read from the model, never from its name) say.
#include "core/engine/synapse_lanes.hpp"
#include "engine_test_models.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace {

const std::string mechanisms =
    R"(, "synMechParams": {"AMPA": {"mod": "Exp2Syn", "tau1": 0.05, "tau2": 2.3, "e": 0},
         "NMDA": {"mod": "Exp2Syn", "tau1": 15, "tau2": 150, "e": 0},
         "GABA": {"mod": "MyExp2SynBB", "tau1": 0.07, "tau2": 18.2, "e": -80, "gmax": 0.5}},
       "connParams": {"inh": {"preConds": {"pop": "src"}, "postConds": {"pop": "E"},
                              "synMech": "GABA", "weight": 0.001, "delay": 1}},
       "stimSourceParams": {"bg": {"type": "NetStim", "rate": 10}},
       "stimTargetParams": {"bg->E": {"source": "bg", "conds": {"pop": "E"}, "synMech": "AMPA"}})";

m1::model_spec three_mechanisms() {
    return m1::test::model_with(
        R"("src": {"cellModel": "VecStim", "numCells": 1, "spkTimes": [5]},
           "E": {"cellModel": "Izhi", "cellType": "RS", "numCells": 3})",
        mechanisms);
}

}  // namespace

TEST(SynapseLanes, TheModelReaderNamesEachMechanismsKinetics) {
    const m1::model_spec m = three_mechanisms();
    ASSERT_EQ(m.synaptic_mechanisms.size(), 3u);
    for (const m1::synaptic_mechanism& s : m.synaptic_mechanisms)
        EXPECT_EQ(s.kinetics, s.name == "GABA" ? m1::synaptic_kinetics::my_exp2syn_bb
                                               : m1::synaptic_kinetics::exp2syn)
            << s.name;
}

TEST(SynapseLanes, OnlyMechanismsThatReceiveInputGetALane) {
    const m1::model_spec m = three_mechanisms();
    const m1::recipe r(m);
    const m1::network net = m1::build_network(r);
    const m1::synapse_lanes lanes(r, net, 0.05, 64);
    EXPECT_EQ(lanes.mechs, 2u) << "NMDA receives nothing";
    EXPECT_EQ(lanes.used_mech, (std::vector<bool>{true, false, true}));
    EXPECT_EQ(lanes.lane_of_mech[0], 0);
    EXPECT_EQ(lanes.lane_of_mech[2], 1);
    EXPECT_EQ(lanes.A.size(), 2u * 64u);
    EXPECT_EQ(lanes.B.size(), 2u * 64u);
}

TEST(SynapseLanes, ConstantsFollowTheKinetics) {
    const m1::model_spec m = three_mechanisms();
    const m1::recipe r(m);
    const m1::network net = m1::build_network(r);
    const m1::synapse_lanes lanes(r, net, 0.05, 64);
    EXPECT_EQ(lanes.gmax[0], std::numeric_limits<double>::infinity()) << "Exp2Syn: no ceiling";
    EXPECT_EQ(lanes.gmax[1], 0.5) << "MyExp2SynBB's ceiling";
    EXPECT_EQ(lanes.e[1], -80.0);
    const double tau1 = 0.05, tau2 = 2.3;
    const double tp = (tau1 * tau2) / (tau2 - tau1) * std::log(tau2 / tau1);
    EXPECT_EQ(lanes.factor[0], 1 / (-std::exp(-tp / tau1) + std::exp(-tp / tau2)));
    EXPECT_EQ(lanes.decay1[0], 1. - std::exp(0.05 * ((-1.0) / tau1)));
    EXPECT_EQ(lanes.decay2[0], 1. - std::exp(0.05 * ((-1.0) / tau2)));
}
