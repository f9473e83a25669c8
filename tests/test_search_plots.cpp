// A search's figures (batch/search_plots.hpp) from hand-made evaluations of a search of the tiny
// model: every file there, the best point's objectives at their signed deviations, each parameter's
// evaluations in their fitness's colour; signed_deviation for targets and ranges.
#include "analysis/plots.hpp"
#include "batch/optimize_file.hpp"
#include "batch/search_plots.hpp"
#include "sweep_test_support.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

using namespace m1::test;
using m1::batch::evaluation;

namespace {

constexpr double nan_value = std::numeric_limits<double>::quiet_NaN();

class SearchPlots : public sweep_test {
protected:
    m1::batch::search_spec search() {
        return m1::batch::load_search(write(
            "search.toml",
            on_tiny("[optimize]\npopulation = 5\n"
                    "[[optimize.param]]\npath = \"/netParams/connParams/EE/weight\"\n"
                    "range = [0.001, 0.1]\nlog = true\n"
                    "[[optimize.param]]\npath = \"duration\"\nrange = [50, 80]\n"
                    "[[optimize.objective]]\ncolumn = \"rate_hz:E\"\ntarget = 5.0\nwidth = 2.5\n"
                    "[[optimize.objective]]\ncolumn = \"peak_hz\"\nrange = [10, 30]\n")));
    }
};

bool close_to(m1::analysis::png_image::rgb8 p, m1::analysis::rgb c, int tolerance = 3) {
    return std::abs(p.r - int(std::lround(c.r * 255))) <= tolerance &&
           std::abs(p.g - int(std::lround(c.g * 255))) <= tolerance &&
           std::abs(p.b - int(std::lround(c.b * 255))) <= tolerance;
}

TEST_F(SearchPlots, SignedDeviationIsInWidthsWithTheSideOfTheTarget) {
    const auto s = search();
    EXPECT_DOUBLE_EQ(m1::batch::signed_deviation(s.objectives[0], 10.0), 2.0);   // (10 - 5) / 2.5
    EXPECT_DOUBLE_EQ(m1::batch::signed_deviation(s.objectives[0], 2.5), -1.0);
    EXPECT_DOUBLE_EQ(m1::batch::signed_deviation(s.objectives[1], 20.0), 0.0);   // inside the range
    EXPECT_DOUBLE_EQ(m1::batch::signed_deviation(s.objectives[1], 50.0), 1.0);   // 20 past 30, width 20
    EXPECT_DOUBLE_EQ(m1::batch::signed_deviation(s.objectives[1], 0.0), -0.5);
    EXPECT_TRUE(std::isnan(m1::batch::signed_deviation(s.objectives[0], nan_value)));
}

TEST_F(SearchPlots, EveryFigureIsWrittenAndShowsTheBestPoint) {
    const auto s = search();
    const std::vector<evaluation> evaluations{
        {0, 0, {0.002, std::int64_t{60}}, {"a"}, {9.0, 40.0}, 20.0, "done"},
        {0, 1, {0.01, std::int64_t{70}}, {"b"}, {6.0, 20.0}, 1.5, "done"},   // the best
        {1, 0, {0.05, std::int64_t{55}}, {"c"}, {nan_value, nan_value}, 1000.0, "failed: timeout"},
        {1, 1, {0.02, std::int64_t{75}}, {"d"}, {3.0, 25.0}, 2.0, "done"},
    };
    const auto plots = dir_ / "plots";
    m1::batch::write_search_plots(s, evaluations, plots);
    for (const char* stem : {"search_fitness", "search_param_0", "search_param_1", "search_objectives"})
        for (const char* suffix : {".png", ".svg"})
            EXPECT_GT(fs::file_size(plots / (std::string(stem) + suffix)), 1000u) << stem << suffix;
    // The objectives: the best point's rate (6 Hz, target 5 +- 2.5: +0.4 widths) in the top row,
    // its peak (20 Hz, inside [10, 30]: 0) in the bottom one, both within one width: blue.
    const auto png = m1::analysis::read_png(plots / "search_objectives.png");
    const m1::analysis::plot_frame f = m1::analysis::plot_deviations(dir_ / "again", "", "",
        {{"rate_hz:E", 0.4, "6, target 5 \u00b1 2.5"}, {"peak_hz", 0.0, "20, range 10 to 30"}});
    const auto at = [&](double x, double y) { return png.at(int(std::lround(f.px(x))), int(std::lround(f.py(y)))); };
    EXPECT_TRUE(close_to(at(0.4, 1.5), m1::analysis::category_colour(0)));
    EXPECT_TRUE(close_to(at(0.0, 0.5), m1::analysis::category_colour(0)));
    // The weight's figure: the best evaluation (the 2nd, 0.01) in viridis's lowest colour on a
    // log axis of the weight.
    const auto weights = m1::analysis::read_png(plots / "search_param_0.png");
    m1::analysis::coloured_points p{{1, 2, 3, 4}, {0.002, 0.01, 0.05, 0.02}, {20, 1.5, nan_value, 2}};
    const auto g = m1::analysis::plot_coloured_points(dir_ / "weights", "", "", "", p, "", true, true);
    EXPECT_TRUE(close_to(weights.at(int(std::lround(g.px(2))), int(std::lround(g.py(0.01)))),
                         m1::analysis::viridis(0)));
    EXPECT_TRUE(close_to(weights.at(int(std::lround(g.px(1))), int(std::lround(g.py(0.002)))),
                         m1::analysis::viridis(1)));
}

TEST_F(SearchPlots, NoEvaluationsStillGiveLabelledFrames) {
    const auto plots = dir_ / "plots";
    m1::batch::write_search_plots(search(), {}, plots);
    EXPECT_TRUE(fs::exists(plots / "search_fitness.png"));
    EXPECT_TRUE(fs::exists(plots / "search_param_1.svg"));
    EXPECT_FALSE(fs::exists(plots / "search_objectives.png"));  // no best point to show
}

}  // namespace
