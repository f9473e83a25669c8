#include "batch/search_plots.hpp"

#include "analysis/plots.hpp"
#include "batch/fitness.hpp"
#include "batch/search_records.hpp"
#include "core/base/text_format.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

namespace m1::batch {

namespace {

double number_of(const param_value& v) {
    return std::visit([](const auto& x) -> double {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::string>) return NAN;
        else return static_cast<double>(x);
    }, v);
}

// Per generation: the best fitness so far, the generation's best and its median.
std::vector<analysis::series> fitness_curves(const std::vector<evaluation>& evaluations) {
    std::map<std::size_t, std::vector<double>> by_generation;
    for (const evaluation& e : evaluations) by_generation[e.generation].push_back(e.fitness);
    analysis::series so_far{"best so far", {}, {}, {}}, best{"generation's best", {}, {}, {}},
        median{"generation's median", {}, {}, {}};
    double lowest = INFINITY;
    for (const auto& [g, fitness] : by_generation) {
        const double b = *std::min_element(fitness.begin(), fitness.end());
        lowest = std::min(lowest, b);
        for (auto* s : {&so_far, &best, &median}) s->x.push_back(double(g));
        so_far.y.push_back(lowest), best.y.push_back(b), median.y.push_back(median_of(fitness));
    }
    return {so_far, best, median};
}

void plot_parameter(const search_spec& search, const std::vector<evaluation>& evaluations,
                    std::size_t k, const std::filesystem::path& plot_dir) {
    analysis::coloured_points points;
    for (std::size_t i = 0; i < evaluations.size(); ++i) {
        points.x.push_back(double(i + 1));
        points.y.push_back(number_of(evaluations[i].values[k]));
        points.value.push_back(evaluations[i].status == "done" ? evaluations[i].fitness : NAN);
    }
    const parameter& p = search.runs.params[k];
    analysis::plot_coloured_points(plot_dir / ("search_param_" + std::to_string(k)),
                                   search.runs.name + ": " + p.path, "evaluation", p.path, points,
                                   "fitness", p.log, /*log_value=*/true);
}

std::string short_number(double x) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.3g", x);
    return buffer;
}

// "9.71, target 8.1 ± 0.81" or "3.2, range 1-5".
std::string objective_note(const objective& o, double value) {
    const std::string v = std::isfinite(value) ? short_number(value) : "no value";
    if (o.range)
        return v + ", range " + short_number((*o.range)[0]) + " to " + short_number((*o.range)[1]);
    return v + ", target " + short_number(*o.target) + " \u00b1 " + short_number(*o.width);
}

void plot_objectives(const search_spec& search, const evaluation& best, const std::filesystem::path& plot_dir) {
    std::vector<analysis::deviation_row> rows;
    for (std::size_t k = 0; k < search.objectives.size(); ++k) {
        const objective& o = search.objectives[k];
        const double value = k < best.objective_values.size() ? best.objective_values[k] : NAN;
        rows.push_back({o.column, signed_deviation(o, value), objective_note(o, value)});
    }
    analysis::plot_deviations(plot_dir / "search_objectives",
                              search.runs.name + ": best point (generation " + std::to_string(best.generation) +
                                  ", individual " + std::to_string(best.individual) + ", fitness " +
                                  short_number(best.fitness) + ")",
                              "deviation from target (widths)", rows);
}

}  // namespace

double signed_deviation(const objective& o, double value) {
    if (!std::isfinite(value)) return NAN;
    const double d = deviation(o, value);
    const double centre = o.range ? 0.5 * ((*o.range)[0] + (*o.range)[1]) : *o.target;
    return value < centre ? -d : d;
}

void write_search_plots(const search_spec& search, const std::vector<evaluation>& evaluations,
                        const std::filesystem::path& plot_dir) {
    analysis::plot_spectra(plot_dir / "search_fitness", search.runs.name + ": fitness per generation",
                           fitness_curves(evaluations), "generation", "fitness (lower is better)",
                           /*log_y=*/true, /*x_max=*/0);
    for (std::size_t k = 0; k < search.runs.params.size(); ++k) plot_parameter(search, evaluations, k, plot_dir);
    if (const evaluation* best = best_of(evaluations)) plot_objectives(search, *best, plot_dir);
}

}  // namespace m1::batch
