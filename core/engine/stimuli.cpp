#include "core/engine/stimuli.hpp"

namespace m1 {

cell_stimuli::cell_stimuli(const recipe& r, const network& net, const synapse_lanes& lanes,
                           const time_grid& grid, std::size_t padded)
    : recipe_(&r), lanes_(&lanes), grid_(&grid), has_clamp_(padded, 0) {
    const std::size_t cells = net.gid_of_slot.size();
    clamp_offsets_.assign(cells + 1, 0);
    background_offsets_.assign(cells + 1, 0);
    played_offsets_.assign(cells + 1, 0);
    for (std::size_t s = 0; s < cells; ++s) {
        const gid_type gid = net.gid_of_slot[s];
        for (const cell_stimulation& st : r.stimulations_on(gid)) add_stimulation(s, gid, st);
        clamp_offsets_[s + 1] = static_cast<std::uint32_t>(clamps_.size());
        has_clamp_[s] = clamp_offsets_[s + 1] > clamp_offsets_[s];
        background_offsets_[s + 1] = static_cast<std::uint32_t>(backgrounds_.size());
        played_offsets_[s + 1] = static_cast<std::uint32_t>(played_.size());
    }
    first_events();
}

void cell_stimuli::add_stimulation(std::size_t s, gid_type gid, const cell_stimulation& st) {
    const stim_source& source = recipe_->source_of(st);
    if (source.kind == stim_kind::iclamp) {
        clamps_.push_back({source.del, source.dur, source.amp});
        return;
    }
    const auto slot = static_cast<std::uint32_t>(s);
    const std::uint8_t lane = lanes_->lane_of_mech[st.synaptic_mechanism];
    if (source.kind == stim_kind::netstim) {
        background_source b{slot, lane, st.weight, st.delay, {}, 0};
        b.process = netstim_process(source.interval, source.noise, source.number,
                                    recipe_->netstim_stream(gid, source.seed));
        b.process.start(source.start);
        backgrounds_.push_back(b);
    } else {
        played_.push_back({slot, lane, st.weight, st.delay, &source.spike_times, 0});
    }
}

// The step each stimulation's first event joins (an event takes effect at the step its NetStim
// fires, or later by the connection's delay).
void cell_stimuli::first_events() {
    next_background_step_.assign(clamp_offsets_.size() - 1, never);
    for (background_source& s : backgrounds_) {
        if (!s.process.on) continue;
        s.arrival = arrival(s.process.next_time, s.delay);
        next_background_step_[s.slot] = std::min(next_background_step_[s.slot], s.arrival);
    }
    next_played_step_.assign(clamp_offsets_.size() - 1, never);
    for (played_source& p : played_) {
        if (p.times->empty()) continue;
        next_played_step_[p.slot] =
            std::min(next_played_step_[p.slot], arrival((*p.times)[0], p.delay));
    }
}

artificial_cells::artificial_cells(const recipe& r, const time_grid& grid) : grid_(&grid) {
    const auto pops = r.populations();
    for (std::size_t p = 0; p < pops.size(); ++p) {
        const stim_source* source = r.artificial_source(p);
        if (!source) continue;
        const stim_source& spec = *source;
        for (std::uint32_t i = 0; i < pops[p].size; ++i) {
            cell c;
            c.gid = pops[p].first_gid + i;
            if (spec.kind == stim_kind::netstim) {
                c.netstim = true;
                c.process = netstim_process(spec.interval, spec.noise, spec.number,
                                            r.netstim_stream(c.gid, spec.seed));
                c.process.start(spec.start);
            } else {
                c.times = &spec.spike_times;
            }
            cells_.push_back(c);
        }
    }
}

void artificial_cells::emit(std::size_t first_step, std::size_t last_step,
                            std::vector<spike>& out, std::vector<std::size_t>& out_steps) {
    for (cell& c : cells_) {
        if (c.netstim) emit_netstim(c, first_step, last_step, out, out_steps);
        else emit_vecstim(c, first_step, last_step, out, out_steps);
    }
}

void artificial_cells::emit_netstim(cell& c, std::size_t first_step, std::size_t last_step,
                                    std::vector<spike>& out, std::vector<std::size_t>& out_steps) {
    const double t_end = grid_->start(grid_->steps());
    netstim_process& p = c.process;
    while (p.on) {
        const std::size_t at = grid_->step_of(p.next_time);
        if (at >= last_step || p.next_time > t_end) break;
        out.push_back({p.next_time, c.gid});
        out_steps.push_back(std::max(at, first_step));
        p.fire();
    }
}

void artificial_cells::emit_vecstim(cell& c, std::size_t first_step, std::size_t last_step,
                                    std::vector<spike>& out, std::vector<std::size_t>& out_steps) {
    const double t_end = grid_->start(grid_->steps());
    while (c.next < c.times->size()) {
        const double T = (*c.times)[c.next];
        const std::size_t at = grid_->step_of(T);
        if (at >= last_step || T > t_end) break;
        out.push_back({T, c.gid});
        out_steps.push_back(std::max(at, first_step));
        ++c.next;
    }
}

}  // namespace m1
