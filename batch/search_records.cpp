#include "batch/search_records.hpp"

#include "batch/batch_file.hpp"
#include "batch/fitness.hpp"
#include "batch/sweep_expansion.hpp"
#include "core/base/digest.hpp"
#include "core/base/text_format.hpp"
#include "core/io/hdf5_support.hpp"
#include "core/io/posix_file.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace m1::batch {

namespace {

using json = nlohmann::json;

constexpr int state_format = 1;

json number_json(double x) { return std::isfinite(x) ? json(x) : json(nullptr); }
double number_from(const json& j) { return j.is_number() ? j.get<double>() : NAN; }

json evaluation_json(const evaluation& e) {
    json values = json::array(), objectives = json::array();
    for (const param_value& v : e.values) values.push_back(param_value_to_json(v));
    for (double x : e.objective_values) objectives.push_back(number_json(x));
    return {{"generation", e.generation}, {"individual", e.individual}, {"values", values},
            {"run_ids", e.run_ids}, {"objective_values", objectives},
            {"fitness", e.fitness}, {"status", e.status}};
}

evaluation evaluation_from(const json& j) {
    evaluation e;
    e.generation = j.at("generation").get<std::size_t>();
    e.individual = j.at("individual").get<std::size_t>();
    for (const json& v : j.at("values")) e.values.push_back(param_value_from_json(v));
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

// The k-th objective's value; NaN where the evaluation has none.
double objective_value(const evaluation& e, std::size_t k) {
    return k < e.objective_values.size() ? e.objective_values[k] : NAN;
}

std::string joined_ids(const evaluation& e) {
    std::string ids;
    for (const std::string& id : e.run_ids) ids += (ids.empty() ? "" : "/") + id;
    return ids;
}

std::vector<std::string> csv_fields(const search_spec& search, const evaluation& e) {
    std::vector<std::string> f{std::to_string(e.generation), std::to_string(e.individual)};
    for (const param_value& v : e.values) f.push_back(format_value(v));
    for (std::size_t k = 0; k < search.objectives.size(); ++k)
        f.push_back(number_text(objective_value(e, k)));
    for (double score : objective_scores(search, e.objective_values)) f.push_back(python_repr(score));
    f.insert(f.end(), {python_repr(e.fitness), joined_ids(e), e.status});
    return f;
}

// ---------------------------------------------------------------------------------------------
// optimization.h5

// The type a parameter's column keeps, param_value's alternatives in their order: the values' own
// when they share it, number when integers and floats mix, else text. The parameter's first value
// stands in for the values of a search that has none yet.
enum class column_type { integer, number, boolean, text };

column_type type_of(const parameter& p, const std::vector<evaluation>& evaluations, std::size_t k) {
    const param_value first = !evaluations.empty() ? evaluations.front().values[k]
                              : p.range              ? value_in_range(p, 0)
                                                     : p.values.front();
    const auto is_number = [](column_type t) { return t == column_type::integer || t == column_type::number; };
    auto type = static_cast<column_type>(first.index());
    for (const evaluation& e : evaluations) {
        const auto t = static_cast<column_type>(e.values[k].index());
        if (t != type) type = is_number(t) && is_number(type) ? column_type::number : column_type::text;
    }
    return type;
}

template <class T, class Convert>
std::vector<T> param_column(const std::vector<evaluation>& evaluations, std::size_t k, Convert convert) {
    std::vector<T> column;
    for (const evaluation& e : evaluations) column.push_back(convert(e.values[k]));
    return column;
}

// The k-th parameter's values as /params/`name`, in their type.
h5_handle param_dataset(const hdf5_writer& w, hid_t group, const std::string& name, column_type type,
                        const std::vector<evaluation>& es, std::size_t k) {
    const auto as_int = [](const param_value& v) { return std::get<std::int64_t>(v); };
    const auto as_bool = [](const param_value& v) { return std::get<bool>(v); };
    switch (type) {
    case column_type::integer:
        return w.numbers(group, "/params", name, param_column<std::int64_t>(es, k, as_int));
    case column_type::number:
        return w.numbers(group, "/params", name, param_column<double>(es, k, as_double));
    case column_type::boolean:
        return w.booleans(group, "/params", name, param_column<bool>(es, k, as_bool));
    default:
        return w.strings(group, "/params", name, param_column<std::string>(es, k, format_value));
    }
}

// /params/p<k>: the k-th parameter's values, with its path as attribute.
void write_param_column(const hdf5_writer& w, hid_t group, const search_spec& search, std::size_t k,
                        const std::vector<evaluation>& evaluations) {
    // Appended rather than "p" + ...: GCC 12 warns falsely (-Wrestrict) on that form.
    const std::string name = std::string("p").append(std::to_string(k));
    const parameter& p = search.runs.params[k];
    const h5_handle set = param_dataset(w, group, name, type_of(p, evaluations, k), evaluations, k);
    w.attribute(set, "/params/" + name, "path", p.path);
}

// /objectives/<column> and /scores/<column>, float64 (NaN where a value is missing).
void write_objective_columns(const hdf5_writer& w, hid_t file, const search_spec& search,
                             const std::vector<evaluation>& evaluations) {
    const h5_handle values = w.group(file, "/", "objectives", true);
    const h5_handle scores = w.group(file, "/", "scores", true);
    for (std::size_t k = 0; k < search.objectives.size(); ++k) {
        const objective& o = search.objectives[k];
        std::vector<double> v, s;
        for (const evaluation& e : evaluations) {
            v.push_back(objective_value(e, k));
            s.push_back(objective_score(search, o, v.back()));
        }
        w.numbers(values, "/objectives", o.column, v);  // names hold ':' and '__': valid
        w.numbers(scores, "/scores", o.column, s);
    }
}

// The columns but the parameters and the objectives.
void write_evaluation_columns(const hdf5_writer& w, hid_t file, const std::vector<evaluation>& evaluations) {
    std::vector<std::uint64_t> generation, individual;
    std::vector<double> fitness;
    std::vector<std::string> ids, status;
    for (const evaluation& e : evaluations) {
        generation.push_back(e.generation);
        individual.push_back(e.individual);
        fitness.push_back(e.fitness);
        ids.push_back(joined_ids(e));
        status.push_back(e.status);
    }
    w.numbers(file, "/", "generation", generation);
    w.numbers(file, "/", "individual", individual);
    w.numbers(file, "/", "fitness", fitness);
    w.strings(file, "/", "run_id", ids);
    w.strings(file, "/", "status", status);
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

void write_optimization_h5(const results_directory& dir, const search_spec& search,
                           const std::vector<evaluation>& evaluations) {
    write_hdf5_atomically(dir.root() / "optimization.h5", [&](const hdf5_checker& c, hid_t file) {
        const hdf5_writer w(c);
        write_evaluation_columns(w, file, evaluations);
        const h5_handle params = w.group(file, "/", "params", true);
        for (std::size_t k = 0; k < search.runs.params.size(); ++k)
            write_param_column(w, params, search, k, evaluations);
        write_objective_columns(w, file, search, evaluations);
    });
}

double median_of(std::vector<double> x) {
    std::sort(x.begin(), x.end());
    const std::size_t n = x.size();
    return n == 0 ? NAN : n % 2 ? x[n / 2] : 0.5 * (x[n / 2 - 1] + x[n / 2]);
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
