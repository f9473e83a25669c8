#pragma once
// What the plot tests share (test_plots, test_search_plots): both files of a plot checked, and
// pixels of a PNG compared with colours and counted.
#include "analysis/plots.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace m1::test {

inline std::filesystem::path with(const std::filesystem::path& stem, const char* suffix) {
    std::filesystem::path p = stem;
    p += suffix;
    return p;
}

// Both files are there, the PNG has the size given, the SVG looks like SVG; returns the PNG.
inline m1::analysis::png_image expect_files(const std::filesystem::path& stem, int width, int height) {
    EXPECT_TRUE(std::filesystem::exists(with(stem, ".png"))) << stem;
    EXPECT_TRUE(std::filesystem::exists(with(stem, ".svg"))) << stem;
    const std::string svg = read_file(with(stem, ".svg"));
    EXPECT_EQ(svg.rfind("<?xml", 0), 0u) << "SVG does not start with <?xml";
    EXPECT_NE(svg.find("<svg"), std::string::npos);
    EXPECT_NE(svg.find("</svg>"), std::string::npos);
    m1::analysis::png_image png = m1::analysis::read_png(with(stem, ".png"));
    EXPECT_EQ(png.width, width);
    EXPECT_EQ(png.height, height);
    return png;
}

inline bool close_to(m1::analysis::png_image::rgb8 p, m1::analysis::rgb c, int tolerance = 3) {
    return std::abs(p.r - static_cast<int>(std::lround(c.r * 255))) <= tolerance &&
           std::abs(p.g - static_cast<int>(std::lround(c.g * 255))) <= tolerance &&
           std::abs(p.b - static_cast<int>(std::lround(c.b * 255))) <= tolerance;
}

inline std::string describe(m1::analysis::png_image::rgb8 p) {
    std::string text = "(";  // appended, not "(" + ...: GCC 12 warns falsely (-Wrestrict) on that
    return text.append(std::to_string(p.r)).append(", ").append(std::to_string(p.g)).append(", ")
        .append(std::to_string(p.b)).append(")");
}

// The pixel at a frame's data point (x, y).
inline m1::analysis::png_image::rgb8 pixel_at(const m1::analysis::png_image& png,
                                              const m1::analysis::plot_frame& f, double x, double y) {
    return png.at(static_cast<int>(f.px(x)), static_cast<int>(f.py(y)));
}

// How many pixels of colour c lie in [x0, x1) x [y0, y1).
inline int count_colour(const m1::analysis::png_image& png, m1::analysis::rgb c, double x0, double y0,
                        double x1, double y1) {
    int n = 0;
    for (int y = static_cast<int>(y0); y < static_cast<int>(y1); ++y)
        for (int x = static_cast<int>(x0); x < static_cast<int>(x1); ++x)
            if (close_to(png.at(x, y), c)) ++n;
    return n;
}

// Pixels clearly not white (ink of text, lines, marks) in a rectangle.
inline int count_ink(const m1::analysis::png_image& png, double x0, double y0, double x1, double y1) {
    int n = 0;
    for (int y = static_cast<int>(y0); y < static_cast<int>(y1); ++y)
        for (int x = static_cast<int>(x0); x < static_cast<int>(x1); ++x) {
            const auto p = png.at(x, y);
            if (p.r + p.g + p.b < 3 * 200) ++n;
        }
    return n;
}

}  // namespace m1::test
