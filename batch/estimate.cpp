#include "batch/estimate.hpp"

#include "core/run/run.hpp"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <ostream>
#include <thread>

namespace m1::batch {

namespace {

// Bytes a recorded spike holds while the run goes on (time and gid; vectors grow by doubling).
constexpr double bytes_per_spike = 24;

std::int64_t round_up(double value, std::int64_t step) {
    return static_cast<std::int64_t>(std::ceil(value / double(step))) * step;
}

}  // namespace

std::size_t costliest_run(const sweep_spec& sweep, const std::vector<sweep_run>& runs) {
    // NetPyNE's defaults when the model leaves them out: scale 1, duration 1 s.
    auto size_of = [&](const sweep_run& run) {
        const nlohmann::ordered_json doc = effective_document(sweep, run);
        double scale = 1, duration = 1000;
        if (const auto n = doc.find("netParams"); n != doc.end() && n->is_object())
            if (const auto v = n->find("scale"); v != n->end() && v->is_number()) scale = v->get<double>();
        if (const auto c = doc.find("simConfig"); c != doc.end() && c->is_object())
            if (const auto v = c->find("duration"); v != c->end() && v->is_number()) duration = v->get<double>();
        return std::pair{scale, duration};
    };
    std::size_t best = 0;
    std::pair<double, double> best_size{-1, -1};
    for (std::size_t i = 0; i < runs.size(); ++i) {
        const auto size = size_of(runs[i]);
        if (size > best_size) {  // scale first, then duration; the first of equals stays
            best = i;
            best_size = size;
        }
    }
    return best;
}

run_estimate estimate_run(const sweep_spec& sweep, const std::vector<sweep_run>& runs,
                          std::size_t threads, double pilot_ms) {
    run_estimate e;
    if (runs.empty()) return e;
    e.run = costliest_run(sweep, runs);
    const sweep_run& run = runs[e.run];
    model_spec model = parse_effective_model(sweep.model, effective_document(sweep, run));
    e.duration_ms = model.sim.duration;
    e.pilot_ms = std::min(model.sim.duration, pilot_ms);
    model.sim.duration = e.pilot_ms;

    run_config config = run.config;
    e.threads = threads ? threads : std::max(1u, std::thread::hardware_concurrency());
    config.threads = e.threads;
    // The pilot is a value: nothing is written (simulate), its spikes are read from its record.
    const simulated_run pilot = simulate(config, std::move(model), nullptr);
    const run_summary& s = pilot.summary;

    e.cells = s.cells;
    e.synapses = s.synapses;
    e.build_s = s.build_s;
    const double factor = e.pilot_ms > 0 ? e.duration_ms / e.pilot_ms : 1;
    e.simulate_s = s.simulate_s * factor;
    // Spikes at the rate of the pilot's second half: its start is quieter than what follows (in
    // M1, NetStim inputs begin at 50 ms), so the whole pilot's rate would undercount.
    double second_half = 0;
    for (const auto& p : pilot.record.spikes)
        second_half += double(p.timestamps.end() -
                              std::lower_bound(p.timestamps.begin(), p.timestamps.end(), e.pilot_ms / 2));
    e.spikes = double(s.spikes) + second_half / (e.pilot_ms / 2) * (e.duration_ms - e.pilot_ms);
    e.memory_mib = peak_rss_mib() + (e.spikes - double(s.spikes)) * bytes_per_spike / (1024.0 * 1024.0);
    return e;
}

std::int64_t requested_time_s(const run_estimate& e, std::size_t runs_per_task) {
    const double seconds = 2 * e.time_s() * double(std::max<std::size_t>(1, runs_per_task)) + 600;
    return round_up(seconds, 300);
}

std::int64_t requested_memory_mib(const run_estimate& e) {
    return round_up(1.5 * e.memory_mib + 256, 64);
}

void print_estimate(const sweep_spec& sweep, const std::vector<sweep_run>& runs,
                    const run_estimate& e, std::ostream& out) {
    const double run_s = e.time_s();
    out << std::fixed << std::setprecision(1);
    out << sweep.name << ": " << runs.size() << " runs; measured on run " << runs[e.run].id
        << " (the largest) with a pilot of " << e.pilot_ms << " ms of " << e.duration_ms
        << " ms, " << e.threads << " thread" << (e.threads == 1 ? "" : "s") << "\n"
        << "  cells " << e.cells << ", synapses " << e.synapses << ", expected spikes "
        << std::setprecision(0) << e.spikes << std::setprecision(1) << "\n"
        << "  per run: memory " << e.memory_mib << " MiB, time " << run_s << " s (build "
        << e.build_s << " s, simulate " << e.simulate_s << " s)\n"
        << "  whole sweep, one run at a time: " << std::setprecision(2)
        << run_s * double(runs.size()) / 3600.0 << " h, "
        << run_s * double(runs.size()) * double(e.threads) / 3600.0 << " core-hours\n"
        << "  a cluster task of one run asks for: time "
        << requested_time_s(e, 1) / 60 << " min, mem " << requested_memory_mib(e)
        << " MiB (2x time + 10 min, 1.5x memory + 256 MiB: compute nodes differ from this machine)\n";
}

}  // namespace m1::batch
