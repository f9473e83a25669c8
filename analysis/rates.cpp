#include "analysis/rates.hpp"

#include <algorithm>

#include <cmath>
#include <limits>
#include <stdexcept>

namespace m1::analysis {

namespace {

void check(const population_train& train, const window& w) {
    if (!(w.stop_ms > w.start_ms))
        throw std::invalid_argument("rates: the window must end after it starts");
    if (train.times.size() != train.node_ids.size())
        throw std::invalid_argument("rates of " + train.name +
                                    ": spike times and node ids differ in number");
}

// Per cell: its spikes in the window, the last one's time and the running mean and squared
// deviations of its ISIs (Welford: one pass over the time-sorted spikes, no per-cell lists, and
// no cancellation, so a regular train has a CV of exactly 0).
struct cell_spikes {
    std::vector<std::uint32_t> spikes;
    std::vector<double> last, isi_mean, isi_m2;
    std::uint64_t total = 0;

    explicit cell_spikes(std::uint32_t cells)
        : spikes(cells, 0), last(cells, 0.0), isi_mean(cells, 0.0), isi_m2(cells, 0.0) {}

    void add(std::uint64_t id, double t) {
        if (spikes[id] > 0) {
            const double isi = t - last[id];
            const double delta = isi - isi_mean[id];
            isi_mean[id] += delta / spikes[id];  // spikes[id] ISIs so far, this one included
            isi_m2[id] += delta * (isi - isi_mean[id]);
        }
        last[id] = t;
        ++spikes[id];
        ++total;
    }
};

cell_spikes count(const population_train& train, const window& w) {
    cell_spikes c(train.cells);
    for (std::size_t i = 0; i < train.times.size(); ++i) {
        const double t = train.times[i];
        // Closed window: over the whole run this counts what the run summary counts.
        if (!(t >= w.start_ms && t <= w.stop_ms)) continue;
        const auto id = train.node_ids[i];
        if (id >= train.cells)
            throw std::invalid_argument("rates of " + train.name + ": node id " +
                                        std::to_string(id) + " beyond its " +
                                        std::to_string(train.cells) + " cells");
        c.add(id, t);
    }
    return c;
}

}  // namespace

population_rates rates_of(const population_train& train, const window& w,
                          std::size_t cv_min_spikes) {
    check(train, w);
    const double seconds = w.duration_s();
    population_rates out;
    out.cell_rates_hz.assign(train.cells, 0.0);
    const cell_spikes c = count(train, w);
    double cv_sum = 0;
    std::size_t cv_cells = 0, silent = 0;
    for (std::uint32_t k = 0; k < train.cells; ++k) {
        out.cell_rates_hz[k] = c.spikes[k] / seconds;
        if (c.spikes[k] == 0) ++silent;
        if (c.spikes[k] < std::max<std::size_t>(cv_min_spikes, 2)) continue;
        const double mean = c.isi_mean[k];
        if (!(mean > 0)) continue;  // all spikes at one instant: no interval to normalise by
        // Population variance (ddof 0) as NetPyNE's plotSpikeStats 'isicv': np.std(isi) /
        // np.mean(isi) (netpyne/analysis/spikes_legacy.py of 1.1.0, line 1504).
        const double var = c.isi_m2[k] / (c.spikes[k] - 1.0);
        cv_sum += std::sqrt(var) / mean;
        ++cv_cells;
    }
    out.rate_hz = train.cells ? double(c.total) / train.cells / seconds : 0.0;
    out.silent_fraction = train.cells ? double(silent) / train.cells : 0.0;
    out.cv_isi = cv_cells ? cv_sum / cv_cells : std::numeric_limits<double>::quiet_NaN();
    return out;
}

}  // namespace m1::analysis
