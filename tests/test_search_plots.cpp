// The plots of a search (batch/search_plots.hpp), from a search file over the tiny model and
// evaluations written by hand: three pictures as PNG and SVG, each the generic plot of the data
// the search's evaluations make (compared pixel for pixel under the title), showing the best
// point where it belongs: fitness per generation, the parameters coloured by fitness with the
// failed candidate crossed, the best point's objectives against their targets.
#include "batch/search_plots.hpp"
#include "plot_test_support.hpp"
#include "sweep_test_support.hpp"

#include <gtest/gtest.h>

#include <limits>

using namespace m1::test;
using namespace m1::analysis;
using m1::batch::evaluation;

namespace {

const double nan_value = std::numeric_limits<double>::quiet_NaN();

// Two parameters (the first searched in log) and two objectives (a target and a range).
const std::string search_file = R"(name = "fit"
[optimize]
algorithm = "random"
population = 3
generations = 2
param = [{path = "/netParams/connParams/EE/weight", range = [0.001, 0.1], log = true},
         {path = "/netParams/stimTargetParams/bg_E/weight", range = [0.1, 1.0]}]
objective = [{column = "rate_hz:E", target = 5.0, width = 2.0}, {column = "cv_isi:E", range = [0.5, 1.5]}]
)";

evaluation candidate(std::size_t generation, std::size_t individual, double conn, double stim,
                     std::vector<double> objectives, double fitness, std::string status = "done") {
    return {generation, individual, {conn, stim}, {"run" + std::to_string(3 * generation + individual)},
            std::move(objectives), fitness, std::move(status)};
}

// Two generations of three; the fourth proposed (generation 1, individual 0) is the best, the
// second failed.
const std::vector<evaluation> evaluations{
    candidate(0, 0, 0.01, 0.5, {9.0, 1.0}, 7.4),
    candidate(0, 1, 0.002, 0.9, {nan_value, nan_value}, 1000, "failed: run timed out"),
    candidate(0, 2, 0.05, 0.2, {1.0, 2.5}, 300),
    candidate(1, 0, 0.02, 0.4, {6.0, 1.7}, 1.5),
    candidate(1, 1, 0.03, 0.6, {3.0, 0.9}, 2.7),
    candidate(1, 2, 0.005, 0.3, {12.0, 0.2}, 50),
};

class search_plots : public sweep_test {
protected:
    m1::batch::search_spec search() { return m1::batch::load_search(write("search.toml", on_tiny(search_file))); }
    fs::path plots() const { return dir_ / "plots"; }
};

// The same pixels below the title band (titles are the search's words, not the data's).
void expect_same_plot(const png_image& a, const png_image& b) {
    ASSERT_EQ(a.width, b.width);
    ASSERT_EQ(a.height, b.height);
    int different = 0;
    for (int y = 60; y < a.height; ++y)
        for (int x = 0; x < a.width; ++x) different += a.pixels[y * a.width + x] != b.pixels[y * a.width + x];
    EXPECT_EQ(different, 0);
}

TEST_F(search_plots, writes_three_pictures_as_png_and_svg) {
    m1::batch::write_search_plots(search(), evaluations, plots());
    for (const char* name : {"search_fitness", "search_parameters", "search_objectives"}) {
        expect_files(plots() / name, plot_width, plot_height);
        EXPECT_GT(fs::file_size(with(plots() / name, ".png")), 1000u) << name;
        EXPECT_GT(fs::file_size(with(plots() / name, ".svg")), 1000u) << name;
    }
}

TEST_F(search_plots, fitness_is_the_best_so_far_the_generations_best_and_median_on_a_log_axis) {
    m1::batch::write_search_plots(search(), evaluations, plots());
    const png_image png = expect_files(plots() / "search_fitness", plot_width, plot_height);
    // Generation 0: best 7.4, median 300; generation 1: best 1.5 (so far and its own), median 2.7.
    const std::vector<series> expected{
        {"best of the generation", {0, 1}, {7.4, 1.5}, category_colour(3)},
        {"median of the generation", {0, 1}, {300, 2.7}, category_colour(10)},
        {"best so far", {0, 1}, {7.4, 1.5}, category_colour(0)},
    };
    const plot_frame f = plot_over_count(dir_ / "expected", "t", expected, "generation", "fitness (lower is better)", true);
    expect_same_plot(png, read_png(dir_ / "expected.png"));
    EXPECT_TRUE(f.log_y);  // 1.5 to 300 spans decades
    EXPECT_DOUBLE_EQ(f.y_bottom, 1);
    EXPECT_DOUBLE_EQ(f.y_top, 1000);
    // The best so far is drawn last: its colour at generation 1's best, the median's at its own.
    EXPECT_TRUE(close_to(pixel_at(png, f, 1, 1.5), category_colour(0))) << describe(pixel_at(png, f, 1, 1.5));
    EXPECT_TRUE(close_to(pixel_at(png, f, 0.5, std::sqrt(300 * 2.7)), category_colour(10)));
}

TEST_F(search_plots, parameters_are_coloured_by_fitness_with_the_failed_candidate_crossed) {
    const auto s = search();
    m1::batch::write_search_plots(s, evaluations, plots());
    const png_image png = expect_files(plots() / "search_parameters", plot_width, panels_height(2));
    const std::vector<panel> expected{
        {"/netParams/connParams/EE/weight", {0.01, 0.002, 0.05, 0.02, 0.03, 0.005}, true, s.runs.params[0].range},
        {"/netParams/stimTargetParams/bg_E/weight", {0.5, 0.9, 0.2, 0.4, 0.6, 0.3}, false, s.runs.params[1].range},
    };
    const colouring by_fitness{{7.4, nan_value, 300, 1.5, 2.7, 50}, "fitness", true, "failed"};
    const std::vector<plot_frame> frames =
        plot_panels(dir_ / "expected", "t", "evaluation (in the order proposed)", {1, 2, 3, 4, 5, 6}, expected, by_fitness);
    expect_same_plot(png, read_png(dir_ / "expected.png"));
    ASSERT_EQ(frames.size(), 2u);
    EXPECT_TRUE(frames[0].log_y);
    for (std::size_t k = 0; k < 2; ++k) {
        const auto& y = expected[k].y;
        // Evaluation 4, the best (1.5, the lowest fitness), in viridis' first colour; evaluation 3
        // (300) in its last; evaluation 2, failed, a grey cross.
        EXPECT_TRUE(close_to(pixel_at(png, frames[k], 4, y[3]), viridis(0))) << k << describe(pixel_at(png, frames[k], 4, y[3]));
        EXPECT_TRUE(close_to(pixel_at(png, frames[k], 3, y[2]), viridis(1))) << k;
        EXPECT_TRUE(close_to(pixel_at(png, frames[k], 2, y[1]), {0.5, 0.5, 0.5})) << k << describe(pixel_at(png, frames[k], 2, y[1]));
    }
}

TEST_F(search_plots, objectives_are_the_best_points_in_widths_from_their_targets) {
    const auto s = search();
    m1::batch::write_search_plots(s, evaluations, plots());
    const png_image png = expect_files(plots() / "search_objectives", plot_width, plot_height);
    // The best point's values: rate 6 against 5 +- 2 (+0.5 widths), CV 1.7 against [0.5, 1.5]
    // with the default width 1 (+0.7 from the middle).
    const std::vector<target_check> expected{
        {"rate_hz:E", 6.0, 5.0, std::nullopt, 2.0},
        {"cv_isi:E", 1.7, std::nullopt, std::array<double, 2>{0.5, 1.5}, 1.0},
    };
    const plot_frame f = plot_targets(dir_ / "expected", "t", expected);
    expect_same_plot(png, read_png(dir_ / "expected.png"));
    EXPECT_TRUE(close_to(pixel_at(png, f, 0.5, 0.5), category_colour(0))) << describe(pixel_at(png, f, 0.5, 0.5));
    EXPECT_TRUE(close_to(pixel_at(png, f, 0.7, 1.5), category_colour(0))) << describe(pixel_at(png, f, 0.7, 1.5));
    // Not another candidate's: evaluation 5's rate 3 (-1 width) leaves no dot there.
    EXPECT_FALSE(close_to(pixel_at(png, f, -1, 0.5), category_colour(0)));
}

TEST_F(search_plots, no_evaluations_give_frames_that_say_no_data) {
    m1::batch::write_search_plots(search(), {}, plots());
    for (const char* name : {"search_fitness", "search_parameters", "search_objectives"}) {
        const png_image png = expect_files(plots() / name, plot_width, plot_height);
        // "no data" in italics near the middle of the picture.
        EXPECT_GT(count_ink(png, 300, 300, 900, 500), 20) << name;
    }
}

}  // namespace
