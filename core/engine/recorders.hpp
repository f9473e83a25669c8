#pragma once
// Recorders: what a run samples of the cells besides their spikes. Each samples the state after
// every `every`-th step, group by group (from the group's own thread), and hands its records to
// the result at the end of the run. The engine calls them once per sample and group, never per
// cell.
#include "core/engine/izhikevich_cells.hpp"
#include "core/engine/simulation.hpp"
#include "core/engine/synapse_lanes.hpp"

#include <cstdint>
#include <vector>

namespace m1 {

class recorder {
public:
    explicit recorder(std::size_t every) : every_(every) {}
    virtual ~recorder() = default;

    // Whether the state after step n is sampled.
    bool due(std::size_t n) const { return (n + 1) % every_ == 0; }
    // Samples the group's cells [lo, hi) after step n of the epoch that starts at first_step.
    virtual void sample(std::size_t group, std::size_t lo, std::size_t hi, std::size_t n,
                        std::size_t first_step) = 0;
    // After every group has advanced through steps [first_step, last_step).
    virtual void end_epoch(std::size_t /*first_step*/, std::size_t /*last_step*/) {}
    virtual void finish(simulation_result& out) = 0;

protected:
    std::size_t every_;
};

// Vector.record of soma voltages (voltage_traces_spec): sample k of a traced cell is v at
// k * record_step.
class voltage_traces : public recorder {
public:
    // Throws run_error for a cell that is not simulated, or a record_step not a whole number of
    // steps.
    voltage_traces(const izhikevich_cells& cells, const network& net,
                   const voltage_traces_spec& spec, double dt);
    void sample(std::size_t group, std::size_t lo, std::size_t hi, std::size_t n,
                std::size_t first_step) override;
    void finish(simulation_result& out) override;

private:
    const izhikevich_cells& cells_;
    std::vector<std::size_t> slots_;
    std::vector<std::vector<double>> traces_;
};

// The synaptic-current sums of an LFP proxy (current_sums_spec). Each group adds its cells' share of an epoch's samples into its own buffer; the
// epoch's end adds the buffers in group order, so the sums do not depend on the threads.
class current_sums : public recorder {
public:
    // Throws run_error for an interval under one step.
    current_sums(const izhikevich_cells& cells, const synapse_lanes& lanes, const network& net,
                 const current_sums_spec& spec, std::size_t steps, std::size_t epoch_steps);
    void sample(std::size_t group, std::size_t lo, std::size_t hi, std::size_t n,
                std::size_t first_step) override;
    void end_epoch(std::size_t first_step, std::size_t last_step) override;
    void finish(simulation_result& out) override;

private:
    void assign_electrodes(const network& net, const std::vector<std::int16_t>& electrode_of_gid);
    void add_group(std::size_t group, std::size_t first_sample, std::size_t end_sample);

    const izhikevich_cells& cells_;
    const synapse_lanes& lanes_;
    std::size_t electrodes_ = 0;
    std::vector<std::int16_t> electrode_of_slot_;  // padded; -1 for none
    std::vector<std::uint8_t> lane_class_;         // 0 none, 1 excitatory, 2 inhibitory
    std::vector<bool> group_has_electrode_;
    std::vector<std::vector<double>> group_sums_;  // [group][(sample in epoch * E + e) * 2 + class-1]
    std::vector<double> excitatory_, inhibitory_;  // [sample * E + e]
};

}  // namespace m1
