// Figures with Cairo (plots.hpp). Each plot is laid out once (text measured on a scratch surface
// with unhinted metrics, so that the PNG and the SVG agree), then drawn by one function on an
// image surface and on an SVG surface.
#include "analysis/plots.hpp"

#include "core/io/posix_file.hpp"

#include <cairo-svg.h>
#include <cairo.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <iterator>
#include <limits>
#include <stdexcept>
#include <utility>

namespace m1::analysis {

namespace {

constexpr double pi = 3.14159265358979323846;
constexpr double nan_value = std::numeric_limits<double>::quiet_NaN();

// Type sizes (pixels) and colours.
constexpr double title_size = 22, label_size = 18, tick_size = 15, legend_size = 15,
                 note_size = 18;
constexpr double tick_length = 6;
// Where the y axis's label is centred (from the left edge), the legend's inner margin and its
// labels' widest.
constexpr double y_label_x = 22, legend_pad = 10, max_legend_label = 230;
constexpr rgb ink{0.12, 0.12, 0.12}, soft_ink{0.4, 0.4, 0.4}, grid_colour{0.9, 0.9, 0.9},
    separator_colour{0.8, 0.8, 0.8}, missing_colour{0.84, 0.84, 0.84},
    hatch_colour{0.6, 0.6, 0.6};

// ---- colours ----------------------------------------------------------------------------------

// Qualitative palette: Tableau's ten, reordered so that neighbours differ in hue and lightness,
// then six darker or stronger tones that stay apart from them on white.
constexpr rgb palette[] = {
    {0.122, 0.467, 0.706},  // blue
    {0.839, 0.153, 0.157},  // red
    {0.173, 0.627, 0.173},  // green
    {1.000, 0.498, 0.055},  // orange
    {0.580, 0.404, 0.741},  // purple
    {0.549, 0.337, 0.294},  // brown
    {0.890, 0.467, 0.761},  // pink
    {0.090, 0.745, 0.812},  // cyan
    {0.737, 0.741, 0.133},  // olive
    {0.224, 0.231, 0.475},  // indigo
    {0.498, 0.498, 0.498},  // grey
    {0.851, 0.647, 0.125},  // gold
    {0.000, 0.420, 0.400},  // teal
    {0.518, 0.235, 0.224},  // maroon
    {0.455, 0.000, 0.580},  // violet
    {0.388, 0.475, 0.224},  // moss
};

// viridis at round(k * 255 / 32), k = 0..32.
constexpr rgb viridis_table[33] = {
    {0.2670, 0.0049, 0.3294}, {0.2770, 0.0503, 0.3757}, {0.2823, 0.0950, 0.4173},
    {0.2829, 0.1359, 0.4534}, {0.2788, 0.1755, 0.4834}, {0.2706, 0.2141, 0.5071},
    {0.2590, 0.2515, 0.5247}, {0.2450, 0.2877, 0.5373}, {0.2297, 0.3224, 0.5457},
    {0.2143, 0.3556, 0.5512}, {0.1994, 0.3876, 0.5546}, {0.1856, 0.4186, 0.5568},
    {0.1727, 0.4488, 0.5579}, {0.1607, 0.4785, 0.5581}, {0.1490, 0.5081, 0.5573},
    {0.1378, 0.5375, 0.5549}, {0.1276, 0.5669, 0.5506}, {0.1211, 0.5927, 0.5446},
    {0.1201, 0.6222, 0.5349}, {0.1301, 0.6514, 0.5216}, {0.1539, 0.6802, 0.5042},
    {0.1911, 0.7084, 0.4823}, {0.2394, 0.7356, 0.4557}, {0.2965, 0.7616, 0.4242},
    {0.3607, 0.7860, 0.3878}, {0.4310, 0.8085, 0.3465}, {0.5063, 0.8288, 0.3004},
    {0.5857, 0.8467, 0.2499}, {0.6681, 0.8620, 0.1963}, {0.7519, 0.8750, 0.1432},
    {0.8353, 0.8860, 0.1026}, {0.9162, 0.8961, 0.1007}, {0.9932, 0.9062, 0.1439},
};

double luminance(const rgb& c) { return 0.2126 * c.r + 0.7152 * c.g + 0.0722 * c.b; }

// ---- numbers ----------------------------------------------------------------------------------

bool finite(double v) { return std::isfinite(v); }

// "-" as a typographic minus.
std::string with_minus(std::string s) {
    if (!s.empty() && s[0] == '-') s = "\u2212" + s.substr(1);
    return s;
}

std::string printf_string(const char* format, double v, int precision = -1) {
    char buffer[64];
    if (precision >= 0) std::snprintf(buffer, sizeof buffer, format, precision, v);
    else std::snprintf(buffer, sizeof buffer, format, v);
    return buffer;
}

// A step of 1, 2 or 5 times a power of ten giving about `target` intervals over `span`.
double nice_step(double span, int target) {
    if (!(span > 0) || !finite(span)) return 1;
    const double raw = span / target;
    const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
    const double f = raw / magnitude;
    return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * magnitude;
}

// The multiples of step in [lo, hi].
std::vector<double> multiples(double lo, double hi, double step) {
    std::vector<double> out;
    const double first = std::ceil(lo / step - 1e-9);
    for (double k = first; k * step <= hi + step * 1e-9 && out.size() < 1000; k += 1)
        out.push_back(std::abs(k) < 0.5 ? 0.0 : k * step);
    return out;
}

// A tick value written with as many decimals as its step needs.
std::string tick_label(double v, double step) {
    if (std::abs(v) < step * 1e-6) v = 0;
    const double big = std::max(std::abs(v), step);
    if (big >= 1e6 || step < 1e-4) return with_minus(printf_string("%g", v));
    const int decimals = std::max(0, static_cast<int>(std::ceil(-std::log10(step) - 1e-9)));
    return with_minus(printf_string("%.*f", v, decimals));
}

// Numbers of one table (the cells of a heatmap) with a common number of decimals, about three
// significant digits for the largest magnitude, max_abs; "%.2g" when that is tiny or huge.
std::string table_number(double v, double max_abs) {
    if (!finite(v)) return "\u2013";
    if (max_abs >= 1e5 || (max_abs > 0 && max_abs < 1e-2))
        return with_minus(printf_string("%.2g", v));
    const int decimals =
        max_abs > 0 ? std::clamp(2 - static_cast<int>(std::floor(std::log10(max_abs))), 0, 3) : 0;
    return with_minus(printf_string("%.*f", v, decimals));
}

// A firing rate: one decimal, two below 1 Hz, one significant digit below 0.01 Hz.
std::string rate_number(double v) {
    if (!finite(v)) return "\u2013";
    if (v == 0) return "0";
    if (v >= 1) return printf_string("%.1f", v);
    if (v >= 0.01) return printf_string("%.2f", v);
    return printf_string("%.1g", v);
}

// ---- Cairo ------------------------------------------------------------------------------------

void check(cairo_status_t status, const std::string& what) {
    if (status != CAIRO_STATUS_SUCCESS)
        throw std::runtime_error(what + ": " + cairo_status_to_string(status));
}

void use_metrics(cairo_t* cr) {
    cairo_font_options_t* options = cairo_font_options_create();
    cairo_font_options_set_hint_metrics(options, CAIRO_HINT_METRICS_OFF);
    cairo_set_font_options(cr, options);
    cairo_font_options_destroy(options);
}

// A context on a small image, for measuring text while laying a plot out.
class scratch {
public:
    scratch() : surface_(cairo_image_surface_create(CAIRO_FORMAT_RGB24, 8, 8)),
                cr_(cairo_create(surface_)) {
        use_metrics(cr_);
    }
    ~scratch() {
        cairo_destroy(cr_);
        cairo_surface_destroy(surface_);
    }
    scratch(const scratch&) = delete;
    scratch& operator=(const scratch&) = delete;
    operator cairo_t*() const { return cr_; }

private:
    cairo_surface_t* surface_;
    cairo_t* cr_;
};

using painter = std::function<void(cairo_t*)>;

std::filesystem::path with_suffix(const std::filesystem::path& stem, const char* suffix) {
    std::filesystem::path p = stem;
    p += suffix;
    return p;
}

// Cairo's write callback: the bytes are kept in memory and written atomically afterwards (a full
// disk must not leave half a picture under the final name).
cairo_status_t append_bytes(void* out, const unsigned char* data, unsigned int length) {
    static_cast<std::string*>(out)->append(reinterpret_cast<const char*>(data), length);
    return CAIRO_STATUS_SUCCESS;
}

std::string png_bytes(int width, int height, const std::function<void(cairo_t*)>& draw) {
    cairo_surface_t* image = cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height);
    cairo_t* cr = cairo_create(image);
    draw(cr);
    const cairo_status_t drawn = cairo_status(cr);
    cairo_destroy(cr);
    std::string bytes;
    const cairo_status_t encoded =
        drawn == CAIRO_STATUS_SUCCESS ? cairo_surface_write_to_png_stream(image, append_bytes, &bytes) : drawn;
    cairo_surface_destroy(image);
    check(encoded, "cannot draw the PNG");
    return bytes;
}

std::string svg_bytes(int width, int height, const std::function<void(cairo_t*)>& draw) {
    std::string bytes;
    cairo_surface_t* vector = cairo_svg_surface_create_for_stream(append_bytes, &bytes, width, height);
#if CAIRO_VERSION >= CAIRO_VERSION_ENCODE(1, 16, 0)
    cairo_svg_surface_set_document_unit(vector, CAIRO_SVG_UNIT_PT);
#endif
    cairo_t* cr = cairo_create(vector);
    draw(cr);
    const cairo_status_t drawn = cairo_status(cr);
    cairo_destroy(cr);
    cairo_surface_finish(vector);
    const cairo_status_t finished = cairo_surface_status(vector);
    cairo_surface_destroy(vector);
    check(drawn != CAIRO_STATUS_SUCCESS ? drawn : finished, "cannot draw the SVG");
    return bytes;
}

// Draws the picture on a white width x height page, as <stem>.png and <stem>.svg.
void render(const std::filesystem::path& stem, int width, int height, const painter& paint) {
    if (stem.has_parent_path()) make_directories(stem.parent_path());
    const auto draw = [&](cairo_t* cr) {
        use_metrics(cr);
        cairo_set_source_rgb(cr, 1, 1, 1);
        cairo_paint(cr);
        paint(cr);
    };
    write_file_atomically(with_suffix(stem, ".png"), png_bytes(width, height, draw));
    write_file_atomically(with_suffix(stem, ".svg"), svg_bytes(width, height, draw));
}

void set_colour(cairo_t* cr, const rgb& c, double alpha = 1) {
    cairo_set_source_rgba(cr, c.r, c.g, c.b, alpha);
}

void set_font(cairo_t* cr, double size, bool bold = false, bool italic = false) {
    cairo_select_font_face(cr, "sans-serif",
                           italic ? CAIRO_FONT_SLANT_ITALIC : CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size);
}

double text_width(cairo_t* cr, const std::string& s) {
    cairo_text_extents_t e;
    cairo_text_extents(cr, s.c_str(), &e);
    return e.x_advance;
}

enum class v_anchor { top, middle, baseline, bottom };

// Draws s in the current font so that (x, y) is at horizontal fraction `h` of its width
// (0 left, 0.5 centre, 1 right) and at its vertical anchor, turned by `angle` (radians,
// clockwise on the page) about that point.
void draw_text(cairo_t* cr, const std::string& s, double x, double y, double h, v_anchor v,
               double angle = 0) {
    if (s.empty()) return;
    cairo_font_extents_t fe;
    cairo_font_extents(cr, &fe);
    const double w = text_width(cr, s);
    const double dy = v == v_anchor::top      ? fe.ascent
                      : v == v_anchor::middle ? (fe.ascent - fe.descent) / 2
                      : v == v_anchor::bottom ? -fe.descent
                                              : 0;
    cairo_save(cr);
    cairo_translate(cr, x, y);
    cairo_rotate(cr, angle);
    cairo_move_to(cr, -h * w, dy);
    cairo_show_text(cr, s.c_str());
    cairo_restore(cr);
}

// s cut at a character boundary and ended with "…" so that it is at most max_width wide.
std::string fit(cairo_t* cr, const std::string& s, double max_width) {
    if (text_width(cr, s) <= max_width) return s;
    std::string cut = s;
    while (!cut.empty()) {
        cut.pop_back();
        while (!cut.empty() && (static_cast<unsigned char>(cut.back()) & 0xC0) == 0x80)
            cut.pop_back();
        if (!cut.empty() && (static_cast<unsigned char>(cut.back()) & 0xC0) == 0xC0) {
            cut.pop_back();
            continue;
        }
        if (text_width(cr, cut + "\u2026") <= max_width) return cut + "\u2026";
    }
    return "\u2026";
}

// The title, centred on the page, shrunk (then shortened) to fit the page's width.
void draw_title(cairo_t* cr, const std::string& title, double page_width) {
    double size = title_size;
    set_font(cr, size, true);
    while (size > 13 && text_width(cr, title) > page_width - 40) set_font(cr, size -= 1, true);
    set_colour(cr, ink);
    draw_text(cr, fit(cr, title, page_width - 40), page_width / 2, 20, 0.5, v_anchor::top);
}

// A message in the middle of the plot area ("no data").
void draw_note(cairo_t* cr, const plot_frame& f, const std::string& note) {
    set_font(cr, note_size, false, true);
    set_colour(cr, soft_ink);
    draw_text(cr, note, f.left + f.width / 2, f.top + f.height / 2, 0.5, v_anchor::middle);
}

// ---- axes -------------------------------------------------------------------------------------

// Ticks of one axis: major positions with their labels (a label "10^k" is written as a power),
// minor positions without.
struct ticks {
    std::vector<double> major, minor;
    std::vector<std::string> labels;
    bool powers = false;  // labels are exponents of 10
};

// min_step: 1 keeps the ticks of a count on whole numbers.
ticks linear_ticks(double lo, double hi, int target, double min_step = 0) {
    ticks t;
    const double step = std::max(nice_step(hi - lo, target), min_step);
    t.major = multiples(lo, hi, step);
    for (double v : t.major) t.labels.push_back(tick_label(v, step));
    return t;
}

// Decades from 10^lo to 10^hi: every decade labelled up to 10 of them, then every other or
// third; minor ticks at 2..9 when the decades are wide enough to show them.
ticks log_ticks(int lo, int hi) {
    ticks t;
    t.powers = true;
    const int decades = hi - lo;
    const int every = decades <= 10 ? 1 : decades <= 20 ? 2 : 3;
    for (int k = lo; k <= hi; ++k) {
        if ((k - lo) % every == 0) {
            t.major.push_back(std::pow(10.0, k));
            t.labels.push_back(with_minus(std::to_string(k)));
        } else {
            t.minor.push_back(std::pow(10.0, k));
        }
        if (decades <= 8 && k < hi)
            for (int m = 2; m <= 9; ++m) t.minor.push_back(m * std::pow(10.0, k));
    }
    return t;
}

// Log ticks within [lo] to [hi] (0 < lo < hi): the decades when at least two lie inside, else the
// 1-2-5 multiples (every multiple when fewer than two of those do) written as plain numbers, the
// other multiples as minor ticks: a range narrower than a decade still gets labelled ticks.
ticks log_range_ticks(double lo, double hi) {
    const int k0 = static_cast<int>(std::floor(std::log10(lo) + 1e-9));
    const int k1 = static_cast<int>(std::ceil(std::log10(hi) - 1e-9));
    ticks t = log_ticks(k0, k1);
    if (std::count_if(t.major.begin(), t.major.end(), [&](double v) { return v >= lo && v <= hi; }) >= 2)
        return t;
    for (const std::vector<int>& labelled : {std::vector<int>{1, 2, 5}, {1, 2, 3, 4, 5, 6, 7, 8, 9}}) {
        t = {};
        for (int k = k0; k <= k1; ++k)
            for (int m = 1; m <= 9; ++m) {
                const double v = m * std::pow(10.0, k);
                if (v < lo || v > hi) continue;
                const bool major = std::find(labelled.begin(), labelled.end(), m) != labelled.end();
                (major ? t.major : t.minor).push_back(v);
                if (major) t.labels.push_back(tick_label(v, std::pow(10.0, k)));
            }
        if (t.major.size() >= 2) break;
    }
    return t;
}

// The width of a y tick label in the tick font.
double label_width(cairo_t* cr, const ticks& t, std::size_t i) {
    if (!t.powers) return text_width(cr, t.labels[i]);
    const double base = text_width(cr, "10");
    set_font(cr, tick_size * 0.72);
    const double exponent = text_width(cr, t.labels[i]);
    set_font(cr, tick_size);
    return base + exponent + 1;
}

double widest_label(cairo_t* cr, const ticks& t) {
    set_font(cr, tick_size);
    double w = 0;
    for (std::size_t i = 0; i < t.labels.size(); ++i) w = std::max(w, label_width(cr, t, i));
    return w;
}

// Where a tick label goes relative to its anchor point.
enum class tick_side { below, left_of, right_of };

// Draws tick label i centred below (x, y), or vertically centred left or right of it.
void draw_tick_label(cairo_t* cr, const ticks& t, std::size_t i, double x, double y,
                     tick_side side) {
    set_font(cr, tick_size);
    const double w = label_width(cr, t, i);
    const double left = side == tick_side::below ? x - w / 2 : side == tick_side::left_of ? x - w : x;
    if (!t.powers) {
        if (side == tick_side::below) draw_text(cr, t.labels[i], left, y, 0, v_anchor::top);
        else draw_text(cr, t.labels[i], left, y, 0, v_anchor::middle);
        return;
    }
    const double base = text_width(cr, "10");
    const double mid = side == tick_side::below ? y + tick_size * 0.6 : y;
    draw_text(cr, "10", left, mid, 0, v_anchor::middle);
    set_font(cr, tick_size * 0.72);
    draw_text(cr, t.labels[i], left + base + 1, mid - tick_size * 0.45, 0, v_anchor::middle);
    set_font(cr, tick_size);
}

bool inside(double v, double a, double b) {
    return v >= std::min(a, b) - 1e-9 * std::abs(b - a) && v <= std::max(a, b) + 1e-9 * std::abs(b - a);
}

// Grid lines at the major ticks inside the frame.
void draw_grid(cairo_t* cr, const plot_frame& f, const ticks& x, const ticks& y) {
    cairo_save(cr);
    set_colour(cr, grid_colour);
    cairo_set_line_width(cr, 1);
    for (double v : x.major)
        if (inside(v, f.x_left, f.x_right)) {
            const double px = std::round(f.px(v)) + 0.5;
            cairo_move_to(cr, px, f.top);
            cairo_line_to(cr, px, f.top + f.height);
        }
    for (double v : y.major)
        if (inside(v, f.y_bottom, f.y_top)) {
            const double py = std::round(f.py(v)) + 0.5;
            cairo_move_to(cr, f.left, py);
            cairo_line_to(cr, f.left + f.width, py);
        }
    cairo_stroke(cr);
    cairo_restore(cr);
}

// The left edge of a plot area whose y tick labels are tick_w wide: room for the y axis's label,
// the tick labels and the ticks.
double plot_left(double tick_w) {
    return std::round(y_label_x + label_size * 1.2 + 12 + tick_w + tick_length + 5);
}

void draw_spines(cairo_t* cr, const plot_frame& f) {
    cairo_set_line_width(cr, 1.2);
    cairo_move_to(cr, f.left - 0.5, f.top);
    cairo_line_to(cr, f.left - 0.5, f.top + f.height + 0.5);
    cairo_line_to(cr, f.left + f.width, f.top + f.height + 0.5);
    cairo_stroke(cr);
}

// Outward ticks under the bottom spine (at y = bottom), labelled at the major ones.
void draw_x_ticks(cairo_t* cr, const plot_frame& f, const ticks& x, double bottom) {
    for (std::size_t i = 0; i < x.major.size(); ++i) {
        if (!inside(x.major[i], f.x_left, f.x_right)) continue;
        const double px = std::round(f.px(x.major[i])) + 0.5;
        cairo_move_to(cr, px, bottom);
        cairo_line_to(cr, px, bottom + tick_length);
        cairo_stroke(cr);
        draw_tick_label(cr, x, i, px, bottom + tick_length + 3, tick_side::below);
    }
    for (double v : x.minor)
        if (inside(v, f.x_left, f.x_right)) {
            const double px = std::round(f.px(v)) + 0.5;
            cairo_move_to(cr, px, bottom);
            cairo_line_to(cr, px, bottom + tick_length / 2);
        }
    cairo_stroke(cr);
}

// Outward ticks left of the left spine, labelled at the major ones.
void draw_y_ticks(cairo_t* cr, const plot_frame& f, const ticks& y) {
    for (std::size_t i = 0; i < y.major.size(); ++i) {
        if (!inside(y.major[i], f.y_bottom, f.y_top)) continue;
        const double py = std::round(f.py(y.major[i])) + 0.5;
        cairo_move_to(cr, f.left - 0.5, py);
        cairo_line_to(cr, f.left - 0.5 - tick_length, py);
        cairo_stroke(cr);
        draw_tick_label(cr, y, i, f.left - tick_length - 5, py, tick_side::left_of);
    }
    for (double v : y.minor)
        if (inside(v, f.y_bottom, f.y_top)) {
            const double py = std::round(f.py(v)) + 0.5;
            cairo_move_to(cr, f.left - 0.5, py);
            cairo_line_to(cr, f.left - 0.5 - tick_length / 2, py);
        }
    cairo_stroke(cr);
}

// The axes' labels: x centred under the plot area with its top at x_label_top, y centred on it
// at x = y_label_x (rotated to read upwards).
void draw_axis_labels(cairo_t* cr, const plot_frame& f, const std::string& x_label,
                      double x_label_top, const std::string& y_label) {
    set_font(cr, label_size);
    draw_text(cr, fit(cr, x_label, f.width), f.left + f.width / 2, x_label_top, 0.5, v_anchor::top);
    draw_text(cr, fit(cr, y_label, f.height + 60), y_label_x, f.top + f.height / 2, 0.5,
              v_anchor::top, -pi / 2);
}

// The left and bottom spines with outward ticks, tick labels and axis labels.
void draw_axes(cairo_t* cr, const plot_frame& f, const ticks& x, const ticks& y,
               const std::string& x_label, const std::string& y_label) {
    cairo_save(cr);
    set_colour(cr, ink);
    draw_spines(cr, f);
    cairo_set_line_width(cr, 1);
    const double bottom = f.top + f.height + 0.5;
    draw_x_ticks(cr, f, x, bottom);
    draw_y_ticks(cr, f, y);
    draw_axis_labels(cr, f, x_label, bottom + tick_length + tick_size * 1.6 + 14, y_label);
    cairo_restore(cr);
}

// Spreads labels wanted at the sorted positions `want` so that neighbours are at least `gap`
// apart within [lo, hi], each group of crowded labels centred on what its members want.
std::vector<double> spread(const std::vector<double>& want, double gap, double lo, double hi) {
    const std::size_t n = want.size();
    if (n == 0) return {};
    if (n > 1) gap = std::min(gap, (hi - lo) / static_cast<double>(n - 1));
    struct group {
        std::size_t first, count;
        double sum, top;  // sum of (want - offset in the group); top = first member's position
    };
    std::vector<group> groups;
    for (std::size_t i = 0; i < n; ++i) {
        group g{i, 1, want[i], want[i]};
        while (true) {
            g.top = std::clamp(g.sum / g.count, lo, std::max(lo, hi - gap * (g.count - 1)));
            if (groups.empty()) break;
            const group& p = groups.back();
            if (p.top + gap * p.count <= g.top + 1e-9) break;
            g = group{p.first, p.count + g.count, p.sum + g.sum - gap * p.count * g.count, 0};
            groups.pop_back();
        }
        groups.push_back(g);
    }
    std::vector<double> out(n);
    for (const group& g : groups)
        for (std::size_t k = 0; k < g.count; ++k) out[g.first + k] = g.top + gap * k;
    return out;
}

// A legend at the right of the plot area, entries top down from `top`: a short line in the
// entry's colour, then its label (shortened to max_width).
struct legend_entry {
    std::string label;
    rgb colour;
};

double legend_width(cairo_t* cr, const std::vector<legend_entry>& entries, double max_label) {
    set_font(cr, legend_size);
    double w = 0;
    for (const auto& e : entries) w = std::max(w, text_width(cr, e.label));
    return 30 + 8 + std::min(w, max_label);
}

void draw_legend(cairo_t* cr, const std::vector<legend_entry>& entries, double left, double top,
                 double max_label, double max_height) {
    if (entries.empty()) return;
    set_font(cr, legend_size);
    double step = legend_size * 1.55;
    std::size_t shown = entries.size();
    if (step * shown > max_height) {
        step = std::max(legend_size * 1.15, max_height / shown);
        shown = std::min(shown, static_cast<std::size_t>(max_height / step));
    }
    for (std::size_t i = 0; i < shown; ++i) {
        const double y = top + step * (i + 0.5);
        if (i + 1 == shown && shown < entries.size()) {
            set_colour(cr, soft_ink);
            draw_text(cr, "\u2026 " + std::to_string(entries.size() - shown + 1) + " more", left,
                      y, 0, v_anchor::middle);
            break;
        }
        set_colour(cr, entries[i].colour);
        cairo_set_line_width(cr, 3);
        cairo_move_to(cr, left, y);
        cairo_line_to(cr, left + 30, y);
        cairo_stroke(cr);
        set_colour(cr, ink);
        draw_text(cr, fit(cr, entries[i].label, max_label), left + 38, y, 0, v_anchor::middle);
    }
}

// ---- line plots -------------------------------------------------------------------------------

struct line_style {
    bool log_y = false;
    bool y_from_zero = false;  // a linear axis starts at 0 when the data are not negative
    double x_max = 0;          // <= 0: no limit
    bool whole_x = false;      // x is a count: no ticks between whole numbers
};

void check_lengths(const std::vector<series>& curves) {
    for (const auto& s : curves)
        if (s.x.size() != s.y.size())
            throw std::invalid_argument("plot: series '" + s.label + "' has " +
                                        std::to_string(s.x.size()) + " x but " +
                                        std::to_string(s.y.size()) + " y values");
}

// The x range: the finite points' x values, cut at x_max (`any`: there is such a point).
struct x_extent {
    double lo = 0, hi = 0;
    bool any = false;
};

x_extent x_range(const std::vector<series>& curves, double x_max) {
    double x_lo = std::numeric_limits<double>::infinity(), x_hi = -x_lo;
    for (const auto& s : curves)
        for (std::size_t i = 0; i < s.x.size(); ++i)
            if (finite(s.x[i]) && finite(s.y[i])) {
                x_lo = std::min(x_lo, s.x[i]);
                x_hi = std::max(x_hi, s.x[i]);
            }
    const bool any = x_lo <= x_hi;
    if (!any) x_lo = 0, x_hi = x_max > 0 ? x_max : 1;
    if (x_max > 0 && x_hi > x_max) x_hi = std::max(x_max, x_lo);
    if (x_hi <= x_lo) x_lo -= 0.5, x_hi += 0.5;
    return {x_lo, x_hi, any};
}

// Whether a point at x is drawn: finite and within the frame's x range.
bool shown(const plot_frame& f, double x) { return finite(x) && x >= f.x_left && x <= f.x_right; }

// The y range of the points shown: the lowest, the highest and the lowest positive value.
struct y_extent {
    double lo = 0, hi = 0, min_positive = 0;
};

y_extent y_range(const std::vector<series>& curves, const plot_frame& f) {
    double y_lo = std::numeric_limits<double>::infinity(), y_hi = -y_lo, y_min_positive = y_lo;
    for (const auto& s : curves)
        for (std::size_t i = 0; i < s.x.size(); ++i)
            if (shown(f, s.x[i]) && finite(s.y[i])) {
                y_lo = std::min(y_lo, s.y[i]);
                y_hi = std::max(y_hi, s.y[i]);
                if (s.y[i] > 0) y_min_positive = std::min(y_min_positive, s.y[i]);
            }
    return {y_lo, y_hi, y_min_positive};
}

// A log y axis of whole decades spanning the positive values, at most 10 below the top; false
// when there is no positive value (the frame then spans 10^-3 .. 1).
bool log_y_axis(const y_extent& y, plot_frame& f, ticks& yt) {
    int hi_decade = 0, lo_decade = -3;
    const bool positive = y.hi > 0;
    if (positive) {
        hi_decade = static_cast<int>(std::ceil(std::log10(y.hi) - 1e-9));
        lo_decade = static_cast<int>(std::floor(std::log10(y.min_positive) + 1e-9));
        lo_decade = std::max(lo_decade, hi_decade - 10);
        if (lo_decade >= hi_decade) lo_decade = hi_decade - 1;
    }
    f.y_bottom = std::pow(10.0, lo_decade), f.y_top = std::pow(10.0, hi_decade);
    yt = log_ticks(lo_decade, hi_decade);
    return positive;
}

// A span around a single value (lo == hi): 10 % of it either side, or 1 around 0.
void widen_point(double& lo, double& hi) {
    if (hi != lo) return;
    const double d = lo == 0 ? 1 : std::abs(lo) * 0.1;
    lo -= d, hi += d;
}

// A linear y axis from tick to tick around the values (from 0 when asked and they allow it).
ticks linear_y_axis(const y_extent& y, bool from_zero, plot_frame& f) {
    double y_lo = y.lo, y_hi = y.hi;
    if (!(y_lo <= y_hi)) y_lo = 0, y_hi = 1;
    if (from_zero && y_lo >= 0) y_lo = 0;
    if (y_hi - y_lo <= 0) {
        const double d = y_hi == 0 ? 1 : std::abs(y_hi) * 0.1;
        y_lo -= d, y_hi += d;
        if (from_zero && y_lo < 0 && y_hi - 2 * d >= 0) y_lo = 0;
    }
    const double step = nice_step(y_hi - y_lo, 6);
    f.y_bottom = std::floor(y_lo / step - 1e-9) * step;
    f.y_top = std::ceil(y_hi / step + 1e-9) * step;
    if (from_zero && y_lo == 0) f.y_bottom = 0;
    return linear_ticks(f.y_bottom, f.y_top, 6);
}

// A curve in pixels: its unbroken pieces (a piece of one point is drawn as a dot).
using point = std::pair<double, double>;
using piece = std::vector<point>;

std::vector<piece> pieces_of(const series& c, const plot_frame& fr) {
    std::vector<piece> out(1);
    for (std::size_t i = 0; i < c.x.size(); ++i) {
        if (!shown(fr, c.x[i]) || !finite(c.y[i])) {
            if (!out.back().empty()) out.emplace_back();
            continue;
        }
        const double y = fr.log_y && c.y[i] <= fr.y_bottom ? fr.top + fr.height : fr.py(c.y[i]);
        out.back().push_back({fr.px(c.x[i]), y});
    }
    if (out.back().empty()) out.pop_back();
    return out;
}

// Whether the segment a-b meets the rectangle [x0, x1] x [y0, y1] (Liang-Barsky).
bool meets(point a, point b, double x0, double y0, double x1, double y1) {
    double t0 = 0, t1 = 1;
    const double dx = b.first - a.first, dy = b.second - a.second;
    const double p[4] = {-dx, dx, -dy, dy};
    const double q[4] = {a.first - x0, x1 - a.first, a.second - y0, y1 - a.second};
    for (int k = 0; k < 4; ++k) {
        if (p[k] == 0) {
            if (q[k] < 0) return false;
            continue;
        }
        const double r = q[k] / p[k];
        if (p[k] < 0) t0 = std::max(t0, r);
        else t1 = std::min(t1, r);
        if (t0 > t1) return false;
    }
    return true;
}

std::vector<legend_entry> legend_entries(const std::vector<series>& curves) {
    std::vector<legend_entry> entries;
    for (std::size_t i = 0; i < curves.size(); ++i)
        entries.push_back({curves[i].label, curves[i].colour.value_or(category_colour(i))});
    return entries;
}

// Where the legend's box goes: inside the plot area or at its right.
struct legend_box {
    bool inside = false;
    double x = 0, y = 0, w = 0, h = 0;
};

// Whether no piece of `curves` comes within `clearance` of the box at (x, y).
bool box_free(const std::vector<std::vector<piece>>& curves, const legend_box& box, double x, double y) {
    const double clearance = 6;
    for (const auto& pieces : curves)
        for (const auto& pc : pieces)
            for (std::size_t i = 0; i < pc.size(); ++i)
                if (meets(pc[i], pc[i + 1 < pc.size() ? i + 1 : i], x - clearance, y - clearance,
                          x + box.w + clearance, y + box.h + clearance))
                    return false;
    return true;
}

// The legend goes inside the plot area, in the first corner where it covers no curve, when there
// are few entries; otherwise (or when no corner is free) at the right, narrowing the plot area.
legend_box place_legend(const std::vector<series>& curves, std::size_t entries, double legend_w,
                        plot_frame& f) {
    const double legend_step = legend_size * 1.55;
    legend_box box;
    box.w = legend_w + 2 * legend_pad, box.h = entries * legend_step + 12;
    if (entries != 0 && entries <= 6 && box.w < f.width / 2 && box.h < f.height / 2) {
        std::vector<std::vector<piece>> all;
        for (const auto& c : curves) all.push_back(pieces_of(c, f));
        const double margin = 12;
        const point corners[] = {
            {f.left + f.width - margin - box.w, f.top + margin},
            {f.left + margin, f.top + margin},
            {f.left + f.width - margin - box.w, f.top + f.height - margin - box.h},
            {f.left + margin, f.top + f.height - margin - box.h},
        };
        for (const auto& [x, y] : corners)
            if (box_free(all, box, x, y)) {
                box.inside = true, box.x = x, box.y = y;
                return box;
            }
    }
    if (entries != 0) {
        f.width = std::round(plot_width - f.left - (legend_w + 50));
        box.x = f.left + f.width + 25 - legend_pad, box.y = f.top - 6;
    }
    return box;
}

void draw_piece(cairo_t* cr, const piece& pc) {
    if (pc.size() == 1) {
        cairo_arc(cr, pc[0].first, pc[0].second, 4, 0, 2 * pi);
        cairo_fill(cr);
        return;
    }
    cairo_move_to(cr, pc[0].first, pc[0].second);
    for (std::size_t i = 1; i < pc.size(); ++i) cairo_line_to(cr, pc[i].first, pc[i].second);
    cairo_stroke(cr);
}

// The curves, clipped to (just around) the plot area.
void draw_curves(cairo_t* cr, const plot_frame& f, const std::vector<series>& curves,
                 const std::vector<legend_entry>& entries) {
    cairo_save(cr);
    cairo_rectangle(cr, f.left - 2, f.top - 2, f.width + 4, f.height + 4);
    cairo_clip(cr);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
    for (std::size_t s = 0; s < curves.size(); ++s) {
        set_colour(cr, entries[s].colour);
        cairo_set_line_width(cr, curves.size() > 6 ? 1.6 : 2.2);
        for (const piece& pc : pieces_of(curves[s], f)) draw_piece(cr, pc);
    }
    cairo_restore(cr);
}

// A legend inside the plot area stands on a white box over the grid.
void draw_legend_box(cairo_t* cr, const legend_box& box) {
    cairo_rectangle(cr, box.x + 0.5, box.y + 0.5, box.w, box.h);
    set_colour(cr, {1, 1, 1}, 0.92);
    cairo_fill_preserve(cr);
    set_colour(cr, {0.8, 0.8, 0.8});
    cairo_set_line_width(cr, 1);
    cairo_stroke(cr);
}

// The frame (its y axis and ticks set) laid out for `yt` and a legend of `entries`.
legend_box lay_out_line_plot(plot_frame& f, const ticks& yt, const std::vector<series>& curves,
                             const std::vector<legend_entry>& entries) {
    double legend_w = 0;
    {
        scratch cr;
        f.left = plot_left(widest_label(cr, yt));
        legend_w = entries.empty() ? 0 : legend_width(cr, entries, max_legend_label);
    }
    f.top = 70;
    f.height = std::round(plot_height - f.top - 90);
    f.width = std::round(plot_width - f.left - 40);
    return place_legend(curves, entries.size(), legend_w, f);
}

plot_frame line_plot(const std::filesystem::path& stem, const std::string& title,
                     const std::vector<series>& curves, const std::string& x_label,
                     const std::string& y_label, const line_style& style) {
    check_lengths(curves);
    const x_extent x = x_range(curves, style.x_max);
    plot_frame f;
    f.x_left = x.lo, f.x_right = x.hi, f.log_y = style.log_y;
    const y_extent y = y_range(curves, f);
    ticks yt;
    bool drawable = x.any;
    if (style.log_y) drawable = log_y_axis(y, f, yt) && drawable;
    else yt = linear_y_axis(y, style.y_from_zero, f);
    const ticks xt = linear_ticks(x.lo, x.hi, 10, style.whole_x ? 1 : 0);
    const std::vector<legend_entry> entries = legend_entries(curves);
    const legend_box box = lay_out_line_plot(f, yt, curves, entries);

    render(stem, plot_width, plot_height, [&](cairo_t* cr) {
        draw_title(cr, title, plot_width);
        draw_grid(cr, f, xt, yt);
        draw_curves(cr, f, curves, entries);
        draw_axes(cr, f, xt, yt, x_label, y_label);
        if (!drawable) draw_note(cr, f, "no data");
        if (box.inside) draw_legend_box(cr, box);
        draw_legend(cr, entries, box.x + legend_pad, box.y + 6, max_legend_label,
                    box.inside ? box.h : f.height + 6);
    });
    return f;
}

// ---- raster -----------------------------------------------------------------------------------

constexpr double swatch = 11;  // the side of a population's colour square
const std::string rate_header = "rate (Hz)";

// The order of the populations' bands, top down: by depth (mean_ynorm ascending, the pia first).
std::vector<std::size_t> depth_order(const std::vector<population_train>& pops) {
    std::vector<std::size_t> order(pops.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return pops[a].mean_ynorm < pops[b].mean_ynorm;
    });
    return order;
}

// Each population's first row (its bands stacked in `order`); returns the number of rows.
std::uint64_t stack_bands(const std::vector<population_train>& pops, const std::vector<std::size_t>& order,
                          std::vector<std::uint32_t>& first_row) {
    first_row.assign(pops.size(), 0);
    std::uint64_t rows = 0;
    for (std::size_t p : order) {
        first_row[p] = static_cast<std::uint32_t>(rows);
        rows += pops[p].cells;
    }
    return rows;
}

// Whether spike k of p is drawn: in [t0, t1), of a cell the population has.
bool drawn(const population_train& p, std::size_t k, double t0, double t1) {
    const double t = p.times[k];
    return t >= t0 && t < t1 && k < p.node_ids.size() && p.node_ids[k] < p.cells;
}

// The spikes drawn of each population, and the rates they make over the window, as written.
struct raster_counts {
    std::vector<std::size_t> spikes;
    std::vector<std::string> rates;
    std::size_t total = 0;
};

raster_counts count_spikes(const std::vector<population_train>& pops, double t0, double t1) {
    raster_counts c;
    c.spikes.assign(pops.size(), 0);
    c.rates.resize(pops.size());
    const double seconds = (t1 - t0) / 1000;
    for (std::size_t p = 0; p < pops.size(); ++p) {
        for (std::size_t k = 0; k < pops[p].times.size(); ++k)
            if (drawn(pops[p], k, t0, t1)) ++c.spikes[p];
        c.total += c.spikes[p];
        c.rates[p] = pops[p].cells > 0 ? rate_number(c.spikes[p] / (pops[p].cells * seconds))
                                       : "\u2013";
    }
    return c;
}

// The raster's columns: y label | names and swatches | plot area | rates.
struct raster_layout {
    std::vector<std::string> names;  // shortened to fit
    double names_right = 0, rates_right = 0;  // both right-aligned
};

raster_layout lay_out_raster(const std::vector<population_train>& pops,
                             const std::vector<std::string>& rates, plot_frame& f) {
    const double max_name = 210;
    raster_layout out;
    out.names.resize(pops.size());
    double names_w = 0, rates_w = 0;
    {
        scratch cr;
        set_font(cr, legend_size);
        for (std::size_t p = 0; p < pops.size(); ++p) {
            out.names[p] = fit(cr, pops[p].name, max_name);
            names_w = std::max(names_w, text_width(cr, out.names[p]));
            rates_w = std::max(rates_w, text_width(cr, rates[p]));
        }
        set_font(cr, tick_size);
        rates_w = std::max(rates_w, text_width(cr, rate_header));
    }
    out.names_right = y_label_x + label_size * 1.2 + 14 + names_w;
    f.left = std::round(out.names_right + 6 + swatch + 22);
    f.top = 70;
    f.width = std::round(raster_width - f.left - (rates_w + 40));
    f.height = std::round(raster_height - f.top - 90);
    out.rates_right = f.left + f.width + 14 + rates_w;
    return out;
}

// Marks merged on the pixel grid of the plot area: runs (x, y, length) of set pixels.
struct mark_run {
    int x, y, length;
};

// A W x H bitmap of the plot area, one byte a pixel, and the size of a spike's mark.
struct mark_grid {
    int W = 0, H = 0, mark_w = 0, mark_h = 0;
    double t0 = 0, px_per_ms = 0, row_px = 0;
    std::vector<std::uint8_t> bitmap;
};

mark_grid grid_of(const plot_frame& f, double t0, double t1, double all_rows) {
    mark_grid g;
    g.W = static_cast<int>(f.width), g.H = static_cast<int>(f.height), g.t0 = t0;
    g.px_per_ms = f.width / (t1 - t0), g.row_px = f.height / all_rows;
    g.mark_w = std::clamp(static_cast<int>(std::lround(g.px_per_ms)), 2, 4);
    g.mark_h = g.row_px < 2 ? std::max(1, static_cast<int>(std::lround(g.row_px)))
                            : std::clamp(static_cast<int>(std::lround(g.row_px * 0.8)), 1, 8);
    g.bitmap.assign(static_cast<std::size_t>(g.W) * g.H, 0);
    return g;
}

// Sets the pixels of the mark of the spike at t in `row`; returns its first and last line.
std::pair<int, int> set_mark(mark_grid& g, double t, double row) {
    const double cx = (t - g.t0) * g.px_per_ms, cy = (row + 0.5) * g.row_px;
    const int x0 = std::clamp(static_cast<int>(std::lround(cx - g.mark_w / 2.0)), 0, g.W - 1);
    const int y0 = std::clamp(static_cast<int>(std::lround(cy - g.mark_h / 2.0)), 0, g.H - 1);
    const int x1 = std::min(g.W, x0 + g.mark_w), y1 = std::min(g.H, y0 + g.mark_h);
    for (int y = y0; y < y1; ++y)
        std::fill(g.bitmap.begin() + static_cast<std::ptrdiff_t>(y) * g.W + x0,
                  g.bitmap.begin() + static_cast<std::ptrdiff_t>(y) * g.W + x1, 1);
    return {y0, y1 - 1};
}

// The runs of set pixels of lines y_min..y_max, cleared as they are taken.
void take_runs(mark_grid& g, int y_min, int y_max, std::vector<mark_run>& runs) {
    for (int y = y_min; y <= y_max; ++y) {
        std::uint8_t* line = g.bitmap.data() + static_cast<std::ptrdiff_t>(y) * g.W;
        for (int x = 0; x < g.W;) {
            if (!line[x]) {
                ++x;
                continue;
            }
            const int start = x;
            while (x < g.W && line[x]) line[x++] = 0;
            runs.push_back({start, y, x - start});
        }
    }
}

// Every population's marks as runs, to be filled as one path each.
std::vector<std::vector<mark_run>> mark_runs(const std::vector<population_train>& pops,
                                             const std::vector<std::uint32_t>& first_row,
                                             const raster_counts& counts, mark_grid& g, double t1) {
    std::vector<std::vector<mark_run>> runs(pops.size());
    for (std::size_t p = 0; p < pops.size(); ++p) {
        if (counts.spikes[p] == 0) continue;
        int y_min = g.H, y_max = -1;
        for (std::size_t k = 0; k < pops[p].times.size(); ++k) {
            if (!drawn(pops[p], k, g.t0, t1)) continue;
            const auto [y0, y1] = set_mark(g, pops[p].times[k], first_row[p] + static_cast<double>(pops[p].node_ids[k]));
            y_min = std::min(y_min, y0), y_max = std::max(y_max, y1);
        }
        take_runs(g, y_min, y_max, runs[p]);
    }
    return runs;
}

// Where each population's label goes: the middle of its band, spread apart.
std::vector<double> label_positions(const std::vector<population_train>& pops,
                                    const std::vector<std::size_t>& order,
                                    const std::vector<std::uint32_t>& first_row, const plot_frame& f) {
    std::vector<double> want, at(pops.size());
    for (std::size_t p : order) want.push_back(f.py(first_row[p] + pops[p].cells / 2.0));
    const std::vector<double> placed =
        spread(want, legend_size * 1.3, f.top + legend_size * 0.5, f.top + f.height - legend_size * 0.5);
    for (std::size_t k = 0; k < order.size(); ++k) at[order[k]] = placed[k];
    return at;
}

// Lines between the bands, from x_from to x_to.
void draw_band_lines(cairo_t* cr, const plot_frame& f, const std::vector<std::size_t>& order,
                     const std::vector<std::uint32_t>& first_row, double x_from, double x_to) {
    for (std::size_t k = 1; k < order.size(); ++k) {
        const double y = std::round(f.py(first_row[order[k]])) + 0.5;
        cairo_move_to(cr, x_from, y);
        cairo_line_to(cr, x_to, y);
    }
    cairo_stroke(cr);
}

void draw_marks(cairo_t* cr, const plot_frame& f, const std::vector<std::vector<mark_run>>& runs) {
    for (std::size_t p = 0; p < runs.size(); ++p) {
        if (runs[p].empty()) continue;
        for (const mark_run& r : runs[p]) cairo_rectangle(cr, f.left + r.x, f.top + r.y, r.length, 1);
        set_colour(cr, category_colour(p));
        cairo_fill(cr);
    }
}

// Population p's name with a swatch of its colour at height `at`, led to its band (`band`) when
// moved, and its rate at the right.
void draw_population_label(cairo_t* cr, const plot_frame& f, const raster_layout& l, std::size_t p,
                           double at, double band, const std::string& rate) {
    const double sx = l.names_right + 6;
    if (std::abs(at - band) > 1.5) {
        set_colour(cr, soft_ink);
        cairo_set_line_width(cr, 0.8);
        cairo_move_to(cr, sx + swatch + 2, at);
        cairo_line_to(cr, f.left - tick_length - 4, band);
        cairo_stroke(cr);
    }
    set_colour(cr, category_colour(p));
    cairo_rectangle(cr, sx, at - swatch / 2, swatch, swatch);
    cairo_fill(cr);
    set_colour(cr, ink);
    draw_text(cr, l.names[p], l.names_right, at, 1, v_anchor::middle);
    draw_text(cr, rate, l.rates_right, at, 1, v_anchor::middle);
}

// ---- heatmap ----------------------------------------------------------------------------------

constexpr double bar_w = 26;  // the colour bar's width

void check_table(const std::vector<std::vector<double>>& values, const std::vector<std::string>& x_ticks,
                 const std::vector<std::string>& y_ticks) {
    const std::size_t rows = values.size(), columns = rows ? values[0].size() : 0;
    for (const auto& row : values)
        if (row.size() != columns) throw std::invalid_argument("plot_heatmap: rows of different lengths");
    if (!x_ticks.empty() && x_ticks.size() != columns)
        throw std::invalid_argument("plot_heatmap: " + std::to_string(x_ticks.size()) +
                                    " x ticks for " + std::to_string(columns) + " columns");
    if (!y_ticks.empty() && y_ticks.size() != rows)
        throw std::invalid_argument("plot_heatmap: " + std::to_string(y_ticks.size()) +
                                    " y ticks for " + std::to_string(rows) + " rows");
}

// The tick texts given, else 0, 1, ..., n - 1.
std::vector<std::string> tick_texts(const std::vector<std::string>& given, std::size_t n) {
    std::vector<std::string> texts = given;
    if (texts.empty())
        for (std::size_t k = 0; k < n; ++k) texts.push_back(std::to_string(k));
    return texts;
}

// The values' colours: viridis from the smallest to the largest finite value (a constant in the
// middle of a range around it), in log10(value) when `log`; `missing`: some value is not finite.
struct colour_scale {
    double lo = 0, hi = 1;
    bool any = false, missing = false, log = false;
    rgb of(double v) const {
        if (log) return viridis((std::log10(v) - std::log10(lo)) / (std::log10(hi) - std::log10(lo)));
        return viridis((v - lo) / (hi - lo));
    }
    // The colour bar standing for the scale at (left, top), `height` high.
    plot_frame bar(double left, double top, double height) const {
        plot_frame b;
        b.left = left, b.top = top, b.height = height;
        b.y_bottom = lo, b.y_top = hi, b.log_y = log;
        return b;
    }
    ticks bar_ticks() const { return log ? log_range_ticks(lo, hi) : linear_ticks(lo, hi, 6); }
};

colour_scale scale_of(const std::vector<std::vector<double>>& values) {
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    bool missing = false;
    for (const auto& row : values)
        for (double v : row) {
            if (finite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
            else missing = true;
        }
    const bool any = lo <= hi;
    if (!any) lo = 0, hi = 1;
    widen_point(lo, hi);
    return {lo, hi, any, missing};
}

// The room a colour bar takes at the right of a plot area: a gap, the bar, its ticks and their
// labels (tick_w wide), its label.
double colour_bar_room(double tick_w) {
    return 30 + bar_w + tick_length + 5 + tick_w + 14 + label_size * 1.2 + 22;
}

// Layout: y label | y ticks | cells | colour bar, its ticks and its label.
struct heatmap_layout {
    std::vector<std::string> xs, ys;  // tick texts, shortened to fit
    double bar_tick_w = 0, cell_w = 0, cell_h = 0, x_tick_h = 0, bar_left = 0;
    bool rotate = false;                    // x tick texts at 45 degrees
    std::size_t x_every = 1, y_every = 1;   // every k-th tick labelled (they would touch)
};

heatmap_layout lay_out_heatmap(std::vector<std::string> xs, std::vector<std::string> ys,
                               const ticks& bar_ticks, plot_frame& f) {
    const double max_tick = 170;
    heatmap_layout l;
    double y_tick_w = 0, x_tick_w = 0;
    {
        scratch cr;
        set_font(cr, tick_size);
        for (auto& s : xs) x_tick_w = std::max(x_tick_w, text_width(cr, s = fit(cr, s, max_tick)));
        for (auto& s : ys) y_tick_w = std::max(y_tick_w, text_width(cr, s = fit(cr, s, max_tick)));
        l.bar_tick_w = widest_label(cr, bar_ticks);
    }
    f.left = plot_left(y_tick_w);
    f.top = 70;
    f.width = std::round(plot_width - f.left - colour_bar_room(l.bar_tick_w));
    l.cell_w = f.width / f.x_right;
    l.rotate = x_tick_w > l.cell_w - 8;
    l.x_tick_h = l.rotate ? x_tick_w * std::sin(pi / 4) + tick_size : tick_size * 1.3;
    f.height = std::round(plot_height - f.top - (tick_length + 6 + l.x_tick_h + 16 + label_size * 1.4 + 16));
    l.cell_h = f.height / f.y_top;
    l.x_every = std::max<std::size_t>(
        1, static_cast<std::size_t>(std::ceil((l.rotate ? tick_size * 1.4 : x_tick_w + 10) / l.cell_w)));
    l.y_every = std::max<std::size_t>(1, static_cast<std::size_t>(std::ceil(tick_size * 1.4 / l.cell_h)));
    l.bar_left = f.left + f.width + 30;
    l.xs = std::move(xs), l.ys = std::move(ys);
    return l;
}

// Whether every value's number fits in its cell at the font size set; the largest magnitude.
bool numbers_fit(cairo_t* cr, const std::vector<std::vector<double>>& values, double room,
                 double& max_abs) {
    double widest_value = 0;
    max_abs = 0;
    for (const auto& row : values)
        for (double v : row)
            if (finite(v)) max_abs = std::max(max_abs, std::abs(v));
    for (const auto& row : values)
        for (double v : row)
            if (finite(v)) widest_value = std::max(widest_value, text_width(cr, table_number(v, max_abs)));
    return widest_value <= room;
}

// A cell without a value (its rectangle is the current path): hatched grey.
void draw_missing_cell(cairo_t* cr, double x0, double y0, double x1, double y1) {
    set_colour(cr, missing_colour);
    cairo_fill_preserve(cr);
    cairo_save(cr);
    cairo_clip(cr);
    set_colour(cr, hatch_colour);
    cairo_set_line_width(cr, 1.2);
    for (double d = -(y1 - y0); d < x1 - x0; d += 9) {
        cairo_move_to(cr, x0 + d, y1);
        cairo_line_to(cr, x0 + d + (y1 - y0), y0);
    }
    cairo_stroke(cr);
    cairo_restore(cr);
}

// The cells, with their values written in them when the numbers fit.
void draw_cells(cairo_t* cr, const plot_frame& f, const std::vector<std::vector<double>>& values,
                const colour_scale& scale, const heatmap_layout& l) {
    const double value_size = std::min(tick_size, l.cell_h * 0.4);
    set_font(cr, value_size);
    double max_abs = 0;
    const bool annotate = numbers_fit(cr, values, l.cell_w - 6, max_abs) && value_size >= 9;
    for (std::size_t i = 0; i < values.size(); ++i)
        for (std::size_t j = 0; j < values[i].size(); ++j) {
            const double x0 = std::round(f.px(j)), x1 = std::round(f.px(j + 1.0));
            const double y0 = std::round(f.py(i + 1.0)), y1 = std::round(f.py(i));
            const double v = values[i][j];
            cairo_rectangle(cr, x0, y0, x1 - x0, y1 - y0);
            if (!finite(v)) {
                draw_missing_cell(cr, x0, y0, x1, y1);
                continue;
            }
            const rgb c = scale.of(v);
            set_colour(cr, c);
            cairo_fill(cr);
            if (!annotate) continue;
            set_colour(cr, luminance(c) < 0.45 ? rgb{1, 1, 1} : ink);
            draw_text(cr, table_number(v, max_abs), (x0 + x1) / 2, (y0 + y1) / 2, 0.5, v_anchor::middle);
        }
}

// Thin white lines between cells when the cells are large enough to spare them.
void draw_cell_lines(cairo_t* cr, const plot_frame& f, std::size_t rows, std::size_t columns,
                     const heatmap_layout& l) {
    if (rows == 0 || columns == 0 || l.cell_w < 8 || l.cell_h < 8) return;
    set_colour(cr, {1, 1, 1});
    cairo_set_line_width(cr, 1);
    for (std::size_t j = 1; j < columns; ++j) {
        const double x = std::round(f.px(static_cast<double>(j)));
        cairo_move_to(cr, x, f.top);
        cairo_line_to(cr, x, f.top + f.height);
    }
    for (std::size_t i = 1; i < rows; ++i) {
        const double y = std::round(f.py(static_cast<double>(i)));
        cairo_move_to(cr, f.left, y);
        cairo_line_to(cr, f.left + f.width, y);
    }
    cairo_stroke(cr);
}

// Axes: a frame, ticks at the middle of the cells, every x_every-th and y_every-th labelled.
void draw_cell_ticks(cairo_t* cr, const plot_frame& f, const heatmap_layout& l, double bottom) {
    set_font(cr, tick_size);
    for (std::size_t j = 0; j < l.xs.size(); j += l.x_every) {
        const double x = std::round(f.px(j + 0.5)) + 0.5;
        cairo_move_to(cr, x, bottom);
        cairo_line_to(cr, x, bottom + tick_length);
        cairo_stroke(cr);
        if (l.rotate) draw_text(cr, l.xs[j], x + 4, bottom + tick_length + 4, 1, v_anchor::middle, -pi / 4);
        else draw_text(cr, l.xs[j], x, bottom + tick_length + 3, 0.5, v_anchor::top);
    }
    for (std::size_t i = 0; i < l.ys.size(); i += l.y_every) {
        const double y = std::round(f.py(i + 0.5)) + 0.5;
        cairo_move_to(cr, f.left - 0.5, y);
        cairo_line_to(cr, f.left - 0.5 - tick_length, y);
        cairo_stroke(cr);
        draw_text(cr, l.ys[i], f.left - tick_length - 5, y, 1, v_anchor::middle);
    }
}

void draw_heatmap_axes(cairo_t* cr, const plot_frame& f, const heatmap_layout& l,
                       const std::string& x_label, const std::string& y_label) {
    set_colour(cr, ink);
    cairo_set_line_width(cr, 1);
    cairo_rectangle(cr, f.left - 0.5, f.top - 0.5, f.width + 1, f.height + 1);
    cairo_stroke(cr);
    const double bottom = f.top + f.height + 0.5;
    draw_cell_ticks(cr, f, l, bottom);
    draw_axis_labels(cr, f, x_label, bottom + tick_length + 6 + l.x_tick_h + 12, y_label);
}

// The colour bar (bar_h high from the plot area's top): a gradient through the table, framed.
void draw_gradient(cairo_t* cr, double left, double top, double height) {
    cairo_pattern_t* gradient = cairo_pattern_create_linear(0, top + height, 0, top);
    for (int k = 0; k <= 32; ++k) {
        const rgb c = viridis(k / 32.0);
        cairo_pattern_add_color_stop_rgb(gradient, k / 32.0, c.r, c.g, c.b);
    }
    cairo_rectangle(cr, left, top, bar_w, height);
    cairo_set_source(cr, gradient);
    cairo_fill(cr);
    cairo_pattern_destroy(gradient);
    set_colour(cr, ink);
    cairo_rectangle(cr, left - 0.5, top - 0.5, bar_w + 1, height + 1);
    cairo_stroke(cr);
}

// The colour bar at `bar` (its left, top and height, and the values of its ends), its ticks
// (labels tick_w wide) and its label.
void draw_colour_bar(cairo_t* cr, const plot_frame& bar, const ticks& bar_ticks, double tick_w,
                     const std::string& label) {
    draw_gradient(cr, bar.left, bar.top, bar.height);
    for (std::size_t k = 0; k < bar_ticks.major.size(); ++k) {
        if (!inside(bar_ticks.major[k], bar.y_bottom, bar.y_top)) continue;
        const double y = std::round(bar.py(bar_ticks.major[k])) + 0.5;
        cairo_move_to(cr, bar.left + bar_w + 0.5, y);
        cairo_line_to(cr, bar.left + bar_w + 0.5 + tick_length, y);
        cairo_stroke(cr);
        draw_tick_label(cr, bar_ticks, k, bar.left + bar_w + tick_length + 5, y, tick_side::right_of);
    }
    for (double v : bar_ticks.minor)
        if (inside(v, bar.y_bottom, bar.y_top)) {
            const double y = std::round(bar.py(v)) + 0.5;
            cairo_move_to(cr, bar.left + bar_w + 0.5, y);
            cairo_line_to(cr, bar.left + bar_w + 0.5 + tick_length / 2, y);
        }
    cairo_stroke(cr);
    set_font(cr, label_size);
    draw_text(cr, fit(cr, label, bar.height + 60), bar.left + bar_w + tick_length + 5 + tick_w + 14,
              bar.top + bar.height / 2, 0.5, v_anchor::top, -pi / 2);
}

// Under a colour bar whose room ends at `bottom`, the key to what has no colour: `swatch` painted
// in the bar_w x 18 box at (left, bottom - 40), `label` under it.
void draw_bar_key(cairo_t* cr, double left, double bottom, const std::string& label,
                  const std::function<void(double x, double y)>& swatch) {
    const double ky = bottom - 40;
    swatch(left, ky);
    set_font(cr, tick_size);
    set_colour(cr, ink);
    draw_text(cr, label, left, ky + 18 + 6, 0, v_anchor::top);
}

// ---- marks shared by the point plots ----------------------------------------------------------

constexpr rgb cross_colour{0.5, 0.5, 0.5};

// A filled dot with a thin white rim, so that overlapping dots stay apart.
void draw_dot(cairo_t* cr, double x, double y, const rgb& c, double radius) {
    cairo_new_path(cr);
    cairo_arc(cr, x, y, radius, 0, 2 * pi);
    set_colour(cr, c);
    cairo_fill_preserve(cr);
    set_colour(cr, {1, 1, 1});
    cairo_set_line_width(cr, 1);
    cairo_stroke(cr);
}

// A grey cross: a point without a colour value (a failed candidate).
void draw_cross(cairo_t* cr, double x, double y) {
    const double r = 5;
    set_colour(cr, cross_colour);
    cairo_set_line_width(cr, 2);
    cairo_move_to(cr, x - r, y - r);
    cairo_line_to(cr, x + r, y + r);
    cairo_move_to(cr, x - r, y + r);
    cairo_line_to(cr, x + r, y - r);
    cairo_stroke(cr);
}

// ---- panels -----------------------------------------------------------------------------------

// The first panel's top, and the room between panels for the next one's name.
constexpr double panels_top = 80, panel_gap = 40;

void check_panels(const std::vector<double>& x, const std::vector<panel>& panels, const colouring& colour) {
    const auto same_size = [&](std::size_t n, const std::string& what) {
        if (n != x.size())
            throw std::invalid_argument("plot_panels: " + std::to_string(x.size()) + " points but " +
                                        std::to_string(n) + " " + what);
    };
    same_size(colour.values.size(), "colour values");
    for (const panel& p : panels) {
        same_size(p.y.size(), "values of '" + p.name + "'");
        if (p.range && !((*p.range)[0] < (*p.range)[1] && (!p.log_y || (*p.range)[0] > 0)))
            throw std::invalid_argument("plot_panels: the range of '" + p.name +
                                        "' is not lo < hi (with lo > 0 on a log axis)");
    }
}

// The points' colours: a heatmap's scale, over the positive values in log10 when asked (and
// some value is positive).
colour_scale scale_of(const colouring& c) {
    const colour_scale linear = scale_of(std::vector<std::vector<double>>{c.values});
    std::vector<double> positive;
    for (double v : c.values)
        if (finite(v) && v > 0) positive.push_back(v);
    if (!c.log || positive.empty()) return linear;
    colour_scale s = scale_of(std::vector<std::vector<double>>{positive});
    s.log = true, s.missing = linear.missing;
    return s;
}

// A panel's y axis: its range (else the values it can draw) and 4 % more at both ends (of
// log10 on a log axis).
ticks panel_y_axis(const panel& p, plot_frame& f) {
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    if (p.range) lo = (*p.range)[0], hi = (*p.range)[1];
    else
        for (double v : p.y)
            if (finite(v) && (!p.log_y || v > 0)) lo = std::min(lo, v), hi = std::max(hi, v);
    if (!(lo <= hi)) lo = 1, hi = 10;
    if (p.log_y) lo = std::log10(lo), hi = std::log10(hi);
    widen_point(lo, hi);
    const double pad = 0.04 * (hi - lo);
    lo -= pad, hi += pad;
    f.log_y = p.log_y;
    if (!p.log_y) {
        f.y_bottom = lo, f.y_top = hi;
        return linear_ticks(lo, hi, 4);
    }
    f.y_bottom = std::pow(10.0, lo), f.y_top = std::pow(10.0, hi);
    return log_range_ticks(f.y_bottom, f.y_top);
}

// The shared x axis of counts: the finite values and half a count (at least 2 % of the span) more
// at both ends.
x_extent count_range(const std::vector<double>& x) {
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (double v : x)
        if (finite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
    const bool any = lo <= hi;
    if (!any) lo = 0, hi = 1;
    const double pad = std::max(0.5, 0.02 * (hi - lo));
    return {lo - pad, hi + pad, any};
}

// Layout: title | for each panel, its name and the panel (y ticks at its left) | the colour bar
// beside them all, the key to the crosses under it.
struct panels_layout {
    std::vector<plot_frame> frames;
    std::vector<ticks> y_ticks;
    ticks x_ticks, bar_ticks;
    plot_frame bar;
    double bar_tick_w = 0;
    int height = 0;
};

// Every panel's y axis and the colour bar's ticks; returns the widest y tick label.
double lay_out_axes(const std::vector<panel>& panels, panels_layout& l) {
    double tick_w = 0;
    scratch cr;
    l.frames.resize(panels.size());
    for (std::size_t k = 0; k < panels.size(); ++k) {
        l.y_ticks.push_back(panel_y_axis(panels[k], l.frames[k]));
        tick_w = std::max(tick_w, widest_label(cr, l.y_ticks.back()));
    }
    l.bar_tick_w = widest_label(cr, l.bar_ticks);
    return tick_w;
}

panels_layout lay_out_panels(const std::vector<double>& x, const std::vector<panel>& panels,
                             const colour_scale& scale) {
    panels_layout l;
    const std::size_t n = panels.size();
    l.height = panels_height(n);
    const x_extent xr = count_range(x);
    l.x_ticks = linear_ticks(xr.lo, xr.hi, 10, 1);
    l.bar_ticks = scale.bar_ticks();
    const double left = std::round(30 + lay_out_axes(panels, l) + tick_length + 5);
    const double h = std::round((l.height - panels_top - 90 - (n - 1) * panel_gap) / n);
    for (std::size_t k = 0; k < n; ++k) {
        plot_frame& f = l.frames[k];
        f.x_left = xr.lo, f.x_right = xr.hi;
        f.left = left, f.top = panels_top + k * (h + panel_gap), f.height = h;
        f.width = std::round(plot_width - left - colour_bar_room(l.bar_tick_w));
    }
    const plot_frame& last = l.frames.back();
    l.bar = scale.bar(last.left + last.width + 30, panels_top,
                      last.top + last.height - panels_top - (scale.missing ? 70 : 0));
    return l;
}

// The order the points are drawn in: by decreasing colour value, so that the smallest values lie
// on top, then the crosses (thin: they hide little, and a dot would hide them).
std::vector<std::size_t> drawing_order(const std::vector<double>& values) {
    std::vector<std::size_t> order(values.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        const bool fa = finite(values[a]), fb = finite(values[b]);
        return fa != fb ? fa : fa && values[a] > values[b];
    });
    return order;
}

// A panel's grid and axes (x tick labels and the x label under the bottom panel only), its name
// above it.
void draw_panel(cairo_t* cr, const plot_frame& f, const std::string& name, const ticks& xt,
                const ticks& yt, const std::string& x_label, bool bottom) {
    draw_grid(cr, f, xt, yt);
    ticks x_marks = xt;
    if (!bottom) x_marks.labels.assign(xt.labels.size(), "");
    draw_axes(cr, f, x_marks, yt, bottom ? x_label : "", "");
    set_font(cr, label_size);
    set_colour(cr, ink);
    draw_text(cr, fit(cr, name, f.width), f.left, f.top - 10, 0, v_anchor::bottom);
}

// A panel's points in `order`, clipped to (just around) it; returns how many were drawn.
std::size_t draw_points(cairo_t* cr, const plot_frame& f, const std::vector<double>& x, const panel& p,
                        const colouring& colour, const colour_scale& scale,
                        const std::vector<std::size_t>& order) {
    std::size_t drawn = 0;
    cairo_save(cr);
    cairo_rectangle(cr, f.left - 6, f.top - 6, f.width + 12, f.height + 12);
    cairo_clip(cr);
    for (std::size_t i : order) {
        if (!finite(x[i]) || !finite(p.y[i]) || (p.log_y && p.y[i] <= 0)) continue;
        if (finite(colour.values[i])) draw_dot(cr, f.px(x[i]), f.py(p.y[i]), scale.of(colour.values[i]), 5);
        else draw_cross(cr, f.px(x[i]), f.py(p.y[i]));
        ++drawn;
    }
    cairo_restore(cr);
    return drawn;
}

// ---- targets ----------------------------------------------------------------------------------

constexpr rgb band_colour{0.82, 0.82, 0.82};

// A check in widths from its target (a range's middle): the value, the band's ends, and whether
// the target is a point (drawn as a line in the band).
struct deviation {
    double value = nan_value, lo = -1, hi = 1;
    bool point_target = true;
};

deviation deviation_of(const target_check& c) {
    const bool range_ok = !c.range || ((*c.range)[0] <= (*c.range)[1] && finite((*c.range)[0]) && finite((*c.range)[1]));
    if (c.target.has_value() == c.range.has_value() || !(c.width > 0) || !finite(c.width) || !range_ok ||
        (c.target && !finite(*c.target)))
        throw std::invalid_argument("plot_targets: '" + c.name +
                                    "' needs a finite target or range [lo <= hi], not both, and a width > 0");
    if (c.target) return {(c.value - *c.target) / c.width, -1, 1, true};
    const auto [lo, hi] = *c.range;
    const double middle = (lo + hi) / 2;
    return {(c.value - middle) / c.width, (lo - middle) / c.width, (hi - middle) / c.width, false};
}

// A number in its check's own units: four significant digits.
std::string check_number(double v) {
    return finite(v) ? with_minus(printf_string("%.4g", v)) : "\u2013";
}

std::string target_text(const target_check& c) {
    if (c.target) return check_number(*c.target) + " \u00b1 " + check_number(c.width);
    std::string text = "[";  // appended, not "[" + ...: GCC 12 warns falsely (-Wrestrict) on that
    return text.append(check_number((*c.range)[0])).append(", ").append(check_number((*c.range)[1])).append("]");
}

// Layout: names | plot area | value | target (both in the checks' units), right-aligned.
struct targets_layout {
    std::vector<deviation> rows;
    std::vector<std::string> names, values, targets;  // shortened to fit
    double names_right = 0, values_right = 0, targets_right = 0;
    bool any_point = false, any_range = false;
    ticks x_ticks;
    int height = 0;
};

// The x axis: every value and band, and -1 to 1 at least, with 5 % more at both ends.
ticks deviation_axis(const std::vector<deviation>& rows, plot_frame& f) {
    double lo = -1, hi = 1;
    for (const deviation& d : rows) {
        lo = std::min(lo, d.lo), hi = std::max(hi, d.hi);
        if (finite(d.value)) lo = std::min(lo, d.value), hi = std::max(hi, d.value);
    }
    const double pad = 0.05 * (hi - lo);
    f.x_left = lo - pad, f.x_right = hi + pad;
    return linear_ticks(f.x_left, f.x_right, 8);
}

// The columns' texts shortened, their widths measured, and the plot area between them.
void lay_out_columns(targets_layout& l, plot_frame& f) {
    scratch cr;
    const auto widest = [&](std::vector<std::string>& texts, const std::string& header) {
        set_font(cr, tick_size);
        double w = text_width(cr, header);
        set_font(cr, legend_size);
        for (auto& s : texts) w = std::max(w, text_width(cr, s = fit(cr, s, 300)));
        return w;
    };
    l.names_right = 20 + widest(l.names, "");
    const double values_w = widest(l.values, "value"), targets_w = widest(l.targets, "target");
    f.left = std::round(l.names_right + 16);
    l.targets_right = plot_width - 30;
    l.values_right = l.targets_right - targets_w - 28;
    f.width = std::round(l.values_right - values_w - 28 - f.left);
}

targets_layout lay_out_targets(const std::vector<target_check>& checks, plot_frame& f) {
    targets_layout l;
    for (const target_check& c : checks) {
        l.rows.push_back(deviation_of(c));
        l.names.push_back(c.name);
        l.values.push_back(check_number(c.value));
        l.targets.push_back(target_text(c));
        (c.target ? l.any_point : l.any_range) = true;
    }
    l.height = targets_height(checks.size());
    l.x_ticks = deviation_axis(l.rows, f);
    f.y_top = 0, f.y_bottom = checks.empty() ? 1 : static_cast<double>(checks.size());
    f.top = 96;
    f.height = std::round(l.height - f.top - 90);
    lay_out_columns(l, f);
    return l;
}

// A target's band from x0 to x1 around y, with the target's line at target_x (NaN: none).
void draw_band(cairo_t* cr, double x0, double x1, double y, double half, double target_x) {
    cairo_rectangle(cr, x0, y - half, x1 - x0, 2 * half);
    set_colour(cr, band_colour);
    cairo_fill(cr);
    if (!finite(target_x)) return;
    set_colour(cr, ink);
    cairo_set_line_width(cr, 2);
    cairo_move_to(cr, target_x, y - half);
    cairo_line_to(cr, target_x, y + half);
    cairo_stroke(cr);
}

// Thin lines between the rows.
void draw_row_lines(cairo_t* cr, const plot_frame& f, std::size_t rows) {
    set_colour(cr, grid_colour);
    cairo_set_line_width(cr, 1);
    for (std::size_t i = 1; i < rows; ++i) {
        const double y = std::round(f.py(static_cast<double>(i))) + 0.5;
        cairo_move_to(cr, f.left, y);
        cairo_line_to(cr, f.left + f.width, y);
    }
    cairo_stroke(cr);
}

// Row i: the band, the value's dot (or "no value"), the name and the numbers.
void draw_check_row(cairo_t* cr, const plot_frame& f, const targets_layout& l, std::size_t i) {
    const deviation& d = l.rows[i];
    const double y = f.py(i + 0.5), half = std::min(f.height / f.y_bottom * 0.28, 11.0);
    draw_band(cr, f.px(d.lo), f.px(d.hi), y, half, d.point_target ? f.px(0) : nan_value);
    if (finite(d.value)) {
        draw_dot(cr, f.px(d.value), y, category_colour(0), 7);
    } else {
        set_font(cr, legend_size, false, true);
        set_colour(cr, soft_ink);
        draw_text(cr, "no value", f.px(d.hi) + 10, y, 0, v_anchor::middle);
    }
    set_font(cr, legend_size);
    set_colour(cr, ink);
    draw_text(cr, l.names[i], l.names_right, y, 1, v_anchor::middle);
    draw_text(cr, l.values[i], l.values_right, y, 1, v_anchor::middle);
    draw_text(cr, l.targets[i], l.targets_right, y, 1, v_anchor::middle);
}

// A key entry's label at x (its swatch drawn left of it); returns where the next entry starts.
double key_label(cairo_t* cr, const std::string& label, double x, double y) {
    set_font(cr, legend_size);
    set_colour(cr, ink);
    draw_text(cr, label, x, y, 0, v_anchor::middle);
    return x + text_width(cr, label) + 30;
}

// Above the plot area: the key to the marks (of the kinds of target shown) and the columns' headers.
void draw_targets_key(cairo_t* cr, const plot_frame& f, const targets_layout& l) {
    const double y = f.top - 24;
    draw_dot(cr, f.left + 7, y, category_colour(0), 7);
    double x = key_label(cr, "value", f.left + 20, y);
    if (l.any_point) {
        draw_band(cr, x, x + 36, y, 8, x + 18);
        x = key_label(cr, "target \u00b1 width", x + 44, y);
    }
    if (l.any_range) {
        draw_band(cr, x, x + 36, y, 8, nan_value);
        key_label(cr, "range", x + 44, y);
    }
    set_font(cr, tick_size);
    set_colour(cr, soft_ink);
    draw_text(cr, "value", l.values_right, y, 1, v_anchor::middle);
    draw_text(cr, "target", l.targets_right, y, 1, v_anchor::middle);
}

}  // namespace

// ---- public -----------------------------------------------------------------------------------

rgb category_colour(std::size_t i) { return palette[i % std::size(palette)]; }

rgb viridis(double t) {
    if (!(t > 0)) t = 0;
    if (t > 1) t = 1;
    const double x = t * 32;
    const int k = std::min(static_cast<int>(x), 31);
    const double f = x - k;
    const rgb &a = viridis_table[k], &b = viridis_table[k + 1];
    return {a.r + f * (b.r - a.r), a.g + f * (b.g - a.g), a.b + f * (b.b - a.b)};
}

double plot_frame::px(double x) const {
    return left + (x - x_left) / (x_right - x_left) * width;
}

double plot_frame::py(double y) const {
    if (log_y)
        return top + (std::log10(y_top) - std::log10(y)) /
                         (std::log10(y_top) - std::log10(y_bottom)) * height;
    return top + (y_top - y) / (y_top - y_bottom) * height;
}

plot_frame plot_spectra(const std::filesystem::path& stem, const std::string& title,
                        const std::vector<series>& curves, const std::string& x_label,
                        const std::string& y_label, bool log_y, double x_max) {
    return line_plot(stem, title, curves, x_label, y_label, {log_y, true, x_max});
}

plot_frame plot_granger(const std::filesystem::path& stem, const std::string& title,
                        const std::vector<double>& freq_hz, const std::vector<double>& f_xy,
                        const std::vector<double>& f_yx, const std::string& x_name,
                        const std::string& y_name) {
    if (f_xy.size() != freq_hz.size() || f_yx.size() != freq_hz.size())
        throw std::invalid_argument("plot_granger: " + std::to_string(freq_hz.size()) +
                                    " frequencies but " + std::to_string(f_xy.size()) + " and " +
                                    std::to_string(f_yx.size()) + " values");
    const std::vector<series> curves{
        {x_name + " \u2192 " + y_name, freq_hz, f_xy, category_colour(0)},
        {y_name + " \u2192 " + x_name, freq_hz, f_yx, category_colour(1)},
    };
    return line_plot(stem, title, curves, "frequency (Hz)", "Granger causality F",
                     {false, true, 0});
}

raster_frame plot_raster(const std::filesystem::path& stem, const std::string& title,
                         const std::vector<population_train>& pops, const window& w) {
    const double t0 = w.start_ms, t1 = w.stop_ms > w.start_ms ? w.stop_ms : w.start_ms + 1;
    const std::vector<std::size_t> order = depth_order(pops);
    raster_frame out;
    const std::uint64_t rows = stack_bands(pops, order, out.first_row);
    const double all_rows = rows > 0 ? static_cast<double>(rows) : 1;
    const raster_counts counts = count_spikes(pops, t0, t1);
    plot_frame& f = out.frame;
    f.x_left = t0, f.x_right = t1, f.y_bottom = all_rows, f.y_top = 0;
    const ticks xt = linear_ticks(t0, t1, 10);
    const ticks no_ticks;
    const raster_layout layout = lay_out_raster(pops, counts.rates, f);
    mark_grid grid = grid_of(f, t0, t1, all_rows);
    const auto runs = mark_runs(pops, out.first_row, counts, grid, t1);
    const std::vector<double> at = label_positions(pops, order, out.first_row, f);

    render(stem, raster_width, raster_height, [&](cairo_t* cr) {
        draw_title(cr, title, raster_width);
        // Thin lines between populations, under the spikes (and as ticks on the axis, below).
        set_colour(cr, separator_colour);
        cairo_set_line_width(cr, 1);
        draw_band_lines(cr, f, order, out.first_row, f.left, f.left + f.width);
        draw_grid(cr, f, xt, no_ticks);
        draw_marks(cr, f, runs);
        draw_axes(cr, f, xt, no_ticks, "time (ms)", "cell (by depth)");
        set_colour(cr, ink);
        cairo_set_line_width(cr, 1);
        draw_band_lines(cr, f, order, out.first_row, f.left - 0.5, f.left - 0.5 - tick_length);
        set_font(cr, legend_size);
        for (std::size_t p = 0; p < pops.size(); ++p)
            draw_population_label(cr, f, layout, p, at[p], f.py(out.first_row[p] + pops[p].cells / 2.0),
                                  counts.rates[p]);
        set_font(cr, tick_size);
        set_colour(cr, soft_ink);
        if (!pops.empty()) draw_text(cr, rate_header, layout.rates_right, f.top - 8, 1, v_anchor::bottom);
        if (counts.total == 0) draw_note(cr, f, "no spikes");
    });
    return out;
}

plot_frame plot_heatmap(const std::filesystem::path& stem, const std::string& title,
                        const std::string& x_label, const std::vector<std::string>& x_ticks,
                        const std::string& y_label, const std::vector<std::string>& y_ticks,
                        const std::vector<std::vector<double>>& values,
                        const std::string& value_label) {
    check_table(values, x_ticks, y_ticks);
    const std::size_t rows = values.size(), columns = rows ? values[0].size() : 0;
    const colour_scale scale = scale_of(values);
    const ticks bar_ticks = scale.bar_ticks();
    plot_frame f;
    f.x_left = 0, f.x_right = columns ? static_cast<double>(columns) : 1;
    f.y_bottom = 0, f.y_top = rows ? static_cast<double>(rows) : 1;
    const heatmap_layout l = lay_out_heatmap(tick_texts(x_ticks, columns), tick_texts(y_ticks, rows), bar_ticks, f);

    render(stem, plot_width, plot_height, [&](cairo_t* cr) {
        draw_title(cr, title, plot_width);
        draw_cells(cr, f, values, scale, l);
        draw_cell_lines(cr, f, rows, columns, l);
        draw_heatmap_axes(cr, f, l, x_label, y_label);
        draw_colour_bar(cr, scale.bar(l.bar_left, f.top, scale.missing ? f.height - 70 : f.height),
                        bar_ticks, l.bar_tick_w, value_label);
        if (scale.missing)
            draw_bar_key(cr, l.bar_left, f.top + f.height, "no data", [&](double x, double y) {
                cairo_rectangle(cr, x, y, bar_w, 18);
                draw_missing_cell(cr, x, y, x + bar_w, y + 18);
            });
        if (!scale.any) draw_note(cr, f, "no data");
    });
    return f;
}

plot_frame plot_over_count(const std::filesystem::path& stem, const std::string& title,
                           const std::vector<series>& curves, const std::string& x_label,
                           const std::string& y_label, bool log_y) {
    return line_plot(stem, title, curves, x_label, y_label, {log_y, false, 0, true});
}

std::vector<plot_frame> plot_panels(const std::filesystem::path& stem, const std::string& title,
                                    const std::string& x_label, const std::vector<double>& x,
                                    const std::vector<panel>& panels, const colouring& colour) {
    check_panels(x, panels, colour);
    const std::vector<panel> shown = panels.empty() ? std::vector<panel>(1) : panels;
    const colour_scale scale = scale_of(colour);
    const panels_layout l = lay_out_panels(x, shown, scale);
    const std::vector<std::size_t> order = drawing_order(colour.values);
    const plot_frame& last = l.frames.back();

    render(stem, plot_width, l.height, [&](cairo_t* cr) {
        draw_title(cr, title, plot_width);
        for (std::size_t k = 0; k < shown.size(); ++k) {
            const plot_frame& f = l.frames[k];
            draw_panel(cr, f, shown[k].name, l.x_ticks, l.y_ticks[k], x_label, k + 1 == shown.size());
            if (draw_points(cr, f, x, shown[k], colour, scale, order) == 0) draw_note(cr, f, "no data");
        }
        set_colour(cr, ink);
        cairo_set_line_width(cr, 1);
        draw_colour_bar(cr, l.bar, l.bar_ticks, l.bar_tick_w, colour.label);
        if (scale.missing)
            draw_bar_key(cr, l.bar.left, last.top + last.height, colour.missing_label,
                         [&](double x0, double y0) { draw_cross(cr, x0 + bar_w / 2, y0 + 9); });
    });
    return l.frames;
}

plot_frame plot_targets(const std::filesystem::path& stem, const std::string& title,
                        const std::vector<target_check>& checks) {
    plot_frame f;
    const targets_layout l = lay_out_targets(checks, f);
    const ticks no_ticks;
    const std::string x_label = l.any_range ? "(value \u2212 target) / width; a range's target is its middle"
                                            : "(value \u2212 target) / width";
    render(stem, plot_width, l.height, [&](cairo_t* cr) {
        draw_title(cr, title, plot_width);
        draw_grid(cr, f, l.x_ticks, no_ticks);
        draw_row_lines(cr, f, checks.size());
        for (std::size_t i = 0; i < checks.size(); ++i) draw_check_row(cr, f, l, i);
        draw_axes(cr, f, l.x_ticks, no_ticks, x_label, "");
        if (checks.empty()) draw_note(cr, f, "no data");
        else draw_targets_key(cr, f, l);
    });
    return f;
}

png_image::rgb8 png_image::at(int x, int y) const {
    if (x < 0 || y < 0 || x >= width || y >= height)
        throw std::out_of_range("png_image::at(" + std::to_string(x) + ", " + std::to_string(y) +
                                ") outside " + std::to_string(width) + "x" +
                                std::to_string(height));
    const std::uint32_t p = pixels[static_cast<std::size_t>(y) * width + x];
    return {static_cast<std::uint8_t>(p >> 16), static_cast<std::uint8_t>(p >> 8),
            static_cast<std::uint8_t>(p)};
}

png_image read_png(const std::filesystem::path& path) {
    cairo_surface_t* s = cairo_image_surface_create_from_png(path.c_str());
    const cairo_status_t status = cairo_surface_status(s);
    if (status != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(s);
        check(status, "cannot read " + path.string());
    }
    cairo_surface_flush(s);
    png_image out;
    out.width = cairo_image_surface_get_width(s);
    out.height = cairo_image_surface_get_height(s);
    const int stride = cairo_image_surface_get_stride(s);
    const cairo_format_t format = cairo_image_surface_get_format(s);
    const unsigned char* data = cairo_image_surface_get_data(s);
    out.pixels.resize(static_cast<std::size_t>(out.width) * out.height);
    for (int y = 0; y < out.height; ++y)
        for (int x = 0; x < out.width; ++x) {
            std::uint32_t p = 0;
            if (format == CAIRO_FORMAT_ARGB32 || format == CAIRO_FORMAT_RGB24) {
                p = reinterpret_cast<const std::uint32_t*>(data + static_cast<std::ptrdiff_t>(y) * stride)[x];
                if (format == CAIRO_FORMAT_RGB24) p |= 0xFF000000u;
            } else if (format == CAIRO_FORMAT_A8) {
                p = static_cast<std::uint32_t>(data[static_cast<std::ptrdiff_t>(y) * stride + x]) << 24;
            }
            out.pixels[static_cast<std::size_t>(y) * out.width + x] = p;
        }
    cairo_surface_destroy(s);
    return out;
}

}  // namespace m1::analysis
