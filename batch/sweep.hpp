#pragma once
// A sweep: a run configuration plus a [sweep] table (README "Sweeps"), expanded into runs.
//
//   name = "sweep_weights"          # optional; default: the file's stem
//   base = "m1.toml"                # optional; its run keys first, this file's keys override them
//   output = "results/sweep_weights"
//   [sweep]
//   method = "grid"                 # grid | list | random | latin_hypercube
//   replicates = 2                  # seeds per point: base seed + 0, 1, ...
//   replicate_seeds = ["stim"]      # which seeds replicates vary (default conn, stim, loc)
//   timeout_s = 600                 # per run; a run over it is failed
//   analysis = ["rates", "rate_psd"] # measures written into each run file after the run
//   [[sweep.param]]
//   path = "/netParams/scaleConnWeight"   # JSON Pointer into the model file, or a run key
//   values = [0.0002, 0.0003]             # grid;  list: no values, [sweep] points = [[...], ...]
//   group = "inh"                         # grid: params of one group are zipped
//   range = [0.1, 1.0]                    # random, latin_hypercube (with samples, sampling_seed)
//
// Everything is validated when the file is loaded: a malformed sweep is an input_error naming the
// file, the key and the line, before any run starts.
#include "batch/cluster.hpp"
#include "core/base/error.hpp"
#include "core/format/json_source.hpp"
#include "core/format/model.hpp"
#include "core/run/run.hpp"

#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace m1::batch {

// One value of a swept parameter. Integers and floats are both numbers; a float field set from an
// integer is written as a float (so that 1 and 1.0 give the same effective model and run id).
using param_value = std::variant<std::int64_t, double, bool, std::string>;

enum class sweep_method { grid, list, random, latin_hypercube };

// Run keys a parameter may name instead of a JSON Pointer.
// "seed" (all three seeds), "seeds.conn", "seeds.stim", "seeds.loc", "duration", "dt", "scale".
bool is_run_key(std::string_view path);

struct sweep_param {
    std::string path;                     // as written in the sweep file
    std::string group;                    // grid only; "" = its own axis
    std::vector<param_value> values;      // grid
    std::optional<std::array<double, 2>> range;  // random, latin_hypercube
    bool log = false;                     // random, latin_hypercube: uniform in log(value)
    bool integer = false;                 // random, latin_hypercube: whole numbers (both range ends are integers)
    source_location where;                // the entry's `path` key
};

struct sweep_spec {
    std::filesystem::path file;                 // the sweep file
    std::vector<std::filesystem::path> sources; // the sweep file, then its base files, in order
    std::string name;
    run_config config;                          // the run keys: base files first, then the sweep file's
    sweep_method method = sweep_method::grid;
    std::size_t replicates = 1;
    std::vector<std::string> replicate_seeds{"conn", "stim", "loc"};
    std::vector<sweep_param> params;
    std::vector<std::vector<param_value>> points;  // list: one value per param per point
    std::size_t samples = 0;                       // random, latin_hypercube
    std::uint64_t sampling_seed = 1;
    std::optional<double> timeout_s;
    std::vector<std::string> analysis;             // measures run after each run: rates, rate_psd,
                                                   // granger, nte (m1analyze's default parameters)
    cluster_spec cluster;                          // [cluster] (base files first, then the sweep file's)
    json_document model;                           // the model file as read: every run starts from it
    // The sweep made self-contained, for OUTPUT/sweep.toml: the sweep file's keys with its base
    // files merged in (no `base`), model = "model.json", output = "." . Loading that file next to a
    // copy of the model gives the same runs with the same ids.
    toml::table self_contained;
};

// True when `file` is TOML with a top-level [sweep] table (m1batch then runs it as a sweep, and a
// file without one as a single run).
bool is_sweep_file(const std::filesystem::path& file);

// Reads and validates a sweep file (and its base files, and the model file it names): unknown keys,
// keys of another method, unknown JSON Pointers or run keys, empty or mixed-type value lists,
// grouped lists of unequal length, bad ranges. Throws input_error.
sweep_spec load_sweep(const std::filesystem::path& file);

struct sweep_run {
    std::size_t index = 0;               // position in the expansion (0-based)
    std::size_t point = 0, replicate = 0;
    std::vector<param_value> values;     // one per sweep_spec::params
    m1::seeds seeds;                     // the seeds this run uses
    std::string id;                      // 16 lowercase hex digits (run_id)
    run_config config;                   // the sweep's run keys with this run's run-key params and
                                         // seeds applied; output = OUTPUT/runs/<id>
};

// The runs of a sweep, in order: points (grid: first parameter slowest, as itertools.product),
// then replicates. Throws input_error naming the file when there are more than max_runs.
std::vector<sweep_run> expand_sweep(const sweep_spec& sweep, std::size_t max_runs);

// A run's effective model: the model file with the run's JSON Pointer params set, then its run
// keys applied (m1::apply_run_keys).
nlohmann::ordered_json effective_document(const sweep_spec& sweep, const sweep_run& run);

// The run id: the first 16 hex digits of SHA-256 over the run-file format version, the canonical
// effective model (m1::canonical_json), the scale and the recorded traces. Never threads, output or executor.
std::string run_id(const nlohmann::ordered_json& effective, const run_config& config);

// A value as the dry-run table, the CSV and the index print it: floats in shortest round-trip form
// laid out as Python's repr ("0.0003", "1.0", "1e-05"), integers as integers, strings as they are,
// booleans true/false.
std::string format_value(const param_value& value);
// The seed column: the common value when conn, stim and loc are equal, else "conn/stim/loc".
std::string format_seeds(const m1::seeds& seeds);

// `m1batch --dry-run`: an aligned table (csv = false) or RFC 4180 CSV with the header run_id,
// each parameter path as given, seed.
void print_runs(const sweep_spec& sweep, const std::vector<sweep_run>& runs, std::ostream& out,
                bool csv);

}  // namespace m1::batch
