#pragma once
// One run: a run configuration (TOML) names a model file and what to change in it; running it
// loads the model, builds the network, simulates, and writes run.h5 into the output directory.
#include "model.hpp"
#include "simulation.hpp"

#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace m1 {

struct run_config {
    std::filesystem::path file;    // the configuration file itself (for messages)
    std::filesystem::path model;   // relative paths are taken relative to the configuration file
    std::filesystem::path output;  // directory; run.h5 goes inside it
    std::optional<std::uint32_t> seed;      // replaces every simConfig seed
    std::optional<m1::seeds> seeds;         // [seeds] conn, stim, loc
    std::size_t threads = 0;                // 0: all cores
    std::optional<double> duration, dt, scale;
    std::vector<std::string> traces;        // "population:index"
};

// Reads a run configuration; unknown keys, wrong types and bad values are input_errors naming the
// file, key and line.
run_config load_run_config(const std::filesystem::path& path);

// The model as this run sees it: the file with the configuration's changes applied (and written
// into model_spec::document, which the run file keeps).
model_spec effective_model(const run_config& config);

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
};

// Runs one instance and writes its run file; prints progress to `log` if given.
run_summary run_instance(const run_config& config, std::ostream* log);

void print_summary(const run_summary& summary, std::ostream& out);

// Peak resident memory of this process so far, MiB.
double peak_rss_mib();

}  // namespace m1
