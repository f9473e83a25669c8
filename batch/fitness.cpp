#include "batch/fitness.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace m1::batch {

double deviation(const objective& o, double value) {
    if (o.range) {
        const auto [lo, hi] = *o.range;
        const double outside = value < lo ? lo - value : value > hi ? value - hi : 0.0;
        return outside / *o.width;
    }
    return std::abs(value - *o.target) / *o.width;
}

// NetPyNE's M1 tuning: min(exp(|target - rate| / width), maxFitness), and maxFitness for a rate
// not above `min` (its `if rate > min else maxFitness`).
double objective_score(const search_spec& search, const objective& o, double value) {
    if (!std::isfinite(value)) return search.max_fitness;
    const double d = deviation(o, value);
    if (search.fitness == fitness_kind::squared) return std::min(d * d, search.max_fitness);
    if (o.min && !(value > *o.min)) return search.max_fitness;
    return std::min(std::exp(d), search.max_fitness);
}

std::vector<double> objective_values(const search_spec& search,
                                     const std::vector<analysis::named_measure>& measures) {
    std::vector<double> values;
    for (const objective& o : search.objectives) {
        const auto it = std::find_if(measures.begin(), measures.end(),
                                     [&](const auto& m) { return m.first == o.column; });
        values.push_back(it == measures.end() ? std::numeric_limits<double>::quiet_NaN() : it->second);
    }
    return values;
}

std::vector<double> objective_scores(const search_spec& search, const std::vector<double>& values) {
    std::vector<double> scores;
    for (std::size_t k = 0; k < search.objectives.size(); ++k)
        scores.push_back(objective_score(search, search.objectives[k],
                                         k < values.size() ? values[k] : std::numeric_limits<double>::quiet_NaN()));
    return scores;
}

double fitness_of(const search_spec& search, const std::vector<double>& values) {
    const std::vector<double> scores = objective_scores(search, values);
    double sum = 0, weights = 0;
    for (std::size_t k = 0; k < scores.size(); ++k) {
        sum += search.objectives[k].weight * scores[k];
        weights += search.objectives[k].weight;
    }
    return weights > 0 ? sum / weights : search.max_fitness;
}

}  // namespace m1::batch
