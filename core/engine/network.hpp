#pragma once
// The network built from a recipe: the synapse table the engine delivers spikes through, laid out
// for that access pattern (one contiguous run per presynaptic cell, sorted by postsynaptic cell so
// that a cell group finds its part of a run by binary search), plus the counts a run file reports.
#include "core/base/uninitialized.hpp"
#include "core/engine/recipe.hpp"

#include <cstdint>
#include <memory>
#include <vector>

namespace m1 {

// Izhikevich cells are simulated; artificial cells (NetStim, VecStim populations) only emit spikes.
// A "slot" numbers the simulated cells contiguously, in gid order.
// What the connectivity fixes, per synapse: whom it connects, through which synaptic mechanism,
// with which delay, made by which connectivity rule. Immutable once built, so that the runs reusing
// a network (core/run/network_cache) share it instead of copying three quarters of its bytes.
struct synapse_wiring {
    std::vector<std::uint64_t> offsets;    // by presynaptic gid: its synapses are [offsets[g], offsets[g+1])
    std::vector<std::uint32_t> post_slot;  // sorted within each presynaptic run
    std::vector<std::uint8_t> synaptic_mechanism;
    std::vector<double> delay;             // ms
    std::vector<std::uint16_t> rule;       // the connectivity rule that made it (reweighting)

    std::size_t size() const noexcept { return post_slot.size(); }
};

struct synapse_table {
    std::shared_ptr<const synapse_wiring> wiring;  // set by build_network
    uninitialized_vector<double> weight;           // µS, in wiring order: each run's own

    std::size_t size() const noexcept { return weight.size(); }
};

struct network {
    std::vector<std::int32_t> slot_of_gid;  // -1 for artificial cells
    std::vector<gid_type> gid_of_slot;
    synapse_table synapses;
    double min_delay = 0, max_delay = 0;    // over cell-to-cell synapses from simulated cells
    double max_artificial_delay = 0;        // over synapses from artificial cells
    // contacts[(pre_pop * num_pops + post_pop) * num_mechs + mech]
    std::vector<std::uint64_t> contacts;
    std::uint64_t num_contacts = 0;
};

// Builds the network in parallel (oneTBB); the result does not depend on the number of threads.
network build_network(const recipe& r);

}  // namespace m1
