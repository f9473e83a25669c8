#pragma once
// A run's configuration: the TOML file that names a model and what to change in it (run keys:
// seeds, duration, dt, scale, threads, traces, [lfp]), and the effective model those changes make.
// Sweep files share these keys (batch/sweep reads them with read_run_keys).
#include "core/format/model.hpp"

#include <toml++/toml.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace m1 {

// An electrode of the LFP proxy: the excitatory cells (celltypes RS, IB, CH) whose normalised depth
// lies in [ynorm_low, ynorm_high) (the deepest range closed).
struct electrode_spec {
    std::string name;
    double ynorm_low = 0, ynorm_high = 1;
};

// [lfp] of a run configuration: what the engine sums for the Mazzoni LFP proxy (lfp_sums).
struct lfp_config {
    bool record = true;
    double interval_ms = 1.0;
    std::vector<electrode_spec> electrodes;  // empty: one per depth range of the excitatory populations
    std::string to_json() const;             // for run ids: equal text, same recording
};

struct run_config {
    std::filesystem::path file;    // the configuration file itself (for messages)
    std::filesystem::path model;   // relative paths are taken relative to the configuration file
    std::filesystem::path output;  // directory; run.h5 goes inside it
    std::optional<std::uint32_t> seed;      // replaces every simConfig seed
    std::optional<m1::seeds> seeds;         // [seeds] conn, stim, loc
    std::size_t threads = 0;                // 0: all cores
    std::optional<double> duration, dt, scale;
    std::vector<std::string> traces;        // "population:index"
    lfp_config lfp;
};

// The electrodes a run records: the configured ones, or one per distinct ynormRange of the
// populations of excitatory cells (M1: L23, L4, L5A, L5B, L6), named by what follows the last '_'
// of the first such population's name.
std::vector<electrode_spec> default_electrodes(const model_spec& model);

// Reads a run configuration; unknown keys, wrong types and bad values are input_errors naming the
// file, key and line.
run_config load_run_config(const std::filesystem::path& path);

// A TOML file, or an input_error naming the file (and the line of a syntax error).
toml::table parse_toml_file(const std::filesystem::path& path);
// Where a TOML node stands, for an input_error.
source_location toml_location(const std::filesystem::path& file, const std::string& key,
                              const toml::node* node);
// Reads the run keys present in `table` into `config`, replacing what is there (a sweep file's keys
// override its base file's); relative paths are taken relative to `file`'s directory. Keys listed in
// `also_allowed` are left to the caller; any other unknown key is an input_error.
void read_run_keys(const toml::table& table, const std::filesystem::path& file, run_config& config,
                   const std::set<std::string>& also_allowed = {});
// A run configuration must name a model and an output directory.
void require_model_and_output(const run_config& config);

// The configuration's run keys (scale, duration, dt, seeds) written into a model document.
void apply_run_keys(nlohmann::ordered_json& document, const run_config& config);
// Parses a changed model document; errors name the original file's line where the key is there.
model_spec parse_effective_model(const json_document& original, nlohmann::ordered_json changed);

// The model as this run sees it: the file with the configuration's changes applied (and written
// into model_spec::document, which the run file keeps).
model_spec effective_model(const run_config& config);
}  // namespace m1
