// The synapse lanes: one per mechanism that receives input, with Exp2Syn's, MyExp2SynBB's or
// MyExp2SynNMDABB's constants as the mechanism's kinetics (read from the model, never from its
// name) say, and MyExp2SynNMDABB's current law.
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

namespace {

// An NMDA background (MyExp2SynNMDABB, r 0.5 or -1) on three RS cells at `celsius`.
m1::model_spec nmda_background(double r = 0.5, const std::string& celsius = "") {
    m1::model_spec m = m1::test::model_with(
        R"("E": {"cellModel": "Izhi", "cellType": "RS", "numCells": 3})",
        R"(, "synMechParams": {"NMDA": {"mod": "MyExp2SynNMDABB", "tau1NMDA": 15, "tau2NMDA": 150,
                                        "e": 0, "r": )" + std::to_string(r) + R"(}},
           "stimSourceParams": {"bg": {"type": "NetStim", "rate": 10}},
           "stimTargetParams": {"bg->E": {"source": "bg", "conds": {"pop": "E"}, "synMech": "NMDA"}})");
    if (!celsius.empty()) m.sim.celsius = std::stod(celsius);
    return m;
}

struct nmda_lanes {
    explicit nmda_lanes(m1::model_spec m) : model(std::move(m)) {}
    m1::model_spec model;
    m1::recipe recipe{model};
    m1::network net = m1::build_network(recipe);
    m1::synapse_lanes lanes{recipe, net, 0.1, 64};
};

}  // namespace

TEST(SynapseLanes, NmdaLaneTakesTheModsConstants) {
    nmda_lanes n(nmda_background());
    const m1::synapse_lanes& lanes = n.lanes;
    ASSERT_EQ(lanes.mechs, 1u);
    EXPECT_EQ(lanes.nmda[0], 1);
    EXPECT_EQ(lanes.event_scale[0], 0.5) << "NET_RECEIVE adds factor2 * w * r";
    EXPECT_EQ(lanes.event_input(0, 2e-4), 2e-4 * lanes.factor[0] * 0.5);
    EXPECT_EQ(lanes.gmax[0], 1e9) << "sNMDAmax";
    const double tau1 = 15, tau2 = 150;
    const double tp = (tau1 * tau2) / (tau2 - tau1) * std::log(tau2 / tau1);
    EXPECT_EQ(lanes.factor[0], 1 / (-std::exp(-tp / tau1) + std::exp(-tp / tau2)));
    EXPECT_EQ(lanes.decay2[0], 1. - std::exp(0.1 * ((-1.0) / tau2)));
    // ghk.inc's f = R (celsius + 273.15) / (z 1e-3 FARADAY) at NEURON's 6.3 °C: 12.04 mV.
    EXPECT_NEAR(lanes.nmda_law[0].ghk_f, 8.314462618 * 279.45 / (2e-3 * 96485.33212), 1e-9);
    EXPECT_EQ(lanes.nmda_law[0].ci_over_co, 5e-5 / 2.0);
    EXPECT_EQ(lanes.nmda_law[0].one_minus_fracca, 1.0 - 0.13);
}

TEST(SynapseLanes, NmdaEventsWithNegativeRChangeNothing) {
    nmda_lanes n(nmda_background(-1));
    EXPECT_EQ(n.lanes.event_input(0, 2e-4), 0.0);
}

TEST(SynapseLanes, TheGhkForceFollowsTheModelsTemperature) {
    nmda_lanes cold(nmda_background(1)), warm(nmda_background(1, "34"));
    EXPECT_NEAR(warm.lanes.nmda_law[0].ghk_f / cold.lanes.nmda_law[0].ghk_f,
                (34 + 273.15) / (6.3 + 273.15), 1e-15);
}

// The law against its formulas written out: Mg block 1/(1 + 0.28 e^(-0.062 v)), the non-specific
// part (1 - fracca) s (v - e) B(v) and the calcium part fracca s ghkg(v) B(v), where ghkg is
// f (ci/co e^(v/f) - 1) (v/f) / (e^(v/f) - 1), and f (1 - v/2f) near v = 0.
TEST(SynapseLanes, NmdaCurrentIsTheBlockedCurrentPlusItsCalciumPart) {
    nmda_lanes n(nmda_background(1));
    const m1::nmda_current& law = n.lanes.nmda_law[0];
    const double f = law.ghk_f, s = 3e-4;
    for (double v : {-90.0, -65.0, -40.0, -10.0, 20.0}) {
        const double block = 1 / (1 + 0.28 * std::exp(-0.062 * v));
        const double x = v / f;
        const double ghk = f * (2.5e-5 * std::exp(x) - 1) * x / (std::exp(x) - 1);
        EXPECT_NEAR(law.ghkg(v), ghk, 1e-12 * std::fabs(ghk)) << v;
        const double expected = s * v * block * 0.87 + s * ghk * block * 0.13;
        EXPECT_NEAR(law(s, v), expected, 1e-13 * std::fabs(expected)) << v;
    }
    EXPECT_EQ(law.ghkg(0.0), f * (2.5e-5 - 1.0)) << "the small-xi branch";
    EXPECT_NEAR(law.ghkg(-65.0), -65.0 / (1 - std::exp(-65.0 / f)), 1e-3) << "about v far below 0";
    EXPECT_EQ(law(0.0, -65.0), 0.0);
    // The block: at -80 mV about 1/(1 + 0.28 e^4.96) = 0.0245 of the open current.
    EXPECT_NEAR(law(s, -80.0) / (s * -80.0), 1 / (1 + 0.28 * std::exp(4.96)), 2e-3);
}

TEST(SynapseLanes, NmdaWithoutCalciumIsTheNonSpecificCurrentAlone) {
    m1::model_spec m = nmda_background(1);
    for (m1::synaptic_mechanism& s : m.synaptic_mechanisms)
        if (s.name == "NMDA") s.nmda.fracca = 0;
    nmda_lanes n(std::move(m));
    const m1::nmda_current& law = n.lanes.nmda_law[0];
    const double v = -50, s = 1e-3;
    EXPECT_EQ(law(s, v), s * (v - 0) * (1.0 / (1.0 + 0.28 * std::exp(-0.062 * v))) * 1.0);
}

// NEURON sums a node's mechanisms in type order: Exp2Syn's lanes come before MyExp2SynNMDABB's
// whatever order synMechParams lists them in.
TEST(SynapseLanes, NmdaLanesComeAfterTheExp2SynLanes) {
    const m1::model_spec m = m1::test::model_with(
        R"("E": {"cellModel": "Izhi", "cellType": "RS", "numCells": 3})",
        R"(, "synMechParams": {"NMDA": {"mod": "MyExp2SynNMDABB"},
                              "AMPA": {"mod": "Exp2Syn", "tau1": 0.05, "tau2": 2.3, "e": 0}},
           "stimSourceParams": {"bg": {"type": "NetStim", "rate": 10}},
           "stimTargetParams": {"a": {"source": "bg", "conds": {"pop": "E"}, "synMech": "NMDA"},
                                "b": {"source": "bg", "conds": {"pop": "E"}, "synMech": "AMPA"}})");
    ASSERT_EQ(m.synaptic_mechanisms[0].name, "NMDA");
    nmda_lanes n{m1::model_spec(m)};
    EXPECT_EQ(n.lanes.lane_of_mech[1], 0) << "AMPA";
    EXPECT_EQ(n.lanes.lane_of_mech[0], 1) << "NMDA";
    EXPECT_EQ(n.lanes.nmda, (std::vector<std::uint8_t>{0, 1}));
}
