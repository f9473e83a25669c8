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
    event_scale.assign(mechs, 1.0);
    nmda.assign(mechs, 0);
    nmda_law.assign(mechs, nmda_current{});
    const auto mechanisms = r.synaptic_mechanisms();
    for (std::size_t mech = 0; mech < mechanisms.size(); ++mech)
        if (used_mech[mech])
            set_constants(lane_of_mech[mech], mechanisms[mech], dt, r.temperature());
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
    // Lanes in NEURON's mechanism type order, the order a node's rhs and d are summed in: Exp2Syn
    // (built in) and MyExp2SynBB before MyExp2SynNMDABB (nrnivmodl registers mod files sorted by
    // name).
    const auto kinds = r.synaptic_mechanisms();
    lane_of_mech.assign(mechanisms, 0);
    for (bool nmda_pass : {false, true})
        for (std::size_t i = 0; i < used_mech.size(); ++i)
            if (used_mech[i] && (kinds[i].kinetics == synaptic_kinetics::nmda_bb) == nmda_pass)
                lane_of_mech[i] = static_cast<std::uint8_t>(mechs++);
    mechs = std::max<std::size_t>(mechs, 1);
}

void synapse_lanes::set_constants(std::size_t i, const synaptic_mechanism& s, double dt,
                                  double celsius) {
    double tau1 = s.tau1, tau2 = s.tau2;
    // exp2syn.mod INITIAL (MyExp2SynBB and MyExp2SynNMDABB have no lower clamp)
    if (tau1 / tau2 > .9999) tau1 = .9999 * tau2;
    if (s.kinetics == synaptic_kinetics::exp2syn && tau1 / tau2 < 1e-9) tau1 = tau2 * 1e-9;
    const double tp = (tau1 * tau2) / (tau2 - tau1) * std::log(tau2 / tau1);
    double f = -std::exp(-tp / tau1) + std::exp(-tp / tau2);
    factor[i] = 1 / f;
    // cnexp: A = A + (1 - exp(dt*(-1/tau1)))*(-A)
    decay1[i] = 1. - std::exp(dt * ((-1.0) / tau1));
    decay2[i] = 1. - std::exp(dt * ((-1.0) / tau2));
    e[i] = s.e;
    if (s.kinetics != synaptic_kinetics::exp2syn) gmax[i] = s.gmax;
    if (s.kinetics == synaptic_kinetics::nmda_bb) set_nmda(i, s, celsius);
}

// MyExp2SynNMDABB: NET_RECEIVE adds factor2 * w * r only when r >= 0; ghk.inc's f with the
// units nocmodl (NEURON 8.2) writes for FARADAY and R, the 2018 CODATA values.
void synapse_lanes::set_nmda(std::size_t i, const synaptic_mechanism& s, double celsius) {
    constexpr double faraday = 0x1.78e555060882cp+16;  // 96485.3321233100141 C/mol
    constexpr double gas_constant = 0x1.0a1013e8990bep+3;  // 8.3144626181532395 J/(K mol)
    nmda[i] = 1;
    event_scale[i] = s.nmda.r >= 0 ? s.nmda.r : 0.0;
    nmda_current& law = nmda_law[i];
    law.e = s.e;
    law.fracca = s.nmda.fracca;
    law.one_minus_fracca = 1.0 - s.nmda.fracca;
    law.ghk_f = gas_constant * (celsius + 273.15) / (2.0 * (1e-3) * faraday);
    law.ci_over_co = s.nmda.cai / s.nmda.cao;
}

}  // namespace m1
