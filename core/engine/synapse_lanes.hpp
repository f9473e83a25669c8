#pragma once
// The synaptic mechanisms of every cell, one lane per mechanism that receives input (NMDA,
// defined but unused in M1, costs nothing): each mechanism's constants, and its A and B states
// for every cell, [lane * padded + slot].
#include "core/engine/network.hpp"

#include <cstdint>
#include <vector>

namespace m1 {

struct synapse_lanes {
    synapse_lanes(const recipe& r, const network& net, double dt, std::size_t padded);

    std::size_t mechs = 0;  // lanes; at least one
    std::size_t padded = 0;
    std::vector<bool> used_mech;            // per synaptic mechanism of the model
    std::vector<std::uint8_t> lane_of_mech;  // per synaptic mechanism of the model; 0 if unused
    // Per lane: the normalising factor of an event's weight, the cnexp decay of A and B in one
    // step, the reversal potential, the conductance ceiling (infinite for Exp2Syn).
    std::vector<double> factor, decay1, decay2, e, gmax;
    std::vector<double> A, B;

private:
    void assign_lanes(const recipe& r, const network& net);
    void set_constants(std::size_t lane, const synaptic_mechanism& s, double dt);
};

}  // namespace m1
