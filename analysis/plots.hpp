#pragma once
// Figures of a run, a sweep or a search, drawn with Cairo: a spike raster, power spectra, a
// spectral Granger pair, a heatmap of a swept measure, lines over a count, stacked panels of
// coloured points and values against their targets. Each call writes the same picture twice,
// `<stem>.png` (pixels) and `<stem>.svg` (vector, in points of the same size), creating the stem's
// directory. They work on plain data (no files are read) and throw std::runtime_error when a file
// cannot be written, std::invalid_argument when the data contradict themselves (listed per
// function).
//
// Conventions: white background, the toy "sans-serif" face (DejaVu Sans on Linux), ticks at 1-2-5
// steps (decades on a log axis), axis labels carry their units, legends never cover data (a short
// legend goes in a corner of the plot area that no curve crosses, else beside it), and an empty
// input still gives a labelled frame saying "no data" (or "no spikes").
#include "analysis/spike_trains.hpp"

#include <array>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace m1::analysis {

// Sizes of the pictures (PNG pixels = SVG points).
inline constexpr int plot_width = 1200, plot_height = 800;
inline constexpr int raster_width = 1400, raster_height = 900;

// A colour, components in [0, 1].
struct rgb {
    double r = 0, g = 0, b = 0;
};

// The i-th colour of the qualitative palette (16 colours chosen to stay apart on white, then it
// repeats): population i of a raster and series i of a line plot get it, so that a raster and the
// spectra of the same populations, given in the same order, agree.
rgb category_colour(std::size_t i);

// matplotlib's viridis at t in [0, 1] (clamped; NaN gives t = 0), interpolated in a 33-entry table
// (within 2/255 of the 256-entry original).
rgb viridis(double t);

// Where the plot area (the data rectangle, without axes and labels) lies in the picture, in pixels
// from the top left, and which data values its edges stand for, so that a caller (or a test) can
// find a datum's pixel. The edges are whole pixels.
struct plot_frame {
    double left = 0, top = 0, width = 0, height = 0;
    double x_left = 0, x_right = 1;   // data x at the left and the right edge
    double y_bottom = 0, y_top = 1;   // data y at the bottom and the top edge
    bool log_y = false;               // y drawn as log10(y)

    double px(double x) const;  // the picture's x of data x
    double py(double y) const;  // the picture's y of data y (on a log axis, y > 0)
};

// The raster: its frame has x in ms and y in rows, y_top = 0 (the top row) and y_bottom = all
// rows; cell `node_id` of population p is row first_row[p] + node_id, drawn between py(row) and
// py(row + 1).
struct raster_frame {
    plot_frame frame;
    std::vector<std::uint32_t> first_row;  // per population, in the order given
};

// Spike raster, time (ms) against cell, as NetPyNE's plotRaster: one colour per population
// (category_colour of its position in `pops`), populations stacked by depth (mean_ynorm
// ascending: the pia at the top), each population's cells in node-id order; thin grey lines
// (and ticks on the axis) separate populations, their names stand at the left (spread apart
// and led to their band when bands are thin), their mean rates over the window
// (spikes / cells / duration) at the right. Spikes outside [w.start_ms, w.stop_ms)
// and node ids not below the population's cell count are left out. Every spike is a small
// mark (about 2 px wide, one row high, at most 8 px); marks falling on the same pixels are
// merged, so 300,000 spikes stay fast and the SVG stays small. A window of no length is drawn
// as [start, start + 1).
raster_frame plot_raster(const std::filesystem::path& stem, const std::string& title,
                         const std::vector<population_train>& pops, const window& w);

// A curve: y against x, NaN (or, on a log axis, y <= 0) where it has no value. Without a colour
// it takes category_colour of its position.
struct series {
    std::string label;
    std::vector<double> x, y;          // as many of each (std::invalid_argument otherwise)
    std::optional<rgb> colour;
};

// Power spectra as lines with a legend, x from the smallest x to x_max (to the
// largest x when x_max <= 0 or larger). On a log axis (log_y) the y range is whole decades
// spanning the positive values shown, at most 10 decades below the largest (values under the
// bottom, zeros and negatives are drawn on the bottom edge); a point without neighbours (a
// series of one point, or one between NaNs) is drawn as a dot.
plot_frame plot_spectra(const std::filesystem::path& stem, const std::string& title,
                        const std::vector<series>& curves,
                        const std::string& x_label = "frequency (Hz)",
                        const std::string& y_label = "power ((spikes/s)\u00b2/Hz)",
                        bool log_y = true, double x_max = 100);

// Spectral Granger causality between populations x and y: two lines, "x → y" (f_xy) and
// "y → x" (f_yx), against frequency (Hz), on a linear axis from 0 labelled "Granger causality F".
// freq_hz, f_xy and f_yx have one size (std::invalid_argument otherwise).
plot_frame plot_granger(const std::filesystem::path& stem, const std::string& title,
                        const std::vector<double>& freq_hz, const std::vector<double>& f_xy,
                        const std::vector<double>& f_yx, const std::string& x_name,
                        const std::string& y_name);

// A measure over a 2-D parameter sweep: values[i][j] is the cell of y_ticks[i] and x_ticks[j],
// row 0 at the bottom (y grows upwards, x to the right), coloured with viridis from the smallest
// to the largest finite value (a constant is the middle of a range around it), with a colour bar
// labelled value_label at the right and each cell's value written in it when it fits. NaN cells
// are hatched grey and a key under the colour bar says "no data". Empty tick lists number the
// rows and columns from 0; otherwise there is one tick per column and per row, and all rows are
// as long (std::invalid_argument otherwise). The frame spans x in [0, columns], y in [0, rows]:
// cell (i, j) is the square [j, j + 1] x [i, i + 1].
plot_frame plot_heatmap(const std::filesystem::path& stem, const std::string& title,
                        const std::string& x_label, const std::vector<std::string>& x_ticks,
                        const std::string& y_label, const std::vector<std::string>& y_ticks,
                        const std::vector<std::vector<double>>& values,
                        const std::string& value_label);

// Lines of y against a count (a generation, an evaluation): as plot_spectra over the x range of
// the data, with x ticks at whole numbers (1-2-5 steps of at least 1) and y linear around the
// data or, with log_y, in whole decades as plot_spectra's.
plot_frame plot_over_count(const std::filesystem::path& stem, const std::string& title,
                           const std::vector<series>& curves, const std::string& x_label,
                           const std::string& y_label, bool log_y);

// One panel of plot_panels: a value per point, against the shared x.
struct panel {
    std::string name;                             // written above the panel
    std::vector<double> y;                        // one per point; NaN is not drawn
    bool log_y = false;                           // a log axis (values <= 0 are not drawn)
    std::optional<std::array<double, 2>> range;   // the axis spans it (e.g. a parameter's search
                                                  // range), else the values; lo < hi
};

// How plot_panels colours its points: viridis of `values` from the smallest to the largest
// finite one, with a colour bar labelled `label`.
struct colouring {
    std::vector<double> values;  // one per point; NaN: a grey cross, keyed `missing_label`
    std::string label;
    bool log = false;            // viridis of log10(value), the bar in decades (if any is > 0;
                                 // values <= 0 take the bottom colour)
    std::string missing_label = "no value";
};

// The height of plot_panels' picture of n panels (plot_width wide): plot_height up to 3 panels,
// then 170 pixels more a panel.
constexpr int panels_height(std::size_t n) {
    return n <= 3 ? plot_height : 160 + 170 * static_cast<int>(n);
}

// Points over a shared x (whole-number ticks, e.g. evaluations in order), one panel per quantity
// stacked top down in the order given, each with its name above it and its own y axis, the colour
// bar at the right. A point has one colour in every panel; the points of the largest values are
// drawn first, so that the smallest (a search's best) lie on top, and the crosses last. x, every
// panel's y and colour.values have one size (std::invalid_argument otherwise). Returns each
// panel's frame (one "no data" frame when there is no panel).
std::vector<plot_frame> plot_panels(const std::filesystem::path& stem, const std::string& title,
                                    const std::string& x_label, const std::vector<double>& x,
                                    const std::vector<panel>& panels, const colouring& colour);

// A value against what it should be (plot_targets): target ± width, or a range [lo, hi] with no
// cost inside and the distance outside counted in widths. Exactly one of target and range is set,
// width > 0 (std::invalid_argument otherwise).
struct target_check {
    std::string name;
    double value = std::numeric_limits<double>::quiet_NaN();  // NaN: no value
    std::optional<double> target;
    std::optional<std::array<double, 2>> range;
    double width = 1;
};

// The height of plot_targets' picture of n checks (plot_width wide).
constexpr int targets_height(std::size_t n) {
    return n <= 19 ? plot_height : 200 + 32 * static_cast<int>(n);
}

// Values against their targets as a forest plot: one row per check, top down in the order given,
// its name at the left; x is the deviation (value - target) / width, a range's target being its
// middle, so that checks of different units share one axis and one width is one unit. Each row
// shows the target's band (target ± width: -1 to 1, the target a dark line in it; a range: its
// ends) in grey, the value as a dot, and at the right the value and the target in their own
// units. The frame spans x in deviations and y in rows: y_top = 0, y_bottom = rows, row i between
// py(i) and py(i + 1).
plot_frame plot_targets(const std::filesystem::path& stem, const std::string& title,
                        const std::vector<target_check>& checks);

// A PNG read back with Cairo (for tests and checks): pixels row by row, each 0xAARRGGBB as
// Cairo stores it (alpha premultiplied; the PNGs written here are opaque).
struct png_image {
    int width = 0, height = 0;
    std::vector<std::uint32_t> pixels;

    struct rgb8 {
        std::uint8_t r = 0, g = 0, b = 0;
    };
    rgb8 at(int x, int y) const;  // std::out_of_range outside the picture
};
png_image read_png(const std::filesystem::path& path);  // std::runtime_error if unreadable

}  // namespace m1::analysis
