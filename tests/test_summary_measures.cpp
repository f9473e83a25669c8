// A run's measures by name (analysis/summary_measures.hpp): the columns m1analyze's summary has
// and a search's objectives name, in their order, from an analysis in memory or read back.
#include "analysis/summary_measures.hpp"
#include "core/io/run_file.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

namespace {

namespace fs = std::filesystem;
using namespace m1::analysis;

std::vector<std::string> names_of(const std::vector<named_measure>& m) {
    std::vector<std::string> out;
    for (const auto& [name, value] : m) out.push_back(name);
    return out;
}

double value_of(const std::vector<named_measure>& m, const std::string& name) {
    for (const auto& [n, v] : m)
        if (n == name) return v;
    ADD_FAILURE() << "no measure " << name;
    return NAN;
}

// Two populations (A: 1 cell, B: 3 cells) with rates, a Granger pair and a TE matrix.
analysis_result two_populations() {
    analysis_result r;
    r.populations = {"A", "B"};
    r.rates.resize(2);
    r.rates[0].rate_hz = 10;
    r.rates[1].rate_hz = 2;
    r.rates[0].cv_isi = 0.5;
    r.rates[1].cv_isi = NAN;
    pair_granger g{"A", "B", {}};
    g.result.freq_hz = {1, 10, 50, 150};
    g.result.f_xy = {9, 0.3, 0.7, 8};  // 1 and 150 Hz lie outside 5-100 Hz
    r.granger.push_back(g);
    r.nte = {{NAN, 0.25}, {0.125, NAN}};
    return r;
}

TEST(SummaryMeasures, NamesInSummaryOrderWithTheirValues) {
    run_trains trains;
    trains.populations = {{"A", 1, 0, {}, {}}, {"B", 3, 0, {}, {}}};
    const auto m = summary_measures(two_populations(), trains);
    EXPECT_EQ(names_of(m), (std::vector<std::string>{"rate_hz", "rate_hz:A", "rate_hz:B", "cv_isi:A",
                                                     "cv_isi:B", "granger_peak:A__B", "nte:A__B",
                                                     "nte:B__A"}));
    EXPECT_DOUBLE_EQ(value_of(m, "rate_hz"), (10 * 1 + 2 * 3) / 4.0);  // weighted by cells
    EXPECT_EQ(value_of(m, "rate_hz:B"), 2);
    EXPECT_TRUE(std::isnan(value_of(m, "cv_isi:B")));
    EXPECT_EQ(value_of(m, "granger_peak:A__B"), 0.7);
    EXPECT_EQ(value_of(m, "nte:B__A"), 0.125);
}

TEST(SummaryMeasures, AFailedGrangerFitHasNoPeak) {
    granger_result g;
    g.failure = "no spikes";
    EXPECT_TRUE(std::isnan(granger_peak(g)));
}

TEST(SummaryMeasures, ReadBackFromARunAnalysedEarlier) {
    m1::test::temporary_directory dir{"summary-measures"};
    const fs::path run_file = dir.path() / "run.h5";
    m1::write_run_file(run_file, m1::test::one_cell_populations({{"A", {1, 5, 9, 30}}, {"B", {2, 7}}}, 100));
    analysis_params params;
    params.compute_granger = params.compute_nte = params.compute_lfp = false;
    const analysis_result result = analyze(load_trains(run_file), params);
    write_analysis(run_file, result, params);
    const auto read_back = measures_of_run(run_file);
    const auto in_memory = summary_measures(result, load_trains(run_file));
    ASSERT_EQ(names_of(read_back), names_of(in_memory));
    for (std::size_t k = 0; k < read_back.size(); ++k) {
        if (std::isnan(in_memory[k].second)) continue;
        EXPECT_EQ(read_back[k].second, in_memory[k].second) << read_back[k].first;
    }
    EXPECT_DOUBLE_EQ(value_of(read_back, "rate_hz:A"), 40);  // 4 spikes of 1 cell in 100 ms
    const std::vector<std::string> names = names_of(read_back);
    EXPECT_NE(std::find(names.begin(), names.end(), "peak_hz"), names.end());
    EXPECT_THROW(measures_of_run(dir.path() / "missing.h5"), std::exception);
}

}  // namespace
