#pragma once
// The synaptic mechanisms of every cell, one lane per mechanism that receives input (NMDA,
// defined but unused in M1, costs nothing): each mechanism's constants, and its A and B states
// for every cell, [lane * padded + slot].
#include "core/engine/network.hpp"

#include <cmath>
#include <cstdint>
#include <vector>

namespace m1 {

// MyExp2SynNMDABB's current, as nocmodl evaluates its BREAKPOINT (expressions in the mod's form
// and order): a Mg block, the non-specific part (1 - fracca) and, if fracca > 0, the calcium part
// through the GHK driving force ghkg(v, cai, cao, 2) of ghk.inc.
struct nmda_current {
    double e = 0, one_minus_fracca = 0.87, fracca = 0.13;
    double ghk_f = 1;       // R (celsius + 273.15) / (2e-3 FARADAY), mV
    double ci_over_co = 0;  // cai / cao

    double ghkg(double v) const {
        const double xi = v / ghk_f, exi = std::exp(xi);
        const double fxi = std::fabs(xi) < 1e-4 ? 1.0 - xi / 2.0 : xi / (exi - 1.0);
        return ghk_f * (ci_over_co * exi - 1.0) * fxi;
    }
    // The total current (nA) of conductance state s (B - A, capped) at v: iNMDA + ica.
    double operator()(double s, double v) const {
        const double mgblock = 1.0 / (1.0 + 0.28 * std::exp(-0.062 * v));
        const double i_nmda = s * (v - e) * mgblock * one_minus_fracca;
        const double ica = fracca > 0.0 ? s * ghkg(v) * mgblock * fracca : 0.0;
        double current = 0.;
        current += i_nmda;
        current += ica;
        return current;
    }
};

struct synapse_lanes {
    synapse_lanes(const recipe& r, const network& net, double dt, std::size_t padded);

    std::size_t mechs = 0;  // lanes; at least one
    std::size_t padded = 0;
    std::vector<bool> used_mech;            // per synaptic mechanism of the model
    std::vector<std::uint8_t> lane_of_mech;  // per synaptic mechanism of the model; 0 if unused
    // Per lane: the normalising factor of an event's weight, the cnexp decay of A and B in one
    // step, the reversal potential, the conductance ceiling (infinite for Exp2Syn).
    std::vector<double> factor, decay1, decay2, e, gmax;
    // Per lane: what an event's weight * factor is multiplied by (MyExp2SynNMDABB's r, 0 when
    // r < 0 because such events change nothing; 1 otherwise), and for MyExp2SynNMDABB lanes
    // (nmda[lane]) the current law.
    std::vector<double> event_scale;
    std::vector<std::uint8_t> nmda;
    std::vector<nmda_current> nmda_law;
    std::vector<double> A, B;

    // What an event of `weight` adds to the A and B states of `lane` (NET_RECEIVE's
    // weight * factor, times r for MyExp2SynNMDABB).
    double event_input(std::size_t lane, double weight) const {
        return weight * factor[lane] * event_scale[lane];
    }
    // The synaptic current (nA, outward positive) of lane m's mechanism in slot s at v.
    double current(std::size_t m, std::size_t s, double v) const {
        double g = B[m * padded + s] - A[m * padded + s];
        g = g > gmax[m] ? gmax[m] : g;
        return nmda[m] ? nmda_law[m](g, v) : g * (v - e[m]);
    }

private:
    void assign_lanes(const recipe& r, const network& net);
    void set_constants(std::size_t lane, const synaptic_mechanism& s, double dt, double celsius);
    void set_nmda(std::size_t lane, const synaptic_mechanism& s, double celsius);
};

}  // namespace m1
