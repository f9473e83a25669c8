// The LFP proxy of Mazzoni et al. 2015 (analysis/lfp.hpp) on hand-built current sums: a small case
// computed by hand, the AMPA delay, the analysed window, constant series, the spectrum of a
// sinusoidal input, and what is refused.
#include "analysis/lfp.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <stdexcept>

namespace {

using namespace m1::analysis;

// Sums of `samples` rows over `electrodes` electrodes, filled by ampa(k, e) and gaba(k, e).
template <class A, class G>
m1::lfp_sums make_sums(double interval_ms, std::size_t samples, std::size_t electrodes, A ampa,
                       G gaba) {
    m1::lfp_sums s;
    s.interval_ms = interval_ms;
    for (std::size_t e = 0; e < electrodes; ++e) {
        std::string name = "e";  // (not "e" + to_string: GCC 12's false -Wrestrict)
        name += std::to_string(e);
        s.electrodes.push_back(name);
        s.ynorm_low.push_back(0.1 * static_cast<double>(e));
        s.ynorm_high.push_back(0.1 * static_cast<double>(e + 1));
        s.cells.push_back(10);
    }
    for (std::size_t k = 0; k < samples; ++k)
        for (std::size_t e = 0; e < electrodes; ++e) {
            s.ampa.push_back(ampa(k, e));
            s.gaba.push_back(gaba(k, e));
        }
    return s;
}

// The z-score (population std) of x, for the cases not worked out by hand.
std::vector<double> z_scored(std::vector<double> x) {
    double mean = 0;
    for (double v : x) mean += v;
    mean /= static_cast<double>(x.size());
    double ss = 0;
    for (double v : x) ss += (v - mean) * (v - mean);
    const double sd = std::sqrt(ss / static_cast<double>(x.size()));
    for (double& v : x) v = (v - mean) / sd;
    return x;
}

void expect_near_all(const std::vector<double>& got, const std::vector<double>& want, double tol,
                     const std::string& what) {
    ASSERT_EQ(got.size(), want.size()) << what;
    for (std::size_t i = 0; i < want.size(); ++i)
        EXPECT_NEAR(got[i], want[i], tol) << what << ", sample " << i;
}

// The acceptance case: 2 electrodes, 1 ms samples, 12 samples (t = 1..12 ms), delay 6 ms,
// alpha 1.65. The proxy exists for samples k = 6..11 (t = 7..12 ms) and is
// ampa[k - 6] - 1.65 * gaba[k]; the other entries (ampa[6..11], gaba[0..5]) are 1000, which
// would show if they were read.
TEST(MazzoniLfp, SmallCaseMatchesTheHandComputation) {
    // Electrode 0: ampa[0..5] = 10 12 14 16 18 20, gaba[6..11] = 0 2 0 4 0 2.
    // Electrode 1: ampa[0..5] = 1 1 1 1 1 1,       gaba[6..11] = 0 0 0 0 0 20.
    const double a0[6] = {10, 12, 14, 16, 18, 20}, g0[6] = {0, 2, 0, 4, 0, 2};
    const double a1[6] = {1, 1, 1, 1, 1, 1}, g1[6] = {0, 0, 0, 0, 0, 20};
    const auto sums = make_sums(
        1.0, 12, 2, [&](std::size_t k, std::size_t e) { return k < 6 ? (e ? a1[k] : a0[k]) : 1000.0; },
        [&](std::size_t k, std::size_t e) { return k >= 6 ? (e ? g1[k - 6] : g0[k - 6]) : 1000.0; });
    const auto traces = mazzoni_lfp(sums, lfp_params{});
    ASSERT_EQ(traces.size(), 2u);
    EXPECT_EQ(traces[0].electrode, "e0");
    EXPECT_EQ(traces[1].electrode, "e1");
    for (const auto& tr : traces) expect_near_all(tr.t_ms, {7, 8, 9, 10, 11, 12}, 0, "t_ms");

    // Electrode 0, raw proxy: 10 - 0 = 10; 12 - 1.65*2 = 8.7; 14 - 0 = 14; 16 - 1.65*4 = 9.4;
    // 18 - 0 = 18; 20 - 1.65*2 = 16.7. Sum 76.8, mean 12.8; deviations -2.8 -4.1 1.2 -3.4 5.2 3.9;
    // squares 7.84 16.81 1.44 11.56 27.04 15.21, sum 79.9; population variance 79.9 / 6, so
    // std = sqrt(79.9 / 6) = 3.64920...; z = deviation / std.
    const double sd0 = std::sqrt(79.9 / 6.0);
    expect_near_all(traces[0].lfp,
                    {-2.8 / sd0, -4.1 / sd0, 1.2 / sd0, -3.4 / sd0, 5.2 / sd0, 3.9 / sd0}, 1e-9,
                    "electrode 0");
    // Electrode 1, raw proxy: 1 1 1 1 1 and 1 - 1.65*20 = -32. Sum -27, mean -4.5; deviations
    // 5.5 (five times) and -27.5; squares 30.25 (x5) + 756.25 = 907.5; variance 151.25, std
    // sqrt(151.25) = 5.5 * sqrt(5); z = 1/sqrt(5) = 0.44721... five times, then -sqrt(5).
    const double r5 = std::sqrt(5.0);
    expect_near_all(traces[1].lfp, {1 / r5, 1 / r5, 1 / r5, 1 / r5, 1 / r5, -r5}, 1e-9,
                    "electrode 1");
    // The spectrum: 6 samples, shorter than 500 ms, one segment of all of them at 1000 Hz.
    for (const auto& tr : traces) {
        ASSERT_EQ(tr.psd.freq_hz.size(), 4u);  // 6 / 2 + 1 bins
        EXPECT_NEAR(tr.psd.freq_hz[1], 1000.0 / 6.0, 1e-9);
        const auto direct = welch(tr.lfp, 1000.0, 6, 3, true);
        expect_near_all(tr.psd.power, direct.power, 1e-15, "psd");
    }
}

TEST(MazzoniLfp, TheDelayDropsItsSamples) {
    // 1 ms: the first 6 samples (t = 1..6 ms) have no AMPA 6 ms earlier.
    const auto ramp = [](std::size_t k, std::size_t) { return static_cast<double>(k * k); };
    const auto two = [](std::size_t, std::size_t) { return 2.0; };
    const auto at1 = mazzoni_lfp(make_sums(1.0, 12, 1, ramp, two), lfp_params{});
    ASSERT_EQ(at1.size(), 1u);
    expect_near_all(at1[0].t_ms, {7, 8, 9, 10, 11, 12}, 0, "t at 1 ms");

    // 0.5 ms: the delay is 12 samples; 20 samples (t = 0.5..10 ms) leave 8, from t = 6.5 ms, the
    // first with t - 6 at or after the first sample time 0.5 ms. Sample k uses ampa[k - 12].
    const auto sums = make_sums(0.5, 20, 1, ramp, two);
    const auto at05 = mazzoni_lfp(sums, lfp_params{});
    ASSERT_EQ(at05.size(), 1u);
    expect_near_all(at05[0].t_ms, {6.5, 7, 7.5, 8, 8.5, 9, 9.5, 10}, 1e-12, "t at 0.5 ms");
    std::vector<double> raw;
    for (std::size_t k = 12; k < 20; ++k) raw.push_back(sums.ampa[k - 12] - 1.65 * sums.gaba[k]);
    expect_near_all(at05[0].lfp, z_scored(raw), 1e-12, "lfp at 0.5 ms");

    // A zero delay keeps every sample; other delays and weights are honoured.
    lfp_params p;
    p.ampa_delay_ms = 0;
    EXPECT_EQ(mazzoni_lfp(make_sums(1.0, 12, 1, ramp, two), p)[0].t_ms.size(), 12u);
    p.ampa_delay_ms = 2;
    p.gaba_weight = 3;
    const auto s2 = make_sums(1.0, 12, 1, ramp, [](std::size_t k, std::size_t) {
        return static_cast<double>(k % 3);
    });
    raw.clear();
    for (std::size_t k = 2; k < 12; ++k) raw.push_back(s2.ampa[k - 2] - 3 * s2.gaba[k]);
    expect_near_all(mazzoni_lfp(s2, p)[0].lfp, z_scored(raw), 1e-12, "delay 2, weight 3");

    // Fewer samples than the delay: empty series and spectrum.
    const auto shortrun = mazzoni_lfp(make_sums(1.0, 5, 2, ramp, two), lfp_params{});
    ASSERT_EQ(shortrun.size(), 2u);
    EXPECT_TRUE(shortrun[0].t_ms.empty());
    EXPECT_TRUE(shortrun[0].lfp.empty());
    EXPECT_TRUE(shortrun[0].psd.power.empty());
}

TEST(MazzoniLfp, ADelayOffTheSampleGridIsRefused) {
    const auto one = [](std::size_t, std::size_t) { return 1.0; };
    EXPECT_THROW(mazzoni_lfp(make_sums(0.7, 20, 1, one, one), lfp_params{}), std::invalid_argument);
    lfp_params p;
    p.ampa_delay_ms = 2.5;
    EXPECT_THROW(mazzoni_lfp(make_sums(1.0, 20, 1, one, one), p), std::invalid_argument);
    p.ampa_delay_ms = -1;
    EXPECT_THROW(mazzoni_lfp(make_sums(1.0, 20, 1, one, one), p), std::invalid_argument);
    // 6 ms on 0.1 ms samples is 60 samples, though 6 / 0.1 is not exactly 60 in binary.
    EXPECT_NO_THROW(mazzoni_lfp(make_sums(0.1, 100, 1, one, one), lfp_params{}));
    // Rows that do not match.
    auto bad = make_sums(1.0, 20, 2, one, one);
    bad.gaba.pop_back();
    EXPECT_THROW(mazzoni_lfp(bad, lfp_params{}), std::invalid_argument);
}

TEST(MazzoniLfp, TheWindowIsHonoured) {
    const auto ampa = [](std::size_t k, std::size_t e) {
        return std::sin(0.7 * static_cast<double>(k)) + static_cast<double>(e);
    };
    const auto gaba = [](std::size_t k, std::size_t e) {
        return std::cos(0.3 * static_cast<double>(k * (e + 1)));
    };
    const auto sums = make_sums(1.0, 30, 2, ampa, gaba);  // t = 1..30 ms
    // [10, 20): t = 10..19, samples k = 9..18; the AMPA term from k - 6 = 3..12, before the window.
    const auto w = mazzoni_lfp(sums, lfp_params{}, window{10, 20});
    ASSERT_EQ(w.size(), 2u);
    for (std::size_t e = 0; e < 2; ++e) {
        ASSERT_EQ(w[e].t_ms.size(), 10u);
        EXPECT_EQ(w[e].t_ms.front(), 10);
        EXPECT_EQ(w[e].t_ms.back(), 19);
        std::vector<double> raw;
        for (std::size_t k = 9; k <= 18; ++k)
            raw.push_back(sums.ampa[(k - 6) * 2 + e] - 1.65 * sums.gaba[k * 2 + e]);
        expect_near_all(w[e].lfp, z_scored(raw), 1e-12, "window, electrode " + std::to_string(e));
    }
    // A window reaching into the delay starts where the proxy does: [0, 10) keeps t = 7, 8, 9.
    expect_near_all(mazzoni_lfp(sums, lfp_params{}, window{0, 10})[0].t_ms, {7, 8, 9}, 0, "early");
    // The whole run as a window is the unwindowed result.
    const auto all = mazzoni_lfp(sums, lfp_params{});
    const auto whole = mazzoni_lfp(sums, lfp_params{}, window{0, 30.5});
    expect_near_all(whole[1].lfp, all[1].lfp, 0, "whole window");
    // An empty window: empty traces, the electrodes still named.
    const auto none = mazzoni_lfp(sums, lfp_params{}, window{20, 20});
    ASSERT_EQ(none.size(), 2u);
    EXPECT_EQ(none[1].electrode, "e1");
    EXPECT_TRUE(none[1].lfp.empty());
}

TEST(MazzoniLfp, AConstantSeriesGivesZeros) {
    // 3 - 1.65 * 0.1 at every sample: no variance, zeros rather than NaN, and a zero spectrum.
    const auto traces = mazzoni_lfp(
        make_sums(1.0, 40, 1, [](std::size_t, std::size_t) { return 3.0; },
                  [](std::size_t, std::size_t) { return 0.1; }),
        lfp_params{});
    ASSERT_EQ(traces[0].lfp.size(), 34u);
    for (double v : traces[0].lfp) EXPECT_EQ(v, 0.0);
    ASSERT_FALSE(traces[0].psd.power.empty());
    for (double v : traces[0].psd.power) EXPECT_EQ(v, 0.0);
}

TEST(MazzoniLfp, ASinusoidalAmpaInputPeaksAtItsFrequency) {
    // 2 s of AMPA sums oscillating at 20 Hz over a constant GABA sum, at 1 ms and at 0.5 ms. The
    // default segment is 500 ms (500 or 1000 samples): 2 Hz bins, one of them at 20 Hz.
    for (double interval : {1.0, 0.5}) {
        const auto n = static_cast<std::size_t>(2000 / interval);
        const auto traces = mazzoni_lfp(
            make_sums(interval, n, 2,
                      [&](std::size_t k, std::size_t e) {
                          const double t_s = static_cast<double>(k + 1) * interval / 1000.0;
                          return 100.0 + (5.0 + 5.0 * static_cast<double>(e)) *
                                             std::sin(2 * std::numbers::pi * 20.0 * t_s);
                      },
                      [](std::size_t, std::size_t e) { return 5.0 + static_cast<double>(e); }),
            lfp_params{});
        ASSERT_EQ(traces.size(), 2u);
        for (const auto& tr : traces) {
            EXPECT_EQ(tr.psd.freq_hz.size(), static_cast<std::size_t>(500 / interval) / 2 + 1);
            EXPECT_NEAR(tr.psd.freq_hz[1], 2.0, 1e-12);
            EXPECT_NEAR(peak_frequency(tr.psd, 1, 200), 20.0, 1e-9) << "interval " << interval;
        }
    }
    // An explicit segment is used as given: 250 samples at 1 ms, 4 Hz bins.
    lfp_params p;
    p.welch_segment = 250;
    const auto tr = mazzoni_lfp(
        make_sums(1.0, 1000, 1,
                  [](std::size_t k, std::size_t) {
                      return std::sin(2 * std::numbers::pi * 20.0 * static_cast<double>(k) / 1000.0);
                  },
                  [](std::size_t, std::size_t) { return 0.0; }),
        p);
    EXPECT_NEAR(tr[0].psd.freq_hz[1], 4.0, 1e-12);
    EXPECT_NEAR(peak_frequency(tr[0].psd, 1, 200), 20.0, 1e-9);
}

TEST(MazzoniLfp, NoElectrodesGiveNothing) {
    EXPECT_TRUE(mazzoni_lfp(m1::lfp_sums{}, lfp_params{}).empty());
    EXPECT_TRUE(mazzoni_lfp(m1::lfp_sums{}, lfp_params{}, window{0, 100}).empty());
}

}  // namespace
