#pragma once
// What the measures work on: each population's spike times, cell count and depth, over an
// analysed window. Read from a run file's /spikes and /cells (run_analysis.cpp).
#include <cstdint>
#include <string>
#include <vector>

namespace m1::analysis {

struct population_train {
    std::string name;
    std::uint32_t cells = 0;
    double mean_ynorm = 0;                  // normalised depth (0 = pia): populations are plotted by it
    std::vector<double> times;              // ms, sorted
    std::vector<std::uint64_t> node_ids;    // index within the population, same order as times
};

// [start, stop) in ms.
struct window {
    double start_ms = 0, stop_ms = 0;
    double duration_s() const { return (stop_ms - start_ms) / 1000.0; }
};

// Spike counts of `times` in bins of bin_ms from window.start_ms; the last, partial bin is dropped
// (numpy.histogram with np.arange edges drops it too). Spikes outside the window are ignored.
std::vector<double> spike_counts(const std::vector<double>& times, const window& w, double bin_ms);

}  // namespace m1::analysis
