#include "batch/executor.hpp"

#include "batch/ledger.hpp"

#include "analysis/run_analysis.hpp"
#include "core/base/text_format.hpp"
#include "core/engine/recipe.hpp"

#include <algorithm>
#include <fstream>
#include <limits>
#include <optional>
#include <ostream>
#include <set>
#include <sstream>
#include <thread>

namespace m1::batch {

analysis::analysis_params analysis_params_of(const sweep_spec& sweep) {
    analysis::analysis_params params;
    const auto asked = [&](const char* name) {
        return std::find(sweep.analysis.begin(), sweep.analysis.end(), name) != sweep.analysis.end();
    };
    params.compute_rates = asked("rates");
    params.compute_rate_psd = asked("rate_psd");
    params.compute_granger = asked("granger");
    params.compute_nte = asked("nte");
    params.compute_lfp = asked("lfp");
    return params;
}

std::atomic<bool>& stop_requested() {
    static std::atomic<bool> flag{false};
    return flag;
}

namespace {

using clock = std::chrono::steady_clock;

attribute_value as_attribute(const param_value& v) {
    return std::visit(
        [](const auto& x) -> attribute_value {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, bool>) return std::int64_t(x ? 1 : 0);
            else return x;
        },
        v);
}

// Available memory (MemAvailable), MiB; 0 when unknown.
double available_memory_mib() {
    std::ifstream in("/proc/meminfo");
    std::string key;
    double kib = 0;
    std::string unit;
    while (in >> key >> kib >> unit)
        if (key == "MemAvailable:") return kib / 1024.0;
    return 0;
}

// The number of cells of the sweep's first pending run (what its memory and speed scale with).
std::size_t cells_of(const sweep_spec& sweep, const sweep_run& run) {
    try {
        const model_spec model = parse_effective_model(sweep.model, effective_document(sweep, run));
        return recipe(model).num_cells();
    } catch (const std::exception&) {
        return 0;  // the run itself will report what is wrong
    }
}

// The results directory failed the run or its analysis (the state is the caller's to set): every
// worker of the process learns it; `what` leads the message.
void set_directory_fault(const results_directory& dir, const storage_error& e,
                         const std::string& what, run_outcome& outcome) {
    dir.report_fault(e);
    outcome.directory_fault = true;
    outcome.message = what + dir.describe(e);
}

// The measures the sweep asked for right after its run (m1analyze's defaults otherwise). A
// failure leaves the run done: its spikes are whole and m1analyze can redo it; a fault of the
// directory is reported to it all the same (no new run starts).
void analyse_after_run(const sweep_spec& sweep, const simulated_run& run, const std::string& run_file_sha256,
                       const results_directory& dir, std::ostream& log, run_outcome& outcome) {
    try {
        const analysis::analysis_params params = analysis_params_of(sweep);
        // From the record in memory: the run file just written is not read back.
        const auto result = analysis::analyze(analysis::trains_of(run.record), params);
        analysis::write_analysis(run.summary.run_file, result, params, run_file_sha256);
        log << "analysis written: " << params.to_json() << "\n";
    } catch (const storage_error& e) {
        set_directory_fault(dir, e, "analysis failed: ", outcome);
        log << outcome.message << "\n";
    } catch (const std::exception& e) {
        outcome.message = std::string("analysis failed: ") + e.what();
        log << outcome.message << "\n";
    }
}

// Claims the run for this worker: true to go on; false with `outcome` saying why not (another
// worker has it, or the claim could not be made).
bool claim_run(const results_directory& dir, const sweep_run& run, run_outcome& outcome) {
    try {
        if (dir.claim(run.id)) return true;
        outcome.skipped = true;
        outcome.state = run_state::running;
    } catch (const storage_error& e) {
        outcome.state = run_state::failed;
        set_directory_fault(dir, e, "cannot claim the run: ", outcome);
    } catch (const std::exception& e) {
        outcome.state = run_state::failed;
        outcome.message = std::string("cannot claim the run: ") + e.what();
    }
    return false;
}

// Releases the claim however the run ends.
struct claim_release {
    const results_directory& dir;
    const std::string& id;
    ~claim_release() {
        try {
            dir.release_claim(id);
        } catch (...) {
        }
    }
};

void write_log_header(std::ostream& log, const sweep_spec& sweep, const sweep_run& run,
                      std::size_t threads) {
    log << "run " << run.id << " (" << run.index + 1 << " of the sweep " << sweep.name << ")\n";
    for (std::size_t p = 0; p < sweep.params.size(); ++p)
        log << "  " << sweep.params[p].path << " = " << format_value(run.values[p]) << "\n";
    log << "  seeds conn " << run.seeds.conn << ", stim " << run.seeds.stim << ", loc "
        << run.seeds.loc << "; " << threads << " threads\n";
}

// Asked by the engine at every epoch whether to stop: a signal, the directory's fault, or the
// run's timeout; meanwhile it keeps the claim fresh. Remembers why it said stop.
class run_watch {
public:
    run_watch(const sweep_spec& sweep, const sweep_run& run, const results_directory& dir,
              clock::time_point start)
        : dir_(dir), id_(run.id), last_heartbeat_(start),
          deadline_(sweep.timeout_s ? start + std::chrono::duration_cast<clock::duration>(
                                                  std::chrono::duration<double>(*sweep.timeout_s))
                                    : clock::time_point::max()) {}

    bool operator()() {
        if (stop_requested().load(std::memory_order_relaxed)) return true;
        if (dir_.faulted()) return directory_failed = true;
        const auto now = clock::now();
        if (now > deadline_) return timed_out = true;
        if (now - last_heartbeat_ > std::chrono::seconds(30)) {  // the claim stays fresh
            last_heartbeat_ = now;
            try {
                dir_.refresh_claim(id_);
            } catch (...) {
            }
        }
        return false;
    }

    bool timed_out = false, directory_failed = false;

private:
    const results_directory& dir_;
    std::string id_;
    clock::time_point last_heartbeat_, deadline_;
};

// What the run file records of the batch: the run's place in the sweep and its swept values.
run_extras extras_for(const sweep_spec& sweep, const sweep_run& run, network_cache* networks) {
    run_extras extras;
    extras.networks = networks;
    extras.run_attributes = {{"run_id", run.id},
                             {"sweep_name", sweep.name},
                             {"run_index", std::int64_t(run.index)},
                             {"point", std::int64_t(run.point)},
                             {"replicate", std::int64_t(run.replicate)}};
    for (std::size_t p = 0; p < sweep.params.size(); ++p)
        extras.sweep_attributes.emplace_back(sweep.params[p].path, as_attribute(run.values[p]));
    return extras;
}

// Builds, simulates and writes the run (then its analysis if the sweep asks): `outcome` done.
void simulate_run(const sweep_spec& sweep, const sweep_run& run, const results_directory& dir,
                  std::size_t threads, const run_extras& extras, std::ostream& log,
                  run_outcome& outcome) {
    dir.clear_outcome(run.id);
    run_config config = run.config;
    config.threads = threads;
    // The run's id was computed once, at expansion, from this same effective document.
    model_spec model = parse_effective_model(sweep.model, effective_document(sweep, run));
    prepare_output(config);
    execution run_threads(threads);  // the run's share, for its simulation and its analysis
    run_extras with_threads = extras;
    with_threads.threads = &run_threads;
    simulated_run simulated = simulate(config, std::move(model), &log, with_threads);
    const std::string run_file_sha256 = write_run(config, simulated);
    const run_summary& s = simulated.summary;
    outcome.state = run_state::done;
    outcome.spikes = s.spikes;
    outcome.mean_rate_hz = s.mean_rate_hz();
    outcome.build_s = s.build_s;
    outcome.network_reused = s.network_reused;
    outcome.wall_s = s.wall_s;
    outcome.message = runaway_note(s.runaway_cells);
    print_summary(s, log);
    if (!sweep.analysis.empty())
        run_threads.run([&] { analyse_after_run(sweep, simulated, run_file_sha256, dir, log, outcome); });
}

// A run the engine stopped: timed out (failed), or interrupted by the directory's fault or a signal.
void set_stopped(const run_watch& watch, const sweep_spec& sweep, const results_directory& dir,
                 run_outcome& outcome) {
    if (watch.timed_out) {
        std::ostringstream m;
        m << "timed out after " << *sweep.timeout_s << " s (timeout_s)";
        outcome.state = run_state::failed;
        outcome.message = m.str();
    } else {
        outcome.state = run_state::interrupted;
        outcome.message = watch.directory_failed ? "stopped: " + dir.fault_message()
                                                 : "interrupted by SIGINT or SIGTERM";
    }
}

// A run that did not finish: its wall time, the log's last line and status.json.
void record_unfinished(const results_directory& dir, const sweep_run& run, clock::time_point start,
                       std::ostream& log, run_outcome& outcome) {
    outcome.wall_s = std::chrono::duration<double>(clock::now() - start).count();
    log << to_string(outcome.state) << ": " << outcome.message << "\n";
    try {
        dir.record_outcome(run.id, outcome.state, outcome.message, outcome.wall_s,
                           outcome.directory_fault);
    } catch (const std::exception& e) {
        outcome.message += std::string(" (and status.json could not be written: ") + e.what() + ")";
    }
}

}  // namespace

run_outcome run_one(const sweep_spec& sweep, const sweep_run& run, const results_directory& dir,
                    std::size_t threads, network_cache* networks) {
    run_outcome outcome;
    const auto start = clock::now();
    if (!claim_run(dir, run, outcome)) return outcome;
    const claim_release release{dir, run.id};
    std::ofstream log(dir.log_file(run.id), std::ios::trunc);
    write_log_header(log, sweep, run, threads);
    run_watch watch(sweep, run, dir, start);
    run_extras extras = extras_for(sweep, run, networks);
    extras.should_stop = [&watch] { return watch(); };
    try {
        simulate_run(sweep, run, dir, threads, extras, log, outcome);
    } catch (const run_cancelled&) {
        set_stopped(watch, sweep, dir, outcome);
    } catch (const storage_error& e) {
        outcome.state = run_state::failed;
        set_directory_fault(dir, e, "", outcome);
    } catch (const std::bad_alloc&) {
        outcome.state = run_state::failed;
        outcome.message = "out of memory";
    } catch (const std::exception& e) {
        outcome.state = run_state::failed;
        outcome.message = e.what();
    }
    // A done run's wall time is the one its run file records (the index can be rebuilt from it).
    if (outcome.state != run_state::done) record_unfinished(dir, run, start, log, outcome);
    return outcome;
}

int report_directory_fault(const results_directory& dir, std::size_t not_started,
                           std::ostream& out) {
    out << "error: " << dir.fault_message() << "; stopped with " << not_started << " run"
        << (not_started == 1 ? "" : "s") << " not started: run the same command again once "
        << dir.root().string() << " can be written to, to complete the sweep\n";
    return exit_runs_failed;
}

job_split automatic_split(std::size_t pending, std::size_t cells, std::size_t cores,
                          double memory_mib) {
    cores = std::max<std::size_t>(cores, 1);
    // Independent runs scale perfectly; threads inside a run do not (merging spikes each epoch,
    // the serial parts of building and writing). So: as many runs at once as cores, memory and
    // the work allow, and the cores left over as threads. Memory per run measured on the full
    // model: 311 MiB peak for 10,734 cells; 40 KiB per cell and 64 MiB besides leaves a margin.
    const double per_run_mib = 64.0 + 40.0 / 1024.0 * double(cells);
    std::size_t by_memory = memory_mib > 0
                                ? static_cast<std::size_t>(std::max(1.0, 0.8 * memory_mib / per_run_mib))
                                : cores;
    job_split split;
    split.jobs = std::max<std::size_t>(1, std::min({cores, std::max<std::size_t>(pending, 1), by_memory}));
    split.threads = std::max<std::size_t>(1, cores / split.jobs);
    return split;
}

namespace {

// The directory's copies of the sweep: renewed, after what killed processes left is cleaned up,
// by the batch that owns it (exclusive lock); else written only if missing.
void prepare_directory(const results_directory& dir, const sweep_spec& sweep,
                       const results_directory::lock& lock, bool exclusive, bool quiet,
                       std::ostream& out) {
    if (!lock.enforced()) {
        // Nobody can be known to be absent: leftovers of others are left alone (never taken
        // as results), and runs are still claimed one by one.
        if (!quiet)
            out << "warning: the file system of " << dir.root().string()
                << " does not support flock: the directory is not locked against a second, "
                   "independent batch (do not start one); runs are still claimed one by one\n";
        if (!std::filesystem::exists(dir.root() / "sweep.toml")) dir.save_sources(sweep);
    } else if (exclusive) {
        dir.clean_up();  // we own the directory: what is left is from killed processes
        dir.save_sources(sweep);
    } else if (!std::filesystem::exists(dir.root() / "sweep.toml")) {
        dir.save_sources(sweep);  // the same bytes whichever array task writes them
    }
}

// Run directories of no run of `runs` (an earlier model or sweep).
std::vector<std::string> stale_runs_of(const std::vector<sweep_run>& runs,
                                       const results_directory& dir) {
    std::set<std::string> ids;
    for (const auto& r : runs) ids.insert(r.id);
    return dir.stale_runs(ids);
}

}  // namespace

int take_directory(const sweep_spec& sweep, const std::vector<sweep_run>& runs, bool exclusive,
                   bool quiet, std::ostream& out, results_directory::lock& lock) {
    try {
        const results_directory dir(sweep.config.output);
        dir.create();
        lock = dir.acquire_lock(exclusive);
        prepare_directory(dir, sweep, lock, exclusive, quiet, out);
        const std::vector<std::string> stale =
            runs.empty() ? std::vector<std::string>{} : stale_runs_of(runs, dir);
        if (!stale.empty() && !quiet)
            out << "note: " << stale.size() << " run director" << (stale.size() == 1 ? "y" : "ies")
                << " in " << (dir.root() / "runs").string()
                << " belong to no run of this sweep (an earlier model or sweep): not reused, not "
                   "indexed (m1batch status lists them)\n";
        return exit_ok;
    } catch (const directory_busy& e) {
        out << "error: " << e.what() << "\n";
        return exit_busy;
    } catch (const std::exception& e) {
        out << "error: " << e.what() << "\n";  // the directory or its lock file cannot be written
        return exit_runs_failed;
    }
}

// A scheduler's grant whole to one run, else the automatic split sized from the first pending run
// (its recipe: a fraction of a second, once), or what was asked.
job_split choose_split(const sweep_spec& sweep, const std::vector<sweep_run>& runs,
                       const std::vector<std::size_t>& todo, const batch_options& options) {
    const std::size_t cores =
        options.cores ? options.cores : std::max(1u, std::thread::hardware_concurrency());
    job_split split;
    const bool automatic = options.jobs == 0 && options.threads == 0;
    if (options.cores && automatic) {
        split.threads = options.cores;
    } else if (!todo.empty() && options.jobs == 0) {
        const std::size_t cells = cells_of(sweep, runs[todo.front()]);
        split = automatic_split(todo.size(), cells, cores, available_memory_mib());
        if (options.threads) {  // threads fixed: as many runs at once as leave them their cores
            split.threads = options.threads;
            split.jobs = std::max<std::size_t>(1, std::min(split.jobs, cores / options.threads));
        }
    } else if (options.jobs) {
        split.jobs = options.jobs;
        split.threads = options.threads ? options.threads : std::max<std::size_t>(1, cores / split.jobs);
    }
    split.jobs = std::max<std::size_t>(1, std::min(split.jobs, std::max<std::size_t>(todo.size(), 1)));
    return split;
}

std::string split_text(const job_split& split, const batch_options& options) {
    const bool automatic = options.jobs == 0 && options.threads == 0;
    std::ostringstream text;
    text << ", " << split.jobs << " at a time with " << split.threads << " thread"
         << (split.threads == 1 ? "" : "s") << " each"
         << (options.cores && automatic ? " (the CPUs granted)" : automatic ? " (automatic)" : "");
    return text.str();
}

void run_pool(const sweep_spec& sweep, const std::vector<sweep_run>& runs,
              const results_directory& dir, const job_split& split, ledger& book,
              network_cache& networks) {
    const auto work = [&] {
        while (const std::optional<std::size_t> k = book.take())
            book.record(*k, run_one(sweep, runs[*k], dir, split.threads, &networks));
    };
    std::vector<std::thread> pool;
    for (std::size_t j = 0; j < split.jobs && !book.todo().empty(); ++j) pool.emplace_back(work);
    while (book.follow(std::chrono::milliseconds(500))) {
    }
    for (auto& t : pool) t.join();
}

int run_local(const sweep_spec& sweep, const std::vector<sweep_run>& runs,
              const batch_options& options, std::ostream& out) {
    const bool array_task = options.task_index.has_value();
    results_directory dir(sweep.config.output);
    results_directory::lock lock;
    if (const int code = take_directory(sweep, runs, /*exclusive=*/!array_task, options.quiet, out, lock))
        return code;
    const ledger_mode mode = array_task ? ledger_mode::array_task : ledger_mode::local;
    ledger book(sweep, runs, dir, options, mode, out);
    const job_split split = choose_split(sweep, runs, book.todo(), options);
    book.print_start(split_text(split, options));
    network_cache networks(split.jobs + 1);
    run_pool(sweep, runs, dir, split, book, networks);
    return book.finish();
}

namespace {

// `m1batch status --csv`: run_id, status, message.
void print_status_csv(const std::vector<index_row>& rows, const std::vector<std::string>& stale,
                      std::ostream& out) {
    std::string csv;
    csv_line(csv, {"run_id", "status", "message"});
    for (const auto& r : rows) csv_line(csv, {r.id, std::string(to_string(r.state)), r.message});
    for (const auto& s : stale) csv_line(csv, {s, "stale", ""});
    out << csv;
}

// `m1batch status`: the counts of each state, then a line for every run not done.
void print_status_table(const std::string& name, const std::vector<index_row>& rows,
                        const std::vector<std::string>& stale, std::ostream& out) {
    std::size_t count[5] = {0, 0, 0, 0, 0};
    for (const auto& r : rows) ++count[static_cast<int>(r.state)];
    out << name << ": " << rows.size() << " runs: " << count[int(run_state::done)] << " done, "
        << count[int(run_state::failed)] << " failed, " << count[int(run_state::interrupted)]
        << " interrupted, " << count[int(run_state::running)] << " running, "
        << count[int(run_state::missing)] << " missing";
    if (!stale.empty()) out << "; " << stale.size() << " stale";
    out << "\n";
    for (const auto& r : rows) {
        if (r.state == run_state::done) continue;
        out << "  " << r.id << "  " << to_string(r.state);
        if (!r.message.empty()) out << ": " << r.message;
        out << "\n";
    }
    for (const auto& s : stale)
        out << "  " << s << "  stale (not a run of this sweep: an earlier model or sweep)\n";
}

}  // namespace

int show_status(const std::filesystem::path& output, bool rebuild, bool csv, std::ostream& out) {
    const std::filesystem::path sweep_file = output / "sweep.toml";
    if (!std::filesystem::exists(sweep_file))
        throw input_error({output.string(), "", 0, 0},
                          "not a results directory of m1batch (no sweep.toml, no optimize.toml)");
    const sweep_spec sweep = load_sweep(sweep_file);
    return show_status_of(sweep, expand_sweep(sweep, std::numeric_limits<std::size_t>::max()),
                          output, rebuild, csv, out);
}

int show_status_of(const sweep_spec& sweep, const std::vector<sweep_run>& runs,
                   const std::filesystem::path& output, bool rebuild, bool csv, std::ostream& out) {
    const results_directory dir(output);
    const std::vector<index_row> rows = read_rows(runs, dir);
    const std::vector<std::string> stale = stale_runs_of(runs, dir);
    if (rebuild) dir.write_index(param_paths(sweep), rows);
    if (csv) {
        print_status_csv(rows, stale, out);
    } else {
        print_status_table(sweep.name, rows, stale, out);
        if (rebuild) out << "index rebuilt: " << (output / "index.csv").string() << "\n";
    }
    const auto done = std::count_if(rows.begin(), rows.end(),
                                    [](const index_row& r) { return r.state == run_state::done; });
    return std::size_t(done) == runs.size() ? exit_ok : exit_runs_failed;
}

}  // namespace m1::batch
