#include "analysis/spike_trains.hpp"

#include <cmath>

namespace m1::analysis {

std::vector<double> spike_counts(const std::vector<double>& times, const window& w, double bin_ms) {
    const auto bins = static_cast<std::size_t>(std::floor((w.stop_ms - w.start_ms) / bin_ms + 1e-9));
    std::vector<double> counts(bins, 0.0);
    for (double t : times) {
        if (t < w.start_ms || t >= w.stop_ms) continue;
        const auto b = static_cast<std::size_t>((t - w.start_ms) / bin_ms);
        if (b < bins) counts[b] += 1;
    }
    return counts;
}

}  // namespace m1::analysis
