#include "analysis/transfer_entropy.hpp"

#include "analysis/granger.hpp"  // netpyne_spike_counts
#include "core/base/random.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <utility>
#include <vector>

namespace m1::analysis {

namespace {

// nte.mod's LG2 and its LOG2 FUNCTION: a NEURON TABLE of 50,000 steps over [MINLOG2, MAXLOG2] =
// [0.001, 32], built as nocmodl's _check_LOG2 builds it (x accumulated by += dx) and read as
// _n_LOG2 reads it (linear interpolation). NetPyNE's numbers carry its interpolation error (up to
// ~1e-4 relative near 0.001), so netpyne mode needs it.
constexpr double lg2 = 0.69314718055994530941723212145818;
constexpr double min_log2 = 0.001, max_log2 = 32;
constexpr int table_steps = 50000;

struct log2_table {
    std::array<double, table_steps + 1> t;
    double tmin, mfac;
};

const log2_table& table() {
    static const log2_table tab = [] {
        log2_table tb{};
        tb.tmin = min_log2;
        const double dx = (max_log2 - tb.tmin) / double(table_steps);
        tb.mfac = 1. / dx;
        double x = tb.tmin;
        for (int i = 0; i < table_steps + 1; x += dx, ++i) tb.t[i] = std::log(x) / lg2;
        return tb;
    }();
    return tab;
}

// The log2 of nte.mod's entropy loops: the table inside [MINLOG2, MAXLOG2], log2d outside.
double nte_mod_log2(double x) {
    if (!(x >= min_log2 && x <= max_log2)) return std::log(x) / lg2;
    const log2_table& tb = table();
    const double xi = tb.mfac * (x - tb.tmin);
    if (xi <= 0.) return tb.t[0];
    if (xi >= double(table_steps)) return tb.t[table_steps];
    const int i = static_cast<int>(xi);
    return tb.t[i] + (xi - double(i)) * (tb.t[i + 1] - tb.t[i]);
}

// NEURON's mcell_ran4 (src/oc/mcran4.cpp: nrnRan4int, which returns after its first two rounds,
// and nrnRan4dbl) with lowindex 0: draw number `index` is a hash of the index alone, so the
// shuffles are reproduced from the index normte starts at.
double mcell_ran4(std::uint32_t& index) {
    std::uint32_t n = index++, m = 0, u, v, w;
    w = n ^ 0xbaa96887u;
    v = w >> 16;
    w &= 0xffffu;
    u = ~((v - w) * (v + w));
    m ^= (((u >> 16) | (u << 16)) ^ 0x4b0f3b58u) + w * v;
    w = m ^ 0x1e17d32cu;
    v = w >> 16;
    w &= 0xffffu;
    u = ~((v - w) * (v + w));
    n ^= (((u >> 16) | (u << 16)) ^ 0xe874f0c3u) + w * v;
    return double(n) * (1.0 / 4294967296.0);
}

// Plug-in entropies over the sz - 1 (past, future) steps of the integer series, summed in the
// order of tentropspks' dense loops (so that the sums are NetPyNE's to the last bit); sparse,
// because population counts make the dense alphabet^3 tables of nte.mod huge.
class entropies {
public:
    entropies(std::vector<std::int64_t> target, bool netpyne)
        : y_(std::move(target)), netpyne_(netpyne), n_(double(y_.size() - 1)) {}

    double log2(double x) const { return netpyne_ ? nte_mod_log2(x) : std::log2(x); }

    // H(YF | YP) = -sum p(YF, YP) log2(p(YF, YP) / p(YP)), loops YF outer, YP inner.
    double target_given_past() {
        const std::int64_t d = alphabet(y_);
        std::vector<std::uint64_t> past, joint;
        for (std::size_t k = 0; k + 1 < y_.size(); ++k) {
            past.push_back(std::uint64_t(y_[k]));
            joint.push_back(std::uint64_t(y_[k + 1] * d + y_[k]));
        }
        const auto cp = runs(past);
        double h = 0;
        for (const auto& [key, c] : runs(joint)) {
            const double pp = double(count_of(cp, key % std::uint64_t(d))) / n_,
                         pj = double(c) / n_;
            if (pp > 0. && pj > 0.) h -= pj * log2(pj / pp);
        }
        return h;
    }

    // H(YF | YP, XP) = -sum p(YF, YP, XP) log2(p(YF, YP, XP) / p(YP, XP)), loops YP, YF, XP.
    double target_given_pasts(const std::vector<std::int64_t>& x) {
        const auto dy = std::uint64_t(alphabet(y_)), dx = std::uint64_t(alphabet(x));
        pair_.clear();
        triple_.clear();
        for (std::size_t k = 0; k + 1 < y_.size(); ++k) {
            const auto p = std::uint64_t(y_[k]), f = std::uint64_t(y_[k + 1]),
                       s = std::uint64_t(x[k]);
            pair_.push_back(p * dx + s);
            triple_.push_back((p * dy + f) * dx + s);
        }
        const auto cps = runs(pair_);
        double h = 0;
        for (const auto& [key, c] : runs(triple_)) {
            const std::uint64_t s = key % dx, p = key / dx / dy;
            const double t0 = double(c) / n_, t1 = double(count_of(cps, p * dx + s)) / n_;
            if (t0 > 1e-9 && t1 > 1e-9) h -= t0 * log2(t0 / t1);  // nte.mod's thresholds
        }
        return h;
    }

private:
    static std::int64_t alphabet(const std::vector<std::int64_t>& v) {
        return *std::max_element(v.begin(), v.end()) + 1;
    }
    // (key, count) for each distinct key, in increasing key order.
    static std::vector<std::pair<std::uint64_t, std::size_t>> runs(std::vector<std::uint64_t>& keys) {
        std::sort(keys.begin(), keys.end());
        std::vector<std::pair<std::uint64_t, std::size_t>> out;
        for (std::size_t i = 0; i < keys.size();) {
            std::size_t j = i;
            while (j < keys.size() && keys[j] == keys[i]) ++j;
            out.emplace_back(keys[i], j - i);
            i = j;
        }
        return out;
    }
    static std::size_t count_of(const std::vector<std::pair<std::uint64_t, std::size_t>>& r,
                                std::uint64_t key) {
        const auto it = std::lower_bound(r.begin(), r.end(), key,
                                         [](const auto& e, std::uint64_t k) { return e.first < k; });
        return it != r.end() && it->first == key ? it->second : 0;
    }

    std::vector<std::int64_t> y_;
    bool netpyne_;
    double n_;
    std::vector<std::uint64_t> pair_, triple_;
};

std::vector<std::int64_t> as_integers(const std::vector<double>& counts) {
    std::vector<std::int64_t> out(counts.size());
    for (std::size_t i = 0; i < counts.size(); ++i) out[i] = static_cast<std::int64_t>(counts[i]);
    return out;
}

// Ordinal levels 0..levels-1 of a population's counts: the cuts are the counts at the quantiles
// j / levels, a bin's level the number of cuts its count exceeds (tied counts share a level, so a
// sparse train whose bins are mostly empty becomes binary).
std::vector<std::uint8_t> count_levels(const std::vector<double>& counts, int levels) {
    if (counts.empty()) return {};
    std::vector<double> sorted = counts;
    std::sort(sorted.begin(), sorted.end());
    std::vector<double> cuts;
    for (int j = 1; j < levels; ++j) cuts.push_back(sorted[sorted.size() * std::size_t(j) / std::size_t(levels)]);
    std::vector<std::uint8_t> out(counts.size());
    for (std::size_t i = 0; i < counts.size(); ++i)
        out[i] = std::uint8_t(std::count_if(cuts.begin(), cuts.end(), [&](double c) { return counts[i] > c; }));
    return out;
}

// c log2 c for c = 0..n, looked up: the surrogates' tables need millions of them per run.
std::vector<double> c_log2_c_table(std::size_t n) {
    std::vector<double> t(n + 1, 0.0);
    for (std::size_t c = 2; c <= n; ++c) t[c] = double(c) * std::log2(double(c));
    return t;
}

// sum of c log2 c over a table of counts (each <= the table's n): the plug-in entropies below
// are differences of these.
double sum_c_log2_c(const std::vector<std::uint32_t>& counts, const std::vector<double>& c_log2_c) {
    double s = 0;
    for (std::uint32_t c : counts) s += c_log2_c[c];
    return s;
}

// Counts of (Y_t, Y_{t-1}, source state) over the samples t = first .. n-1 (`first` leaves room
// for the longest delay and window, so every delay, window and surrogate sees the same samples)
// and the TE from them, in bits:
//   TE = H(Y_t | Y_{t-1}) - H(Y_t | Y_{t-1}, S) = [S(p) - S(yp) - S(ps) + S(yps)] / samples,
// S(.) the sum of c log2 c over a table of counts.
class delayed_states {
public:
    delayed_states(const std::vector<std::uint8_t>& target, int levels, std::size_t first)
        : levels_(std::size_t(levels)), first_(first), samples_(double(target.size() - first)),
          c_log2_c_(c_log2_c_table(target.size() - first)) {
        std::vector<std::uint32_t> past(levels_), now_past(levels_ * levels_);
        for (std::size_t t = first; t < target.size(); ++t) {
            const auto np = std::uint32_t(target[t] * levels_ + target[t - 1]);
            joint_base_.push_back(std::uint32_t(np * levels_));
            ++past[target[t - 1]];
            ++now_past[np];
        }
        s_past_ = sum_c_log2_c(past, c_log2_c_);
        s_now_past_ = sum_c_log2_c(now_past, c_log2_c_);
        joint_.resize(levels_ * levels_ * levels_);
        past_source_.resize(levels_ * levels_);
    }

    // H(Y_t | Y_{t-1}), the normalisation.
    double target_entropy() const { return (s_past_ - s_now_past_) / samples_; }

    // TE with the source state of sample t taken from bin t - d of `x` (as long as the target).
    double te(const std::vector<std::uint8_t>& x, std::size_t d) {
        std::fill(joint_.begin(), joint_.end(), 0u);
        std::fill(past_source_.begin(), past_source_.end(), 0u);
        const std::uint8_t* source = x.data() + first_ - d;
        for (std::size_t i = 0; i < joint_base_.size(); ++i) ++joint_[joint_base_[i] + source[i]];
        for (std::size_t k = 0; k < joint_.size(); ++k) past_source_[k % (levels_ * levels_)] += joint_[k];
        return (s_past_ - s_now_past_ - sum_c_log2_c(past_source_, c_log2_c_) + sum_c_log2_c(joint_, c_log2_c_)) /
               samples_;
    }

private:
    std::size_t levels_, first_;
    double samples_;
    std::vector<double> c_log2_c_;
    std::vector<std::uint32_t> joint_base_;  // per sample: (Y_t * levels + Y_{t-1}) * levels
    double s_past_ = 0, s_now_past_ = 0;
    std::vector<std::uint32_t> joint_, past_source_;
};

// The source's states for one window of `bins` bins: level of the count over bins t-bins+1 .. t,
// summed circularly (so that a surrogate's circular shift of the counts shifts the states; the
// observed TE never reads the bins where the sum wraps).
struct source_window {
    std::size_t bins;
    std::vector<std::uint8_t> states;
};

std::vector<source_window> source_windows(const std::vector<double>& counts, const nte_params& params) {
    std::vector<source_window> out;
    const std::size_t n = counts.size();
    for (double ms : params.source_windows_ms) {
        const auto bins = std::max<std::size_t>(1, std::size_t(std::floor(ms / params.state_bin_ms + 1e-9)));
        std::vector<double> sums(n, 0.0);
        for (std::size_t t = 0; t < n; ++t)
            for (std::size_t k = 0; k < bins; ++k) sums[t] += counts[(t + n - k % n) % n];
        out.push_back({bins, count_levels(sums, params.levels)});
    }
    return out;
}

// Where the TE peaks over windows and delays 1..delays: the TE, and the lag from the window's
// middle to the target's bin, in bins.
struct te_peak {
    double te = -INFINITY, lag_bins = 0;
};

te_peak peak_over_delays(delayed_states& states, const std::vector<source_window>& sources, std::size_t delays) {
    te_peak best;
    for (const auto& s : sources)
        for (std::size_t d = 1; d <= delays; ++d)
            if (const double te = states.te(s.states, d); te > best.te)
                best = {te, double(d) + double(s.bins - 1) / 2};
    return best;
}

bool varies(const std::vector<std::uint8_t>& v) {
    return std::any_of(v.begin(), v.end(), [&](std::uint8_t c) { return c != v[0]; });
}

// The mean TE (norm - H(YF | YP, XP)) over params.shuffles successive in-place shuffles of the
// source x.
double mean_shuffled_te(std::vector<std::int64_t>& x, entropies& h, double norm, const nte_params& params) {
    const bool netpyne = params.mode == nte_mode::netpyne;
    double mean = 0;
    std::uint32_t ran4 = params.ran4_index;
    random_stream stream(params.seed, 0x6e7465u /* "nte" */, 0);
    for (int j = 0; j < params.shuffles; ++j) {
        // nte.mod's ishuffle: Fisher-Yates from the end, k = (int)(n * draw) before n--.
        for (std::size_t n = x.size(); n > 1;) {
            const double draw = netpyne ? double(n) * mcell_ran4(ran4) : double(n) * stream.uniform01();
            --n;
            const auto k = std::min(static_cast<std::size_t>(draw), n);
            std::swap(x[n], x[k]);
        }
        mean += norm - h.target_given_pasts(x);
    }
    if (params.shuffles > 0) mean /= params.shuffles;
    return mean;
}

}  // namespace

void validate_delayed_te(const nte_params& params) {
    if (!(params.state_bin_ms > 0)) throw std::invalid_argument("nTE: state_bin_ms must be > 0");
    if (!(params.max_delay_ms >= params.state_bin_ms))
        throw std::invalid_argument("nTE: max_delay_ms must be >= state_bin_ms");
    if (params.levels < 2 || params.levels > 16) throw std::invalid_argument("nTE: levels must be in 2..16");
    if (params.source_windows_ms.empty() ||
        std::any_of(params.source_windows_ms.begin(), params.source_windows_ms.end(),
                    [](double ms) { return !(ms > 0 && ms <= 1000); }))
        throw std::invalid_argument("nTE: source_windows_ms must be one or more windows in (0, 1000] ms");
    if (params.shuffles < 0) throw std::invalid_argument("nTE: shuffles must be >= 0");
}

void validate_normalized_te(const nte_params& params) {
    if (!(params.bin_ms > 0)) throw std::invalid_argument("nTE: bin_ms must be > 0");
    if (params.shuffles < 0) throw std::invalid_argument("nTE: shuffles must be >= 0");
}

namespace {

// Peak TE of `shuffles` circular shifts of the source by s bins, s uniform in
// [2 delays, n - 2 delays] (twice the delays: no shift brings an interaction within the scanned
// delays back into line). Surrogate j's shift is the first draw of stream (seed, "dte", j).
std::vector<double> surrogate_peaks(delayed_states& states, const std::vector<source_window>& sources,
                                    std::size_t delays, const nte_params& params) {
    const std::size_t n = sources[0].states.size(), low = 2 * delays, span = n - 4 * delays + 1;
    std::vector<double> peaks;
    std::vector<source_window> shifted = sources;
    for (int j = 0; j < params.shuffles; ++j) {
        const double u = uniform01_at(params.seed, 0x647465u /* "dte" */, std::uint32_t(j), 0);
        const auto s = std::ptrdiff_t(low + std::min(std::size_t(u * double(span)), span - 1));
        for (std::size_t k = 0; k < sources.size(); ++k)
            std::rotate_copy(sources[k].states.begin(), sources[k].states.begin() + s, sources[k].states.end(),
                             shifted[k].states.begin());
        peaks.push_back(peak_over_delays(states, shifted, delays).te);
    }
    return peaks;
}

// `peak` against the surrogates' peaks: their mean, z and p (z infinite when the surrogates all
// give one value and `peak` another).
struct surrogate_test {
    double mean = 0, z = 0, p = 1;
};

surrogate_test significance(double peak, const std::vector<double>& peaks) {
    const double n = double(peaks.size());
    double mean = 0, var = 0, at_least = 0;
    for (double v : peaks) mean += v / n;
    for (double v : peaks) {
        var += (v - mean) * (v - mean) / (n - 1);
        at_least += v >= peak;
    }
    const double sd = std::sqrt(var);
    const double z = sd > 0 ? (peak - mean) / sd : peak == mean ? 0.0 : std::copysign(INFINITY, peak - mean);
    return {mean, z, (1 + at_least) / (1 + n)};
}

}  // namespace

nte_result delayed_transfer_entropy(const std::vector<double>& source_times,
                                    const std::vector<double>& target_times, const window& w,
                                    const nte_params& params) {
    validate_delayed_te(params);
    const auto sources = source_windows(spike_counts(source_times, w, params.state_bin_ms), params);
    const auto y = count_levels(spike_counts(target_times, w, params.state_bin_ms), params.levels);
    const auto delays = static_cast<std::size_t>(std::floor(params.max_delay_ms / params.state_bin_ms + 1e-9));
    std::size_t first = delays;  // room for the longest delay and window
    for (const auto& s : sources) first = std::max(first, delays + s.bins - 1);
    const double nan = std::numeric_limits<double>::quiet_NaN();
    if (y.size() <= first + 1) return {nan, nan, nan, nan};
    if (!varies(sources[0].states) || !varies(y)) return {0.0, 0.0, 1.0, nan};
    delayed_states states(y, params.levels, first);
    const te_peak peak = peak_over_delays(states, sources, delays);
    const double h = states.target_entropy(), delay_ms = peak.lag_bins * params.state_bin_ms;
    if (params.shuffles < 2 || y.size() < 4 * delays + 1) return {h > 0 ? peak.te / h : 0.0, nan, nan, delay_ms};
    const surrogate_test test = significance(peak.te, surrogate_peaks(states, sources, delays, params));
    return {h > 0 ? (peak.te - test.mean) / h : 0.0, test.z, test.p, delay_ms};
}

double normalized_transfer_entropy(const std::vector<double>& source_times,
                                   const std::vector<double>& target_times, const window& w,
                                   const nte_params& params) {
    validate_normalized_te(params);
    const bool netpyne = params.mode == nte_mode::netpyne;
    auto counts = [&](const std::vector<double>& t) {
        return as_integers(netpyne ? netpyne_spike_counts(t, w, params.bin_ms)
                                   : spike_counts(t, w, params.bin_ms));
    };
    std::vector<std::int64_t> x = counts(source_times), y = counts(target_times);
    const std::size_t sz = x.size();
    // tentropspks: no variation in either series -> 0 (and no draws).
    auto constant = [](const std::vector<std::int64_t>& v) {
        return std::all_of(v.begin(), v.end(), [&](std::int64_t c) { return c == v[0]; });
    };
    if (sz < 2 || constant(x) || constant(y)) return 0.0;
    // Keys (past * alphabet + future) * alphabet must fit in 64 bits.
    const std::int64_t top = std::max(*std::max_element(x.begin(), x.end()),
                                      *std::max_element(y.begin(), y.end()));
    if (top >= (std::int64_t(1) << 21))
        throw std::invalid_argument("nTE: more than 2^21 spikes in one bin");

    entropies h(std::move(y), netpyne);
    const double norm = h.target_given_past();
    const double te = norm - h.target_given_pasts(x);
    const double mean = mean_shuffled_te(x, h, norm, params);
    // A target determined by its past has nothing to receive (TE = 0 too): 0, not 0 / 0.
    return norm > 0 ? (te - mean) / norm : 0.0;
}

}  // namespace m1::analysis
