#include "transfer_entropy.hpp"

#include "granger.hpp"  // netpyne_spike_counts
#include "random.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
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

}  // namespace

double normalized_transfer_entropy(const std::vector<double>& source_times,
                                   const std::vector<double>& target_times, const window& w,
                                   const nte_params& params) {
    if (!(params.bin_ms > 0)) throw std::invalid_argument("nTE: bin_ms must be > 0");
    if (params.shuffles < 0) throw std::invalid_argument("nTE: shuffles must be >= 0");
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
    double mean = 0;
    std::uint32_t ran4 = params.ran4_index;
    random_stream stream(params.seed, 0x6e7465u /* "nte" */, 0);
    for (int j = 0; j < params.shuffles; ++j) {
        // nte.mod's ishuffle: Fisher-Yates from the end, k = (int)(n * draw) before n--.
        for (std::size_t n = sz; n > 1;) {
            const double draw = netpyne ? double(n) * mcell_ran4(ran4) : double(n) * stream.uniform01();
            --n;
            const auto k = std::min(static_cast<std::size_t>(draw), n);
            std::swap(x[n], x[k]);
        }
        mean += norm - h.target_given_pasts(x);
    }
    if (params.shuffles > 0) mean /= params.shuffles;
    // A target determined by its past has nothing to receive (TE = 0 too): 0, not 0 / 0.
    return norm > 0 ? (te - mean) / norm : 0.0;
}

}  // namespace m1::analysis
