// The plots of a search (search_plots.hpp): its evaluations turned into the plain data of the
// generic plots (analysis/plots.hpp).
#include "batch/search_plots.hpp"

#include "analysis/plots.hpp"
#include "batch/search_records.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <string>

namespace m1::batch {

namespace {

constexpr double nan_value = std::numeric_limits<double>::quiet_NaN();

// Whether the values are all positive and span more than a decade: a log axis (or log colours)
// shows them best. NetPyNE's fitness runs from 1 (every objective on target) to max_fitness (1000
// by default), so early generations span decades and late ones often do not.
bool spans_decades(const std::vector<double>& values) {
    double lo = std::numeric_limits<double>::infinity(), hi = 0;
    for (double v : values) {
        if (!std::isfinite(v)) continue;
        if (v <= 0) return false;
        lo = std::min(lo, v), hi = std::max(hi, v);
    }
    return hi > 10 * lo;
}

std::string short_number(double v) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.4g", v);
    return buffer;
}

// Per generation (numbered as in optimization.csv): the best fitness so far, the generation's own
// best and its median (failed candidates count with max_fitness, as the optimiser saw them). The
// best so far comes last, drawn over the generation's best where they agree.
std::vector<analysis::series> fitness_curves(const std::vector<evaluation>& evaluations) {
    std::map<std::size_t, std::vector<double>> by_generation;
    for (const evaluation& e : evaluations) by_generation[e.generation].push_back(e.fitness);
    analysis::series own{"best of the generation", {}, {}, analysis::category_colour(3)},
        middle{"median of the generation", {}, {}, analysis::category_colour(10)},
        so_far{"best so far", {}, {}, analysis::category_colour(0)};
    double best = std::numeric_limits<double>::infinity();
    for (const auto& [generation, fitness] : by_generation) {
        const double x = static_cast<double>(generation);
        const double own_best = *std::min_element(fitness.begin(), fitness.end());
        best = std::min(best, own_best);
        so_far.x.push_back(x), so_far.y.push_back(best);
        own.x.push_back(x), own.y.push_back(own_best);
        middle.x.push_back(x), middle.y.push_back(median_of(fitness));
    }
    return {own, middle, so_far};
}

void write_fitness_plot(const search_spec& search, const std::vector<evaluation>& evaluations,
                        const std::filesystem::path& plot_dir) {
    const std::vector<analysis::series> curves = fitness_curves(evaluations);
    std::vector<double> shown;
    for (const analysis::series& c : curves) shown.insert(shown.end(), c.y.begin(), c.y.end());
    analysis::plot_over_count(plot_dir / "search_fitness", search.runs.name + ": fitness per generation",
                              curves, "generation", "fitness (lower is better)", spans_decades(shown));
}

// Parameter j over the evaluations, on its search range (a log axis where it is searched in log).
analysis::panel parameter_panel(const parameter& p, std::size_t j, const std::vector<evaluation>& evaluations) {
    analysis::panel out{p.path, {}, p.log, p.range};
    for (const evaluation& e : evaluations)
        out.y.push_back(j < e.values.size() ? as_double(e.values[j]) : nan_value);
    return out;
}

// Fitness as the points' colour (in log when it spans decades). A failed candidate's max_fitness
// says why it failed, not how good its point is: it is drawn as a cross instead.
analysis::colouring fitness_colours(const std::vector<evaluation>& evaluations) {
    analysis::colouring c;
    c.label = "fitness";
    c.missing_label = "failed";
    for (const evaluation& e : evaluations) c.values.push_back(e.status == "done" ? e.fitness : nan_value);
    c.log = spans_decades(c.values);
    return c;
}

// One panel a parameter, stacked, over the evaluation's number (1 = the first proposed): where the
// search went in each dimension and where the good points lie, for 1 to 8 parameters alike.
void write_parameter_plot(const search_spec& search, const std::vector<evaluation>& evaluations,
                          const std::filesystem::path& plot_dir) {
    std::vector<double> numbers;
    for (std::size_t i = 0; i < evaluations.size(); ++i) numbers.push_back(static_cast<double>(i + 1));
    std::vector<analysis::panel> panels;
    for (std::size_t j = 0; j < search.runs.params.size(); ++j)
        panels.push_back(parameter_panel(search.runs.params[j], j, evaluations));
    analysis::plot_panels(plot_dir / "search_parameters", search.runs.name + ": parameters over the evaluations",
                          "evaluation (in the order proposed)", numbers, panels, fitness_colours(evaluations));
}

// The best point's objectives, each with its target (or range) and width as the fitness reads it.
std::vector<analysis::target_check> objective_checks(const search_spec& search, const evaluation& best) {
    std::vector<analysis::target_check> checks;
    for (std::size_t k = 0; k < search.objectives.size(); ++k) {
        const objective& o = search.objectives[k];
        const double value = k < best.objective_values.size() ? best.objective_values[k] : nan_value;
        checks.push_back({o.column, value, o.target, o.range, o.width.value()});
    }
    return checks;
}

// A forest plot of deviations in widths rather than one panel per objective in its own units:
// the width is what the fitness counts (netpyne scores a deviation of d widths exp(d)), so one
// shared axis shows at a glance which objectives are met and which cost the most, while each
// value and target still stands at the right in its own units (Hz, ...); rows rather than
// columns keep names such as granger_peak:IT_L23__PT_L5B readable.
void write_objective_plot(const search_spec& search, const std::vector<evaluation>& evaluations,
                          const std::filesystem::path& plot_dir) {
    const evaluation* best = best_of(evaluations);
    std::string title = search.runs.name + ": the best point against the targets";
    if (best)
        title = search.runs.name + ": best point (generation " + std::to_string(best->generation) +
                ", individual " + std::to_string(best->individual) + ", fitness " +
                short_number(best->fitness) + ") against the targets";
    analysis::plot_targets(plot_dir / "search_objectives", title,
                           best ? objective_checks(search, *best) : std::vector<analysis::target_check>{});
}

}  // namespace

void write_search_plots(const search_spec& search, const std::vector<evaluation>& evaluations,
                        const std::filesystem::path& plot_dir) {
    write_fitness_plot(search, evaluations, plot_dir);
    write_parameter_plot(search, evaluations, plot_dir);
    write_objective_plot(search, evaluations, plot_dir);
}

}  // namespace m1::batch
