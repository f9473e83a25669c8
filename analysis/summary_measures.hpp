#pragma once
// A run's measures by name, as m1analyze's summary.csv has them after the run's own columns, and as
// a search's objectives name them:
//   rate_hz                       the network's mean rate (cells weighted)
//   peak_hz, theta, alpha, beta, gamma      the network rate spectrum's peak and band powers
//   rate_hz:<pop>, cv_isi:<pop>   per population
//   lfp_peak_hz:<electrode>       the LFP proxy's spectral peak
//   granger_peak:<pre>__<post>    the largest Granger causality pre -> post in 5-100 Hz
//   nte:<a>__<b>, nte_z:<a>__<b>, nte_p:<a>__<b>   transfer entropy, its z and p (standard mode)
// Only what the analysis computed is there (a run analysed for rates has no peak_hz).
#include "analysis/run_analysis.hpp"

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace m1::analysis {

using named_measure = std::pair<std::string, double>;

// The largest Granger causality pre -> post (f_xy) over 5-100 Hz; NaN for a failed fit.
double granger_peak(const granger_result& g);

// In summary column order; NaN where a measure has no value (a failed Granger fit, a silent
// population's CV).
std::vector<named_measure> summary_measures(const analysis_result& result, const run_trains& trains);

// The measures of a run analysed earlier: its run file's trains (for the cell counts) and its
// analysis file read back. Throws run_error when either cannot be read.
std::vector<named_measure> measures_of_run(const std::filesystem::path& run_file);

}  // namespace m1::analysis
