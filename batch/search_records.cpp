#include "batch/search_records.hpp"

#include "batch/batch_file.hpp"
#include "batch/fitness.hpp"
#include "batch/sweep_expansion.hpp"
#include "core/base/digest.hpp"
#include "core/base/text_format.hpp"
#include "core/io/posix_file.hpp"

#include <cmath>
#include <sstream>

namespace m1::batch {

namespace {

using json = nlohmann::json;

constexpr int state_format = 1;

json value_json(const param_value& v) {
    return std::visit([](const auto& x) { return json(x); }, v);
}

param_value value_from(const json& j) {
    if (j.is_boolean()) return j.get<bool>();
    if (j.is_number_integer()) return j.get<std::int64_t>();
    if (j.is_number()) return j.get<double>();
    return j.get<std::string>();
}

json number_json(double x) { return std::isfinite(x) ? json(x) : json(nullptr); }
double number_from(const json& j) { return j.is_number() ? j.get<double>() : NAN; }

json evaluation_json(const evaluation& e) {
    json values = json::array(), objectives = json::array();
    for (const param_value& v : e.values) values.push_back(value_json(v));
    for (double x : e.objective_values) objectives.push_back(number_json(x));
    return {{"generation", e.generation}, {"individual", e.individual}, {"values", values},
            {"run_ids", e.run_ids}, {"objective_values", objectives},
            {"fitness", e.fitness}, {"status", e.status}};
}

evaluation evaluation_from(const json& j) {
    evaluation e;
    e.generation = j.at("generation").get<std::size_t>();
    e.individual = j.at("individual").get<std::size_t>();
    for (const json& v : j.at("values")) e.values.push_back(value_from(v));
    e.run_ids = j.at("run_ids").get<std::vector<std::string>>();
    for (const json& x : j.at("objective_values")) e.objective_values.push_back(number_from(x));
    e.fitness = j.at("fitness").get<double>();
    e.status = j.at("status").get<std::string>();
    return e;
}

std::filesystem::path state_file(const results_directory& dir) { return dir.root() / "search_state.json"; }

std::string number_text(double x) { return std::isfinite(x) ? python_repr(x) : std::string(); }

std::vector<std::string> csv_header(const search_spec& search) {
    std::vector<std::string> h{"generation", "individual"};
    for (const parameter& p : search.runs.params) h.push_back(p.path);
    for (const objective& o : search.objectives) h.push_back(o.column);
    for (const objective& o : search.objectives) h.push_back("score:" + o.column);
    h.insert(h.end(), {"fitness", "run_id", "status"});
    return h;
}

std::vector<std::string> csv_fields(const search_spec& search, const evaluation& e) {
    std::vector<std::string> f{std::to_string(e.generation), std::to_string(e.individual)};
    for (const param_value& v : e.values) f.push_back(format_value(v));
    for (double x : e.objective_values) f.push_back(number_text(x));
    for (std::size_t k = 0; k < search.objectives.size(); ++k) {
        const double value = k < e.objective_values.size() ? e.objective_values[k] : NAN;
        f.push_back(python_repr(objective_score(search, search.objectives[k], value)));
    }
    std::string ids;
    for (const std::string& id : e.run_ids) ids += (ids.empty() ? "" : "/") + id;
    f.insert(f.end(), {python_repr(e.fitness), ids, e.status});
    return f;
}

}  // namespace

std::string search_digest(const search_spec& search) {
    std::ostringstream text;
    text << search.runs.self_contained << '\n';
    return sha256_hex(text.str() + '\0' + search.runs.model.text());
}

void save_state(const results_directory& dir, const search_spec& search, const search_state& state) {
    json evaluations = json::array();
    for (const evaluation& e : state.evaluations) evaluations.push_back(evaluation_json(e));
    const json j{{"format", state_format}, {"search_digest", search_digest(search)},
                 {"generations", state.generations}, {"optimiser", state.optimiser},
                 {"evaluations", evaluations}};
    write_file_atomically(state_file(dir), j.dump(1) + "\n");
}

std::optional<search_state> load_state(const results_directory& dir, const search_spec& search) {
    const auto file = state_file(dir);
    if (!std::filesystem::exists(file)) return std::nullopt;
    try {
        const json j = json::parse(read_bytes(file));
        if (j.at("format") != state_format || j.at("search_digest") != search_digest(search))
            return std::nullopt;
        search_state s{j.at("search_digest"), j.at("generations").get<std::size_t>(),
                       j.at("optimiser"), {}};
        for (const json& e : j.at("evaluations")) s.evaluations.push_back(evaluation_from(e));
        return s;
    } catch (const std::exception& e) {
        throw run_error(file.string() + ": not a search state m1batch can read (" + e.what() +
                        "); remove it to start the search afresh (its runs are kept and reused)");
    }
}

void write_optimization_csv(const results_directory& dir, const search_spec& search,
                            const std::vector<evaluation>& evaluations) {
    std::string csv;
    csv_line(csv, csv_header(search));
    for (const evaluation& e : evaluations) csv_line(csv, csv_fields(search, e));
    write_file_atomically(dir.root() / "optimization.csv", csv);
}

const evaluation* best_of(const std::vector<evaluation>& evaluations) {
    const evaluation* best = nullptr;
    for (const evaluation& e : evaluations)
        if (!best || e.fitness < best->fitness) best = &e;
    return best;
}

void write_best(const results_directory& dir, const search_spec& search, const evaluation& best) {
    const sweep_spec& runs = search.runs;
    const nlohmann::ordered_json model = effective_model(runs.model.root(), runs.params, best.values);
    write_file_atomically(dir.root() / "best_model.json", model.dump(1) + "\n");
    const m1::seeds seeds = seeds_with(base_seeds(runs), runs.params, best.values);
    const run_config config = run_config_of(runs, best.values, seeds);
    toml::table table;
    table.insert_or_assign("model", "best_model.json");
    table.insert_or_assign("output", "best");
    write_run_keys(config, table);
    const std::string head = "# The best point of the search (generation " +
                             std::to_string(best.generation) + ", individual " +
                             std::to_string(best.individual) + ", fitness " +
                             python_repr(best.fitness) + "): m1batch best.toml runs it.\n";
    write_file_atomically(dir.root() / "best.toml", head + toml_text(table));
}

namespace {

// a is no worse than b in every score and better in one.
bool dominates(const std::vector<double>& a, const std::vector<double>& b) {
    bool better = false;
    for (std::size_t k = 0; k < a.size(); ++k) {
        if (a[k] > b[k]) return false;
        better = better || a[k] < b[k];
    }
    return better;
}

}  // namespace

std::vector<std::size_t> pareto_front(const search_spec& search, const std::vector<evaluation>& evaluations) {
    std::vector<std::vector<double>> scores;
    for (const evaluation& e : evaluations) scores.push_back(objective_scores(search, e.objective_values));
    std::vector<std::size_t> front;
    for (std::size_t i = 0; i < scores.size(); ++i) {
        const auto same_or_better = [&](std::size_t j) {
            return dominates(scores[j], scores[i]) || (j < i && scores[j] == scores[i]);
        };
        bool dominated = false;
        for (std::size_t j = 0; j < scores.size() && !dominated; ++j) dominated = same_or_better(j);
        if (!dominated) front.push_back(i);
    }
    return front;
}

void write_pareto_csv(const results_directory& dir, const search_spec& search,
                      const std::vector<evaluation>& evaluations) {
    std::string csv;
    csv_line(csv, csv_header(search));
    for (std::size_t i : pareto_front(search, evaluations)) csv_line(csv, csv_fields(search, evaluations[i]));
    write_file_atomically(dir.root() / "pareto.csv", csv);
}

}  // namespace m1::batch
