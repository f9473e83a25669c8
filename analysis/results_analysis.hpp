#pragma once
// m1analyze's work over a results directory (a sweep's or a search's OUTPUT, a single run's output
// directory or one run file): every run analysed in parallel (oneTBB), skipped when its /analysis
// is up to date for the same parameters (unless forced), a run file that cannot be read reported
// and the others analysed; then OUTPUT/summary.csv and OUTPUT/summary.h5 (one row per run) and the
// plots in OUTPUT/plots/ (README "Analysis"): a sweep's heatmap, none for a search's scattered
// points. A search's own files (OUTPUT/optimize.toml beside runs/) are left as they are.
#include "analysis/run_analysis.hpp"
#include "core/io/run_file.hpp"

#include <filesystem>
#include <iosfwd>
#include <string>
#include <vector>

namespace m1::analysis {

// A run file found under a results path, with what its /run says about it.
struct run_entry {
    std::filesystem::path run_file;
    std::string run_id;  // the run directory's name (the batch's id), or the file's stem
    std::int64_t run_index = -1;
    std::vector<std::pair<std::string, attribute_value>> sweep;  // /run/sweep
};

// runs/*/run.h5 of a sweep (ordered by run_index) or of a search (in the order of its index.h5,
// the order evaluated), or the run.h5 of a single run's directory, or the file itself, or else
// every *.h5 of a directory that holds /spikes (spike files of any tool; not analysis.h5,
// *.analysis.h5, summary.h5, index.h5), by name. Throws input_error when the path holds no run
// file.
std::vector<run_entry> find_runs(const std::filesystem::path& path);

struct results_options {
    analysis_params params;
    bool force = false;             // redo analyses that are up to date
    bool plots = true;
    std::string heatmap_measure = "rate_hz";  // a summary column: rate_hz, peak_hz, theta, ...
    std::string heatmap_x, heatmap_y;         // swept parameter paths; default: the first two
    std::size_t threads = 0;                  // 0: all cores
};

// Returns 0 when every run was analysed (or up to date), 1 when some run could not be.
int analyze_results(const std::filesystem::path& path, const results_options& options,
                    std::ostream& log);

}  // namespace m1::analysis
