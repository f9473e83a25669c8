#include "batch/optimize_file.hpp"

#include "batch/batch_file.hpp"
#include "batch/search_algorithm.hpp"

#include <algorithm>
#include <cmath>
#include <set>
#include <utility>

namespace m1::batch {

namespace {

namespace fs = std::filesystem;

constexpr std::pair<const char*, search_algorithm_kind> algorithms[] = {
    {"cmaes", search_algorithm_kind::cmaes},   {"sade", search_algorithm_kind::sade},
    {"de", search_algorithm_kind::de},         {"pso", search_algorithm_kind::pso},
    {"nsga2", search_algorithm_kind::nsga2},   {"random", search_algorithm_kind::random},
    {"latin_hypercube", search_algorithm_kind::latin_hypercube}};
constexpr const char* algorithm_list = "cmaes, sade, de, pso, nsga2, random, latin_hypercube";
constexpr std::size_t default_generations = 25;

// What the readers of one search file share.
struct search_reading {
    const fs::path& file;
    const toml::table& optimize;  // [optimize]
    search_spec& spec;
    first_values first;           // per param: its range's lo, and where the range is written
    table_reading table() const { return {file, optimize, "optimize", spec.runs}; }
    std::string key(const std::string& name) const { return "optimize." + name; }
};

// A whole number >= `least` at `name`, if given.
std::optional<std::size_t> whole_number(const search_reading& r, const std::string& name,
                                        std::int64_t least) {
    const toml::node* n = r.optimize.get(name);
    if (!n) return std::nullopt;
    if (!n->is_integer() || n->as_integer()->get() < least)
        fail_at(r.file, r.key(name), n, "must be a whole number >= " + std::to_string(least));
    return static_cast<std::size_t>(n->as_integer()->get());
}

// A finite number at `key` of `table`, if given; `positive`: > 0.
std::optional<double> number(const fs::path& file, const toml::table& table, const std::string& name,
                             const std::string& key, bool positive) {
    const toml::node* n = table.get(name);
    if (!n) return std::nullopt;
    const auto v = n->value<double>();  // integers too
    if (!n->is_number() || !v || !std::isfinite(*v))
        fail_at(file, key, n, "must be a finite number");
    if (positive && !(*v > 0)) fail_at(file, key, n, "must be a number > 0");
    return *v;
}

// ---------------------------------------------------------------------------------------------
// The [optimize] table's own keys.

void check_optimize_keys(const search_reading& r) {
    check_table_keys(r.table(), {"algorithm", "population", "generations", "max_evaluations", "seed",
                                 "replicates", "replicate_seeds", "timeout_s", "analysis", "fitness",
                                 "max_fitness", "param", "objective"});
}

void read_algorithm(const search_reading& r) {
    const toml::node* n = r.optimize.get("algorithm");
    if (!n) return;
    const auto name = n->value<std::string>();
    for (const auto& [known, kind] : algorithms)
        if (name && *name == known) {
            r.spec.algorithm = kind;
            return;
        }
    fail_at(r.file, r.key("algorithm"), n, std::string("unknown algorithm (") + algorithm_list + ")");
}

// Why the algorithm needs that many candidates per generation.
std::string minimum_reason(search_algorithm_kind a) {
    switch (a) {
        case search_algorithm_kind::cmaes:
            return "ours, as pagmo 2.18's cmaes: CMA-ES recombines the best population / 2 candidates, "
                   "which needs at least 2 of them";
        case search_algorithm_kind::nsga2:
            return "pagmo 2.18's nsga2 needs at least 5 and a multiple of 4";
        case search_algorithm_kind::pso:
            return "pagmo 2.18's pso_gen refuses an empty swarm, and its default ring topology "
                   "reads past the end of a swarm of 1";
        case search_algorithm_kind::random:
        case search_algorithm_kind::latin_hypercube: return "a generation has at least one candidate";
        default:
            return "pagmo 2.18's " + algorithm_name(a) + " needs at least " +
                   std::to_string(minimum_population(a)) + " individuals";
    }
}

void read_population(const search_reading& r) {
    const toml::node* n = r.optimize.get("population");
    if (const auto p = whole_number(r, "population", 1)) r.spec.population = *p;
    const search_algorithm_kind a = r.spec.algorithm;
    const std::string name = algorithm_name(a), size = std::to_string(r.spec.population);
    const toml::node* at = n ? n : r.optimize.get("algorithm");
    if (r.spec.population < minimum_population(a))
        fail_at(r.file, r.key("population"), at,
                "population " + size + " is below " + name + "'s minimum of " +
                    std::to_string(minimum_population(a)) + " (" + minimum_reason(a) + ")");
    if (a == search_algorithm_kind::nsga2 && r.spec.population % 4 != 0)
        fail_at(r.file, r.key("population"), at,
                "population " + size + " is not a multiple of 4 (" + minimum_reason(a) + ")");
}

// generations or max_evaluations: one of the two; neither is generations = 25.
void read_budget(const search_reading& r) {
    search_spec& s = r.spec;
    s.generations = whole_number(r, "generations", 1);
    s.max_evaluations = whole_number(r, "max_evaluations", 1);
    if (s.generations && s.max_evaluations)
        fail_at(r.file, r.key("max_evaluations"), r.optimize.get("max_evaluations"),
                "give generations or max_evaluations, not both");
    if (s.max_evaluations && *s.max_evaluations < s.population)
        fail_at(r.file, r.key("max_evaluations"), r.optimize.get("max_evaluations"),
                "max_evaluations " + std::to_string(*s.max_evaluations) + " is less than one " +
                    "generation (population " + std::to_string(s.population) + ")");
    if (!s.generations && !s.max_evaluations) s.generations = default_generations;
}

void read_seed(const search_reading& r) {
    const toml::node* n = r.optimize.get("seed");
    if (!n) return;
    if (!n->is_integer() || n->as_integer()->get() < 0 ||
        static_cast<std::uint64_t>(n->as_integer()->get()) > max_seed)
        fail_at(r.file, r.key("seed"), n,
                "must be a whole number from 0 to 4294967295 (pagmo's algorithms take an unsigned "
                "seed)");
    r.spec.seed = static_cast<std::uint64_t>(n->as_integer()->get());
}

void read_fitness(const search_reading& r) {
    if (const toml::node* n = r.optimize.get("fitness")) {
        const auto name = n->value<std::string>();
        if (!name || (*name != "netpyne" && *name != "squared"))
            fail_at(r.file, r.key("fitness"), n, "unknown fitness (netpyne, squared)");
        r.spec.fitness = *name == "netpyne" ? fitness_kind::netpyne : fitness_kind::squared;
    }
    // Both forms: the cap of an objective's score, and the score of a failed candidate.
    if (const auto v = number(r.file, r.optimize, "max_fitness", r.key("max_fitness"), true))
        r.spec.max_fitness = *v;
}

// ---------------------------------------------------------------------------------------------
// [[optimize.param]] and [[optimize.objective]]

// The entries of [[optimize.`name`]]: at least one; `what` says what they are for.
const toml::array& entries(const search_reading& r, const std::string& name, const std::string& what) {
    const toml::node* n = r.optimize.get(name);
    const std::string key = r.key(name);
    const toml::array* a = n ? n->as_array() : nullptr;
    if (n && (!a || !a->is_array_of_tables()))
        fail_at(r.file, key, n, "must be [[" + key + "]] tables");
    if (!a || a->empty())
        fail_at(r.file, key, &r.optimize, "a search needs [[" + key + "]] entries: " + what);
    return *a;
}

void check_param_keys(const search_reading& r, const toml::table& entry, const std::string& key) {
    for (auto&& [k, node] : entry) {
        const std::string name(k.str());
        if (name == "values")
            fail_at(r.file, key + ".values", &node,
                    "a search explores range = [lo, hi]: the algorithms move through a box of "
                    "numbers, so a list of values (a choice among them) is not supported yet; "
                    "sweep it, or run one search per value");
        if (name != "path" && name != "range" && name != "log")
            fail_at(r.file, key + "." + name, &node,
                    "unknown key (an [[optimize.param]] has path, range, log)");
    }
}

void read_param(search_reading& r, const toml::table& entry, const std::string& key) {
    check_param_keys(r, entry, key);
    parameter p = read_parameter_path(entry, r.file, key);
    read_parameter_range(p, entry, r.file, key);
    const double lo = (*p.range)[0];
    r.first.values.push_back(p.integer ? param_value(static_cast<std::int64_t>(lo)) : param_value(lo));
    r.first.where.push_back(toml_location(r.file, key + ".range", entry.get("range")));
    r.spec.runs.params.push_back(std::move(p));
    r.spec.runs.groups.emplace_back();
}

void read_params(search_reading& r) {
    const toml::array& a = entries(r, "param", "what the search varies");
    for (std::size_t i = 0; i < a.size(); ++i)
        read_param(r, *a.get(i)->as_table(), indexed(r.key("param"), i));
    check_distinct_parameters(r.spec.runs.params, r.key("param"));
    check_against_run_keys(r.spec.runs.params, r.spec.runs.config, r.key("param"));
}

// ---------------------------------------------------------------------------------------------
// Objectives: their columns, against the model and the runs' [lfp].

// What a column may name after its family's ':'.
enum class subject { none, population, electrode, pair };

struct column_family {
    const char* name;
    const char* measure;
    subject names;
};

constexpr column_family families[] = {
    {"rate_hz", "rates", subject::none},        {"peak_hz", "rate_psd", subject::none},
    {"theta", "rate_psd", subject::none},       {"alpha", "rate_psd", subject::none},
    {"beta", "rate_psd", subject::none},        {"gamma", "rate_psd", subject::none},
    {"rate_hz", "rates", subject::population},  {"cv_isi", "rates", subject::population},
    {"lfp_peak_hz", "lfp", subject::electrode}, {"granger_peak", "granger", subject::pair},
    {"nte", "nte", subject::pair},              {"nte_z", "nte", subject::pair},
    {"nte_p", "nte", subject::pair}};

constexpr const char* column_list =
    "rate_hz, peak_hz, theta, alpha, beta, gamma, rate_hz:<population>, cv_isi:<population>, "
    "lfp_peak_hz:<electrode>, granger_peak:<pre>__<post>, nte:<a>__<b>, nte_z:<a>__<b>, "
    "nte_p:<a>__<b>";

// What a column may name: the model's populations, the runs' electrodes.
struct column_names {
    std::vector<std::string> populations, electrodes;
    bool lfp_recorded = true;
};

column_names names_of(const model_spec& model, const run_config& config) {
    column_names names;
    for (const population_spec& p : model.populations) names.populations.push_back(p.name);
    const auto electrodes =
        config.lfp.electrodes.empty() ? default_electrodes(model) : config.lfp.electrodes;
    for (const electrode_spec& e : electrodes) names.electrodes.push_back(e.name);
    names.lfp_recorded = config.lfp.record;
    return names;
}

std::string listed(const std::vector<std::string>& names) {
    std::string out;
    for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
    return out.empty() ? "none" : out;
}

bool contains(const std::vector<std::string>& names, const std::string& name) {
    return std::find(names.begin(), names.end(), name) != names.end();
}

// "pre__post" of two different populations (a name may hold "__": any split that names two).
bool is_pair(const column_names& names, const std::string& text) {
    for (std::size_t at = text.find("__"); at != std::string::npos; at = text.find("__", at + 1)) {
        const std::string a = text.substr(0, at), b = text.substr(at + 2);
        if (a != b && contains(names.populations, a) && contains(names.populations, b)) return true;
    }
    return false;
}

// "" when `name` is one the family names, else why not.
std::string unknown_subject(const column_names& names, subject what, const std::string& name) {
    const std::string pops = listed(names.populations);
    switch (what) {
        case subject::population:
            return contains(names.populations, name) ? ""
                   : "'" + name + "' is not a population of the model (" + pops + ")";
        case subject::electrode:
            if (!names.lfp_recorded) return "the runs record no LFP ([lfp] record = false)";
            return contains(names.electrodes, name) ? ""
                   : "'" + name + "' is not an electrode of the runs (" + listed(names.electrodes) + ")";
        case subject::pair:
            return is_pair(names, name) ? ""
                   : "'" + name + "' is not <pre>__<post> of two different populations of the model (" +
                         pops + ")";
        case subject::none: return "";
    }
    return "";
}

// The measure the column needs; an unknown family or name is refused.
std::string measure_of(const column_names& names, const std::string& column, const fs::path& file,
                       const std::string& key, const toml::node* node) {
    const std::size_t colon = column.find(':');
    const std::string family = column.substr(0, colon);
    for (const column_family& f : families) {
        if (family != f.name || (colon == std::string::npos) != (f.names == subject::none)) continue;
        const std::string why = unknown_subject(names, f.names, column.substr(colon + 1));
        if (!why.empty()) fail_at(file, key, node, why);
        return f.measure;
    }
    fail_at(file, key, node, "unknown column '" + column + "' (a summary column of m1analyze: " +
                                 column_list + ")");
}

void check_objective_keys(const fs::path& file, const toml::table& entry, const std::string& key) {
    static const std::set<std::string> keys = {"column", "target", "width", "min", "range", "weight"};
    for (auto&& [k, node] : entry)
        if (!keys.count(std::string(k.str())))
            fail_at(file, key + "." + std::string(k.str()), &node,
                    "unknown key (an [[optimize.objective]] has column, target, width, min, range, "
                    "weight)");
}

// range = [lo, hi]: two finite numbers, lo < hi.
std::array<double, 2> read_objective_range(const fs::path& file, const toml::node& n,
                                           const std::string& key) {
    const toml::array* a = n.as_array();
    if (!a || a->size() != 2 || !a->get(0)->is_number() || !a->get(1)->is_number())
        fail_at(file, key, &n, "must be [lo, hi]: two numbers");
    const double lo = *a->get(0)->value<double>(), hi = *a->get(1)->value<double>();
    if (!std::isfinite(lo) || !std::isfinite(hi) || !(lo < hi))
        fail_at(file, key, &n, "must be [lo, hi] with lo < hi");
    return {lo, hi};
}

// target and width, or range (width optional: default hi - lo); min with netpyne's fitness only.
void read_objective_form(const search_reading& r, objective& o, const toml::table& e,
                         const std::string& key) {
    o.target = number(r.file, e, "target", key + ".target", false);
    o.width = number(r.file, e, "width", key + ".width", true);
    o.min = number(r.file, e, "min", key + ".min", false);
    const toml::node* range = e.get("range");
    if (o.target && range)
        fail_at(r.file, key + ".range", range, "give target (and width) or range, not both");
    if (range) o.range = read_objective_range(r.file, *range, key + ".range");
    if (!o.target && !o.range)
        fail_at(r.file, key, &e, "missing: target = ... with width = ..., or range = [lo, hi]");
    if (o.target && !o.width)
        fail_at(r.file, key + ".width", &e, "missing: a target needs width = ... (> 0)");
    if (o.range && !o.width) o.width = (*o.range)[1] - (*o.range)[0];
    if (o.min && r.spec.fitness != fitness_kind::netpyne)
        fail_at(r.file, key + ".min", e.get("min"),
                "min belongs to fitness = \"netpyne\" (below it an objective scores max_fitness); "
                "this search's fitness is \"squared\"");
}

objective read_objective(const search_reading& r, const column_names& names, const toml::table& e,
                         const std::string& key) {
    check_objective_keys(r.file, e, key);
    objective o;
    const toml::node* c = e.get("column");
    if (!c)
        fail_at(r.file, key + ".column", &e,
                std::string("missing: column = \"...\" (") + column_list + ")");
    if (!c->is_string()) fail_at(r.file, key + ".column", c, "must be the name of a summary column");
    o.column = c->as_string()->get();
    o.where = toml_location(r.file, key + ".column", c);
    o.measure = measure_of(names, o.column, r.file, key + ".column", c);
    for (const objective& other : r.spec.objectives)
        if (other.column == o.column)
            fail_at(r.file, key + ".column", c,
                    "'" + o.column + "' is already an objective (line " +
                        std::to_string(other.where.line) + "): one objective per column, weight sets "
                        "its share");
    read_objective_form(r, o, e, key);
    if (const auto w = number(r.file, e, "weight", key + ".weight", true)) o.weight = *w;
    return o;
}

void read_objectives(search_reading& r, const model_spec& model) {
    const toml::array& a = entries(r, "objective", "what the runs are scored on");
    const column_names names = names_of(model, r.spec.runs.config);
    for (std::size_t i = 0; i < a.size(); ++i)
        r.spec.objectives.push_back(
            read_objective(r, names, *a.get(i)->as_table(), indexed(r.key("objective"), i)));
    if (r.spec.algorithm == search_algorithm_kind::nsga2 && r.spec.objectives.size() < 2)
        fail_at(r.file, r.key("objective"), &r.optimize,
                "nsga2 is multi-objective: it needs at least 2 [[optimize.objective]] entries (pagmo "
                "2.18's nsga2 refuses a problem with one)");
}

// The analysis asked for plus what the objectives need, in the order rates, rate_psd, granger, nte, lfp.
void add_measures(search_spec& spec) {
    std::vector<std::string> wanted = spec.runs.analysis;
    for (const objective& o : spec.objectives) wanted.push_back(o.measure);
    spec.runs.analysis.clear();
    for (const char* m : analysis_measures)
        if (contains(wanted, m)) spec.runs.analysis.push_back(m);
}

}  // namespace

std::string algorithm_name(search_algorithm_kind algorithm) {
    for (const auto& [name, kind] : algorithms)
        if (kind == algorithm) return name;
    return "cmaes";
}

std::size_t minimum_population(search_algorithm_kind algorithm) {
    return minimum_population(algorithm_name(algorithm));  // search_algorithm.hpp's table
}

std::size_t generation_budget(const search_spec& s) {
    if (s.max_evaluations) return (*s.max_evaluations + s.population - 1) / s.population;
    return s.generations.value();
}

bool is_search_file(const fs::path& file) { return parse_toml_file(file).contains("optimize"); }

search_spec load_search(const fs::path& file) {
    search_spec spec;
    sweep_spec& runs = spec.runs;
    std::vector<source_file> chain = read_batch_file(file, runs);
    const toml::table& top = chain.front().table;
    const toml::table& optimize =
        own_table(top, file, "optimize", "a search file has an [optimize] table");
    search_reading r{file, optimize, spec, {}};
    runs.model = json_document::read_file(runs.config.model);
    runs.method = sweep_method::list;  // no points: the search sets them per generation
    runs.copy_name = "optimize.toml";
    check_optimize_keys(r);
    read_algorithm(r);
    read_population(r);
    read_budget(r);
    read_seed(r);
    read_run_policy(r.table());
    read_fitness(r);
    read_params(r);
    read_objectives(r, check_model(r.table(), r.first));
    add_measures(spec);
    write_self_contained(r.table());
    carry_cluster_tables(chain, runs);
    return spec;
}

}  // namespace m1::batch
