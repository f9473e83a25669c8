#pragma once
// One run: the effective model of a run configuration built, simulated and recorded. simulate()
// returns the run as a value (its run record: spikes, cells, connectivity, traces, LFP sums,
// timings) and writes nothing; run_model() simulates and writes run.h5 into the output directory.
#include "core/base/execution.hpp"
#include "core/engine/simulation.hpp"
#include "core/io/run_file.hpp"
#include "core/run/network_cache.hpp"
#include "core/run/run_config.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <string>
#include <utility>
#include <vector>

namespace m1 {

// What the batch layer adds to a run.
struct run_extras {
    std::vector<std::pair<std::string, attribute_value>> run_attributes;    // more /run attributes
    std::vector<std::pair<std::string, attribute_value>> sweep_attributes;  // /run/sweep
    network_cache* networks = nullptr;
    std::function<bool()> should_stop;  // polled between epochs (simulation_options)
    // The run's thread share, which the caller also analyses the run in; null: simulate makes
    // one of config.threads.
    execution* threads = nullptr;
};

struct population_summary {
    std::string name;
    std::uint32_t cells = 0;
    std::uint64_t incoming_synapses = 0;
    std::uint64_t spikes = 0;
    double rate_hz = 0;
};

struct run_summary {
    std::filesystem::path run_file;
    std::vector<population_summary> populations;
    std::uint64_t cells = 0, synapses = 0, spikes = 0;
    double duration_ms = 0, build_s = 0, simulate_s = 0, peak_rss_mb = 0;
    bool network_reused = false;
    std::uint64_t runaway_cells = 0;  // cells that ran away to a non-finite voltage (/run attrs)
    double wall_s = 0;  // from the start to the run record complete (as /run wall_s records it)
    double mean_rate_hz() const { return cells && duration_ms > 0 ? double(spikes) / cells / (duration_ms / 1000.0) : 0; }
};

// What a run's row in a batch says of its runaway cells: "" for none, else "N cells ran away to a
// non-finite voltage (run.h5: /run runaway_cell_list)".
std::string runaway_note(std::uint64_t runaway_cells);

// A run as a value: what its run file holds and what its summary says (summary.run_file is empty
// and peak_rss_mb 0 until it is written).
struct simulated_run {
    run_record record;
    run_summary summary;
};

// Builds and simulates one instance of `model` (the effective model of `config`); prints progress
// to `log` if given. Writes nothing. Throws input_error, run_error, run_cancelled.
simulated_run simulate(const run_config& config, model_spec model, std::ostream* log,
                       const run_extras& extras = {});

// Creates config.output: it must be writable before minutes of work are spent. Throws run_error.
void prepare_output(const run_config& config);

// The run file of a run configuration: run.h5 in its output directory.
std::filesystem::path run_file_of(const run_config& config);

// Writes a simulated run's file, run_file_of(config), and completes its summary (run_file,
// peak_rss_mb); returns the SHA-256 of the bytes written, which an analysis of the run records as
// its run file's. Throws run_error, storage_error.
std::string write_run(const run_config& config, simulated_run& run);

// Runs one instance of `model` (the effective model of `config`) and writes its run file into
// config.output; prints progress to `log` if given. Throws input_error, run_error, run_cancelled;
// on any of them no run file is left.
run_summary run_model(const run_config& config, model_spec model, std::ostream* log,
                      const run_extras& extras = {});
// run_model of effective_model(config).
run_summary run_instance(const run_config& config, std::ostream* log);

void print_summary(const run_summary& summary, std::ostream& out);

// Peak resident memory of this process so far, MiB.
double peak_rss_mib();

}  // namespace m1
