// Normalised transfer entropy (analysis/transfer_entropy.hpp): NetPyNE's numbers in netpyne mode,
// the plug-in entropies against a plain count-by-count computation, what the measure must show on
// synthetic populations, seeding, the window, and the cost of a full-scale run's 13 x 13 matrix.
//
// tests/data/analysis/nte_reference.json holds spike trains and the nTE that NetPyNE's own code
// gives on them: netpyne/analysis/info.py nTE() (verbatim from suny-downstate-medical-center/netpyne
// @ 3a0a522, 1.1.0) calling support/nte.hoc's normte and support/nte.mod's tentropspks, the .mod
// compiled by nrnivmodl (NEURON 8.2) and run once by /usr/bin/python3 in a scratch package that
// tests/data/analysis/granger_nte_reference.py builds, the cases in one NEURON process in file
// order (nte.mod's shuffle index carries over between calls: each case's ran4_index).
#include "transfer_entropy.hpp"
#include "random.hpp"

#include "test_support.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <map>
#include <tuple>

namespace {

using namespace m1::analysis;

// Poisson and driven populations (test_support.hpp), streams salted for this file.
std::vector<double> poisson(std::uint32_t id, double cells, double rate_hz, double stop_ms) {
    return m1::test::poisson_train(id, 0x6e74u, cells, rate_hz, stop_ms);
}

std::vector<double> driven(std::uint32_t id, const std::vector<double>& x, double keep, double lag_ms,
                           double stop_ms, const std::vector<double>& noise) {
    return m1::test::driven_train(id, 0x6e64u, x, keep, lag_ms, stop_ms, noise);
}

nte_params with(nte_mode mode, int shuffles = 30, std::uint32_t seed = 1) {
    nte_params p;
    p.mode = mode;
    p.shuffles = shuffles;
    p.seed = seed;
    return p;
}

TEST(TransferEntropy, NetpyneModeGivesNetpynesNumbers) {
    std::ifstream in(M1_SOURCE_DIR "/tests/data/analysis/nte_reference.json");
    ASSERT_TRUE(in) << "tests/data/analysis/nte_reference.json missing";
    const auto ref = nlohmann::json::parse(in);
    int compared = 0;
    for (const auto& c : ref["cases"]) {
        SCOPED_TRACE(c["name"].get<std::string>());
        nte_params p = with(nte_mode::netpyne, c["shuffles"]);
        p.bin_ms = c["bin_ms"];
        p.ran4_index = c["ran4_index"];
        const auto x = ref["trains"][c["source"].get<std::string>()].get<std::vector<double>>();
        const auto y = ref["trains"][c["target"].get<std::string>()].get<std::vector<double>>();
        const double expected = c["nte"];
        const double got = normalized_transfer_entropy(x, y, {c["window"][0], c["window"][1]}, p);
        EXPECT_NEAR(got, expected, 1e-6 * std::abs(expected));
        std::cout << c["name"].get<std::string>() << ": " << got << " (NetPyNE " << expected
                  << ", relative difference " << std::abs(got - expected) / std::abs(expected) << ")\n";
        ++compared;
    }
    EXPECT_GE(compared, 6);
}

// TE(x -> y) / H(YF | YP) straight from the definition, one std::map per distribution.
double plain_te_over_h(const std::vector<int>& x, const std::vector<int>& y) {
    std::map<int, double> p;
    std::map<std::pair<int, int>, double> fp, ps;
    std::map<std::tuple<int, int, int>, double> fps;
    const double n = double(y.size() - 1);
    for (std::size_t k = 0; k + 1 < y.size(); ++k) {
        p[y[k]] += 1 / n;
        fp[{y[k + 1], y[k]}] += 1 / n;
        ps[{y[k], x[k]}] += 1 / n;
        fps[{y[k + 1], y[k], x[k]}] += 1 / n;
    }
    double h = 0, hx = 0;
    for (const auto& [k, v] : fp) h -= v * std::log2(v / p[k.second]);
    for (const auto& [k, v] : fps) hx -= v * std::log2(v / ps[{std::get<1>(k), std::get<2>(k)}]);
    return (h - hx) / h;
}

TEST(TransferEntropy, PlugInEntropiesInBitsOverCountsNotBinarised) {
    // Small random count series (0..4 spikes per 20 ms bin, y partly following x), as spikes in
    // the middle of their bins; no shuffles: nTE = TE / H(YF | YP).
    m1::random_stream s(9, 9, 9);
    for (int trial = 0; trial < 5; ++trial) {
        std::vector<int> cx(300), cy(300);
        for (std::size_t i = 0; i < cx.size(); ++i) {
            cx[i] = int(s.uniform01() * 5);
            cy[i] = i > 0 && s.uniform01() < 0.6 ? cx[i - 1] : int(s.uniform01() * 4);
        }
        std::vector<double> tx, ty;
        for (std::size_t i = 0; i < cx.size(); ++i) {
            for (int k = 0; k < cx[i]; ++k) tx.push_back(20.0 * i + 10);
            for (int k = 0; k < cy[i]; ++k) ty.push_back(20.0 * i + 10);
        }
        const double got = normalized_transfer_entropy(tx, ty, {0, 6000}, with(nte_mode::standard, 0));
        EXPECT_NEAR(got, plain_te_over_h(cx, cy), 1e-12);
        EXPECT_GT(got, 0.1);  // a strong, real dependence
    }
}

TEST(TransferEntropy, IndependentPopulationsGiveNearZero) {
    const auto x = poisson(1, 100, 10, 10000), y = poisson(2, 100, 10, 10000);
    for (auto mode : {nte_mode::standard, nte_mode::netpyne}) {
        const double xy = normalized_transfer_entropy(x, y, {0, 10000}, with(mode));
        const double yx = normalized_transfer_entropy(y, x, {0, 10000}, with(mode));
        std::cout << "independent, 100 cells x 10 Hz, 10 s: nTE " << xy << ", " << yx << "\n";
        EXPECT_LT(std::abs(xy), 0.02);
        EXPECT_LT(std::abs(yx), 0.02);
    }
}

TEST(TransferEntropy, ADrivenPopulationShowsTheDirection) {
    // x: 2 cells at 10 Hz; y: x's spikes 5 ms later plus a cell at 5 Hz of its own; 10 s. Small
    // populations on purpose: with ~20 spikes per 20 ms bin the plug-in estimate over raw counts
    // has as many states as samples and cannot see a 5 ms drive at all (nTE ~ 0 or below, both
    // ways), NetPyNE's definition included.
    const auto x = poisson(3, 2, 10, 10000);
    const auto y = driven(4, x, 1.0, 5, 10000, poisson(5, 1, 5, 10000));
    for (auto mode : {nte_mode::standard, nte_mode::netpyne}) {
        const double xy = normalized_transfer_entropy(x, y, {0, 10000}, with(mode));
        const double yx = normalized_transfer_entropy(y, x, {0, 10000}, with(mode));
        std::cout << "driven (5 ms lag): nTE(x->y) " << xy << ", nTE(y->x) " << yx << "\n";
        EXPECT_GT(xy - yx, 0.02);
    }
}

TEST(TransferEntropy, ShufflesAreSeededAndConfigurable) {
    const auto x = poisson(6, 5, 10, 5000), y = driven(7, x, 0.5, 5, 5000, poisson(8, 5, 5, 5000));
    const window w{0, 5000};
    const double a = normalized_transfer_entropy(x, y, w, with(nte_mode::standard, 30, 1));
    EXPECT_EQ(a, normalized_transfer_entropy(x, y, w, with(nte_mode::standard, 30, 1)));
    EXPECT_NE(a, normalized_transfer_entropy(x, y, w, with(nte_mode::standard, 30, 2)));
    EXPECT_NE(a, normalized_transfer_entropy(x, y, w, with(nte_mode::standard, 10, 1)));
    // netpyne mode: the draws follow the mcell_ran4 index, not the seed.
    nte_params p = with(nte_mode::netpyne, 30, 1);
    const double b = normalized_transfer_entropy(x, y, w, p);
    p.seed = 2;
    EXPECT_EQ(b, normalized_transfer_entropy(x, y, w, p));
    p.ran4_index = 1000;
    EXPECT_NE(b, normalized_transfer_entropy(x, y, w, p));
    EXPECT_THROW(normalized_transfer_entropy(x, y, w, with(nte_mode::standard, -1)), std::invalid_argument);
}

TEST(TransferEntropy, TheWindowIsHonoured) {
    // Spikes outside [1000, 4000) change nothing; NetPyNE's nTE would use [0, duration].
    const auto x = poisson(9, 5, 10, 5000), y = driven(10, x, 0.5, 5, 5000, poisson(11, 5, 5, 5000));
    auto inside = [](const std::vector<double>& t) {
        std::vector<double> out;
        for (double v : t)
            if (v >= 1000 && v < 4000) out.push_back(v);
        return out;
    };
    for (auto mode : {nte_mode::standard, nte_mode::netpyne}) {
        const double all = normalized_transfer_entropy(x, y, {1000, 4000}, with(mode));
        EXPECT_EQ(all, normalized_transfer_entropy(inside(x), inside(y), {1000, 4000}, with(mode)));
        EXPECT_NE(all, normalized_transfer_entropy(x, y, {0, 5000}, with(mode)));
    }
}

TEST(TransferEntropy, NoVariationGivesZeroNotNaN) {
    const auto x = poisson(12, 5, 10, 2000);
    std::vector<double> regular;  // one spike in every 20 ms bin
    for (int i = 0; i < 100; ++i) regular.push_back(20.0 * i + 3);
    for (auto mode : {nte_mode::standard, nte_mode::netpyne}) {
        EXPECT_EQ(normalized_transfer_entropy(x, {}, {0, 2000}, with(mode)), 0.0);
        EXPECT_EQ(normalized_transfer_entropy({}, x, {0, 2000}, with(mode)), 0.0);
        EXPECT_EQ(normalized_transfer_entropy(x, regular, {0, 2000}, with(mode)), 0.0);
        EXPECT_EQ(normalized_transfer_entropy(x, x, {0, 10}, with(mode)), 0.0);  // no whole bin
    }
    // A target determined by its past (a single spike in the first bin): H(YF | YP) = 0, and 0
    // rather than 0 / 0. In netpyne mode nte.mod's table gives LOG2(1) = -4e-9, not 0, so H is
    // ~4e-9 and the quotient rounding noise, as in NEURON.
    EXPECT_EQ(normalized_transfer_entropy(x, {5.0}, {0, 2000}, with(nte_mode::standard)), 0.0);
    EXPECT_NEAR(normalized_transfer_entropy(x, {5.0}, {0, 2000}, with(nte_mode::netpyne)), 0.0, 1e-12);
}

TEST(TransferEntropy, FullScaleRunCost) {
    // 13 populations, 1 s, ~225,000 spikes: the 13 x 13 matrix (156 ordered pairs) with 30
    // shuffles. The time is printed, not asserted.
    std::vector<std::vector<double>> pops;
    const double spikes[13] = {60000, 45000, 30000, 25000, 20000, 15000, 10000,
                               8000,  5000,  3000,  2000,  1500,  500};
    for (int p = 0; p < 13; ++p) pops.push_back(poisson(100 + p, spikes[p], 1, 1000));
    for (auto mode : {nte_mode::standard, nte_mode::netpyne}) {
        const auto t0 = std::chrono::steady_clock::now();
        double sum = 0;
        for (int a = 0; a < 13; ++a)
            for (int b = 0; b < 13; ++b)
                if (a != b) {
                    const double v = normalized_transfer_entropy(pops[a], pops[b], {0, 1000}, with(mode));
                    EXPECT_TRUE(std::isfinite(v));
                    sum += v;
                }
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        std::cout << (mode == nte_mode::netpyne ? "netpyne" : "standard") << " mode, 13 x 13 nTE, 30 shuffles: "
                  << s * 1e3 << " ms (" << s / 156 * 1e6 << " us per pair, one thread)\n";
    }
}

}  // namespace
