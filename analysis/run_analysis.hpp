#pragma once
// The analysis of one run: its spike trains read from run.h5, every measure computed (populations
// and ordered population pairs in parallel, oneTBB), and the results written into the analysis
// file beside the run file (analysis.h5 beside run.h5, <name>.analysis.h5 beside <name>.h5;
// README "Analysis"):
//   /analysis                 attributes: params (the request as JSON), version, format_version
//                             (2), run_file and run_file_sha256 (the run file's name and the
//                             digest of its bytes: whose analysis it is), window_start_ms,
//                             window_stop_ms
//   /analysis/rates           population, rate_hz, cv_isi, silent_fraction (one dataset each);
//                             cell_rate_hz/<population> (per cell, by node id)
//   /analysis/rate_psd/<population>, /analysis/rate_psd/all      freq_hz, power; attr mode
//   /analysis/granger/<pre>__<post>   freq_hz, f_xy, f_yx; attrs mode, order, bin_ms, failure
//   /analysis/nte             matrix [source][target]; attr populations, mode, shuffles, seed and
//                             the estimator's own (standard: the delayed TE's state_bin_ms,
//                             max_delay_ms, levels, source_windows_ms; netpyne: bin_ms)
//   /analysis/nte_z, nte_p, nte_delay_ms   (standard mode) the same shape: z, p, lag of the peak
//   /analysis/lfp/<electrode> t_ms, lfp (Mazzoni proxy, z-scored), freq_hz, power; attrs
//                             ampa_delay_ms, gaba_weight
// The run file is never written: its spikes cannot be damaged, and kilobytes of analysis do not
// rewrite megabytes of spikes. Results of earlier versions, with /analysis inside run.h5 (format
// version 1), are still read.
#include "analysis/granger.hpp"
#include "analysis/lfp.hpp"
#include "analysis/rates.hpp"
#include "analysis/spectrum.hpp"
#include "analysis/spike_trains.hpp"
#include "analysis/transfer_entropy.hpp"

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace m1::analysis {

// What spike files of other tools may leave out, given by m1analyze's --cells and --duration: the
// size of populations of files without /cells (default: the largest node id + 1) and the duration
// of runs without /run duration_ms (no default: such a file is not analysed).
struct spike_file_defaults {
    std::map<std::string, std::uint64_t> cells;
    std::optional<double> duration_ms;
};

// The most cells a population of a file without /cells may have (the analysis keeps a few numbers
// per cell): a stray huge node id is refused rather than taken for the population's size.
constexpr std::uint64_t max_population_cells = 100'000'000;

// The window analysed when none is given: the whole run as the run summary counts it (spikes with
// 0 <= t <= duration), or NetPyNE's default timeRange [0, duration], whose bins are
// np.arange(0, duration, bin) edges (the netpyne modes: one bin fewer, NetPyNE's numbers).
enum class default_window { whole_run, netpyne };

struct analysis_params {
    std::optional<window> analysed;  // default: per default_window below
    default_window when_unset = default_window::whole_run;
    bool compute_rates = true, compute_rate_psd = true, compute_granger = true, compute_nte = true,
         compute_lfp = true;
    rate_psd_params psd;
    granger_params granger;
    nte_params nte;
    lfp_params lfp;
    std::size_t cv_min_spikes = 3;  // netpyne mode: 11 (plotSpikeStats: more than 10 spikes)
    // Ordered pairs (pre, post) for Granger; empty: every ordered pair of populations.
    std::vector<std::pair<std::string, std::string>> granger_pairs;
    spike_file_defaults spike_files;  // what spike files without /cells or /run need told

    std::string to_json() const;  // what /analysis records: equal JSON, same analysis
};

// A run's spikes by population (model order), cell counts and depths, and its duration.
struct run_trains {
    std::vector<population_train> populations;
    double duration_ms = 0;
    std::optional<lfp_sums> lfp;  // when the run recorded them
    std::string lfp_skipped;      // why there is no LFP, for the summary's message
};

// Reads a run file or another tool's spike file: populations from /spikes; their cells and mean
// depth from /cells, else the sizes `defaults` gives or largest node id + 1 (cells_of); the
// duration from /run duration_ms, else defaults.duration_ms; the LFP's sums from /lfp, which
// only m1batch records (else lfp_skipped says so). Throws run_error naming the file and what is
// missing (no duration, no population, a file that cannot be read).
run_trains load_trains(const std::filesystem::path& run_file, const spike_file_defaults& defaults = {});

// The trains of a run still in memory (the sweep path: analysed before its file is read back),
// the same as load_trains gives for the run file written from `record`.
run_trains trains_of(const run_record& record);

// The cells of population `p` of `run_file`, a spike file without /cells: the number `defaults`
// gives for it, else its largest node id + 1. Throws input_error (--cells) when the number given
// is smaller than that or more than max_population_cells, run_error when the node ids go past it.
std::uint32_t cells_of(const std::filesystem::path& run_file, const population_spikes& p,
                       const spike_file_defaults& defaults);

struct pair_granger {
    std::string pre, post;
    granger_result result;
};

struct analysis_result {
    window analysed;
    std::vector<std::string> populations;
    std::vector<population_rates> rates;        // by population (empty when not asked)
    std::vector<spectrum> rate_psd;             // by population, then "all" last
    std::vector<pair_granger> granger;
    std::vector<std::vector<double>> nte;       // [source][target], NaN on the diagonal
    // The standard mode's delayed TE: its significance and the lag of its peak, [source][target]
    // like nte (empty in the netpyne modes: NetPyNE's nTE has none).
    std::vector<std::vector<double>> nte_z, nte_p, nte_delay_ms;
    std::vector<lfp_trace> lfp;                 // by electrode (none when the run has no /lfp)
};

// The window analysed: params.analysed, else the default of params.when_unset.
window analysed_window(const run_trains& trains, const analysis_params& params);

analysis_result analyze(const run_trains& trains, const analysis_params& params);

// The analysis file of a run file: analysis.h5 beside run.h5, else <stem>.analysis.h5 beside it.
std::filesystem::path analysis_file(const std::filesystem::path& run_file);

// Writes the analysis file of `run_file` atomically (replacing any earlier one); the run file is
// only read. Throws run_error, or storage_error when the directory is full or read-only.
void write_analysis(const std::filesystem::path& run_file, const analysis_result& result,
                    const analysis_params& params);
// The same for a run file whose bytes have the SHA-256 `run_file_sha256` (write_run's), which is
// then not read.
void write_analysis(const std::filesystem::path& run_file, const analysis_result& result,
                    const analysis_params& params, const std::string& run_file_sha256);

// The params JSON an earlier analysis of this run file recorded; empty when there is none, or
// when the analysis file was made from other bytes (the run was run again since).
std::string recorded_params(const std::filesystem::path& run_file);

// An earlier analysis of this run file read back (what m1analyze summarises when it is up to
// date): the analysis file's, else a version-1 /analysis inside the run file.
analysis_result read_analysis(const std::filesystem::path& run_file);

}  // namespace m1::analysis
