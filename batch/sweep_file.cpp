#include "batch/sweep_file.hpp"

#include "batch/batch_file.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace m1::batch {

namespace {

namespace fs = std::filesystem;

std::string method_name(sweep_method m) {
    switch (m) {
        case sweep_method::grid: return "grid";
        case sweep_method::list: return "list";
        case sweep_method::random: return "random";
        case sweep_method::latin_hypercube: return "latin_hypercube";
    }
    return "grid";
}

bool is_sampled(sweep_method m) {
    return m == sweep_method::random || m == sweep_method::latin_hypercube;
}

// What a file without [sweep] is missing.
std::string missing_sweep(const toml::table& top) {
    if (top.contains("optimize"))
        return "a sweep file has a [sweep] table; this one has [optimize]: it is a search";
    return "a sweep file has a [sweep] table (a file without one is a single run)";
}

// ---------------------------------------------------------------------------------------------
// The [sweep] table's own keys.

// What the readers of one sweep file share.
struct reading {
    const fs::path& file;
    const toml::table& sweep;             // [sweep]
    sweep_spec& spec;
    const toml::array* entries = nullptr; // [[sweep.param]]
    std::vector<source_location> first;   // per param: where the first run's value is written
    table_reading table() const { return {file, sweep, "sweep", spec}; }
};

void check_sweep_keys(const reading& r) {
    check_table_keys(r.table(), {"method", "replicates", "replicate_seeds", "timeout_s", "analysis",
                                 "param", "points", "samples", "sampling_seed"});
}

// method, and the keys that belong to another method.
void read_method(const reading& r) {
    if (const toml::node* n = r.sweep.get("method")) {
        static const std::map<std::string, sweep_method> methods = {
            {"grid", sweep_method::grid}, {"list", sweep_method::list},
            {"random", sweep_method::random}, {"latin_hypercube", sweep_method::latin_hypercube}};
        const auto it = n->is_string() ? methods.find(n->as_string()->get()) : methods.end();
        if (it == methods.end())
            fail_at(r.file, "sweep.method", n,
                    "must be \"grid\", \"list\", \"random\" or \"latin_hypercube\"");
        r.spec.method = it->second;
    }
    const std::string method = method_name(r.spec.method);
    if (const toml::node* n = r.sweep.get("points"); n && r.spec.method != sweep_method::list)
        fail_at(r.file, "sweep.points", n,
                "points belong to method = \"list\"; this sweep's method is \"" + method + "\"");
    for (const char* key : {"samples", "sampling_seed"})
        if (const toml::node* n = r.sweep.get(key); n && !is_sampled(r.spec.method))
            fail_at(r.file, std::string("sweep.") + key, n,
                    std::string(key) + " is for method = \"random\" or \"latin_hypercube\"; this "
                    "sweep's method is \"" + method + "\"");
}

void read_samples(const reading& r) {
    if (!is_sampled(r.spec.method)) return;
    const toml::node* n = r.sweep.get("samples");
    if (!n)
        fail_at(r.file, "sweep.samples", &r.sweep,
                "missing: a " + method_name(r.spec.method) + " sweep needs samples = N (N >= 1)");
    if (!n->is_integer() || n->as_integer()->get() < 1)
        fail_at(r.file, "sweep.samples", n, "must be a whole number >= 1");
    r.spec.samples = static_cast<std::size_t>(n->as_integer()->get());
    if (const toml::node* s = r.sweep.get("sampling_seed")) {
        if (!s->is_integer() || s->as_integer()->get() < 0)
            fail_at(r.file, "sweep.sampling_seed", s, "must be a whole number >= 0");
        r.spec.sampling_seed = static_cast<std::uint64_t>(s->as_integer()->get());
    }
}

// ---------------------------------------------------------------------------------------------
// [[sweep.param]], per method.

void read_entries(reading& r) {
    if (const toml::node* n = r.sweep.get("param")) {
        r.entries = n->as_array();
        if (!r.entries || !r.entries->is_array_of_tables())
            fail_at(r.file, "sweep.param", n, "must be [[sweep.param]] tables");
    }
    const std::size_t count = r.entries ? r.entries->size() : 0;
    if (count == 0 && r.spec.method != sweep_method::grid)
        fail_at(r.file, "sweep.param", &r.sweep,
                "a " + method_name(r.spec.method) + " sweep needs [[sweep.param]] entries");
    if (count == 0 && r.spec.replicates < 2)
        fail_at(r.file, "sweep.param", &r.sweep,
                "nothing to sweep: give [[sweep.param]] entries, or replicates > 1");
}

// Why `name` does not belong in a [[sweep.param]] of this method ("" when it does).
std::string misplaced(sweep_method method, const std::string& name) {
    if (method == sweep_method::grid && (name == "range" || name == "log"))
        return "a grid sweep lists values = [...]; range and log are for random and "
               "latin_hypercube sweeps";
    if (method == sweep_method::list && name != "path")
        return "a list sweep's [[sweep.param]] has only path; its values are in [sweep] points";
    if (is_sampled(method) && (name == "values" || name == "group"))
        return "a " + method_name(method) + " sweep samples range = [lo, hi]; values and group are "
               "for grid sweeps";
    return "";
}

void check_param_keys(const reading& r, const toml::table& entry, const std::string& key) {
    static const std::set<std::string> param_keys = {"path", "values", "group", "range", "log"};
    for (auto&& [k, node] : entry) {
        const std::string name(k.str());
        if (!param_keys.count(name))
            fail_at(r.file, key + "." + name, &node,
                    "unknown key (a [[sweep.param]] has path, values, group, range, log)");
        if (const std::string why = misplaced(r.spec.method, name); !why.empty())
            fail_at(r.file, key + "." + name, &node, name + " does not belong here: " + why);
    }
}

// A grid parameter: values, and its group (a repeated value only matters on an axis of its own).
std::string read_grid_param(const reading& r, parameter& p, const toml::table& entry,
                            const std::string& key) {
    read_parameter_values(p, entry, r.file, key);
    std::string group;
    if (const toml::node* g = entry.get("group")) {
        if (!g->is_string() || g->as_string()->get().empty())
            fail_at(r.file, key + ".group", g, "must be a non-empty string");
        group = g->as_string()->get();
    }
    if (group.empty()) check_distinct_values(p, entry, r.file, key);
    return group;
}

void read_param(reading& r, std::size_t i) {
    const toml::table& entry = *r.entries->get(i)->as_table();
    const std::string key = indexed("sweep.param", i);
    check_param_keys(r, entry, key);
    parameter p = read_parameter_path(entry, r.file, key);
    std::string group;
    source_location first;
    if (r.spec.method == sweep_method::grid) {
        group = read_grid_param(r, p, entry, key);
        first = toml_location(r.file, key + ".values[0]", entry.get("values")->as_array()->get(0));
    } else if (is_sampled(r.spec.method)) {
        read_parameter_range(p, entry, r.file, key);
        first = toml_location(r.file, key + ".range", entry.get("range"));
    }
    r.spec.params.push_back(std::move(p));
    r.spec.groups.push_back(std::move(group));
    r.first.push_back(std::move(first));
}

void read_params(reading& r) {
    read_entries(r);
    const std::size_t count = r.entries ? r.entries->size() : 0;
    for (std::size_t i = 0; i < count; ++i) read_param(r, i);
    check_distinct_parameters(r.spec.params, "sweep.param");
    check_against_run_keys(r.spec.params, r.spec.config, "sweep.param");
}

// ---------------------------------------------------------------------------------------------
// list: [sweep] points.

std::vector<param_value> read_point(const reading& r, const toml::array& points, std::size_t q) {
    const std::string key = indexed("sweep.points", q);
    const toml::array* point = points.get(q)->as_array();
    const std::size_t count = r.spec.params.size();
    if (!point) fail_at(r.file, key, points.get(q), "a point is a list of values, one per [[sweep.param]]");
    if (point->size() != count)
        fail_at(r.file, key, points.get(q),
                "a point has one value per [[sweep.param]] (" + std::to_string(count) +
                    "), this one has " + std::to_string(point->size()));
    std::vector<param_value> values;
    values.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        const std::string vkey = indexed(key, i);
        param_value v = read_value(r.file, vkey, *point->get(i));
        if (q > 0)
            check_same_type(v, r.spec.points.front()[i], indexed(indexed("sweep.points", 0), i),
                            r.file, vkey, point->get(i));
        check_run_value(r.spec.params[i], v, r.file, vkey, point->get(i));
        values.push_back(std::move(v));
    }
    return values;
}

void read_points(reading& r) {
    if (r.spec.method != sweep_method::list) return;
    const toml::node* n = r.sweep.get("points");
    if (!n)
        fail_at(r.file, "sweep.points", &r.sweep,
                "missing: a list sweep gives points = [[v1, v2, ...], ...]");
    const toml::array* a = n->as_array();
    if (!a || a->empty())
        fail_at(r.file, "sweep.points", n, "must be a non-empty list of points [[v1, v2, ...], ...]");
    r.spec.points.reserve(a->size());
    for (std::size_t q = 0; q < a->size(); ++q) r.spec.points.push_back(read_point(r, *a, q));
    for (std::size_t i = 0; i < r.spec.params.size(); ++i)
        r.first[i] = toml_location(r.file, "sweep.points[0][" + std::to_string(i) + "]",
                                   a->get(0)->as_array()->get(i));
}

// grid: the lists of one group are zipped, so they must be equally long.
void check_groups(const reading& r) {
    if (r.spec.method != sweep_method::grid) return;
    std::map<std::string, std::size_t> first_of_group;
    for (std::size_t i = 0; i < r.spec.params.size(); ++i) {
        const std::string& group = r.spec.groups[i];
        if (group.empty()) continue;
        auto [it, fresh] = first_of_group.emplace(group, i);
        if (fresh) continue;
        const std::size_t want = r.spec.params[it->second].values.size();
        const std::size_t have = r.spec.params[i].values.size();
        if (want != have)
            fail_at(r.file, indexed("sweep.param", i) + ".values",
                    r.entries->get(i)->as_table()->get("values"),
                    "group '" + group + "' zips lists of equal length: " +
                        indexed("sweep.param", it->second) + " has " + std::to_string(want) +
                        " values, this list has " + std::to_string(have));
    }
}

// A parameter with a float among its values sets floats throughout (1 and 1.0 alike).
void widen(const std::vector<param_value*>& values) {
    const bool any_float = std::any_of(values.begin(), values.end(), [](const param_value* v) {
        return std::holds_alternative<double>(*v);
    });
    if (!any_float) return;
    for (param_value* v : values)
        if (const auto* i = std::get_if<std::int64_t>(v)) *v = static_cast<double>(*i);
}

void widen_values(sweep_spec& spec) {
    for (std::size_t i = 0; i < spec.params.size(); ++i) {
        std::vector<param_value*> column;
        if (spec.method == sweep_method::grid)
            for (param_value& v : spec.params[i].values) column.push_back(&v);
        if (spec.method == sweep_method::list)
            for (auto& point : spec.points) column.push_back(&point[i]);
        widen(column);
    }
}

// ---------------------------------------------------------------------------------------------
// Checks against the model.

// The first run's value of each parameter.
std::vector<param_value> first_run_values(const sweep_spec& spec) {
    std::vector<param_value> first(spec.params.size());
    for (std::size_t i = 0; i < spec.params.size(); ++i) {
        const parameter& p = spec.params[i];
        if (spec.method == sweep_method::grid) first[i] = p.values.front();
        else if (spec.method == sweep_method::list) first[i] = spec.points.front()[i];
        else first[i] = p.integer ? param_value(static_cast<std::int64_t>((*p.range)[0]))
                                  : param_value((*p.range)[0]);
    }
    return first;
}

}  // namespace

bool is_sweep_file(const std::filesystem::path& file) {
    return parse_toml_file(file).contains("sweep");
}

sweep_spec load_sweep(const std::filesystem::path& file) {
    sweep_spec spec;
    std::vector<source_file> chain = read_batch_file(file, spec);
    const toml::table& top = chain.front().table;
    reading r{file, own_table(top, file, "sweep", missing_sweep(top)), spec, nullptr, {}};
    spec.model = json_document::read_file(spec.config.model);
    check_sweep_keys(r);
    read_method(r);
    read_run_policy(r.table());
    read_samples(r);
    read_params(r);
    read_points(r);
    check_groups(r);
    widen_values(spec);
    check_model(r.table(), {first_run_values(spec), r.first});
    write_self_contained(r.table());
    carry_cluster_tables(chain, spec);
    return spec;
}

}  // namespace m1::batch
