// The plots (analysis/plots.hpp): each writes a PNG of the documented size and a well-formed
// looking SVG, and the PNG shows what was asked at the place the returned frame says: spikes in
// their population's colour, curves across a log axis, the largest cell of a heatmap in the top
// colour of viridis, points of panels in the colour of their value, values against target bands.
#include "analysis/plots.hpp"
#include "plot_test_support.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <random>

namespace {

using namespace m1::analysis;
using namespace m1::test;

population_train population(std::string name, std::uint32_t cells, double ynorm,
                            std::vector<double> times, std::vector<std::uint64_t> ids) {
    population_train p;
    p.name = std::move(name);
    p.cells = cells;
    p.mean_ynorm = ynorm;
    p.times = std::move(times);
    p.node_ids = std::move(ids);
    return p;
}

TEST(plots, raster_draws_each_spike_in_its_population_colour_stacked_by_depth) {
    temporary_directory dir("plots-raster");
    // "deep" is given first but lies below "upper" (larger ynorm).
    const std::vector<population_train> pops{
        population("deep", 10, 0.8, {200, 700}, {2, 5}),
        population("upper", 20, 0.2, {300, 850}, {0, 19}),
    };
    const auto stem = dir.path() / "raster";
    const raster_frame r = plot_raster(stem, "two populations", pops, {0, 1000});
    const png_image png = expect_files(stem, raster_width, raster_height);

    ASSERT_EQ(r.first_row.size(), 2u);
    EXPECT_EQ(r.first_row[1], 0u);   // upper at the top
    EXPECT_EQ(r.first_row[0], 20u);  // deep below it
    const plot_frame& f = r.frame;
    EXPECT_EQ(f.y_top, 0);
    EXPECT_EQ(f.y_bottom, 30);

    const auto pixel_of = [&](std::size_t p, double t, std::uint64_t id) {
        return png.at(static_cast<int>(f.px(t)),
                      static_cast<int>(f.py(r.first_row[p] + static_cast<double>(id) + 0.5)));
    };
    for (std::size_t p = 0; p < pops.size(); ++p)
        for (std::size_t k = 0; k < pops[p].times.size(); ++k) {
            const auto px = pixel_of(p, pops[p].times[k], pops[p].node_ids[k]);
            EXPECT_TRUE(close_to(px, category_colour(p)))
                << pops[p].name << " spike " << k << ": " << describe(px);
        }
    // Where nothing fired: background, and no population colour anywhere there.
    for (const auto& [p, id] : {std::pair{1, 10}, {0, 7}, {0, 0}, {1, 19}}) {
        const auto empty = pixel_of(p, 500, id);
        EXPECT_TRUE(close_to(empty, {1, 1, 1})) << describe(empty);
    }
    EXPECT_EQ(count_colour(png, category_colour(0), f.px(400), f.top, f.px(600), f.top + f.height), 0);
    EXPECT_EQ(count_colour(png, category_colour(1), f.px(400), f.top, f.px(600), f.top + f.height), 0);
    // Names at the left: ink left of the plot area.
    EXPECT_GT(count_ink(png, 50, f.top, f.left - 10, f.top + f.height), 100);
}

TEST(plots, raster_leaves_out_spikes_outside_the_window_and_unknown_cells) {
    temporary_directory dir("plots-raster-window");
    const std::vector<population_train> pops{
        population("A", 4, 0.5, {50, 150, 150, 250}, {0, 1, 9, 3}),
    };
    const auto stem = dir.path() / "window";
    const raster_frame r = plot_raster(stem, "window", pops, {100, 200});
    const png_image png = expect_files(stem, raster_width, raster_height);
    const plot_frame& f = r.frame;
    EXPECT_EQ(f.x_left, 100);
    EXPECT_EQ(f.x_right, 200);
    const int inside_marks =
        count_colour(png, category_colour(0), f.left, f.top, f.left + f.width, f.top + f.height);
    EXPECT_GT(inside_marks, 0);
    EXPECT_TRUE(close_to(png.at(static_cast<int>(f.px(150)), static_cast<int>(f.py(1.5))),
                         category_colour(0)));
    // One spike is in: its mark is a few pixels wide and at most 8 high.
    EXPECT_LE(inside_marks, 4 * 8);
}

TEST(plots, raster_without_spikes_draws_axes_and_says_so) {
    temporary_directory dir("plots-raster-empty");
    for (const auto& pops : {std::vector<population_train>{},
                             std::vector<population_train>{population("silent", 100, 0.3, {}, {})}}) {
        const auto stem = dir.path() / ("empty" + std::to_string(pops.size()));
        const raster_frame r = plot_raster(stem, "nothing", pops, {0, 1000});
        const png_image png = expect_files(stem, raster_width, raster_height);
        const plot_frame& f = r.frame;
        // "no spikes" in the middle, the x axis's labels below.
        EXPECT_GT(count_ink(png, f.left + f.width / 2 - 60, f.top + f.height / 2 - 15,
                            f.left + f.width / 2 + 60, f.top + f.height / 2 + 15),
                  20);
        EXPECT_GT(count_ink(png, f.left, f.top + f.height + 2, f.left + f.width, raster_height), 200);
    }
}

TEST(plots, raster_of_thirteen_populations_and_many_spikes_keeps_long_names_short) {
    temporary_directory dir("plots-raster-big");
    std::mt19937_64 random(7);
    std::vector<population_train> pops;
    std::size_t spikes = 0;
    for (int p = 0; p < 13; ++p) {
        const std::uint32_t cells = 200 + 100 * p;
        population_train train = population(
            p == 5 ? std::string(200, 'X') : "pop" + std::to_string(p), cells, 0.07 * p, {}, {});
        std::uniform_real_distribution<double> when(0, 1000);
        std::uniform_int_distribution<std::uint64_t> who(0, cells - 1);
        for (int k = 0; k < 12000; ++k) train.times.push_back(when(random));
        std::sort(train.times.begin(), train.times.end());
        for (std::size_t k = 0; k < train.times.size(); ++k) train.node_ids.push_back(who(random));
        spikes += train.times.size();
        pops.push_back(std::move(train));
    }
    EXPECT_EQ(spikes, 156000u);
    const auto stem = dir.path() / "big";
    const raster_frame r = plot_raster(stem, std::string(300, 'T'), pops, {0, 1000});
    expect_files(stem, raster_width, raster_height);
    // The 200-character name is cut: the plot keeps most of the width.
    EXPECT_LT(r.frame.left, 350);
    EXPECT_GT(r.frame.width, 900);
    // The SVG holds one path per population, not one element per spike.
    EXPECT_LT(std::filesystem::file_size(with(stem, ".svg")), 40u << 20);
}

TEST(plots, log_spectra_span_the_decades_of_the_data_and_draw_at_both_ends) {
    temporary_directory dir("plots-spectra");
    series s{"IT_L23", {}, {}, std::nullopt};
    for (int i = 0; i <= 100; ++i) {
        s.x.push_back(i);
        s.y.push_back(std::pow(10.0, 2 - 5 * i / 100.0));  // 1e2 at 0 Hz down to 1e-3 at 100 Hz
    }
    series flat{"with zeros", {0, 50, 60, 100}, {0, 1, -1, 1}, std::nullopt};
    const auto stem = dir.path() / "spectra";
    const plot_frame f = plot_spectra(stem, "rate spectra", {s, flat});
    const png_image png = expect_files(stem, plot_width, plot_height);
    EXPECT_TRUE(f.log_y);
    EXPECT_DOUBLE_EQ(f.y_bottom, 1e-3);
    EXPECT_DOUBLE_EQ(f.y_top, 1e2);
    EXPECT_DOUBLE_EQ(f.x_left, 0);
    EXPECT_DOUBLE_EQ(f.x_right, 100);
    const rgb c = category_colour(0);
    EXPECT_GT(count_colour(png, c, f.left, f.top, f.left + f.width, f.top + f.height / 4), 10);
    EXPECT_GT(count_colour(png, c, f.left, f.top + 3 * f.height / 4, f.left + f.width,
                           f.top + f.height),
              10);
    // The curve passes where its data say: 10^0 at 40 Hz.
    EXPECT_GT(count_colour(png, c, f.px(40) - 3, f.py(1) - 3, f.px(40) + 4, f.py(1) + 4), 0);
    // Two entries: the legend sits in the top right corner of the plot area, where no curve is.
    EXPECT_GT(count_colour(png, c, f.px(70), f.top, f.left + f.width, f.top + 80), 10);
}

TEST(plots, many_spectra_get_their_legend_beside_the_plot_area) {
    temporary_directory dir("plots-spectra-many");
    std::vector<series> curves;
    for (int k = 0; k < 14; ++k) {
        series s{"population " + std::to_string(k), {}, {}, std::nullopt};
        for (int i = 0; i <= 100; ++i) {
            s.x.push_back(i);
            s.y.push_back((k + 1) * (1 + std::sin(i / 5.0 + k)));  // zeros included
        }
        curves.push_back(s);
    }
    const auto stem = dir.path() / "many";
    const plot_frame f = plot_spectra(stem, "fourteen", curves);
    const png_image png = expect_files(stem, plot_width, plot_height);
    for (std::size_t k : {0u, 6u, 13u})
        EXPECT_GT(count_colour(png, category_colour(k), f.left + f.width + 5, f.top - 10,
                               plot_width, f.top + f.height),
                  10)
            << "legend entry " << k;
}

TEST(plots, spectra_cope_with_no_data_one_point_and_constants) {
    temporary_directory dir("plots-spectra-edge");
    {
        const plot_frame f = plot_spectra(dir.path() / "none", "nothing", {});
        const png_image png = expect_files(dir.path() / "none", plot_width, plot_height);
        EXPECT_GT(count_ink(png, f.left + f.width / 2 - 50, f.top + f.height / 2 - 15,
                            f.left + f.width / 2 + 50, f.top + f.height / 2 + 15),
                  20);  // "no data"
    }
    {
        const plot_frame f = plot_spectra(dir.path() / "zeros", "only zeros",
                                          {{"z", {0, 1, 2}, {0, 0, 0}, std::nullopt}});
        expect_files(dir.path() / "zeros", plot_width, plot_height);
        EXPECT_LT(f.y_bottom, f.y_top);
    }
    {
        const plot_frame f = plot_spectra(dir.path() / "one", "one point",
                                          {{"p", {10}, {5}, std::nullopt}}, "x (a.u.)", "y (a.u.)",
                                          false);
        const png_image png = expect_files(dir.path() / "one", plot_width, plot_height);
        EXPECT_LT(f.x_left, 10);
        EXPECT_GT(f.x_right, 10);
        EXPECT_LE(f.y_bottom, 5);
        EXPECT_GE(f.y_top, 5);
        EXPECT_TRUE(close_to(png.at(static_cast<int>(f.px(10)), static_cast<int>(f.py(5))),
                             category_colour(0)));
    }
    {
        const plot_frame f = plot_spectra(dir.path() / "constant", "constant",
                                          {{"c", {0, 50, 100}, {2, 2, 2}, rgb{0, 0, 0}}},
                                          "frequency (Hz)", "power", false);
        expect_files(dir.path() / "constant", plot_width, plot_height);
        EXPECT_LT(f.y_bottom, 2);
        EXPECT_GT(f.y_top, 2);
    }
    EXPECT_THROW(plot_spectra(dir.path() / "bad", "bad", {{"b", {1, 2}, {1}, std::nullopt}}),
                 std::invalid_argument);
}

TEST(plots, granger_draws_both_directions_from_zero) {
    temporary_directory dir("plots-granger");
    std::vector<double> freq, xy, yx;
    for (int i = 0; i <= 100; ++i) {
        freq.push_back(i);
        xy.push_back(0.4 * std::exp(-std::pow((i - 16) / 4.0, 2)));
        yx.push_back(0.05 + 0.02 * std::sin(i / 10.0));
    }
    const auto stem = dir.path() / "granger";
    const plot_frame f = plot_granger(stem, "Granger", freq, xy, yx, "IT_L23", "PT_L5B");
    const png_image png = expect_files(stem, plot_width, plot_height);
    EXPECT_EQ(f.y_bottom, 0);
    EXPECT_GE(f.y_top, 0.4);
    EXPECT_GT(count_colour(png, category_colour(0), f.px(16) - 3, f.py(0.4) - 4, f.px(16) + 4,
                           f.py(0.4) + 4),
              0);  // the peak of x -> y
    EXPECT_GT(count_colour(png, category_colour(1), f.left, f.top, f.left + f.width,
                           f.top + f.height),
              100);
    EXPECT_THROW(plot_granger(stem, "bad", freq, xy, {1, 2}, "a", "b"), std::invalid_argument);
}

TEST(plots, heatmap_colours_cells_by_value_and_marks_missing_ones) {
    temporary_directory dir("plots-heatmap");
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const std::vector<std::vector<double>> values{
        {1.0, 2.0, 3.0, 4.0},
        {5.0, nan, 7.0, 8.0},
        {9.0, 10.0, 11.0, 12.0},  // 12: the largest, top right
    };
    const auto stem = dir.path() / "heatmap";
    const plot_frame f = plot_heatmap(stem, "rate over a sweep", "weightE", {"0.5", "1", "1.5", "2"},
                                      "weightI", {"0.1", "0.2", "0.3"}, values, "rate (Hz)");
    const png_image png = expect_files(stem, plot_width, plot_height);
    EXPECT_EQ(f.x_right, 4);
    EXPECT_EQ(f.y_top, 3);
    // Near a corner of the cell (away from the number written in its middle).
    const auto corner = [&](double i, double j) {
        return png.at(static_cast<int>(f.px(j + 0.15)), static_cast<int>(f.py(i + 0.85)));
    };
    EXPECT_TRUE(close_to(corner(2, 3), viridis(1))) << describe(corner(2, 3));
    EXPECT_TRUE(close_to(corner(0, 0), viridis(0))) << describe(corner(0, 0));
    EXPECT_TRUE(close_to(corner(1, 2), viridis(6.0 / 11))) << describe(corner(1, 2));
    EXPECT_TRUE(close_to({253, 231, 37}, viridis(1), 2));  // matplotlib's last entry
    // The missing cell is grey, with hatching.
    int grey = 0, other = 0;
    for (double dy = 0.1; dy < 0.9; dy += 0.05)
        for (double dx = 0.1; dx < 0.9; dx += 0.05) {
            const auto p = png.at(static_cast<int>(f.px(1 + dx)), static_cast<int>(f.py(1 + dy)));
            if (p.r == p.g && p.g == p.b && p.r > 120 && p.r < 240) ++grey;
            else ++other;
        }
    EXPECT_EQ(other, 0);
    EXPECT_GT(grey, 100);
    // The colour bar at the right holds the top colour of the map.
    EXPECT_GT(count_colour(png, viridis(1), f.left + f.width + 5, f.top, plot_width, f.top + 10),
              10);
}

TEST(plots, heatmap_copes_with_constants_missing_everything_and_long_labels) {
    temporary_directory dir("plots-heatmap-edge");
    {
        const plot_frame f = plot_heatmap(dir.path() / "constant", "constant", "x", {}, "y", {},
                                          {{3, 3}, {3, 3}}, "v");
        const png_image png = expect_files(dir.path() / "constant", plot_width, plot_height);
        EXPECT_TRUE(close_to(png.at(static_cast<int>(f.px(0.15)), static_cast<int>(f.py(0.85))),
                             viridis(0.5)));
    }
    {
        const double nan = std::numeric_limits<double>::quiet_NaN();
        plot_heatmap(dir.path() / "missing", "all missing", "x", {"a"}, "y", {"b"}, {{nan}}, "v");
        expect_files(dir.path() / "missing", plot_width, plot_height);
        plot_heatmap(dir.path() / "empty", "empty", "x", {}, "y", {}, {}, "v");
        expect_files(dir.path() / "empty", plot_width, plot_height);
    }
    {
        std::vector<std::string> xs;
        std::vector<std::vector<double>> values(2);
        for (int j = 0; j < 12; ++j) {
            xs.push_back("connection weight scale " + std::to_string(j));
            values[0].push_back(j);
            values[1].push_back(-j * 1e-4);
        }
        const plot_frame f = plot_heatmap(dir.path() / "long", "long", "x", xs, "y",
                                          {"a", std::string(100, 'y')}, values, "v");
        expect_files(dir.path() / "long", plot_width, plot_height);
        EXPECT_GT(f.width, 600);
        EXPECT_GT(f.height, 300);
    }
    EXPECT_THROW(plot_heatmap(dir.path() / "bad", "bad", "x", {"a"}, "y", {}, {{1, 2}}, "v"),
                 std::invalid_argument);
    EXPECT_THROW(plot_heatmap(dir.path() / "bad", "bad", "x", {}, "y", {}, {{1, 2}, {1}}, "v"),
                 std::invalid_argument);
}

TEST(plots, lines_over_a_count_tick_whole_numbers_and_follow_the_data) {
    temporary_directory dir("plots-count");
    const series best{"best so far", {0, 1, 2}, {5, 2, 1.5}, std::nullopt};
    const auto stem = dir.path() / "count";
    const plot_frame f = plot_over_count(stem, "fitness", {best}, "generation", "fitness", false);
    const png_image png = expect_files(stem, plot_width, plot_height);
    EXPECT_DOUBLE_EQ(f.x_left, 0);
    EXPECT_DOUBLE_EQ(f.x_right, 2);
    EXPECT_FALSE(f.log_y);
    EXPECT_TRUE(close_to(pixel_at(png, f, 1, 2), category_colour(0))) << describe(pixel_at(png, f, 1, 2));
    // Grid lines (at the ticks) stand at whole generations only: at 1, not at 0.4 or 1.6, where a
    // span of 2 would otherwise get ticks every 0.2.
    const double y = f.py(1.6);  // no curve there at x = 0.4 .. 1.6
    EXPECT_TRUE(close_to(png.at(static_cast<int>(std::round(f.px(1))), static_cast<int>(y)), {0.9, 0.9, 0.9}))
        << describe(png.at(static_cast<int>(std::round(f.px(1))), static_cast<int>(y)));
    for (double x : {0.4, 1.6})
        EXPECT_TRUE(close_to(png.at(static_cast<int>(std::round(f.px(x))), static_cast<int>(y)), {1, 1, 1}));

    const series spread{"median", {0, 1, 2}, {1000, 50, 3}, std::nullopt};
    const plot_frame g = plot_over_count(dir.path() / "log", "fitness", {spread}, "generation", "fitness", true);
    const png_image log_png = expect_files(dir.path() / "log", plot_width, plot_height);
    EXPECT_TRUE(g.log_y);
    EXPECT_DOUBLE_EQ(g.y_bottom, 1);
    EXPECT_DOUBLE_EQ(g.y_top, 1000);
    EXPECT_TRUE(close_to(pixel_at(log_png, g, 1, 50), category_colour(0)));
}

// Two panels over five points, the second on a log axis narrower than a decade; colours in log
// from 1 to 100, one point without a colour value.
struct two_panels {
    std::vector<double> x{1, 2, 3, 4, 4};
    std::vector<panel> panels{
        {"linear", {2, 4, 6, 8, 8}, false, std::array<double, 2>{0, 10}},
        {"log", {2e-4, 3e-4, 5e-4, 8e-4, 8e-4}, true, std::array<double, 2>{1e-4, 1e-3}},
    };
    // Points 3 and 4 lie on one spot: 4, given later, is the worse and must not cover 3.
    colouring colour{{10, 100, std::numeric_limits<double>::quiet_NaN(), 1, 100}, "fitness", true, "failed"};
};

TEST(plots, panels_colour_each_point_by_its_value_and_cross_those_without) {
    temporary_directory dir("plots-panels");
    const two_panels d;
    const auto stem = dir.path() / "panels";
    const std::vector<plot_frame> frames = plot_panels(stem, "parameters", "evaluation", d.x, d.panels, d.colour);
    const png_image png = expect_files(stem, plot_width, panels_height(2));
    ASSERT_EQ(frames.size(), 2u);
    EXPECT_LT(frames[0].top + frames[0].height, frames[1].top);
    EXPECT_EQ(frames[0].left, frames[1].left);
    EXPECT_TRUE(frames[1].log_y);
    EXPECT_LT(frames[1].y_bottom, 1e-4);  // the search range and a little more
    EXPECT_GT(frames[1].y_top, 1e-3);
    EXPECT_GT(frames[1].y_bottom, 8e-5);
    for (std::size_t k = 0; k < 2; ++k) {
        const auto& y = d.panels[k].y;
        EXPECT_TRUE(close_to(pixel_at(png, frames[k], 1, y[0]), viridis(0.5))) << k << describe(pixel_at(png, frames[k], 1, y[0]));
        EXPECT_TRUE(close_to(pixel_at(png, frames[k], 2, y[1]), viridis(1))) << k;
        EXPECT_TRUE(close_to(pixel_at(png, frames[k], 3, y[2]), {0.5, 0.5, 0.5})) << k << describe(pixel_at(png, frames[k], 3, y[2]));
        EXPECT_TRUE(close_to(pixel_at(png, frames[k], 4, y[3]), viridis(0))) << k << describe(pixel_at(png, frames[k], 4, y[3]));
    }
    // The log panel, narrower than a decade, still has labelled ticks at its left.
    EXPECT_GT(count_ink(png, 0, frames[1].top, frames[1].left - 10, frames[1].top + frames[1].height), 60);
    // The colour bar at the right, its top colour at the top; the cross's key under it.
    const plot_frame& f = frames[1];
    EXPECT_GT(count_colour(png, viridis(1), f.left + f.width + 5, frames[0].top, plot_width, frames[0].top + 10), 10);
    EXPECT_GT(count_colour(png, {0.5, 0.5, 0.5}, f.left + f.width + 5, f.top + f.height - 60, plot_width, f.top + f.height), 8);
}

TEST(plots, panels_grow_with_their_number_and_cope_with_none) {
    temporary_directory dir("plots-panels-edge");
    std::vector<panel> six(6, panel{"p", {1, 2, 3}, false, std::nullopt});
    const std::vector<plot_frame> frames =
        plot_panels(dir.path() / "six", "six", "evaluation", {1, 2, 3}, six, {{1, 2, 3}, "v"});
    expect_files(dir.path() / "six", plot_width, panels_height(6));
    EXPECT_GT(panels_height(6), plot_height);
    ASSERT_EQ(frames.size(), 6u);
    for (std::size_t k = 0; k + 1 < frames.size(); ++k) {
        EXPECT_LT(frames[k].top + frames[k].height + 20, frames[k + 1].top);  // room for the name
        EXPECT_GT(frames[k].height, 100);
    }
    EXPECT_LT(frames.back().top + frames.back().height, panels_height(6) - 60);  // the x axis below

    const std::vector<plot_frame> none = plot_panels(dir.path() / "none", "none", "evaluation", {}, {}, {});
    const png_image png = expect_files(dir.path() / "none", plot_width, plot_height);
    ASSERT_EQ(none.size(), 1u);
    const plot_frame& f = none[0];
    EXPECT_GT(count_ink(png, f.left + f.width / 2 - 50, f.top + f.height / 2 - 15, f.left + f.width / 2 + 50,
                        f.top + f.height / 2 + 15),
              20);  // "no data"
    EXPECT_THROW(plot_panels(dir.path() / "bad", "bad", "x", {1, 2}, {panel{"p", {1}, false, std::nullopt}}, {{1, 2}, "v"}),
                 std::invalid_argument);
    EXPECT_THROW(plot_panels(dir.path() / "bad", "bad", "x", {1, 2}, {}, {{1}, "v"}), std::invalid_argument);
    EXPECT_THROW(plot_panels(dir.path() / "bad", "bad", "x", {1}, {panel{"p", {1}, true, std::array<double, 2>{0, 1}}},
                             {{1}, "v"}),
                 std::invalid_argument);
}

TEST(plots, targets_show_each_value_in_widths_from_its_target_band) {
    temporary_directory dir("plots-targets");
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const std::vector<target_check> checks{
        {"rate_hz:IT_L23", 12, 10.0, std::nullopt, 2},                      // +1 width
        {"peak_hz", 35, std::nullopt, std::array<double, 2>{10, 30}, 20},   // middle 20: +0.75, band +-0.5
        {"cv_isi:PV_L23", nan, 5.0, std::nullopt, 1},                       // no value
        {"rate_hz:PT_L5B", 0.2, 0.5, std::nullopt, 0.1},                    // -3 widths
    };
    const auto stem = dir.path() / "targets";
    const plot_frame f = plot_targets(stem, "best point", checks);
    const png_image png = expect_files(stem, plot_width, plot_height);
    EXPECT_EQ(f.y_top, 0);
    EXPECT_EQ(f.y_bottom, 4);
    EXPECT_LT(f.x_left, -3);
    EXPECT_GT(f.x_right, 1);
    const rgb dot = category_colour(0), band{0.82, 0.82, 0.82};
    for (const auto& [z, row] : {std::pair{1.0, 0.5}, {0.75, 1.5}, {-3.0, 3.5}})
        EXPECT_TRUE(close_to(pixel_at(png, f, z, row), dot)) << z << describe(pixel_at(png, f, z, row));
    // The bands: target +- width from -1 to 1 with the target's dark line at 0; a range without a line.
    EXPECT_TRUE(close_to(pixel_at(png, f, -0.5, 0.5), band)) << describe(pixel_at(png, f, -0.5, 0.5));
    EXPECT_TRUE(close_to(pixel_at(png, f, 0, 0.5), {0.12, 0.12, 0.12})) << describe(pixel_at(png, f, 0, 0.5));
    EXPECT_TRUE(close_to(pixel_at(png, f, 0, 1.5), band)) << describe(pixel_at(png, f, 0, 1.5));
    EXPECT_TRUE(close_to(pixel_at(png, f, 0.6, 1.5), {1, 1, 1})) << describe(pixel_at(png, f, 0.6, 1.5));
    EXPECT_TRUE(close_to(pixel_at(png, f, -2, 0.5), {1, 1, 1}));
    // The row without a value has no dot but says so beside its band.
    EXPECT_EQ(count_colour(png, dot, f.left, f.py(2), f.left + f.width, f.py(3)), 0);
    EXPECT_GT(count_ink(png, f.px(1) + 5, f.py(2.3), f.px(1) + 150, f.py(2.7)), 20);
    // Names at the left, values and targets at the right of every row.
    for (double row : {0.5, 1.5, 2.5, 3.5}) {
        EXPECT_GT(count_ink(png, 0, f.py(row) - 8, f.left - 5, f.py(row) + 8), 20) << row;
        EXPECT_GT(count_ink(png, f.left + f.width + 5, f.py(row) - 8, plot_width, f.py(row) + 8), 20) << row;
    }
}

TEST(plots, targets_cope_with_many_none_and_refuse_a_malformed_check) {
    temporary_directory dir("plots-targets-edge");
    std::vector<target_check> many;
    for (int k = 0; k < 25; ++k) many.push_back({"rate_hz:pop" + std::to_string(k), 5.0 + k, 5.0, std::nullopt, 1});
    const plot_frame f = plot_targets(dir.path() / "many", "25", many);
    const png_image png = expect_files(dir.path() / "many", plot_width, targets_height(25));
    EXPECT_GT(targets_height(25), plot_height);
    EXPECT_GE(f.height / 25, 24);  // a row stays taller than its text
    EXPECT_TRUE(close_to(pixel_at(png, f, 24, 24.5), category_colour(0)));

    const plot_frame none = plot_targets(dir.path() / "none", "none", {});
    const png_image empty = expect_files(dir.path() / "none", plot_width, plot_height);
    EXPECT_GT(count_ink(empty, none.left + none.width / 2 - 50, none.top + none.height / 2 - 15,
                        none.left + none.width / 2 + 50, none.top + none.height / 2 + 15),
              20);  // "no data"
    const auto refused = [&](target_check c) {
        EXPECT_THROW(plot_targets(dir.path() / "bad", "bad", {c}), std::invalid_argument) << c.name;
    };
    refused({"both", 1, 1.0, std::array<double, 2>{0, 2}, 1});
    refused({"neither", 1, std::nullopt, std::nullopt, 1});
    refused({"no width", 1, 1.0, std::nullopt, 0});
    refused({"reversed range", 1, std::nullopt, std::array<double, 2>{2, 0}, 1});
}

TEST(plots, unwritable_places_and_unreadable_pictures_throw) {
    temporary_directory dir("plots-errors");
    dir.write("blocker", "a file, not a directory");
    EXPECT_THROW(plot_spectra(dir.path() / "blocker" / "x", "t", {}), std::runtime_error);
    EXPECT_THROW(read_png(dir.path() / "absent.png"), std::runtime_error);
    EXPECT_THROW(read_png(dir.write("not.png", "not a png")), std::runtime_error);
}

}  // namespace
