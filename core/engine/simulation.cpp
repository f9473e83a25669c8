#include "core/engine/simulation.hpp"

#include "core/engine/cell_step.hpp"
#include "core/engine/event_router.hpp"
#include "core/engine/izhikevich_cells.hpp"
#include "core/engine/recorders.hpp"
#include "core/engine/stimuli.hpp"
#include "core/engine/synapse_lanes.hpp"
#include "core/engine/time_grid.hpp"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <chrono>
#include <string>

namespace m1 {

struct simulation::state {
    execution& threads;  // the run's share: setup and epochs run in it
    const network& net;
    simulation_options opt;
    time_grid grid;
    izhikevich_cells cells;
    synapse_lanes lanes;
    event_router router;
    cell_stimuli stimuli;
    artificial_cells artificial;
    std::vector<std::unique_ptr<recorder>> recorders;
    cell_step_fn step_cells;

    struct step_spike {
        std::size_t step;
        gid_type gid;
    };
    std::vector<std::vector<step_spike>> group_spikes;
    // This epoch's spikes, each with the step it was emitted in.
    std::vector<spike> epoch_spikes, artificial_spikes;
    std::vector<std::size_t> epoch_emitted, artificial_emitted;
    std::vector<std::uint8_t> runaway_flag;  // per slot: listed in runaway_cells already
    std::vector<runaway_cell> runaway_cells;

    // Each part in the order its errors are reported: the time grid, the epochs, the recorders.
    state(const recipe& r, const network& n, simulation_options o, execution& t)
        : threads(t), net(n), opt(std::move(o)), grid(opt.duration, opt.dt), cells(r, n, opt.dt),
          lanes(r, n, opt.dt, cells.padded), router(n, lanes, grid, cells.groups, t.threads()),
          stimuli(r, n, lanes, grid, cells.padded), artificial(r, grid),
          step_cells(widest_cell_step()), group_spikes(cells.groups),
          runaway_flag(cells.cells, 0) {
        add_recorders();
    }

    void add_recorders();
    void run_epoch(std::size_t first, std::size_t last, std::vector<spike>& spikes);
    void deliver_artificial(std::size_t first, std::size_t last);
    void advance_group(std::size_t group, std::size_t first_step, std::size_t last_step);
    std::size_t find_busy(std::size_t lo, std::size_t hi, std::size_t n, std::size_t* busy) const;
    void handle_events(std::size_t s, std::size_t lo, std::size_t n, double tm, double* block_row,
                       std::vector<step_spike>& spikes, double* clamp_rhs, double* clamp_diag);
    void merge_group_spikes();
    void append_spikes(std::vector<spike>& spikes) const;
    void check_state(std::size_t last);
};

simulation::simulation(const recipe& r, const network& net, simulation_options options,
                       execution& threads) {
    threads.run([&] { state_ = std::make_unique<state>(r, net, std::move(options), threads); });
}

simulation::~simulation() = default;

void simulation::state::add_recorders() {
    if (opt.voltage_traces.requested())
        recorders.push_back(
            std::make_unique<voltage_traces>(cells, net, opt.voltage_traces, grid.dt()));
    if (opt.current_sums.requested())
        recorders.push_back(std::make_unique<current_sums>(cells, lanes, net, opt.current_sums,
                                                           grid.steps(), router.epoch_steps()));
}

// Which cells of [lo, hi) have anything to do at the start of step n besides the arithmetic: a
// threshold crossed or a detector to re-arm, a stimulation event, a current clamp. One
// branch-free pass finds them; for M1 most cells, most steps, have none.
inline std::size_t simulation::state::find_busy(std::size_t lo, std::size_t hi, std::size_t n,
                                                std::size_t* busy) const {
    std::size_t busy_count = 0;
    for (std::size_t s = lo; s < hi; ++s) {
        const double v0 = cells.v_soma[s];
        const bool act = (v0 - cells.threshold[s] > 0) | (cells.spike_flag[s] != 0) |
                         (v0 - cells.peak(s) > 0) | (cells.watch_flag[s] != 0) |
                         stimuli.due(s, n);
        busy[busy_count] = s;
        busy_count += act;
    }
    return busy_count;
}

// A busy cell at the start of step n: 1. threshold checks at t_n (the spike detector and the
// mechanism's WATCH), 2. events: network input gathered by delivery is in block_row already, the
// cell's own stimulation is added, 3. its current clamps.
[[gnu::always_inline]] inline void simulation::state::handle_events(
    std::size_t s, std::size_t lo, std::size_t n, double tm, double* block_row,
    std::vector<step_spike>& spikes, double* clamp_rhs, double* clamp_diag) {
    const double v0 = cells.v_soma[s];
    if (cells.detect_spike(s)) spikes.push_back({n, net.gid_of_slot[s]});
    cells.watch_peak(s, v0);
    stimuli.add_events(s, n, block_row + (s - lo));  // lane m at [m * group_size]
    double rhs = 0, diag = 0;
    stimuli.add_clamps(s, tm, cells.point_factor[s], rhs, diag);
    clamp_rhs[s - lo] = rhs;
    clamp_diag[s - lo] = diag;
}

// Advances the cells of one group through steps [first_step, last_step). Each step runs in two
// passes over the group: the event part (threshold checks, resets, inputs: branchy, mostly
// untaken) and the arithmetic part (currents and the tree solve: branch-free, every cell
// independent, so the divisions of different cells overlap instead of forming one long chain).
void simulation::state::advance_group(std::size_t group, std::size_t first_step,
                                      std::size_t last_step) {
    const std::size_t lo = group * group_size, hi = std::min(cells.cells, lo + group_size);
    // This epoch's network input of the group (scattered by its partition; the step clears what
    // it reads).
    double* block = router.block(group);
    double clamp_rhs[group_size] = {}, clamp_diag[group_size] = {};
    for (std::size_t n = first_step; n < last_step; ++n) {
        const double tm = grid.mid(n);
        const double delta = tm - (n == 0 ? 0.0 : grid.mid(n - 1));  // Izhi2007b's t - t0
        double* block_row = block + (n - first_step) * group_size * lanes.mechs;
        std::size_t busy[group_size];
        const std::size_t busy_count = find_busy(lo, hi, n, busy);
        for (std::size_t b = 0; b < busy_count; ++b)
            handle_events(busy[b], lo, n, tm, block_row, group_spikes[group], clamp_rhs,
                          clamp_diag);
        step_cells(cells, lanes, lo, delta, block_row, clamp_rhs, clamp_diag);
        for (const auto& r : recorders)
            if (r->due(n)) r->sample(group, lo, hi, n, first_step);
    }
}

// The artificial cells' spikes of the epoch, then every partition's events of the epoch into the
// groups' input blocks.
void simulation::state::deliver_artificial(std::size_t first, std::size_t last) {
    artificial_spikes.clear();
    artificial_emitted.clear();
    artificial.emit(first, last, artificial_spikes, artificial_emitted);
    tbb::parallel_for(std::size_t(0), router.partitions(), [&](std::size_t p) {
        if (!artificial_spikes.empty()) router.deliver(artificial_spikes, artificial_emitted, p);
        router.scatter(first, p);
    });
}

// The groups' spikes in (step, gid) order: the delivery order, and so the result, is then the
// same for any number of threads.
void simulation::state::merge_group_spikes() {
    epoch_spikes.clear();
    epoch_emitted.clear();
    std::vector<step_spike> merged;
    for (auto& g : group_spikes) {
        merged.insert(merged.end(), g.begin(), g.end());
        g.clear();
    }
    std::sort(merged.begin(), merged.end(), [](const auto& x, const auto& y) {
        return x.step != y.step ? x.step < y.step : x.gid < y.gid;
    });
    for (const auto& s : merged) {
        epoch_spikes.push_back({grid.start(s.step) + 1e-10, s.gid});
        epoch_emitted.push_back(s.step);
    }
}

// The epoch's spikes of cells and of artificial cells, in (time, gid) order.
void simulation::state::append_spikes(std::vector<spike>& spikes) const {
    const std::size_t before = spikes.size();
    spikes.insert(spikes.end(), epoch_spikes.begin(), epoch_spikes.end());
    spikes.insert(spikes.end(), artificial_spikes.begin(), artificial_spikes.end());
    std::sort(spikes.begin() + static_cast<std::ptrdiff_t>(before), spikes.end(),
              [](const spike& x, const spike& y) {
                  return x.time != y.time ? x.time < y.time : x.gid < y.gid;
              });
}

// A NaN or infinite voltage never crosses threshold again; NEURON goes on without the cell, and so
// does the engine, but the run lists it (one pass over the cells per epoch, cheap next to the
// epoch itself).
void simulation::state::check_state(std::size_t last) {
    for (std::size_t s = 0; s < cells.cells; ++s)
        if (!runaway_flag[s] && !cells.finite(s)) {
            runaway_flag[s] = 1;
            runaway_cells.push_back({net.gid_of_slot[s], grid.start(last)});
        }
    if (opt.should_stop && opt.should_stop())
        throw run_cancelled("stopped at t = " + std::to_string(grid.start(last - 1)) + " ms");
}

// One epoch, steps [first, last): the input known ahead (artificial cells, spikes of earlier
// epochs) into the blocks; every group advanced, in parallel; the epoch's spikes merged and
// delivered into later epochs' buckets, and kept; the recorders' epoch closed; the state checked.
void simulation::state::run_epoch(std::size_t first, std::size_t last, std::vector<spike>& spikes) {
    deliver_artificial(first, last);
    tbb::parallel_for(std::size_t(0), cells.groups,
                      [&](std::size_t g) { advance_group(g, first, last); });
    merge_group_spikes();
    if (!epoch_spikes.empty()) {
        tbb::parallel_for(std::size_t(0), router.partitions(),
                          [&](std::size_t p) { router.deliver(epoch_spikes, epoch_emitted, p); });
    }
    append_spikes(spikes);
    for (const auto& r : recorders) r->end_epoch(first, last);
    check_state(last);
}

simulation_result simulation::run() {
    state& st = *state_;
    simulation_result result;
    result.steps = st.grid.steps();
    const auto start = std::chrono::steady_clock::now();
    st.threads.run([&] {
        const std::size_t steps = st.grid.steps(), epoch = st.router.epoch_steps();
        for (std::size_t first = 0; first < steps; first += epoch)
            st.run_epoch(first, std::min(steps, first + epoch), result.spikes);
    });
    result.simulate_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    for (const auto& r : st.recorders) r->finish(result);
    result.runaway_cells = std::move(st.runaway_cells);
    return result;
}

}  // namespace m1
