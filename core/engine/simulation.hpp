#pragma once
// The engine: advances the simulated cells with NEURON's fixed-step semantics (SEMANTICS.md §2,
// §3, §6) in epochs as long as the shortest cell-to-cell delay, delivering the spikes of one epoch
// into the epochs they land in. Cells are advanced in fixed groups of 64 in parallel (oneTBB);
// spikes are merged in (time, gid) order at each epoch boundary and each cell's input is summed by
// one delivery partition in that order, so the result does not depend on the number of threads.
#include "core/base/execution.hpp"
#include "core/engine/network.hpp"
#include "core/engine/spike.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

namespace m1 {

// The synaptic-current sums of an LFP proxy (lfp_sums in run_file.hpp), which the current_sums
// recorder makes: every `interval` steps, per electrode, the sum over its cells of |g (v - e)| of
// each mechanism of class 1 (excitatory) and of class 2 (inhibitory), at the end of the step. A
// few sums per sample, no trace per cell; summed group by group in a fixed order, so
// thread-independent.
struct current_sums_spec {
    std::vector<std::int16_t> electrode_of_gid;  // -1: in no electrode; empty: no sums
    std::size_t electrodes = 0;
    std::vector<std::uint8_t> current_class;     // per synaptic mechanism: 0 none, 1, 2
    std::size_t interval = 20;                   // steps

    bool requested() const { return !electrode_of_gid.empty() && electrodes > 0; }
};

// The soma voltages the voltage_traces recorder records (NEURON's Vector.record): sample k of each
// cell at time k * record_step.
struct voltage_traces_spec {
    std::vector<gid_type> cells;  // simulated cells
    double record_step = 0.1;     // ms, a whole number of steps

    bool requested() const { return !cells.empty(); }
};

struct simulation_options {
    double duration = 1000;  // ms
    double dt = 0.025;       // ms
    // Polled between epochs: when it returns true the run stops with run_cancelled.
    std::function<bool()> should_stop;
    // What the recorders record besides the spikes; each records nothing unless requested().
    voltage_traces_spec voltage_traces;
    current_sums_spec current_sums;
};

// The run was stopped by simulation_options::should_stop.
class run_cancelled : public run_error {
public:
    using run_error::run_error;
};

// A cell whose voltage ran away to infinity or NaN (an Izhikevich cell driven past its model's
// range, e.g. an LTS cell whose reset lands above its moving peak): as in NEURON, it never
// crosses threshold again and the run goes on; `by_ms` is the end of the epoch it was found in.
struct runaway_cell {
    gid_type gid = 0;
    double by_ms = 0;
};

struct simulation_result {
    std::vector<spike> spikes;                // sorted by (time, gid)
    std::vector<runaway_cell> runaway_cells;  // in the order found
    std::vector<std::vector<double>> traces;  // one per traced cell, sample k at k*record_step
    // [sample][electrode], sample k after step (k + 1) * current_sums.interval.
    std::vector<double> excitatory_sums, inhibitory_sums;
    std::size_t steps = 0;
    double simulate_seconds = 0;              // wall time of the integration loop
};

class simulation {
public:
    // Set up and run in `threads` (the run's share; it must outlive the simulation).
    simulation(const recipe& r, const network& net, simulation_options options, execution& threads);
    ~simulation();
    simulation_result run();

private:
    struct state;
    std::unique_ptr<state> state_;
};

}  // namespace m1
