// Spectra: Welch against scipy.signal.welch, the rate PSD's modes against the reference method
// (scipy) and NetPyNE 1.1.0's plotRatePSD (numbers computed once and committed under
// tests/data/analysis/, see rate_psd_README.md there), the 15 Hz acceptance case, bands and peaks.
#include "analysis/spectrum.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <numbers>
#include <random>
#include <thread>

namespace {

using namespace m1::analysis;

nlohmann::json data_file(const std::string& name) {
    std::ifstream in(std::string(M1_SOURCE_DIR) + "/tests/data/analysis/" + name);
    EXPECT_TRUE(in) << "test data " << name << " missing";
    return nlohmann::json::parse(in);
}

// Every bin within `rel` of the expected value (relative to that value).
void expect_close(const std::vector<double>& got, const std::vector<double>& want, double rel,
                  const std::string& what) {
    ASSERT_EQ(got.size(), want.size()) << what;
    for (std::size_t k = 0; k < want.size(); ++k)
        EXPECT_LE(std::abs(got[k] - want[k]), rel * std::abs(want[k]))
            << what << ", bin " << k << ": " << got[k] << " vs " << want[k];
}

void expect_spectrum(const spectrum& got, const nlohmann::json& want, double rel,
                     const std::string& what) {
    expect_close(got.freq_hz, want.at("freq_hz").get<std::vector<double>>(), rel, what + " freq");
    expect_close(got.power, want.at("power").get<std::vector<double>>(), rel, what + " power");
}

TEST(Welch, MatchesScipyOnTheCommittedSignal) {
    const auto d = data_file("rate_psd_welch.json");
    const auto x = d.at("x").get<std::vector<double>>();
    ASSERT_EQ(d.at("cases").size(), 4u);
    for (const auto& c : d.at("cases")) {
        const spectrum s = welch(x, c.at("fs_hz"), c.at("segment"), c.at("overlap"), c.at("demean"));
        expect_spectrum(s, c, 1e-10,
                        "segment " + std::to_string(c.at("segment").get<int>()) + " overlap " +
                            std::to_string(c.at("overlap").get<int>()));
    }
}

TEST(Welch, SegmentLongerThanTheSignalShrinksToItAsScipy) {
    const auto d = data_file("rate_psd_welch.json");
    const auto x = d.at("x").get<std::vector<double>>();
    const auto& whole = d.at("cases").at(3);  // nperseg = len(x) = 1337, no overlap
    ASSERT_EQ(whole.at("segment").get<std::size_t>(), x.size());
    expect_spectrum(welch(x, 1000.0, 4000, 0, true), whole, 1e-10, "segment 4000 on 1337 samples");
}

TEST(Welch, DensityIntegratesToTheVariance) {
    // Parseval for a white signal averaged over many segments: the integral of the one-sided
    // density is about the variance (the Hann window's loss is compensated by its norm).
    std::mt19937_64 rng(5);
    std::normal_distribution<double> noise(0.0, 2.0);
    std::vector<double> x(200000);
    for (double& v : x) v = noise(rng);
    const spectrum s = welch(x, 1000.0, 500, 250);
    const double df = s.freq_hz[1] - s.freq_hz[0];
    double integral = 0;
    for (double p : s.power) integral += p * df;
    EXPECT_NEAR(integral, 4.0, 0.1);
    EXPECT_DOUBLE_EQ(df, 2.0);
    EXPECT_EQ(s.freq_hz.size(), 251u);
    EXPECT_DOUBLE_EQ(s.freq_hz.back(), 500.0);
}

TEST(Welch, EdgeCases) {
    EXPECT_TRUE(welch({}, 1000.0, 500, 250).power.empty());
    EXPECT_THROW(welch(std::vector<double>(100, 1.0), 1000.0, 50, 50), std::invalid_argument);
    EXPECT_THROW(welch(std::vector<double>(100, 1.0), 1000.0, 0, 0), std::invalid_argument);
    // A constant demeaned is zero everywhere.
    for (double p : welch(std::vector<double>(1000, 3.0), 1000.0, 500, 250).power) EXPECT_EQ(p, 0.0);
}

TEST(RatePsd, StandardModeIsTheReferenceMethodOnCommittedSpikes) {
    const auto d = data_file("rate_psd_netpyne.json");
    const auto times = d.at("times_ms").get<std::vector<double>>();
    const auto cells = d.at("cells").get<std::uint32_t>();
    for (const auto& w : d.at("windows")) {
        const window win{w.at("start_ms"), w.at("stop_ms")};
        expect_spectrum(rate_psd(times, cells, win, {rate_psd_mode::standard}), w.at("standard"),
                        1e-10, "standard " + w.at("start_ms").dump() + "-" + w.at("stop_ms").dump());
    }
}

TEST(RatePsd, NetpyneModeMatchesPlotRatePsdFft) {
    const auto d = data_file("rate_psd_netpyne.json");
    const auto times = d.at("times_ms").get<std::vector<double>>();
    const auto cells = d.at("cells").get<std::uint32_t>();
    ASSERT_EQ(d.at("windows").size(), 3u);  // 1 segment zero-padded, 2 and 3 segments
    for (const auto& w : d.at("windows")) {
        const window win{w.at("start_ms"), w.at("stop_ms")};
        const spectrum s = rate_psd(times, cells, win, {rate_psd_mode::netpyne});
        expect_spectrum(s, w.at("fft"), 1e-6,
                        "netpyne fft " + w.at("start_ms").dump() + "-" + w.at("stop_ms").dump());
        ASSERT_EQ(s.freq_hz.size(), 129u);
        EXPECT_DOUBLE_EQ(s.freq_hz.back(), 100.0);
    }
}

TEST(RatePsd, NetpyneMorletModeMatchesPlotRatePsdDefault) {
    const auto d = data_file("rate_psd_netpyne.json");
    const auto times = d.at("times_ms").get<std::vector<double>>();
    const auto cells = d.at("cells").get<std::uint32_t>();
    for (const auto& w : d.at("windows")) {
        const window win{w.at("start_ms"), w.at("stop_ms")};
        const spectrum s = rate_psd(times, cells, win, {rate_psd_mode::netpyne_morlet});
        expect_spectrum(s, w.at("morlet"), 1e-6,
                        "netpyne morlet " + w.at("start_ms").dump() + "-" + w.at("stop_ms").dump());
    }
}

// Spike times of `cells` cells over [0, duration_ms) firing as inhomogeneous Poisson processes of
// rate 10 (1 + 0.8 sin(2 pi f t)) Hz, by thinning a 18 Hz process; sorted.
std::vector<double> modulated_population(std::uint32_t cells, double duration_ms, double f_hz,
                                         std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    const double peak = 18.0;
    std::vector<double> times;
    for (std::uint32_t c = 0; c < cells; ++c) {
        double t = 0;
        while (true) {
            t += -std::log(1.0 - u(rng)) / peak * 1000.0;
            if (t >= duration_ms) break;
            const double rate = 10.0 * (1.0 + 0.8 * std::sin(2.0 * std::numbers::pi * f_hz * t / 1000.0));
            if (u(rng) * peak < rate) times.push_back(t);
        }
    }
    std::sort(times.begin(), times.end());
    return times;
}

TEST(RatePsd, FifteenHertzModulationPeaksAtFifteenAndBetaDominates) {
    const auto times = modulated_population(200, 2000.0, 15.0, 42);
    ASSERT_NEAR(times.size() / 200.0 / 2.0, 10.0, 0.5);  // the mean rate is 10 Hz
    const spectrum s = rate_psd(times, 200, {0.0, 2000.0}, {rate_psd_mode::standard});
    ASSERT_EQ(s.freq_hz.size(), 251u);  // 500-sample segments at 1 kHz: 2 Hz bins
    EXPECT_NEAR(peak_frequency(s), 15.0, 1.0);
    EXPECT_NEAR(peak_frequency(s, 1.0, 500.0), 15.0, 1.0);
    const band_powers b = bands_of(s);
    EXPECT_GT(b.beta, 3 * b.theta);
    EXPECT_GT(b.beta, 3 * b.alpha);
    EXPECT_GT(b.beta, 3 * b.gamma);
    // A sinusoid of amplitude 8 Hz carries 32 (spikes/s)^2; nearly all of it falls in beta.
    EXPECT_GT(b.beta, 20.0);
    EXPECT_LT(b.beta, 45.0);
}

TEST(RatePsd, ShortWindowsUseOneHalfOverlappingSegmentOfAllOfIt) {
    const auto times = modulated_population(50, 1000.0, 15.0, 3);
    const spectrum s = rate_psd(times, 50, {100.0, 400.0}, {rate_psd_mode::standard});
    EXPECT_EQ(s.freq_hz.size(), 151u);  // 300 samples
    EXPECT_TRUE(rate_psd(times, 50, {0.0, 0.5}, {rate_psd_mode::standard}).power.empty());
}

TEST(RatePsd, ConcurrentCallsGiveTheSameSpectra) {
    // m1analyze analyses runs in parallel threads: plans are made under a lock.
    const auto times = modulated_population(100, 3000.0, 23.0, 9);
    const window w{0.0, 3000.0};
    const rate_psd_mode modes[] = {rate_psd_mode::standard, rate_psd_mode::netpyne,
                                   rate_psd_mode::netpyne_morlet};
    std::vector<spectrum> serial;
    for (auto m : modes) serial.push_back(rate_psd(times, 100, w, {m}));
    std::vector<std::vector<spectrum>> got(4);
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < got.size(); ++i)
        threads.emplace_back([&, i] {
            for (int r = 0; r < 3; ++r)
                for (auto m : modes) got[i].push_back(rate_psd(times, 100, w, {m}));
        });
    for (auto& t : threads) t.join();
    for (const auto& g : got)
        for (std::size_t k = 0; k < g.size(); ++k) {
            EXPECT_EQ(g[k].freq_hz, serial[k % 3].freq_hz);
            EXPECT_EQ(g[k].power, serial[k % 3].power);
        }
}

TEST(Bands, SumDensityTimesBinWidthOverHalfOpenBands) {
    spectrum s;
    for (int k = 0; k <= 100; ++k) {  // 0, 0.5, ..., 50 Hz; density 1 except marked bins
        s.freq_hz.push_back(0.5 * k);
        s.power.push_back(1.0);
    }
    s.power[8] = 100;   // 4 Hz: theta's lower edge, in theta
    s.power[16] = 10;   // 8 Hz: alpha's lower edge, not theta
    const band_powers b = bands_of(s);
    EXPECT_DOUBLE_EQ(b.theta, 0.5 * (100 + 7));       // 4, 4.5, ..., 7.5
    EXPECT_DOUBLE_EQ(b.alpha, 0.5 * (10 + 9));        // 8, ..., 12.5
    EXPECT_DOUBLE_EQ(b.beta, 0.5 * 34);               // 13, ..., 29.5
    EXPECT_DOUBLE_EQ(b.gamma, 0.5 * 41);              // 30, ..., 50 (the grid ends at 50)
    const band_powers none = bands_of(spectrum{});
    EXPECT_EQ(none.theta + none.alpha + none.beta + none.gamma, 0.0);
}

TEST(Peak, InclusiveRangeFirstOfEqualMaxima) {
    const spectrum s{{0, 2, 4, 6, 8, 100, 102}, {50, 1, 7, 3, 7, 9, 20}};
    EXPECT_DOUBLE_EQ(peak_frequency(s), 100.0);          // default [5, 100]: DC and 102 left out
    EXPECT_DOUBLE_EQ(peak_frequency(s, 1.0, 99.0), 4.0); // 4 and 8 tie: the first
    EXPECT_DOUBLE_EQ(peak_frequency(s, 0.0, 1e9), 0.0);
    EXPECT_DOUBLE_EQ(peak_frequency(s, 6.0, 6.0), 6.0);
    EXPECT_TRUE(std::isnan(peak_frequency(s, 10.0, 20.0)));
}

}  // namespace
