#pragma once
// A sweep file: a run configuration plus a [sweep] table (README "Sweeps").
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
// file, the key and the line, before any run starts. What sweep and search files share (base files,
// run keys, the checks against the model) is batch_file.hpp's; a file has either [sweep] or
// [optimize] (a search, optimize_file.hpp).
#include "batch/parameter_space.hpp"
#include "core/base/error.hpp"
#include "core/format/json_source.hpp"
#include "core/run/run.hpp"

#include <toml++/toml.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace m1::batch {

enum class sweep_method { grid, list, random, latin_hypercube };

using sweep_param = parameter;  // parameter_space.hpp

// A top-level table that belongs to another component ([cluster]: job submission), as one file of
// the sweep's chain wrote it. The sweep carries it without reading it.
struct carried_table {
    std::filesystem::path file;
    std::shared_ptr<const toml::table> document;  // the whole file: a copy of a table would lose its lines
    const toml::table* table = nullptr;           // the carried table inside it
};

struct sweep_spec {
    std::filesystem::path file;                 // the sweep file
    std::vector<std::filesystem::path> sources; // the sweep file, then its base files, in order
    std::string name;
    run_config config;                          // the run keys: base files first, then the sweep file's
    sweep_method method = sweep_method::grid;
    std::size_t replicates = 1;
    std::vector<std::string> replicate_seeds{"conn", "stim", "loc"};
    std::vector<parameter> params;
    std::vector<std::string> groups;               // grid: one per param; "" = its own axis, else
                                                   // the params of one group are zipped
    std::vector<std::vector<param_value>> points;  // list: one value per param per point
    std::size_t samples = 0;                       // random, latin_hypercube
    std::uint64_t sampling_seed = 1;
    std::optional<double> timeout_s;
    std::vector<std::string> analysis;             // measures run after each run: rates, rate_psd,
                                                   // granger, nte (m1analyze's default parameters)
    std::vector<carried_table> cluster_tables;     // [cluster], the deepest base file first
    json_document model;                           // the model file as read: every run starts from it
    // The sweep made self-contained, for OUTPUT/sweep.toml: the sweep file's keys with its base
    // files merged in (no `base`), model = "model.json", output = "." . Loading that file next to a
    // copy of the model gives the same runs with the same ids. ([cluster] is added by its reader,
    // cluster.hpp load_cluster.)
    toml::table self_contained;
    std::string copy_name = "sweep.toml";          // its name in OUTPUT (a search's: optimize.toml)
};

// True when `file` is TOML with a top-level [sweep] table (m1batch then runs it as a sweep, and a
// file without one as a single run).
bool is_sweep_file(const std::filesystem::path& file);

// Reads and validates a sweep file (and its base files, and the model file it names): unknown keys,
// keys of another method, unknown JSON Pointers or run keys, empty or mixed-type value lists,
// grouped lists of unequal length, bad ranges. Throws input_error.
sweep_spec load_sweep(const std::filesystem::path& file);

}  // namespace m1::batch
