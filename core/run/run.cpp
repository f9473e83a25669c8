#include "core/run/run.hpp"

#include "core/base/digest.hpp"
#include "core/io/posix_file.hpp"

#include <sys/resource.h>

#include <tbb/info.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iomanip>
#include <memory>
#include <ostream>
#include <sstream>

namespace m1 {

namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t0) {
    return std::chrono::duration<double>(clock_type::now() - t0).count();
}

void announce_model(const run_config& config, const model_spec& model, std::ostream* log) {
    if (!log) return;
    *log << "model " << config.model.string() << ": " << model.populations.size()
         << " populations, " << model.connectivity_rules.size() << " connectivity rules\n";
    for (const std::string& w : model.warnings) *log << "warning: " << w << "\n";
}

// The recipe and network of a run, built in the run's arena (its thread share).
struct built_instance {
    std::unique_ptr<recipe> rec;
    obtained_network network;
};

built_instance build_instance(execution& threads, const model_spec& model, network_cache* networks,
                              std::ostream* log) {
    built_instance b;
    threads.run([&] {
        b.rec = std::make_unique<recipe>(model);
        b.network = network_for(*b.rec, networks);
    });
    if (log)
        for (const std::string& w : b.rec->warnings()) *log << "warning: " << w << "\n";
    return b;
}

// A traced cell: "population:index" of record.traces resolved.
struct traced_cell {
    std::size_t population = 0;  // index into recipe::populations
    std::uint32_t index = 0;
    gid_type gid = 0;
};

// The cell a "population:index" names, or nothing.
std::optional<traced_cell> resolve_trace(const std::string& t, const recipe& rec) {
    const auto colon = t.rfind(':');
    if (colon == std::string::npos) return std::nullopt;
    const std::string pop = t.substr(0, colon);
    const model_spec& model = rec.model();
    for (std::size_t p = 0; p < rec.populations().size(); ++p) {
        if (model.populations[rec.populations()[p].spec].name != pop) continue;
        std::uint32_t index = 0;
        try {
            index = static_cast<std::uint32_t>(std::stoul(t.substr(colon + 1)));
        } catch (...) {
            return std::nullopt;
        }
        if (index >= rec.populations()[p].size) return std::nullopt;
        return traced_cell{p, index, rec.populations()[p].first_gid + index};
    }
    return std::nullopt;
}

std::vector<traced_cell> traced_cells(const run_config& config, const recipe& rec) {
    std::vector<traced_cell> out;
    for (const std::string& t : config.traces) {
        const auto cell = resolve_trace(t, rec);
        if (!cell)
            throw input_error({config.file.string(), "record.traces", 0, 0},
                              "'" + t + "' names no cell (population:index, index < population size)");
        out.push_back(*cell);
    }
    return out;
}

// What the LFP proxy records: which cells each electrode sums (excitatory cells, celltypes RS,
// IB, CH, by depth), which mechanisms count as AMPA (excitatory) and GABA (inhibitory) by their
// names; NMDA and others are left out, as in Mazzoni et al. 2015.
struct lfp_recording {
    std::vector<electrode_spec> electrodes;
    std::vector<std::int16_t> electrode_of_gid;
    std::vector<std::int64_t> electrode_cells;
    std::vector<std::uint8_t> current_class;
    std::size_t steps = 0;  // between samples
};

std::size_t lfp_steps(const run_config& config, const model_spec& model) {
    const double every = config.lfp.interval_ms / model.sim.dt;
    const auto steps = static_cast<std::size_t>(std::llround(every));
    if (steps < 1 || std::fabs(every - double(steps)) > 1e-9)
        throw input_error({config.file.string(), "lfp.interval_ms", 0, 0},
                          "must be a whole multiple of dt (" + std::to_string(model.sim.dt) + " ms)");
    return steps;
}

// The electrode whose depth range holds `ynorm` (the deepest range closed), or -1.
std::int16_t electrode_at(const std::vector<electrode_spec>& electrodes, double y) {
    for (std::size_t e = 0; e < electrodes.size(); ++e) {
        const auto& el = electrodes[e];
        if (y >= el.ynorm_low && (y < el.ynorm_high || (el.ynorm_high >= 1.0 && y <= 1.0)))
            return static_cast<std::int16_t>(e);
    }
    return -1;
}

lfp_recording plan_lfp(const run_config& config, const recipe& rec) {
    const model_spec& model = rec.model();
    lfp_recording lfp;
    lfp.electrodes = config.lfp.electrodes.empty() ? default_electrodes(model) : config.lfp.electrodes;
    lfp.steps = lfp_steps(config, model);
    lfp.electrode_of_gid.assign(rec.num_cells(), -1);
    lfp.electrode_cells.assign(lfp.electrodes.size(), 0);
    for (gid_type g = 0; g < rec.num_cells(); ++g) {
        const cell_rule* rule = rec.cell_rule_of(g);
        if (!rule || rule->izhikevich.celltype < 1 || rule->izhikevich.celltype > 3) continue;
        const std::int16_t e = electrode_at(lfp.electrodes, rec.position(g).ynorm);
        if (e < 0) continue;
        lfp.electrode_of_gid[g] = e;
        ++lfp.electrode_cells[e];
    }
    for (const auto& mech : model.synaptic_mechanisms)
        lfp.current_class.push_back(mech.name.find("AMPA") != std::string::npos   ? 1
                                    : mech.name.find("GABA") != std::string::npos ? 2
                                                                                  : 0);
    return lfp;
}

simulation_options options_for(const model_spec& model,
                               const std::vector<traced_cell>& traced, const lfp_recording* lfp,
                               const run_extras& extras) {
    simulation_options options;
    options.duration = model.sim.duration;
    options.dt = model.sim.dt;
    options.should_stop = extras.should_stop;
    options.voltage_traces.record_step = model.sim.record_step;
    for (const traced_cell& t : traced) options.voltage_traces.cells.push_back(t.gid);
    if (lfp) {
        options.current_sums.interval = lfp->steps;
        options.current_sums.electrodes = lfp->electrodes.size();
        options.current_sums.electrode_of_gid = lfp->electrode_of_gid;
        options.current_sums.current_class = lfp->current_class;
    }
    return options;
}

// /spikes: by population in model order, node ids within the population.
std::vector<population_spikes> spikes_by_population(const recipe& rec, const simulation_result& result) {
    const auto pops = rec.populations();
    std::vector<population_spikes> out(pops.size());
    for (std::size_t p = 0; p < pops.size(); ++p) out[p].population = rec.model().populations[pops[p].spec].name;
    for (const spike& s : result.spikes) {
        const std::size_t p = rec.population_of(s.gid);
        out[p].timestamps.push_back(s.time);
        out[p].node_ids.push_back(s.gid - pops[p].first_gid);
    }
    return out;
}

cell_table cells_of(const recipe& rec) {
    cell_table cells;
    for (gid_type g = 0; g < rec.num_cells(); ++g) {
        const population_spec& spec = rec.population_spec_of(g);
        const cell_position& pos = rec.position(g);
        cells.gid.push_back(g);
        cells.population.push_back(spec.name);
        cells.cell_type.push_back(spec.cell_type);
        cells.x.push_back(pos.x);
        cells.y.push_back(pos.y);
        cells.z.push_back(pos.z);
        cells.ynorm.push_back(pos.ynorm);
    }
    return cells;
}

connectivity_table connectivity_of(const recipe& rec, const network& net) {
    const model_spec& model = rec.model();
    connectivity_table c;
    for (const auto& p : rec.populations()) {
        c.pre_populations.push_back(model.populations[p.spec].name);
        c.post_populations.push_back(model.populations[p.spec].name);
    }
    for (const auto& s : model.synaptic_mechanisms) c.synaptic_mechanisms.push_back(s.name);
    if (model.synaptic_mechanisms.empty()) c.synaptic_mechanisms.push_back("none");
    c.contacts = net.contacts;
    return c;
}

std::vector<voltage_trace> traces_of(const recipe& rec, const std::vector<traced_cell>& traced,
                                     simulation_result& result) {
    std::vector<voltage_trace> out;
    for (std::size_t i = 0; i < traced.size(); ++i) {
        voltage_trace tr;
        tr.population = rec.model().populations[rec.populations()[traced[i].population].spec].name;
        tr.node_id = traced[i].index;
        tr.gid = traced[i].gid;
        tr.v = std::move(result.traces[i]);
        out.push_back(std::move(tr));
    }
    return out;
}

lfp_sums lfp_sums_of(const run_config& config, lfp_recording& lfp, simulation_result& result) {
    lfp_sums sums;
    sums.interval_ms = config.lfp.interval_ms;
    for (const auto& e : lfp.electrodes) {
        sums.electrodes.push_back(e.name);
        sums.ynorm_low.push_back(e.ynorm_low);
        sums.ynorm_high.push_back(e.ynorm_high);
    }
    sums.cells = std::move(lfp.electrode_cells);
    sums.ampa = std::move(result.excitatory_sums);
    sums.gaba = std::move(result.inhibitory_sums);
    return sums;
}

// /run's attributes up to the timings (the order the run file has always had).
void add_run_identity(const run_config& config, const model_spec& model, run_record& record) {
    const std::uint32_t seed = config.seed ? *config.seed : model.sim.seed.conn;
    auto& attrs = record.run_attributes;
    attrs.emplace_back("format_version", std::int64_t{2});  // 2: /lfp
    attrs.emplace_back("model_file", config.model.string());
    attrs.emplace_back("model_sha256", model.sha256);
    attrs.emplace_back("seed", std::int64_t{seed});
    attrs.emplace_back("seed_conn", std::int64_t{model.sim.seed.conn});
    attrs.emplace_back("seed_stim", std::int64_t{model.sim.seed.stim});
    attrs.emplace_back("seed_loc", std::int64_t{model.sim.seed.loc});
    attrs.emplace_back("dt_ms", model.sim.dt);
    attrs.emplace_back("duration_ms", model.sim.duration);
    attrs.emplace_back("threads", std::int64_t(config.threads > 0
                                                   ? config.threads
                                                   : std::size_t(tbb::info::default_concurrency())));
    attrs.emplace_back("version", std::string(M1_VERSION));
}

void add_run_figures(const run_config& config, const run_summary& s, std::size_t steps,
                     run_record& record) {
    auto& attrs = record.run_attributes;
    attrs.emplace_back("build_s", s.build_s);
    attrs.emplace_back("simulate_s", s.simulate_s);
    attrs.emplace_back("cells", std::int64_t(s.cells));
    attrs.emplace_back("synapses", std::int64_t(s.synapses));
    attrs.emplace_back("steps", std::int64_t(steps));
    attrs.emplace_back("config_file", config.file.string());
    attrs.emplace_back("network_reused", std::int64_t(s.network_reused));
    attrs.emplace_back("spikes", std::int64_t(s.spikes));
    attrs.emplace_back("mean_rate_hz", s.mean_rate_hz());
}

// "gid G (population) by T ms; ..." for the first `shown` of `cells`, then "... and N more".
std::string runaway_cell_list(const recipe& rec, const std::vector<runaway_cell>& cells,
                              std::size_t shown) {
    std::ostringstream list;
    for (std::size_t i = 0; i < std::min(shown, cells.size()); ++i) {
        const std::size_t p = rec.population_of(cells[i].gid);
        list << (i ? "; " : "") << "gid " << cells[i].gid << " ("
             << rec.model().populations[rec.populations()[p].spec].name << ") by "
             << cells[i].by_ms << " ms";
    }
    if (cells.size() > shown) list << "; ... and " << cells.size() - shown << " more";
    return list.str();
}

// Cells whose state ran away (NEURON goes on without them, and so did the engine): a warning, and
// /run attributes runaway_cells (how many, always written) and runaway_cell_list (the first 100,
// well inside HDF5's 64 KiB attribute limit however many ran away) when there are any.
void note_runaway_cells(const recipe& rec, const std::vector<runaway_cell>& cells,
                        run_record& record, std::ostream* log) {
    record.run_attributes.emplace_back("runaway_cells", std::int64_t(cells.size()));
    if (cells.empty()) return;
    record.run_attributes.emplace_back("runaway_cell_list", runaway_cell_list(rec, cells, 100));
    if (log)
        *log << "warning: " << cells.size() << (cells.size() == 1 ? " cell" : " cells")
             << " ran away to a non-finite voltage and fell silent, as in NEURON: "
             << runaway_cell_list(rec, cells, 10) << "\n";
}

std::vector<population_summary> population_summaries(const recipe& rec, const run_record& record,
                                                     double duration) {
    const auto pops = rec.populations();
    const std::size_t mechs = record.connectivity.synaptic_mechanisms.size();
    std::vector<population_summary> out;
    for (std::size_t p = 0; p < pops.size(); ++p) {
        population_summary ps;
        ps.name = rec.model().populations[pops[p].spec].name;
        ps.cells = pops[p].size;
        for (std::size_t q = 0; q < pops.size(); ++q)
            for (std::size_t m = 0; m < mechs; ++m)
                ps.incoming_synapses += record.connectivity.contacts[(q * pops.size() + p) * mechs + m];
        // NetPyNE's popRates: spikes with 0 <= t <= duration.
        for (double t : record.spikes[p].timestamps)
            if (t >= 0 && t <= duration) ++ps.spikes;
        ps.rate_hz = ps.cells ? double(ps.spikes) / ps.cells / (duration / 1000.0) : 0;
        out.push_back(ps);
    }
    return out;
}

// The run record of a simulated instance, but for /run's attributes and /lfp.
run_record record_of(const recipe& rec, const network& net, const std::vector<traced_cell>& traced,
                     simulation_result& result) {
    run_record record;
    record.spikes = spikes_by_population(rec, result);
    record.cells = cells_of(rec);
    record.connectivity = connectivity_of(rec, net);
    record.model_json = rec.model().document.dump(1);
    record.record_step = rec.model().sim.record_step;
    record.traces = traces_of(rec, traced, result);
    return record;
}

void log_built(const recipe& rec, const obtained_network& n, double build_s, std::ostream* log) {
    if (!log) return;
    *log << (n.reused ? "reused the connectivity of an earlier run: " : "built ") << rec.num_cells()
         << " cells and " << n.net->num_contacts << " synaptic contacts in " << std::fixed
         << std::setprecision(2) << build_s << " s\n";
}

}  // namespace

std::string runaway_note(std::uint64_t runaway_cells) {
    if (runaway_cells == 0) return "";
    return std::to_string(runaway_cells) + (runaway_cells == 1 ? " cell" : " cells") +
           " ran away to a non-finite voltage (run.h5: /run runaway_cell_list)";
}

double peak_rss_mib() {
    struct rusage usage {};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_maxrss) / 1024.0;  // KiB on Linux
}

// The phases: build (recipe, network), plan the recording (traces, LFP), simulate, then the run
// record from the recipe, the network and the engine's result.
simulated_run simulate(const run_config& config, model_spec model, std::ostream* log,
                       const run_extras& extras) {
    const auto t0 = clock_type::now();
    announce_model(config, model, log);
    std::optional<execution> own_threads;
    execution& threads = extras.threads ? *extras.threads : own_threads.emplace(config.threads);
    const built_instance b = build_instance(threads, model, extras.networks, log);
    const recipe& rec = *b.rec;
    const auto traced = traced_cells(config, rec);
    std::optional<lfp_recording> lfp;
    if (config.lfp.record) lfp = plan_lfp(config, rec);
    // Building ends when the engine is ready to integrate (its tables are set up too).
    simulation sim(rec, *b.network.net, options_for(model, traced, lfp ? &*lfp : nullptr, extras),
                   threads);
    simulated_run run;
    run_summary& s = run.summary;
    s.build_s = seconds_since(t0);
    log_built(rec, b.network, s.build_s, log);
    simulation_result result = sim.run();

    run.record = record_of(rec, *b.network.net, traced, result);
    run_record& record = run.record;
    s.cells = rec.num_cells();
    s.synapses = b.network.net->num_contacts;
    s.spikes = result.spikes.size();
    s.duration_ms = model.sim.duration;
    s.simulate_s = result.simulate_seconds;
    s.network_reused = b.network.reused;
    add_run_identity(config, model, record);
    add_run_figures(config, s, result.steps, record);
    note_runaway_cells(rec, result.runaway_cells, record, log);
    s.runaway_cells = result.runaway_cells.size();
    s.wall_s = seconds_since(t0);
    record.run_attributes.emplace_back("wall_s", s.wall_s);
    for (const auto& a : extras.run_attributes) record.run_attributes.push_back(a);
    record.sweep_attributes = extras.sweep_attributes;
    if (lfp) record.lfp = lfp_sums_of(config, *lfp, result);
    s.populations = population_summaries(rec, record, model.sim.duration);
    return run;
}

void prepare_output(const run_config& config) {
    std::error_code ec;
    std::filesystem::create_directories(config.output, ec);
    if (ec || !std::filesystem::is_directory(config.output))
        throw run_error("cannot create output directory " + config.output.string() + ": " +
                        (ec ? ec.message() : std::string("a file is in the way")));
}

std::filesystem::path run_file_of(const run_config& config) { return config.output / "run.h5"; }

std::string write_run(const run_config& config, simulated_run& run) {
    run.summary.run_file = run_file_of(config);
    const std::string image = run_file_image(run.summary.run_file, run.record);
    write_file_atomically(run.summary.run_file, image);
    run.summary.peak_rss_mb = peak_rss_mib();
    return sha256_hex(image);
}

run_summary run_model(const run_config& config, model_spec model, std::ostream* log,
                      const run_extras& extras) {
    prepare_output(config);
    simulated_run run = simulate(config, std::move(model), log, extras);
    write_run(config, run);
    return run.summary;
}

run_summary run_instance(const run_config& config, std::ostream* log) {
    return run_model(config, effective_model(config), log);
}

void print_summary(const run_summary& s, std::ostream& out) {
    out << std::left << std::setw(12) << "population" << std::right << std::setw(8) << "cells"
        << std::setw(14) << "synapses in" << std::setw(10) << "spikes" << std::setw(10)
        << "rate Hz" << "\n";
    for (const auto& p : s.populations)
        out << std::left << std::setw(12) << p.name << std::right << std::setw(8) << p.cells
            << std::setw(14) << p.incoming_synapses << std::setw(10) << p.spikes << std::setw(10)
            << std::fixed << std::setprecision(2) << p.rate_hz << "\n";
    const double rate = s.mean_rate_hz();
    out << std::left << std::setw(12) << "total" << std::right << std::setw(8) << s.cells
        << std::setw(14) << s.synapses << std::setw(10) << s.spikes << std::setw(10)
        << std::fixed << std::setprecision(2) << rate << "\n";
    out << std::setprecision(2) << "build " << s.build_s << " s, simulate " << s.simulate_s
        << " s, real-time factor " << std::setprecision(3) << (s.simulate_s / (s.duration_ms / 1000.0))
        << ", peak memory " << std::setprecision(0) << s.peak_rss_mb << " MiB\n"
        << "run file: " << s.run_file.string() << "\n";
}

}  // namespace m1
