#include "analysis/summary_measures.hpp"

#include <limits>

namespace m1::analysis {

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

// nte:<source>__<target> for each ordered pair, followed in the standard mode by its z and p
// (nte_z:, nte_p:), so that a value is read with its significance.
void add_nte(const analysis_result& r, std::vector<named_measure>& m) {
    const bool tested = r.nte_z.size() == r.nte.size() && r.nte_p.size() == r.nte.size();
    for (std::size_t a = 0; a < r.nte.size() && a < r.populations.size(); ++a)
        for (std::size_t b = 0; b < r.nte[a].size() && b < r.populations.size(); ++b) {
            if (a == b) continue;
            const std::string pair = r.populations[a] + "__" + r.populations[b];
            m.emplace_back("nte:" + pair, r.nte[a][b]);
            if (!tested || b >= r.nte_z[a].size() || b >= r.nte_p[a].size()) continue;
            m.emplace_back("nte_z:" + pair, r.nte_z[a][b]);
            m.emplace_back("nte_p:" + pair, r.nte_p[a][b]);
        }
}

}  // namespace

double granger_peak(const granger_result& g) {
    if (!g.failure.empty()) return nan;
    double best = nan;
    for (std::size_t k = 0; k < g.freq_hz.size() && k < g.f_xy.size(); ++k)
        if (g.freq_hz[k] >= 5 && g.freq_hz[k] <= 100 && !(g.f_xy[k] <= best)) best = g.f_xy[k];
    return best;
}

std::vector<named_measure> summary_measures(const analysis_result& r, const run_trains& trains) {
    std::vector<named_measure> m;
    double spikes_rate = 0, cells = 0;
    for (std::size_t p = 0; p < r.rates.size() && p < trains.populations.size(); ++p) {
        spikes_rate += r.rates[p].rate_hz * trains.populations[p].cells;
        cells += trains.populations[p].cells;
    }
    m.emplace_back("rate_hz", cells > 0 ? spikes_rate / cells : nan);
    if (!r.rate_psd.empty()) {
        const spectrum& all = r.rate_psd.back();
        m.emplace_back("peak_hz", peak_frequency(all));
        const band_powers b = bands_of(all);
        m.emplace_back("theta", b.theta);
        m.emplace_back("alpha", b.alpha);
        m.emplace_back("beta", b.beta);
        m.emplace_back("gamma", b.gamma);
    }
    for (std::size_t p = 0; p < r.rates.size() && p < r.populations.size(); ++p)
        m.emplace_back("rate_hz:" + r.populations[p], r.rates[p].rate_hz);
    for (std::size_t p = 0; p < r.rates.size() && p < r.populations.size(); ++p)
        m.emplace_back("cv_isi:" + r.populations[p], r.rates[p].cv_isi);
    for (const auto& trace : r.lfp)
        m.emplace_back("lfp_peak_hz:" + trace.electrode,
                       trace.psd.freq_hz.empty() ? nan : peak_frequency(trace.psd));
    for (const auto& g : r.granger)
        m.emplace_back("granger_peak:" + g.pre + "__" + g.post, granger_peak(g.result));
    add_nte(r, m);
    return m;
}

// The cell counts summary_measures needs of the trains, from the analysis's per-cell rates (one
// per cell): a run's spikes are not read again. Analyses without them (format version 1) read the
// run file.
std::vector<named_measure> measures_of_run(const std::filesystem::path& run_file) {
    const analysis_result result = read_analysis(run_file);
    run_trains cells;
    for (std::size_t p = 0; p < result.rates.size() && p < result.populations.size(); ++p) {
        if (result.rates[p].cell_rates_hz.empty()) return summary_measures(result, load_trains(run_file));
        population_train t;
        t.name = result.populations[p];
        t.cells = static_cast<std::uint32_t>(result.rates[p].cell_rates_hz.size());
        cells.populations.push_back(std::move(t));
    }
    return summary_measures(result, cells);
}

}  // namespace m1::analysis
