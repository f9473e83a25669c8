#include "core/engine/synapse_lanes.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace m1 {

synapse_lanes::synapse_lanes(const recipe& r, const network& net, double dt, std::size_t padded_)
    : padded(padded_) {
    assign_lanes(r, net);
    A.assign(padded * mechs, 0.0);
    B.assign(padded * mechs, 0.0);
    factor.assign(mechs, 0.0);
    decay1.assign(mechs, 0.0);
    decay2.assign(mechs, 0.0);
    e.assign(mechs, 0.0);
    gmax.assign(mechs, std::numeric_limits<double>::infinity());
    const auto mechanisms = r.synaptic_mechanisms();
    for (std::size_t mech = 0; mech < mechanisms.size(); ++mech)
        if (used_mech[mech]) set_constants(lane_of_mech[mech], mechanisms[mech], dt);
}

// A mechanism is used when a connection or a NetStim or VecStim stimulation names it.
void synapse_lanes::assign_lanes(const recipe& r, const network& net) {
    const std::size_t mechanisms = r.synaptic_mechanisms().size();
    used_mech.assign(mechanisms, false);
    for (std::uint8_t mech : net.synapses.wiring->synaptic_mechanism) used_mech[mech] = true;
    for (gid_type g = 0; g < r.num_cells(); ++g)
        for (const cell_stimulation& st : r.stimulations_on(g))
            if (r.source_of(st).kind != stim_kind::iclamp)
                used_mech[st.synaptic_mechanism] = true;
    lane_of_mech.assign(mechanisms, 0);
    for (std::size_t i = 0; i < used_mech.size(); ++i)
        if (used_mech[i]) lane_of_mech[i] = static_cast<std::uint8_t>(mechs++);
    mechs = std::max<std::size_t>(mechs, 1);
}

void synapse_lanes::set_constants(std::size_t i, const synaptic_mechanism& s, double dt) {
    double tau1 = s.tau1, tau2 = s.tau2;
    // exp2syn.mod INITIAL (MyExp2SynBB has no lower clamp)
    if (tau1 / tau2 > .9999) tau1 = .9999 * tau2;
    if (s.kinetics == synaptic_kinetics::exp2syn && tau1 / tau2 < 1e-9) tau1 = tau2 * 1e-9;
    const double tp = (tau1 * tau2) / (tau2 - tau1) * std::log(tau2 / tau1);
    double f = -std::exp(-tp / tau1) + std::exp(-tp / tau2);
    factor[i] = 1 / f;
    // cnexp: A = A + (1 - exp(dt*(-1/tau1)))*(-A)
    decay1[i] = 1. - std::exp(dt * ((-1.0) / tau1));
    decay2[i] = 1. - std::exp(dt * ((-1.0) / tau2));
    e[i] = s.e;
    if (s.kinetics == synaptic_kinetics::my_exp2syn_bb) gmax[i] = s.gmax;
}

}  // namespace m1
