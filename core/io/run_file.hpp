#pragma once
// The one HDF5 file a run leaves: run.h5 in the run's output directory. Layout (docs/run-file.md):
//   /spikes/<population>/timestamps  float64 ms (attr units="ms"), /node_ids uint64 (index within
//                                    the population); attr sorting="by_time" on the group (SONATA)
//   /cells/{gid,population,cell_type,x,y,z,ynorm}   one row per cell, gid order
//   /connectivity/contacts           uint64 [pre population][post population][synaptic mechanism]
//                                    with the names as attributes
//   /run                             attributes (format_version, model_file, seed, ...) and the
//                                    dataset /run/model, the effective model as JSON text;
//                                    /run/sweep: the swept parameters of a batch run (attributes)
//   /traces/...                      optional soma voltage traces
// The file is written under a temporary name in the same directory and renamed when complete, so
// a file named run.h5 is always whole.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace m1 {

struct population_spikes {
    std::string population;
    std::vector<double> timestamps;         // ms, sorted by time (ties by node id)
    std::vector<std::uint64_t> node_ids;    // index within the population
};

// Read back (read_run_cells), only `population` is required: the other columns are empty when a
// file written by another tool has none.
struct cell_table {
    std::vector<std::uint64_t> gid;
    std::vector<std::string> population;
    std::vector<std::string> cell_type;
    std::vector<double> x, y, z, ynorm;
};

struct connectivity_table {
    std::vector<std::string> pre_populations;
    std::vector<std::string> post_populations;
    std::vector<std::string> synaptic_mechanisms;
    // contacts[(pre * post_populations.size() + post) * synaptic_mechanisms.size() + mech]
    std::vector<std::uint64_t> contacts;
};

struct voltage_trace {
    std::string population;
    std::uint64_t node_id = 0;  // index within the population
    std::uint64_t gid = 0;
    std::vector<double> v;      // mV, sample k at time k * record_step
};

using attribute_value = std::variant<std::int64_t, double, std::string>;

// What an LFP proxy needs (Mazzoni et al. 2015), recorded by the engine: every interval_ms, per
// electrode, the sums over its cells of |I| of the excitatory (AMPA-class) and of the inhibitory
// (GABA-class) synaptic mechanisms, in nA. Sample k is at time (k + 1) * interval_ms.
//   /lfp/ampa, /lfp/gaba   float64 [samples][electrodes]; /lfp attrs interval_ms, electrodes
//   (names), ynorm_low, ynorm_high (each electrode's depth range), cells (per electrode)
struct lfp_sums {
    double interval_ms = 1;
    std::vector<std::string> electrodes;
    std::vector<double> ynorm_low, ynorm_high;
    std::vector<std::int64_t> cells;
    std::vector<double> ampa, gaba;  // [sample * electrodes.size() + electrode]
    std::size_t samples() const { return electrodes.empty() ? 0 : ampa.size() / electrodes.size(); }
};

struct run_record {
    std::vector<population_spikes> spikes;  // one entry per population, in model order
    cell_table cells;
    connectivity_table connectivity;
    std::vector<std::pair<std::string, attribute_value>> run_attributes;  // in this order
    // The swept parameters of a batch run, as attributes of the group /run/sweep (named by the
    // parameter path as the sweep file gives it); none: no group.
    std::vector<std::pair<std::string, attribute_value>> sweep_attributes;
    std::string model_json;                 // the effective model, /run/model
    double record_step = 0;                 // ms, for traces
    std::vector<voltage_trace> traces;
    std::optional<lfp_sums> lfp;            // /lfp when recorded
};

// Writes `record` to `path` atomically (temporary name, then rename). Throws run_error naming the
// path when the directory cannot be written; leaves no partial file behind.
void write_run_file(const std::filesystem::path& path, const run_record& record);
// The bytes write_run_file writes (for their digest; write them with write_file_atomically).
std::string run_file_image(const std::filesystem::path& path, const run_record& record);

// Whether the file at `path` has a group `name` at its root ("spikes", "cells", "run", ...): spike
// files of other tools have /spikes and little else. Throws run_error naming the path when it is
// not a readable HDF5 file.
bool holds_group(const std::filesystem::path& path, const std::string& name);

// The population of a spike file in bmtk's earlier layout, /spikes/{timestamps, gids}, which
// names none.
inline constexpr const char* unnamed_population = "unnamed";

// The spikes of a SONATA spike file, m1batch's run files among them: /spikes/<population>/
// {timestamps, node_ids} (or gids), one entry per population in creation order where the file
// tracks it (m1batch: model order), else in name order; or /spikes/{timestamps, gids} as one
// population named unnamed_population. Timestamps of any floating-point or integer type, in the
// units their `units` attribute names ("ms", the default, or "s"), come back in ms; node ids of
// any integer type (negative ones refused); spikes sorted by time whatever the file's `sorting`
// (ties by node id). Throws run_error naming the path and what is missing or wrong.
std::vector<population_spikes> read_run_spikes(const std::filesystem::path& path);

// Reads the scalar attributes of /run and of /run/sweep back (integers, floating point, text in
// any of HDF5's string forms), in the order they were written (the batch layer rebuilds its index
// from these). Throws run_error naming the path, also when there is no /run.
struct run_file_attributes {
    std::vector<std::pair<std::string, attribute_value>> run, sweep;
    const attribute_value* find(const std::string& name) const;  // in run; null if absent
};
run_file_attributes read_run_attributes(const std::filesystem::path& path);

// /lfp back; nullopt when the run recorded none.
std::optional<lfp_sums> read_run_lfp(const std::filesystem::path& path);

// The cell table back (the analysis layer: populations, depths). /cells/population is required;
// the other columns are empty when the file has none (spike files of other tools), else one row
// per cell. Text in any of HDF5's string forms (variable- or fixed-length, ASCII or UTF-8).
// Throws run_error naming the path (also when there is no /cells: see holds_group).
cell_table read_run_cells(const std::filesystem::path& path);

}  // namespace m1
