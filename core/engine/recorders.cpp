#include "core/engine/recorders.hpp"

#include <cmath>
#include <string>

namespace m1 {

namespace {

// The recording interval in steps: record_step must be a whole multiple of dt.
std::size_t steps_per_sample(double record_step, double dt) {
    const double every = record_step / dt;
    const auto steps = static_cast<std::size_t>(std::llround(every));
    if (steps < 1 || std::fabs(every - double(steps)) > 1e-9)
        throw run_error("recordStep must be a whole multiple of dt");
    return steps;
}

}  // namespace

voltage_traces::voltage_traces(const izhikevich_cells& cells, const network& net,
                               const voltage_traces_spec& spec, double dt)
    : recorder(1), cells_(cells) {
    for (gid_type gid : spec.cells) {
        if (gid >= net.slot_of_gid.size() || net.slot_of_gid[gid] < 0)
            throw run_error("cell " + std::to_string(gid) + " cannot be traced: not a simulated cell");
        slots_.push_back(static_cast<std::size_t>(net.slot_of_gid[gid]));
    }
    traces_.assign(slots_.size(), {});
    for (std::size_t i = 0; i < slots_.size(); ++i) traces_[i].push_back(cells.v_soma[slots_[i]]);
    if (!slots_.empty()) every_ = steps_per_sample(spec.record_step, dt);
}

// The soma voltage at t_{n+1}.
void voltage_traces::sample(std::size_t, std::size_t lo, std::size_t hi, std::size_t,
                            std::size_t) {
    for (std::size_t i = 0; i < slots_.size(); ++i)
        if (slots_[i] >= lo && slots_[i] < hi) traces_[i].push_back(cells_.v_soma[slots_[i]]);
}

void voltage_traces::finish(simulation_result& out) { out.traces = std::move(traces_); }

current_sums::current_sums(const izhikevich_cells& cells, const synapse_lanes& lanes,
                           const network& net, const current_sums_spec& spec, std::size_t steps,
                           std::size_t epoch_steps)
    : recorder(spec.interval), cells_(cells), lanes_(lanes), electrodes_(spec.electrodes) {
    if (spec.interval < 1) throw run_error("the LFP sampling interval must be at least one step");
    assign_electrodes(net, spec.electrode_of_gid);
    lane_class_.assign(lanes.mechs, 0);
    for (std::size_t mech = 0; mech < lanes.used_mech.size(); ++mech)
        if (lanes.used_mech[mech] && mech < spec.current_class.size())
            lane_class_[lanes.lane_of_mech[mech]] = spec.current_class[mech];
    const std::size_t per_epoch = epoch_steps / every_ + 2;
    group_sums_.assign(cells.groups, std::vector<double>(per_epoch * electrodes_ * 2, 0.0));
    excitatory_.assign(steps / every_ * electrodes_, 0.0);
    inhibitory_.assign(steps / every_ * electrodes_, 0.0);
}

void current_sums::assign_electrodes(const network& net,
                                     const std::vector<std::int16_t>& electrode_of_gid) {
    electrode_of_slot_.assign(cells_.padded, -1);
    group_has_electrode_.assign(cells_.groups, false);
    for (std::size_t slot = 0; slot < cells_.cells; ++slot) {
        const gid_type gid = net.gid_of_slot[slot];
        const std::int16_t e = gid < electrode_of_gid.size() ? electrode_of_gid[gid] : -1;
        if (e >= 0 && std::size_t(e) < electrodes_) {
            electrode_of_slot_[slot] = e;
            group_has_electrode_[slot / group_size] = true;
        }
    }
}

// |I| of every summed mechanism of the group's electrode cells after a step, as the mechanism
// computes it (g (v - e) with MyExp2SynBB's ceiling; MyExp2SynNMDABB's blocked current).
void current_sums::sample(std::size_t group, std::size_t lo, std::size_t hi, std::size_t n,
                          std::size_t first_step) {
    if (!group_has_electrode_[group]) return;
    const std::size_t k = (n + 1) / every_ - 1 - first_step / every_;
    double* out = group_sums_[group].data() + k * electrodes_ * 2;
    for (std::size_t s = lo; s < hi; ++s) {
        const std::int16_t e = electrode_of_slot_[s];
        if (e < 0) continue;
        const double v = cells_.v_soma[s];
        if (!std::isfinite(v)) continue;  // a runaway cell (simulation.hpp): silent, carries no current
        for (std::size_t m = 0; m < lanes_.mechs; ++m) {
            const std::uint8_t cls = lane_class_[m];
            if (cls == 0) continue;
            out[std::size_t(e) * 2 + (cls - 1)] += std::fabs(lanes_.current(m, s, v));
        }
    }
}

// This epoch's sums, group by group in a fixed order.
void current_sums::end_epoch(std::size_t first_step, std::size_t last_step) {
    const std::size_t first_sample = first_step / every_, end_sample = last_step / every_;
    for (std::size_t g = 0; g < group_sums_.size(); ++g)
        if (group_has_electrode_[g]) add_group(g, first_sample, end_sample);
}

void current_sums::add_group(std::size_t group, std::size_t first_sample, std::size_t end_sample) {
    const std::size_t E = electrodes_;
    double* buffer = group_sums_[group].data();
    for (std::size_t k = first_sample; k < end_sample; ++k)
        for (std::size_t e = 0; e < E; ++e) {
            double* b = buffer + ((k - first_sample) * E + e) * 2;
            excitatory_[k * E + e] += b[0];
            inhibitory_[k * E + e] += b[1];
            b[0] = b[1] = 0;
        }
}

void current_sums::finish(simulation_result& out) {
    out.excitatory_sums = std::move(excitatory_);
    out.inhibitory_sums = std::move(inhibitory_);
}

}  // namespace m1
