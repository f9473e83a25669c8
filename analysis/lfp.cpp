#include "analysis/lfp.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace m1::analysis {

namespace {

// The delay in whole samples; throws unless ampa_delay_ms / interval_ms is an integer (to a
// rounding error's worth).
std::size_t delay_samples(double delay_ms, double interval_ms) {
    if (!(delay_ms >= 0) || !std::isfinite(delay_ms))
        throw std::invalid_argument("LFP proxy: the AMPA delay must be a finite number >= 0 ms");
    const double d = delay_ms / interval_ms;
    const double whole = std::round(d);
    if (std::abs(d - whole) > 1e-9 * std::max(1.0, whole))
        throw std::invalid_argument("LFP proxy: the AMPA delay (" + std::to_string(delay_ms) +
                                    " ms) is not a whole number of sampling intervals (" +
                                    std::to_string(interval_ms) + " ms)");
    return static_cast<std::size_t>(whole);
}

// (x - mean) / std with the population std; zeros when the series is constant (std nil, or at
// the level of rounding relative to the values).
void z_score(std::vector<double>& x) {
    if (x.empty()) return;
    const auto n = static_cast<double>(x.size());
    double mean = 0, largest = 0;
    for (double v : x) {
        mean += v;
        largest = std::max(largest, std::abs(v));
    }
    mean /= n;
    double ss = 0;
    for (double v : x) ss += (v - mean) * (v - mean);
    const double sd = std::sqrt(ss / n);
    if (!(sd > 1e-12 * largest)) {
        std::fill(x.begin(), x.end(), 0.0);
        return;
    }
    for (double& v : x) v = (v - mean) / sd;
}

void check_sums(const lfp_sums& sums, std::size_t electrodes) {
    if (!(sums.interval_ms > 0) || !std::isfinite(sums.interval_ms))
        throw std::invalid_argument("LFP proxy: the sampling interval must be > 0 ms");
    if (sums.ampa.size() != sums.gaba.size() || sums.ampa.size() % electrodes != 0)
        throw std::invalid_argument(
            "LFP proxy: the AMPA and GABA sums must hold the same whole [sample][electrode] rows");
}

// Welch's segment in samples: params.welch_segment, else 500 ms worth; at most the series.
std::size_t welch_segment(const lfp_params& params, double interval_ms, std::size_t series) {
    std::size_t segment = params.welch_segment;
    if (segment == 0)
        segment = std::max<std::size_t>(1, static_cast<std::size_t>(std::llround(500.0 / interval_ms)));
    return std::min(segment, series);
}

std::vector<lfp_trace> proxy(const lfp_sums& sums, const lfp_params& params, double start_ms,
                             double stop_ms) {
    const std::size_t electrodes = sums.electrodes.size();
    if (electrodes == 0) return {};
    check_sums(sums, electrodes);
    const std::size_t samples = sums.samples();
    const std::size_t delay = delay_samples(params.ampa_delay_ms, sums.interval_ms);

    // The kept samples k: delay <= k < samples, start <= (k + 1) * interval < stop.
    std::vector<std::size_t> kept;
    std::vector<double> t_ms;
    for (std::size_t k = delay; k < samples; ++k) {
        const double t = static_cast<double>(k + 1) * sums.interval_ms;
        if (t < start_ms || t >= stop_ms) continue;
        kept.push_back(k);
        t_ms.push_back(t);
    }

    const double fs_hz = 1000.0 / sums.interval_ms;
    const std::size_t segment = welch_segment(params, sums.interval_ms, kept.size());

    std::vector<lfp_trace> traces(electrodes);
    for (std::size_t e = 0; e < electrodes; ++e) {
        lfp_trace& tr = traces[e];
        tr.electrode = sums.electrodes[e];
        tr.t_ms = t_ms;
        tr.lfp.reserve(kept.size());
        for (std::size_t k : kept)
            tr.lfp.push_back(sums.ampa[(k - delay) * electrodes + e] -
                             params.gaba_weight * sums.gaba[k * electrodes + e]);
        z_score(tr.lfp);
        if (!tr.lfp.empty()) tr.psd = welch(tr.lfp, fs_hz, segment, segment / 2, true);
    }
    return traces;
}

}  // namespace

std::vector<lfp_trace> mazzoni_lfp(const lfp_sums& sums, const lfp_params& params) {
    return proxy(sums, params, -std::numeric_limits<double>::infinity(),
                 std::numeric_limits<double>::infinity());
}

std::vector<lfp_trace> mazzoni_lfp(const lfp_sums& sums, const lfp_params& params, const window& w) {
    return proxy(sums, params, w.start_ms, w.stop_ms);
}

}  // namespace m1::analysis
