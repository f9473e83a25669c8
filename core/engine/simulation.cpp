#include "core/engine/simulation.hpp"

// Vectors wider than the baseline are only used inside functions compiled for them.
#pragma GCC diagnostic ignored "-Wpsabi"

#include <tbb/global_control.h>
#include <tbb/info.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <limits>
#include <numbers>

namespace m1 {

namespace {

constexpr double pi = 3.14159265358979323846;  // NEURON's PI
constexpr std::size_t group_size = 64;           // cells per group: a group's state stays in cache

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

// A NetStim feeding one cell (stimTargetParams with a NetStim source).
struct background_source {
    std::uint32_t slot = 0;
    std::uint8_t mech = 0;
    double weight = 0, delay = 0;
    netstim_process process;
    std::size_t arrival = 0;  // step whose inputs the next event joins
};

struct current_clamp {
    double del = 0, dur = 0, amp = 0;
};

// A VecStim feeding one cell: the same spike times for every target.
struct played_source {
    std::uint32_t slot = 0;
    std::uint8_t mech = 0;
    double weight = 0, delay = 0;
    const std::vector<double>* times = nullptr;
    std::size_t next = 0;
};

// An artificial cell of a NetStim or VecStim population: emits spikes through the network.
struct artificial_cell {
    gid_type gid = 0;
    bool netstim = false;
    netstim_process process;                     // NetStim populations
    const std::vector<double>* times = nullptr;  // VecStim populations
    std::size_t next = 0;
};

}  // namespace

struct simulation::state {
    const recipe& rec;
    const network& net;
    simulation_options opt;
    std::size_t cells = 0, steps = 0;
    // Only mechanisms that receive input take part ("lanes"): NMDA, defined but unused in M1,
    // costs nothing.
    std::size_t mechs = 0;
    std::vector<std::uint8_t> lane_of_mech;
    std::vector<bool> used_mech;
    std::size_t partitions = 1;  // cell ranges for spike delivery
    double dt = 0, inverse_dt = 0;
    std::vector<double> t_start, t_mid;  // NEURON's accumulated t at the start and middle of a step

    // Cell constants and state, one array per variable (slot order).
    std::vector<double> C, k, vr, vt, vpeak, a, b, c, d, Iin, threshold;
    std::vector<std::uint8_t> celltype;
    std::vector<double> point_factor, cap_d, A_s, B_s, A_e, B_e, solve_pe;  // NEURON's tree coefficients
    std::vector<double> v_root, v_soma, v_end, u;
    std::vector<std::uint8_t> spike_flag, watch_flag;
    std::vector<double> syn_A, syn_B;  // [lane * padded + slot]
    // The recovery law's target per celltype: b*(v - vr) with b switching at -65 mV for TC/RTN
    // (b_above, b_below; both b for the others), the FS cubic where fs_mask is 1.
    std::vector<double> b_above, b_below;
    std::vector<double> fs_mask;  // 1 for FS cells (celltype 5), else 0
    std::vector<double> peak_u;   // the WATCH threshold is vpeak + peak_u * u
    std::vector<std::uint8_t> has_clamp;

    // Synaptic mechanism constants.
    std::vector<double> syn_factor, syn_decay1, syn_decay2, syn_e, syn_gmax;

    // Network input. Delivery appends (input, place) records to the bucket of the epoch and
    // delivery partition an event lands in: a few sequential write streams, where a ring over all
    // cells and all future steps (~100 MB for M1) would take a cache miss per event. Before an
    // epoch, each partition scatters its bucket into the input blocks of its groups (epoch steps x
    // lanes x cells each). The sums run in delivery order either way: not a bit of the result
    // depends on this.
    struct event {
        double input;         // weight * factor
        std::uint32_t place;  // into `inputs`: group * block_size + (step * mechs + lane) * group_size + cell
    };
    using event_bucket = std::vector<event>;
    // Per step: its epoch's bucket row and its offset in a block (no divisions per event).
    std::vector<std::uint32_t> bucket_row_of_step, step_offset;
    std::size_t epoch_steps = 1, epochs_ahead = 1, groups = 0, padded = 0, block_size = 0;
    std::vector<event_bucket> buckets;  // [(epoch % epochs_ahead) * partitions + partition]
    // Where each presynaptic cell's synapses onto each partition start in the synapse table (its
    // synapses are sorted by postsynaptic cell): [gid * (partitions + 1) + partition].
    std::vector<std::uint64_t> partition_starts;
    std::vector<double> inputs;         // [group * block_size + ...]

    std::vector<std::uint32_t> clamp_offsets;
    std::vector<current_clamp> clamps;
    std::vector<std::uint32_t> background_offsets;
    std::vector<background_source> backgrounds;
    std::vector<std::size_t> next_background_step;  // per slot: the earliest arrival
    std::vector<std::uint32_t> played_offsets;
    std::vector<played_source> played;
    std::vector<std::size_t> next_played_step;
    std::vector<artificial_cell> artificial;

    struct step_spike {
        std::size_t step;
        gid_type gid;
    };
    std::vector<std::vector<step_spike>> group_spikes;
    std::vector<std::size_t> trace_slots;
    std::vector<std::vector<double>> traces;
    std::size_t trace_every = 0;

    // LFP current sums (simulation_options::electrode_of_gid). Each group adds its cells' share
    // of an epoch's samples into its own buffer; the epoch's end adds the buffers in group order.
    std::size_t sum_every = 0, electrodes = 0;
    std::vector<std::int16_t> electrode_of_slot;  // padded; -1 for none
    std::vector<std::uint8_t> lane_class;         // 0 none, 1 excitatory, 2 inhibitory
    std::vector<bool> group_has_electrode;
    std::vector<std::vector<double>> group_sums;  // [group][(sample in epoch * E + e) * 2 + class-1]
    std::vector<double> excitatory_sums, inhibitory_sums;
    void add_current_sums(std::size_t group, std::size_t lo, std::size_t hi, std::size_t sample);

    state(const recipe& r, const network& n, simulation_options o)
        : rec(r), net(n), opt(std::move(o)) {}

    // The first step whose inputs an event at time T joins: NEURON delivers an event at the first
    // boundary whose delivery time (t_n + dt/2) it does not exceed.
    std::size_t step_of(double T) const {
        if (!(T > t_mid[0])) return 0;
        // An estimate, made exact by the comparisons with NEURON's accumulated times below.
        std::size_t n = static_cast<std::size_t>(std::max(0.0, T * inverse_dt - 0.5));
        if (n >= t_mid.size()) return t_mid.size();
        while (n < t_mid.size() && t_mid[n] < T) ++n;
        while (n > 0 && t_mid[n - 1] >= T) --n;
        return n;
    }

    void setup();
    void first_background_events();
    void advance_group(std::size_t group, std::size_t first_step, std::size_t last_step);
    // The first slot whose v or u is NaN or infinite; v_soma.size() when there is none.
    std::size_t first_non_finite() const {
        for (std::size_t i = 0; i < v_soma.size(); ++i)
            if (!std::isfinite(v_soma[i]) || !std::isfinite(u[i])) return i;
        return v_soma.size();
    }
    template <class lanes>
    void integrate_lanes(std::size_t lo, double delta, double* input, const double* clamp_rhs,
                         const double* clamp_diag);
    void integrate_sse2(std::size_t lo, double delta, double* input, const double* clamp_rhs,
                        const double* clamp_diag);
    void integrate_avx2(std::size_t lo, double delta, double* input, const double* clamp_rhs,
                        const double* clamp_diag);
    void integrate_avx512(std::size_t lo, double delta, double* input, const double* clamp_rhs,
                          const double* clamp_diag);
    using integrate_fn = void (state::*)(std::size_t, double, double*, const double*, const double*);
    integrate_fn integrate = &state::integrate_sse2;
    void deliver(std::span<const spike> spikes, std::span<const std::size_t> emitted_steps,
                 std::size_t group);
    void emit_artificial(std::size_t first_step, std::size_t last_step, std::vector<spike>& out,
                         std::vector<std::size_t>& out_steps);
    void draw_background_interval(background_source& s);
};

simulation::simulation(const recipe& r, const network& net, simulation_options options)
    : state_(std::make_unique<state>(r, net, std::move(options))) {
    state_->setup();
}

simulation::~simulation() = default;

void simulation::state::setup() {
    const model_spec& m = rec.model();
    dt = opt.dt;
    inverse_dt = 1.0 / dt;
    // The widest vector unit the processor has; M1BATCH_SIMD=sse2|avx2|avx512 narrows it (the
    // spikes are the same either way, which the tests check).
    {
        const char* want = std::getenv("M1BATCH_SIMD");
        const std::string_view choice = want ? want : "";
        __builtin_cpu_init();
        if (__builtin_cpu_supports("avx512f") && (choice.empty() || choice == "avx512"))
            integrate = &state::integrate_avx512;
        else if (__builtin_cpu_supports("avx2") && (choice.empty() || choice == "avx512" || choice == "avx2"))
            integrate = &state::integrate_avx2;
        else
            integrate = &state::integrate_sse2;
    }
    if (!(dt > 0)) throw run_error("dt must be positive");
    if (!(opt.duration > 0)) throw run_error("duration must be positive");
    // ncs2nrn_integrate: n = int((tstop - t)/dt + 1e-9) steps.
    steps = static_cast<std::size_t>(opt.duration / dt + 1e-9);
    t_start.resize(steps + 2);
    t_mid.resize(steps + 2);
    double t = 0;
    for (std::size_t n = 0; n < steps + 2; ++n) {
        t_start[n] = t;
        t += 0.5 * dt;
        t_mid[n] = t;
        t += 0.5 * dt;
    }

    cells = net.gid_of_slot.size();
    {
        used_mech.assign(m.synaptic_mechanisms.size(), false);
        auto& used = used_mech;
        for (std::uint8_t mech : net.synapses.synaptic_mechanism) used[mech] = true;
        for (gid_type g = 0; g < rec.num_cells(); ++g)
            for (const cell_stimulation& st : rec.stimulations_on(g))
                if (m.stim_sources[m.stim_targets[st.target].source].kind != stim_kind::iclamp)
                    used[st.synaptic_mechanism] = true;
        lane_of_mech.assign(m.synaptic_mechanisms.size(), 0);
        for (std::size_t i = 0; i < used.size(); ++i)
            if (used[i]) lane_of_mech[i] = static_cast<std::uint8_t>(mechs++);
        mechs = std::max<std::size_t>(mechs, 1);
    }
    // Per-cell arrays are padded to whole groups, the padding cells copies of the last real one,
    // so the arithmetic runs over full groups in vector registers.
    groups = (cells + group_size - 1) / group_size;
    padded = groups * group_size;
    auto sized = [&](auto& v, auto value) { v.assign(padded, value); };
    for (auto* v : {&C, &k, &vr, &vt, &vpeak, &a, &b, &c, &d, &Iin, &threshold, &point_factor,
                    &cap_d, &A_s, &B_s, &A_e, &B_e, &solve_pe, &v_root, &v_soma, &v_end, &u})
        sized(*v, 0.0);
    sized(celltype, std::uint8_t{1});
    sized(fs_mask, 0.0);
    sized(peak_u, 0.0);
    sized(has_clamp, std::uint8_t{0});
    sized(b_above, 0.0);
    sized(b_below, 0.0);
    sized(spike_flag, std::uint8_t{0});
    sized(watch_flag, std::uint8_t{0});
    syn_A.assign(padded * mechs, 0.0);
    syn_B.assign(padded * mechs, 0.0);

    for (std::size_t s = 0; s < padded; ++s) {
        const cell_rule& rule = *rec.cell_rule_of(net.gid_of_slot[std::min(s, cells - 1)]);
        const izhikevich_params& z = rule.izhikevich;
        C[s] = z.C; k[s] = z.k; vr[s] = z.vr; vt[s] = z.vt; vpeak[s] = z.vpeak;
        a[s] = z.a; b[s] = z.b; c[s] = z.c; d[s] = z.d; Iin[s] = z.Iin;
        celltype[s] = static_cast<std::uint8_t>(z.celltype);
        fs_mask[s] = z.celltype == 5 ? 1.0 : 0.0;
        peak_u[s] = z.celltype == 4 ? -0.1 : z.celltype == 6 ? 0.1 : 0.0;
        b_above[s] = z.celltype == 6 ? 0 : z.celltype == 7 ? 2 : z.b;
        b_below[s] = z.celltype == 6 ? 15 : z.celltype == 7 ? 10 : z.b;
        threshold[s] = m.default_threshold;
        // treeset.cpp nrn_area_ri and connection_coef for one section of one segment: the soma
        // node s between the zero-area (area 100) root node r and end node e.
        const soma_geometry& g = rule.geometry;
        const double dx = g.L;
        const double area = pi * g.diam * dx;
        const double rleft = 1e-2 * g.Ra * (dx / 2) / (pi * g.diam * g.diam / 4.);
        const double rinv = 1. / rleft;
        B_s[s] = -1.e2 * rinv / area;
        A_s[s] = -1.e2 * rinv / 1.e2;
        B_e[s] = -1.e2 * rinv / 1.e2;
        A_e[s] = -1.e2 * rinv / area;
        point_factor[s] = 1.e2 / area;
        solve_pe[s] = A_e[s] / (0.0 - B_e[s]);  // triang's first pivot ratio, the same every step
        cap_d[s] = (.001 / dt) * g.cm;
        // finitialize: every node at v_init; the Izhi2007b INITIAL sets u = 0.2*vr and its t = 0
        // self-event sets the soma node to vr.
        v_root[s] = v_end[s] = rule.v_init;
        v_soma[s] = z.vr;
        u[s] = 0.2 * z.vr;
    }

    syn_factor.assign(mechs, 0.0);
    syn_decay1.assign(mechs, 0.0);
    syn_decay2.assign(mechs, 0.0);
    syn_e.assign(mechs, 0.0);
    syn_gmax.assign(mechs, std::numeric_limits<double>::infinity());
    for (std::size_t mech = 0; mech < m.synaptic_mechanisms.size(); ++mech) {
        if (!used_mech[mech]) continue;
        const synaptic_mechanism& s = m.synaptic_mechanisms[mech];
        const std::size_t i = lane_of_mech[mech];
        double tau1 = s.tau1, tau2 = s.tau2;
        // exp2syn.mod INITIAL (MyExp2SynBB has no lower clamp)
        if (tau1 / tau2 > .9999) tau1 = .9999 * tau2;
        if (s.mod == "Exp2Syn" && tau1 / tau2 < 1e-9) tau1 = tau2 * 1e-9;
        const double tp = (tau1 * tau2) / (tau2 - tau1) * std::log(tau2 / tau1);
        double factor = -std::exp(-tp / tau1) + std::exp(-tp / tau2);
        syn_factor[i] = 1 / factor;
        // cnexp: A = A + (1 - exp(dt*(-1/tau1)))*(-A)
        syn_decay1[i] = 1. - std::exp(dt * ((-1.0) / tau1));
        syn_decay2[i] = 1. - std::exp(dt * ((-1.0) / tau2));
        syn_e[i] = s.e;
        if (s.mod == "MyExp2SynBB") syn_gmax[i] = s.gmax;
    }

    // Epochs as long as the shortest cell-to-cell delay allows: a spike sent in one epoch never
    // lands inside it.
    const double max_step = 10.0;  // pc.set_maxstep(10)
    std::size_t L = static_cast<std::size_t>(std::max(1.0, std::floor(max_step / dt)));
    if (net.synapses.size() > 0 && std::isfinite(net.min_delay)) {
        const double lag = std::ceil(net.min_delay / dt - 0.5 - 1e-6);
        if (lag < 1)
            throw run_error("the shortest connection delay (" + std::to_string(net.min_delay) +
                            " ms) is shorter than the time step: m1batch needs delays of at "
                            "least dt");
        L = std::min(L, static_cast<std::size_t>(lag));
    }
    epoch_steps = std::max<std::size_t>(L, 1);
    const double longest = std::max(net.max_delay, net.max_artificial_delay);
    const std::size_t longest_steps = static_cast<std::size_t>(std::ceil(longest / dt)) + 3;
    epochs_ahead = (longest_steps + epoch_steps - 1) / epoch_steps + 2;
    // Delivery partitions: enough that a partition's input blocks stay in cache when its events
    // are scattered (16 per thread measured best here); the result does not depend on them.
    const std::size_t threads = opt.threads > 0 ? opt.threads
                                                : static_cast<std::size_t>(tbb::info::default_concurrency());
    partitions = std::max<std::size_t>(1, std::min<std::size_t>(groups, 16 * threads));
    block_size = epoch_steps * mechs * group_size;
    {
        const synapse_table& t = net.synapses;
        const std::size_t sources = t.offsets.size() - 1;
        partition_starts.resize(sources * (partitions + 1));
        tbb::parallel_for(std::size_t(0), sources, [&](std::size_t g) {
            const std::uint32_t* begin = t.post_slot.data() + t.offsets[g];
            const std::uint32_t* end = t.post_slot.data() + t.offsets[g + 1];
            for (std::size_t p = 0; p <= partitions; ++p) {
                const std::uint32_t lo =
                    static_cast<std::uint32_t>(std::min(cells, groups * p / partitions * group_size));
                partition_starts[g * (partitions + 1) + p] =
                    t.offsets[g] + static_cast<std::uint64_t>(std::lower_bound(begin, end, lo) - begin);
            }
        });
    }
    buckets.assign(epochs_ahead * partitions, {});
    inputs.assign(groups * block_size, 0.0);
    bucket_row_of_step.resize(steps + 1);
    step_offset.resize(steps + 1);
    for (std::size_t n = 0; n <= steps; ++n) {
        bucket_row_of_step[n] =
            static_cast<std::uint32_t>((n / epoch_steps % epochs_ahead) * partitions);
        step_offset[n] = static_cast<std::uint32_t>(n % epoch_steps * mechs * group_size);
    }

    // Stimulation of each cell.
    clamp_offsets.assign(cells + 1, 0);
    background_offsets.assign(cells + 1, 0);
    played_offsets.assign(cells + 1, 0);
    for (std::size_t s = 0; s < cells; ++s) {
        const gid_type gid = net.gid_of_slot[s];
        for (const cell_stimulation& st : rec.stimulations_on(gid)) {
            const stim_target& target = m.stim_targets[st.target];
            const stim_source& source = m.stim_sources[target.source];
            if (source.kind == stim_kind::iclamp) {
                clamps.push_back({source.del, source.dur, source.amp});
            } else if (source.kind == stim_kind::netstim) {
                background_source b;
                b.slot = static_cast<std::uint32_t>(s);
                b.mech = lane_of_mech[st.synaptic_mechanism];
                b.weight = st.weight;
                b.delay = st.delay;
                b.process = netstim_process(source.interval, source.noise, source.number,
                                            rec.netstim_stream(gid, source.seed));
                b.process.start(source.start);
                backgrounds.push_back(b);
                (void)target;
            } else {
                played_source p;
                p.slot = static_cast<std::uint32_t>(s);
                p.mech = lane_of_mech[st.synaptic_mechanism];
                p.weight = st.weight;
                p.delay = st.delay;
                p.times = &source.spike_times;
                played.push_back(p);
            }
        }
        clamp_offsets[s + 1] = static_cast<std::uint32_t>(clamps.size());
        has_clamp[s] = clamp_offsets[s + 1] > clamp_offsets[s];
        background_offsets[s + 1] = static_cast<std::uint32_t>(backgrounds.size());
        played_offsets[s + 1] = static_cast<std::uint32_t>(played.size());
    }
    first_background_events();

    // Artificial cells.
    for (const population_layout& layout : rec.populations()) {
        const population_spec& spec = m.populations[layout.spec];
        if (spec.kind == population_kind::izhikevich) continue;
        for (std::uint32_t i = 0; i < layout.size; ++i) {
            artificial_cell cell;
            cell.gid = layout.first_gid + i;
            if (spec.kind == population_kind::netstim) {
                cell.netstim = true;
                cell.process = netstim_process(spec.interval, spec.noise, spec.number,
                                               rec.netstim_stream(cell.gid, spec.seed));
                cell.process.start(spec.start);
            } else {
                cell.times = &spec.spike_times;
            }
            artificial.push_back(cell);
        }
    }

    group_spikes.resize(groups);
    for (gid_type gid : opt.traced_cells) {
        if (gid >= net.slot_of_gid.size() || net.slot_of_gid[gid] < 0)
            throw run_error("cell " + std::to_string(gid) + " cannot be traced: not a simulated cell");
        trace_slots.push_back(static_cast<std::size_t>(net.slot_of_gid[gid]));
    }
    traces.assign(trace_slots.size(), {});
    for (std::size_t i = 0; i < trace_slots.size(); ++i) traces[i].push_back(v_soma[trace_slots[i]]);
    if (!trace_slots.empty()) {
        const double every = opt.record_step / dt;
        trace_every = static_cast<std::size_t>(std::llround(every));
        if (trace_every < 1 || std::fabs(every - double(trace_every)) > 1e-9)
            throw run_error("recordStep must be a whole multiple of dt");
    }
    if (!opt.electrode_of_gid.empty() && opt.electrodes > 0) {
        if (opt.current_interval < 1) throw run_error("the LFP sampling interval must be at least one step");
        sum_every = opt.current_interval;
        electrodes = opt.electrodes;
        electrode_of_slot.assign(padded, -1);
        group_has_electrode.assign(groups, false);
        for (std::size_t slot = 0; slot < cells; ++slot) {
            const gid_type gid = net.gid_of_slot[slot];
            const std::int16_t e = gid < opt.electrode_of_gid.size() ? opt.electrode_of_gid[gid] : -1;
            if (e >= 0 && std::size_t(e) < electrodes) {
                electrode_of_slot[slot] = e;
                group_has_electrode[slot / group_size] = true;
            }
        }
        lane_class.assign(mechs, 0);
        for (std::size_t mech = 0; mech < used_mech.size(); ++mech)
            if (used_mech[mech] && mech < opt.current_class.size())
                lane_class[lane_of_mech[mech]] = opt.current_class[mech];
        const std::size_t per_epoch = epoch_steps / sum_every + 2;
        group_sums.assign(groups, std::vector<double>(per_epoch * electrodes * 2, 0.0));
        excitatory_sums.assign(steps / sum_every * electrodes, 0.0);
        inhibitory_sums.assign(steps / sum_every * electrodes, 0.0);
    }
}

// |I| = |g (v - e)| of every summed mechanism of the group's electrode cells after a step, with
// g as the mechanism computes it (MyExp2SynBB's ceiling included).
void simulation::state::add_current_sums(std::size_t group, std::size_t lo, std::size_t hi,
                                         std::size_t sample) {
    double* out = group_sums[group].data() + sample * electrodes * 2;
    for (std::size_t s = lo; s < hi; ++s) {
        const std::int16_t e = electrode_of_slot[s];
        if (e < 0) continue;
        const double v = v_soma[s];
        for (std::size_t m = 0; m < mechs; ++m) {
            const std::uint8_t cls = lane_class[m];
            if (cls == 0) continue;
            double g = syn_B[m * padded + s] - syn_A[m * padded + s];
            g = g > syn_gmax[m] ? syn_gmax[m] : g;
            out[std::size_t(e) * 2 + (cls - 1)] += std::fabs(g * (v - syn_e[m]));
        }
    }
}

// The step each stimulation's first event joins (an event takes effect at the step its NetStim
// fires, or later by the connection's delay; a negative delay counts as none, as in NEURON).
void simulation::state::first_background_events() {
    next_background_step.assign(cells, std::numeric_limits<std::size_t>::max());
    for (background_source& s : backgrounds) {
        if (!s.process.on) continue;
        s.arrival = std::max(step_of(s.process.next_time), step_of(s.process.next_time + s.delay));
        next_background_step[s.slot] = std::min(next_background_step[s.slot], s.arrival);
    }
    next_played_step.assign(cells, std::numeric_limits<std::size_t>::max());
    for (played_source& p : played) {
        if (p.times->empty()) continue;
        const double T = (*p.times)[0];
        next_played_step[p.slot] =
            std::min(next_played_step[p.slot], std::max(step_of(T), step_of(T + p.delay)));
    }
}

void simulation::state::draw_background_interval(background_source& s) {
    s.process.fire();
    s.arrival = std::max(step_of(s.process.next_time), step_of(s.process.next_time + s.delay));
}

// Advances the cells of one group through steps [first_step, last_step). Each step runs in two
// passes over the group: the event part (threshold checks, resets, inputs: branchy, mostly
// untaken) and the arithmetic part (currents and the tree solve: branch-free, every cell
// independent, so the divisions of different cells overlap instead of forming one long chain).
void simulation::state::advance_group(std::size_t group, std::size_t first_step,
                                      std::size_t last_step) {
    const std::size_t lo = group * group_size, hi = std::min(cells, lo + group_size);
    std::vector<step_spike>& spikes = group_spikes[group];
    // This epoch's network input of the group (scattered by its partition; integrate clears
    // what it reads).
    double* block = inputs.data() + group * block_size;
    double clamp_rhs[group_size] = {}, clamp_diag[group_size] = {};
    for (std::size_t n = first_step; n < last_step; ++n) {
        const double tm = t_mid[n];
        const double delta = tm - (n == 0 ? 0.0 : t_mid[n - 1]);  // Izhi2007b's t - t0
        double* block_row = block + (n - first_step) * group_size * mechs;
        // Which cells have anything to do at this boundary besides the arithmetic: a threshold
        // crossed or a detector to re-arm, a stimulation event, a current clamp. One branch-free
        // pass finds them; for M1 most cells, most steps, have none.
        const std::size_t count = hi - lo;
        std::size_t busy[group_size];
        std::size_t busy_count = 0;
        for (std::size_t i = 0; i < count; ++i) {
            const std::size_t s = lo + i;
            const double v0 = v_soma[s];
            const bool act = (v0 - threshold[s] > 0) | (spike_flag[s] != 0) |
                             (v0 - (vpeak[s] + peak_u[s] * u[s]) > 0) | (watch_flag[s] != 0) |
                             (next_background_step[s] == n) | (next_played_step[s] == n) |
                             (has_clamp[s] != 0);
            busy[busy_count] = s;
            busy_count += act;
        }
        for (std::size_t b = 0; b < busy_count; ++b) {
            const std::size_t s = busy[b];
            // 1. Threshold checks at t_n: the spike detector (10 mV) and the mechanism's WATCH.
            const double v0 = v_soma[s];
            if (v0 - threshold[s] > 0) {
                if (!spike_flag[s]) {
                    spike_flag[s] = 1;
                    spikes.push_back({n, net.gid_of_slot[s]});
                }
            } else if (spike_flag[s]) {
                spike_flag[s] = 0;
            }
            const int type = celltype[s];
            // The WATCH threshold: vpeak - 0.1u for LTS, vpeak + 0.1u for TC, vpeak otherwise
            // (peak_u is -0.1, 0.1 or 0; adding (-0.1*u) is subtracting 0.1*u, to the bit).
            const double peak = vpeak[s] + peak_u[s] * u[s];
            if (v0 - peak > 0) {
                if (!watch_flag[s]) {
                    watch_flag[s] = 1;
                    // NET_RECEIVE flag 2 at t_n + 1e-10, delivered in this step.
                    if (type == 4) {
                        v_soma[s] = c[s] + 0.04 * u[s];
                        u[s] = (u[s] + d[s]) < 670 ? u[s] + d[s] : 670;
                    } else if (type == 5) {
                        v_soma[s] = c[s];
                    } else if (type == 6) {
                        v_soma[s] = c[s] - 0.1 * u[s];
                        u[s] = u[s] + d[s];
                    } else {
                        v_soma[s] = c[s];
                        u[s] = u[s] + d[s];
                    }
                }
            } else if (watch_flag[s]) {
                watch_flag[s] = 0;
            }

            // 2. Events: network input gathered by delivery, then the cell's own stimulation.
            double* in = block_row + (s - lo);  // lane m at in[m * group_size]
            if (next_background_step[s] == n) {
                std::size_t next = std::numeric_limits<std::size_t>::max();
                for (std::uint32_t i = background_offsets[s]; i < background_offsets[s + 1]; ++i) {
                    background_source& src = backgrounds[i];
                    while (src.process.on && src.arrival == n) {
                        in[src.mech * group_size] += src.weight * syn_factor[src.mech];
                        draw_background_interval(src);
                    }
                    if (src.process.on) next = std::min(next, src.arrival);
                }
                next_background_step[s] = next;
            }
            if (next_played_step[s] == n) {
                std::size_t next = std::numeric_limits<std::size_t>::max();
                for (std::uint32_t i = played_offsets[s]; i < played_offsets[s + 1]; ++i) {
                    played_source& p = played[i];
                    while (p.next < p.times->size()) {
                        const double T = (*p.times)[p.next];
                        const std::size_t arrival = std::max(step_of(T), step_of(T + p.delay));
                        if (arrival != n) {
                            next = std::min(next, arrival);
                            break;
                        }
                        in[p.mech * group_size] += p.weight * syn_factor[p.mech];
                        ++p.next;
                    }
                }
                next_played_step[s] = next;
            }
            // Electrode currents come first in NEURON's sums (IClamp's type precedes Exp2Syn's).
            double rhs = 0, diag = 0;
            for (std::uint32_t i = clamp_offsets[s]; i < clamp_offsets[s + 1]; ++i) {
                const current_clamp& cl = clamps[i];
                const double i_clamp = (tm < cl.del + cl.dur && tm >= cl.del) ? cl.amp : 0.0;
                rhs += i_clamp * point_factor[s];  // ELECTRODE_CURRENT: inward positive
                diag -= ((i_clamp - i_clamp) / .001) * point_factor[s];
            }
            clamp_rhs[s - lo] = rhs;
            clamp_diag[s - lo] = diag;
        }
        (this->*integrate)(lo, delta, block_row, clamp_rhs, clamp_diag);

        if (sum_every && (n + 1) % sum_every == 0 && group_has_electrode[group])
            add_current_sums(group, lo, hi, (n + 1) / sum_every - 1 - first_step / sum_every);
        // Vector.record at recordStep: the soma voltage at t_{n+1}.
        if (trace_every && (n + 1) % trace_every == 0) {
            for (std::size_t i = 0; i < trace_slots.size(); ++i)
                if (trace_slots[i] >= lo && trace_slots[i] < hi)
                    traces[i].push_back(v_soma[trace_slots[i]]);
        }
    }
}

// Currents at t_n + dt/2 and the implicit step to t_{n+1}, for the group starting at lo. Every
// expression keeps NEURON's own form and order (nocmodl's finite-difference conductances,
// treeset.cpp's assembly, solve.cpp's elimination), so the result is NEURON's to the bit. The
// cells go through vector registers side by side (GCC vector extensions: IEEE arithmetic per lane,
// so every width gives the same bits as scalar code): the solve is a chain of four dependent
// divisions per cell, which only many cells at once keep from stalling. The width is chosen at
// run time (SSE2, AVX2 or AVX-512), never at build time.
template <class v2>
[[gnu::always_inline]] inline void simulation::state::integrate_lanes(std::size_t lo, double delta,
                                                                      double* input,
                                                                      const double* clamp_rhs,
                                                                      const double* clamp_diag) {
    constexpr std::size_t count = group_size, width = sizeof(v2) / sizeof(double);
    const auto load2 = [](const double* p) [[gnu::always_inline]] {
        v2 x;
        std::memcpy(&x, p, sizeof x);
        return x;
    };
    const auto store2 = [](double* p, v2 x) [[gnu::always_inline]] { std::memcpy(p, &x, sizeof x); };
    double* vs = v_soma.data() + lo;
    double* vroot = v_root.data() + lo;
    double* vend = v_end.data() + lo;
    double* uu = u.data() + lo;
    const double* mfact = point_factor.data() + lo;
    alignas(64) double rhs[group_size], diag[group_size];
    std::memcpy(rhs, clamp_rhs, sizeof rhs);
    std::memcpy(diag, clamp_diag, sizeof diag);
    const v2 zero = v2{} + 0.0, milli = zero + .001;
    // Exp2Syn, one lane per mechanism: this step's events (A += w*factor, B += w*factor; adding
    // 0 changes nothing, A and B never being -0), then i = g*(v - e), conductance by finite
    // difference.
    for (std::size_t m = 0; m < mechs; ++m) {
        double* A = syn_A.data() + m * padded + lo;
        double* B = syn_B.data() + m * padded + lo;
        double* in = input + m * group_size;
        const v2 gmax = zero + syn_gmax[m], e = zero + syn_e[m];
        for (std::size_t i = 0; i < count; i += width) {
            const v2 v = load2(vs + i), mf = load2(mfact + i), x = load2(in + i);
            store2(in + i, zero);  // the block is clean for the next epoch
            const v2 a1 = load2(A + i) + x, b1 = load2(B + i) + x;
            store2(A + i, a1);
            store2(B + i, b1);
            v2 g = b1 - a1;
            g = g > gmax ? gmax : g;
            const v2 i1 = g * ((v + milli) - e);
            const v2 i0 = g * (v - e);
            store2(rhs + i, load2(rhs + i) - i0 * mf);
            store2(diag + i, load2(diag + i) + ((i1 - i0) / milli) * mf);
        }
    }
    // Izhi2007b's BREAKPOINT, first at v + 0.001 (u moves, t0 = t), then at v (t - t0 = 0, u
    // stays). The recovery law of every celltype is one form, u + delta*a*(target - u).
    const v2 dt_now = zero + delta, cubic_k = zero + 0.025, knee = zero - 65.0,
             thousand = zero + 1000.0;
    for (std::size_t i = 0; i < count; i += width) {
        const v2 v = load2(vs + i), vv = v + milli;
        const v2 u0 = load2(uu + i), vrr = load2(vr.data() + lo + i), dd = load2(d.data() + lo + i);
        const v2 cubic = cubic_k * (vv - dd) * (vv - dd) * (vv - dd);
        const v2 fs_target = vv < dd ? zero : cubic;
        const v2 b_now = vv > knee ? load2(b_above.data() + lo + i) : load2(b_below.data() + lo + i);
        const v2 is_fs = load2(fs_mask.data() + lo + i);
        const v2 target = is_fs != zero ? fs_target : b_now * (vv - vrr);
        const v2 u1 = u0 + dt_now * load2(a.data() + lo + i) * (target - u0);
        store2(uu + i, u1);
        const v2 kk = load2(k.data() + lo + i), vtt = load2(vt.data() + lo + i);
        const v2 cc = load2(C.data() + lo + i), in = load2(Iin.data() + lo + i);
        const v2 i1 = -(kk * (vv - vrr) * (vv - vtt) - u1 + in) / cc / thousand;
        const v2 i0 = -(kk * (v - vrr) * (v - vtt) - u1 + in) / cc / thousand;
        const v2 mf = load2(mfact + i);
        store2(rhs + i, load2(rhs + i) - i0 * mf);
        v2 dg = load2(diag + i) + ((i1 - i0) / milli) * mf;
        store2(diag + i, dg + load2(cap_d.data() + lo + i));
    }
    // The 3-node tree: assemble, triangularise, back-substitute (treeset.cpp, solve.cpp).
    for (std::size_t i = 0; i < count; i += width) {
        const v2 as = load2(A_s.data() + lo + i), bs = load2(B_s.data() + lo + i);
        const v2 ae = load2(A_e.data() + lo + i), be = load2(B_e.data() + lo + i);
        const v2 v = load2(vs + i);
        v2 rhs_r = zero, rhs_s = load2(rhs + i), rhs_e = zero;
        v2 d_r = zero, d_s = load2(diag + i), d_e = zero;
        v2 dv = load2(vroot + i) - v;
        rhs_s -= bs * dv;
        rhs_r += as * dv;
        dv = v - load2(vend + i);
        rhs_e -= be * dv;
        rhs_s += ae * dv;
        d_s = d_s - bs;
        d_r -= as;
        d_e = d_e - be;
        d_s -= ae;
        v2 p = load2(solve_pe.data() + lo + i);  // ae / d_e, with d_e = 0 - be: fixed per cell
        d_s -= p * be;
        rhs_s -= p * rhs_e;
        p = as / d_s;
        d_r -= p * bs;
        rhs_r -= p * rhs_s;
        rhs_r /= d_r;
        rhs_s -= bs * rhs_r;
        rhs_s /= d_s;
        rhs_e -= be * rhs_s;
        rhs_e /= d_e;
        store2(vroot + i, load2(vroot + i) + rhs_r);
        store2(vs + i, v + rhs_s);
        store2(vend + i, load2(vend + i) + rhs_e);
    }
    // States at t_{n+1}: Exp2Syn's cnexp decay.
    for (std::size_t m = 0; m < mechs; ++m) {
        double* A = syn_A.data() + m * padded + lo;
        double* B = syn_B.data() + m * padded + lo;
        const v2 f1 = zero + syn_decay1[m], f2 = zero + syn_decay2[m];
        for (std::size_t i = 0; i < count; i += width) {
            const v2 a1 = load2(A + i), b1 = load2(B + i);
            store2(A + i, a1 + f1 * (-a1));
            store2(B + i, b1 + f2 * (-b1));
        }
    }
}

// One instance of the arithmetic per instruction set; setup() picks the widest the processor has.
using lanes2 = double __attribute__((vector_size(16)));
using lanes4 = double __attribute__((vector_size(32)));
using lanes8 = double __attribute__((vector_size(64)));

void simulation::state::integrate_sse2(std::size_t lo, double delta, double* input,
                                       const double* clamp_rhs, const double* clamp_diag) {
    integrate_lanes<lanes2>(lo, delta, input, clamp_rhs, clamp_diag);
}

__attribute__((target("avx2"))) void simulation::state::integrate_avx2(
    std::size_t lo, double delta, double* input, const double* clamp_rhs, const double* clamp_diag) {
    integrate_lanes<lanes4>(lo, delta, input, clamp_rhs, clamp_diag);
}

__attribute__((target("avx512f"))) void simulation::state::integrate_avx512(
    std::size_t lo, double delta, double* input, const double* clamp_rhs, const double* clamp_diag) {
    integrate_lanes<lanes8>(lo, delta, input, clamp_rhs, clamp_diag);
}

// Delivers spikes to the cells of one partition (a range of cell groups). Each group's buckets are
// written by one partition, in spike order, so the sums do not depend on the partitioning.
void simulation::state::deliver(std::span<const spike> spikes,
                                std::span<const std::size_t> emitted_steps, std::size_t part) {
    const synapse_table& t = net.synapses;
    for (std::size_t i = 0; i < spikes.size(); ++i) {
        const spike& sp = spikes[i];
        const std::size_t emitted = emitted_steps[i];
        const std::uint64_t* range = partition_starts.data() + sp.gid * (partitions + 1) + part;
        for (std::uint64_t k = range[0]; k < range[1]; ++k) {
            const std::uint32_t* q = t.post_slot.data() + k;
            const std::size_t arrival =
                std::max(emitted, step_of(sp.time + t.delay[k]));
            if (arrival >= steps) continue;  // lands after the run
            const std::uint8_t m = lane_of_mech[t.synaptic_mechanism[k]];
            const std::uint32_t cell = *q, group = cell / group_size;
            buckets[bucket_row_of_step[arrival] + part].push_back(
                {t.weight[k] * syn_factor[m],
                 static_cast<std::uint32_t>(group * block_size + step_offset[arrival] +
                                            m * group_size + (cell - group * group_size))});
        }
    }
}

// Spikes of artificial cells emitted in steps [first_step, last_step): NetStim populations as
// netstim.mod, VecStim populations at their listed times. They are known ahead of the cells, so
// they are delivered before the epoch is advanced, whatever their delays.
void simulation::state::emit_artificial(std::size_t first_step, std::size_t last_step,
                                        std::vector<spike>& out,
                                        std::vector<std::size_t>& out_steps) {
    const double t_end = t_start[steps];
    for (artificial_cell& cell : artificial) {
        if (cell.netstim) {
            netstim_process& p = cell.process;
            while (p.on) {
                const std::size_t at = step_of(p.next_time);
                if (at >= last_step || p.next_time > t_end) break;
                out.push_back({p.next_time, cell.gid});
                out_steps.push_back(std::max(at, first_step));
                p.fire();
            }
        } else {
            while (cell.next < cell.times->size()) {
                const double T = (*cell.times)[cell.next];
                const std::size_t at = step_of(T);
                if (at >= last_step || T > t_end) break;
                out.push_back({T, cell.gid});
                out_steps.push_back(std::max(at, first_step));
                ++cell.next;
            }
        }
    }
}

simulation_result simulation::run() {
    state& st = *state_;
    simulation_result result;
    result.steps = st.steps;
    const std::size_t groups = st.group_spikes.size();
    const int threads = st.opt.threads > 0 ? static_cast<int>(st.opt.threads)
                                           : tbb::task_arena::automatic;
    tbb::task_arena arena(threads);
    const auto start = std::chrono::steady_clock::now();

    std::vector<spike> epoch_spikes, artificial_spikes;
    std::vector<std::size_t> epoch_steps, artificial_steps;
    arena.execute([&] {
        for (std::size_t first = 0; first < st.steps; first += st.epoch_steps) {
            const std::size_t last = std::min(st.steps, first + st.epoch_steps);

            artificial_spikes.clear();
            artificial_steps.clear();
            st.emit_artificial(first, last, artificial_spikes, artificial_steps);
            // Artificial spikes, then every partition's events of this epoch into the blocks.
            tbb::parallel_for(std::size_t(0), st.partitions, [&](std::size_t p) {
                if (!artificial_spikes.empty()) st.deliver(artificial_spikes, artificial_steps, p);
                auto& bucket = st.buckets[st.bucket_row_of_step[first] + p];
                double* in = st.inputs.data();
                for (const state::event& e : bucket) in[e.place] += e.input;
                bucket.clear();
            });

            tbb::parallel_for(std::size_t(0), groups,
                              [&](std::size_t g) { st.advance_group(g, first, last); });

            // Merge the groups' spikes in (step, gid) order: the delivery order, and so the
            // result, is then the same for any number of threads.
            epoch_spikes.clear();
            epoch_steps.clear();
            std::vector<state::step_spike> merged;
            for (auto& g : st.group_spikes) {
                merged.insert(merged.end(), g.begin(), g.end());
                g.clear();
            }
            std::sort(merged.begin(), merged.end(), [](const auto& x, const auto& y) {
                return x.step != y.step ? x.step < y.step : x.gid < y.gid;
            });
            for (const auto& s : merged) {
                epoch_spikes.push_back({st.t_start[s.step] + 1e-10, s.gid});
                epoch_steps.push_back(s.step);
            }
            if (!epoch_spikes.empty()) {
                tbb::parallel_for(std::size_t(0), st.partitions, [&](std::size_t p) {
                    st.deliver(epoch_spikes, epoch_steps, p);
                });
            }
            const std::size_t before = result.spikes.size();
            result.spikes.insert(result.spikes.end(), epoch_spikes.begin(), epoch_spikes.end());
            result.spikes.insert(result.spikes.end(), artificial_spikes.begin(),
                                 artificial_spikes.end());
            std::sort(result.spikes.begin() + static_cast<std::ptrdiff_t>(before),
                      result.spikes.end(), [](const spike& x, const spike& y) {
                          return x.time != y.time ? x.time < y.time : x.gid < y.gid;
                      });
            // This epoch's current sums, group by group in a fixed order.
            if (st.sum_every) {
                const std::size_t first_sample = first / st.sum_every;
                const std::size_t end_sample = last / st.sum_every;
                const std::size_t E = st.electrodes;
                for (std::size_t g = 0; g < groups; ++g) {
                    if (!st.group_has_electrode[g]) continue;
                    double* buffer = st.group_sums[g].data();
                    for (std::size_t k = first_sample; k < end_sample; ++k)
                        for (std::size_t e = 0; e < E; ++e) {
                            double* b = buffer + ((k - first_sample) * E + e) * 2;
                            st.excitatory_sums[k * E + e] += b[0];
                            st.inhibitory_sums[k * E + e] += b[1];
                            b[0] = b[1] = 0;
                        }
                }
            }
            // A NaN or infinite voltage never crosses threshold again: the run would end looking
            // quiet. One pass over the cells per epoch is cheap next to the epoch itself.
            if (const std::size_t bad = st.first_non_finite(); bad < st.v_soma.size())
                throw non_finite_state(
                    "cell gid " + std::to_string(st.net.gid_of_slot[bad]) +
                    " has a non-finite voltage or recovery variable at t = " +
                    std::to_string(st.t_start[last - 1]) + " ms (the model diverges)");
            if (st.opt.should_stop && st.opt.should_stop())
                throw run_cancelled("stopped at t = " + std::to_string(st.t_start[last - 1]) + " ms");
        }
    });
    result.simulate_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    result.traces = std::move(st.traces);
    result.excitatory_sums = std::move(st.excitatory_sums);
    result.inhibitory_sums = std::move(st.inhibitory_sums);
    return result;
}

}  // namespace m1
