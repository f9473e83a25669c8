#pragma once
// The stimulation sources, Arbor's event generators: the NetStim, VecStim and IClamp stimulations
// of each simulated cell (stimTargetParams), and the artificial cells of NetStim and VecStim
// populations, whose spikes go through the network.
#include "core/base/random.hpp"
#include "core/engine/spike.hpp"
#include "core/engine/izhikevich_cells.hpp"
#include "core/engine/synapse_lanes.hpp"
#include "core/engine/time_grid.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

namespace m1 {

// NEURON's netstim.mod with noiseFromRandom (NetPyNE's setting): events at exact times, intervals
// (1-noise)*interval + noise*interval*negexp(1) drawn from the NetStim's own stream.
struct netstim_process {
    double interval = 10, noise = 0, number = 0;
    double emitted = 0;    // ispike
    double next_time = 0;  // of the next event
    bool on = false;
    random_stream stream{0, 0, 0};

    netstim_process() = default;
    // `key`'s stream has had one draw spent by NetPyNE's negexp(1) that installs it (NEURON 8).
    netstim_process(double interval_, double noise_, double number_, const stream_key& key)
        : interval(interval_), noise(noise_), number(number_), stream(key.id1, key.id2, key.id3) {
        stream.discard(1);
    }
    double invl() {
        const double mean = interval > 0 ? interval : .01;
        return noise == 0 ? mean : (1. - noise) * mean + noise * mean * stream.negexp(1.0);
    }
    // INITIAL: the first event at start + invl(interval) - interval*(1 - noise), not before 0.
    void start(double start_time) {
        if (!(start_time >= 0 && number > 0)) return;
        on = true;
        next_time = std::max(0.0, start_time + invl() - interval * (1. - noise));
    }
    // NET_RECEIVE after an event: ispike += 1, next_invl(), the next event one interval later.
    void fire() {
        emitted += 1;
        const double next = invl();
        if (emitted >= number) on = false;
        next_time = next_time + next;
    }
};

// The stimulations of each simulated cell, by slot.
class cell_stimuli {
public:
    cell_stimuli(const recipe& r, const network& net, const synapse_lanes& lanes,
                 const time_grid& grid, std::size_t padded);

    // Whether cell s has a stimulation event at step n, or a current clamp.
    bool due(std::size_t s, std::size_t n) const {
        return (next_background_step_[s] == n) | (next_played_step_[s] == n) | (has_clamp_[s] != 0);
    }
    // Adds cell s's stimulation events of step n to its input `in` (lane m at in[m * group_size]).
    void add_events(std::size_t s, std::size_t n, double* in) {
        if (next_background_step_[s] == n) add_background(s, n, in);
        if (next_played_step_[s] == n) add_played(s, n, in);
    }
    // The current clamps' share of cell s's right-hand side and diagonal at time tm.
    // Electrode currents come first in NEURON's sums (IClamp's type precedes Exp2Syn's).
    void add_clamps(std::size_t s, double tm, double point_factor, double& rhs,
                    double& diag) const {
        for (std::uint32_t i = clamp_offsets_[s]; i < clamp_offsets_[s + 1]; ++i) {
            const current_clamp& cl = clamps_[i];
            const double i_clamp = (tm < cl.del + cl.dur && tm >= cl.del) ? cl.amp : 0.0;
            rhs += i_clamp * point_factor;  // ELECTRODE_CURRENT: inward positive
            diag -= ((i_clamp - i_clamp) / .001) * point_factor;
        }
    }

private:
    static constexpr std::size_t never = std::numeric_limits<std::size_t>::max();
    // A NetStim feeding one cell (stimTargetParams with a NetStim source).
    struct background_source {
        std::uint32_t slot = 0;
        std::uint8_t mech = 0;  // lane
        double weight = 0, delay = 0;
        netstim_process process;
        std::size_t arrival = 0;  // step whose inputs the next event joins
    };
    // A VecStim feeding one cell: the same spike times for every target.
    struct played_source {
        std::uint32_t slot = 0;
        std::uint8_t mech = 0;  // lane
        double weight = 0, delay = 0;
        const std::vector<double>* times = nullptr;
        std::size_t next = 0;
    };
    struct current_clamp {
        double del = 0, dur = 0, amp = 0;
    };

    void add_stimulation(std::size_t s, gid_type gid, const cell_stimulation& st);
    void first_events();
    // The step an event at T joins through a connection of `delay` (a negative delay counts as
    // none, as in NEURON).
    std::size_t arrival(double T, double delay) const {
        return std::max(grid_->step_of(T), grid_->step_of(T + delay));
    }
    void add_background(std::size_t s, std::size_t n, double* in) {
        std::size_t next = never;
        for (std::uint32_t i = background_offsets_[s]; i < background_offsets_[s + 1]; ++i) {
            background_source& src = backgrounds_[i];
            while (src.process.on && src.arrival == n) {
                in[src.mech * group_size] += lanes_->event_input(src.mech, src.weight);
                src.process.fire();
                src.arrival = arrival(src.process.next_time, src.delay);
            }
            if (src.process.on) next = std::min(next, src.arrival);
        }
        next_background_step_[s] = next;
    }
    void add_played(std::size_t s, std::size_t n, double* in) {
        std::size_t next = never;
        for (std::uint32_t i = played_offsets_[s]; i < played_offsets_[s + 1]; ++i) {
            played_source& p = played_[i];
            while (p.next < p.times->size()) {
                const std::size_t at = arrival((*p.times)[p.next], p.delay);
                if (at != n) {
                    next = std::min(next, at);
                    break;
                }
                in[p.mech * group_size] += lanes_->event_input(p.mech, p.weight);
                ++p.next;
            }
        }
        next_played_step_[s] = next;
    }

    const recipe* recipe_;
    const synapse_lanes* lanes_;
    const time_grid* grid_;
    std::vector<std::uint8_t> has_clamp_;  // padded
    std::vector<std::uint32_t> clamp_offsets_, background_offsets_, played_offsets_;
    std::vector<current_clamp> clamps_;
    std::vector<background_source> backgrounds_;
    std::vector<played_source> played_;
    // Per slot: the earliest step with an event of its NetStims, of its VecStims.
    std::vector<std::size_t> next_background_step_, next_played_step_;
};

// The artificial cells of NetStim and VecStim populations.
class artificial_cells {
public:
    artificial_cells(const recipe& r, const time_grid& grid);

    // Spikes emitted in steps [first_step, last_step), each with the step it counts from (not
    // before first_step): NetStim populations as netstim.mod, VecStim populations at their listed
    // times. They are known ahead of the cells, so they are delivered before the epoch is
    // advanced, whatever their delays.
    void emit(std::size_t first_step, std::size_t last_step, std::vector<spike>& out,
              std::vector<std::size_t>& out_steps);

private:
    struct cell {
        gid_type gid = 0;
        bool netstim = false;
        netstim_process process;                     // NetStim populations
        const std::vector<double>* times = nullptr;  // VecStim populations
        std::size_t next = 0;
    };
    void emit_netstim(cell& c, std::size_t first_step, std::size_t last_step,
                      std::vector<spike>& out, std::vector<std::size_t>& out_steps);
    void emit_vecstim(cell& c, std::size_t first_step, std::size_t last_step,
                      std::vector<spike>& out, std::vector<std::size_t>& out_steps);

    const time_grid* grid_;
    std::vector<cell> cells_;
};

}  // namespace m1
