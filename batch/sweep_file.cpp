#include "batch/sweep_file.hpp"

#include "batch/sweep_expansion.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

namespace m1::batch {

namespace {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

[[noreturn]] void fail(const fs::path& file, const std::string& key, const toml::node* node,
                       const std::string& what) {
    throw input_error(toml_location(file, key, node), what);
}

std::string indexed(const std::string& key, std::size_t i) {
    return key + "[" + std::to_string(i) + "]";
}

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

// ---------------------------------------------------------------------------------------------
// The chain of files: the sweep file and its base files.

struct source_file {
    fs::path path;
    toml::table table;
};

fs::path identity(const fs::path& p) {
    std::error_code ec;
    fs::path c = fs::weakly_canonical(p, ec);
    return ec ? fs::absolute(p, ec).lexically_normal() : c;
}

// The base file `current` names, checked: it exists and closes no cycle.
fs::path base_of(const std::vector<source_file>& chain, const std::vector<fs::path>& seen,
                 const toml::node& node) {
    const fs::path current = chain.back().path;
    if (!node.is_string() || node.as_string()->get().empty())
        fail(current, "base", &node, "must be the path of a run configuration");
    fs::path base = node.as_string()->get();
    if (base.is_relative()) base = current.parent_path() / base;
    base = base.lexically_normal();
    if (std::find(seen.begin(), seen.end(), identity(base)) != seen.end()) {
        std::string cycle;
        for (const source_file& s : chain) cycle += s.path.string() + " -> ";
        fail(current, "base", &node, "base files form a cycle: " + cycle + base.string());
    }
    std::error_code ec;
    if (!fs::is_regular_file(base, ec)) fail(current, "base", &node, "no such file: " + base.string());
    return base;
}

// The sweep file and its chain of base files, the sweep file first.
std::vector<source_file> read_sources(const fs::path& file) {
    std::vector<source_file> chain;
    std::vector<fs::path> seen{identity(file)};
    chain.push_back({file, parse_toml_file(file)});
    while (const toml::node* node = chain.back().table.get("base")) {
        const fs::path base = base_of(chain, seen, *node);
        seen.push_back(identity(base));
        toml::table table = parse_toml_file(base);
        if (const toml::node* s = table.get("sweep"))
            fail(base, "sweep", s,
                 "a base file gives run keys only; the [sweep] table belongs in the sweep file");
        chain.push_back({base, std::move(table)});
    }
    return chain;
}

// Run keys: the deepest base first, each file overriding what it sets; [cluster] carried along.
void read_chain(const std::vector<source_file>& chain, sweep_spec& spec) {
    for (std::size_t i = chain.size(); i-- > 1;) {
        if (const toml::node* n = chain[i].table.get("name"); n && !n->is_string())
            fail(chain[i].path, "name", n, "must be a string");
        read_run_keys(chain[i].table, chain[i].path, spec.config, {"base", "name", "cluster"});
    }
    read_run_keys(chain.front().table, spec.file, spec.config, {"base", "name", "sweep", "cluster"});
    for (std::size_t i = chain.size(); i-- > 0;)
        if (const toml::node* n = chain[i].table.get("cluster")) {
            const toml::table* t = n->as_table();
            if (!t) fail(chain[i].path, "cluster", n, "must be a table: [cluster]");
        }
    spec.config.file = spec.file;
    require_model_and_output(spec.config);
}

void read_name(const toml::table& top, sweep_spec& spec) {
    spec.name = spec.file.stem().string();
    if (const toml::node* n = top.get("name")) {
        if (!n->is_string() || n->as_string()->get().empty())
            fail(spec.file, "name", n, "must be a non-empty string");
        spec.name = n->as_string()->get();
    }
}

const toml::table& sweep_table(const toml::table& top, const fs::path& file) {
    const toml::node* node = top.get("sweep");
    if (!node)
        fail(file, "sweep", nullptr,
             "missing: a sweep file has a [sweep] table (a file without one is a single run)");
    const toml::table* sw = node->as_table();
    if (!sw) fail(file, "sweep", node, "must be a table: [sweep]");
    return *sw;
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
};

void check_sweep_keys(const reading& r) {
    static const std::set<std::string> sweep_keys = {
        "method", "replicates", "replicate_seeds", "timeout_s", "analysis",
        "param", "points", "samples", "sampling_seed"};
    for (auto&& [k, node] : r.sweep)
        if (!sweep_keys.count(std::string(k.str())))
            fail(r.file, "sweep." + std::string(k.str()), &node,
                 "unknown key (a [sweep] table has method, replicates, replicate_seeds, timeout_s, "
                 "analysis, param, points, samples, sampling_seed)");
}

// method, and the keys that belong to another method.
void read_method(const reading& r) {
    if (const toml::node* n = r.sweep.get("method")) {
        static const std::map<std::string, sweep_method> methods = {
            {"grid", sweep_method::grid}, {"list", sweep_method::list},
            {"random", sweep_method::random}, {"latin_hypercube", sweep_method::latin_hypercube}};
        const auto it = n->is_string() ? methods.find(n->as_string()->get()) : methods.end();
        if (it == methods.end())
            fail(r.file, "sweep.method", n, "must be \"grid\", \"list\", \"random\" or \"latin_hypercube\"");
        r.spec.method = it->second;
    }
    const std::string method = method_name(r.spec.method);
    if (const toml::node* n = r.sweep.get("points"); n && r.spec.method != sweep_method::list)
        fail(r.file, "sweep.points", n,
             "points belong to method = \"list\"; this sweep's method is \"" + method + "\"");
    for (const char* key : {"samples", "sampling_seed"})
        if (const toml::node* n = r.sweep.get(key); n && !is_sampled(r.spec.method))
            fail(r.file, std::string("sweep.") + key, n,
                 std::string(key) + " is for method = \"random\" or \"latin_hypercube\"; this "
                 "sweep's method is \"" + method + "\"");
}

void read_replicate_seeds(const reading& r, const toml::node& n) {
    const toml::array* a = n.as_array();
    if (!a || a->empty())
        fail(r.file, "sweep.replicate_seeds", &n,
             "must be a non-empty list of seed names: \"conn\", \"stim\", \"loc\"");
    std::vector<std::string>& seeds = r.spec.replicate_seeds;
    seeds.clear();
    for (std::size_t i = 0; i < a->size(); ++i) {
        const toml::node& e = *a->get(i);
        const std::string key = indexed("sweep.replicate_seeds", i);
        const std::string name = e.is_string() ? e.as_string()->get() : std::string();
        if (name != "conn" && name != "stim" && name != "loc")
            fail(r.file, key, &e, "a seed name is \"conn\", \"stim\" or \"loc\"");
        if (std::find(seeds.begin(), seeds.end(), name) != seeds.end())
            fail(r.file, key, &e, "\"" + name + "\" is named twice");
        seeds.push_back(name);
    }
}

void read_replicates(const reading& r) {
    if (const toml::node* n = r.sweep.get("replicates")) {
        if (!n->is_integer() || n->as_integer()->get() < 1)
            fail(r.file, "sweep.replicates", n, "must be a whole number >= 1");
        r.spec.replicates = static_cast<std::size_t>(n->as_integer()->get());
    }
    if (const toml::node* n = r.sweep.get("replicate_seeds")) read_replicate_seeds(r, *n);
}

void read_timeout(const reading& r) {
    if (const toml::node* n = r.sweep.get("timeout_s")) {
        const auto v = n->value<double>();  // integers too
        if (!n->is_number() || !v || !(*v > 0) || !std::isfinite(*v))
            fail(r.file, "sweep.timeout_s", n, "must be a positive number of seconds");
        r.spec.timeout_s = *v;
    }
}

// The measures run right after each run (m1analyze's defaults for their parameters).
void read_analysis(const reading& r) {
    const toml::node* n = r.sweep.get("analysis");
    if (!n) return;
    const toml::array* a = n->as_array();
    if (!a) fail(r.file, "sweep.analysis", n, "must be a list of rates, rate_psd, granger, nte, lfp");
    std::vector<std::string>& analysis = r.spec.analysis;
    for (std::size_t i = 0; i < a->size(); ++i) {
        const toml::node& item = *a->get(i);
        const auto name = item.value<std::string>();
        if (!name || (*name != "rates" && *name != "rate_psd" && *name != "granger" &&
                      *name != "nte" && *name != "lfp"))
            fail(r.file, indexed("sweep.analysis", i), &item,
                 "unknown analysis (rates, rate_psd, granger, nte, lfp)");
        if (std::find(analysis.begin(), analysis.end(), *name) != analysis.end())
            fail(r.file, indexed("sweep.analysis", i), &item, "listed twice");
        analysis.push_back(*name);
    }
}

void read_samples(const reading& r) {
    if (!is_sampled(r.spec.method)) return;
    const toml::node* n = r.sweep.get("samples");
    if (!n)
        fail(r.file, "sweep.samples", &r.sweep,
             "missing: a " + method_name(r.spec.method) + " sweep needs samples = N (N >= 1)");
    if (!n->is_integer() || n->as_integer()->get() < 1)
        fail(r.file, "sweep.samples", n, "must be a whole number >= 1");
    r.spec.samples = static_cast<std::size_t>(n->as_integer()->get());
    if (const toml::node* s = r.sweep.get("sampling_seed")) {
        if (!s->is_integer() || s->as_integer()->get() < 0)
            fail(r.file, "sweep.sampling_seed", s, "must be a whole number >= 0");
        r.spec.sampling_seed = static_cast<std::uint64_t>(s->as_integer()->get());
    }
}

// ---------------------------------------------------------------------------------------------
// [[sweep.param]], per method.

void read_entries(reading& r) {
    if (const toml::node* n = r.sweep.get("param")) {
        r.entries = n->as_array();
        if (!r.entries || !r.entries->is_array_of_tables())
            fail(r.file, "sweep.param", n, "must be [[sweep.param]] tables");
    }
    const std::size_t count = r.entries ? r.entries->size() : 0;
    if (count == 0 && r.spec.method != sweep_method::grid)
        fail(r.file, "sweep.param", &r.sweep,
             "a " + method_name(r.spec.method) + " sweep needs [[sweep.param]] entries");
    if (count == 0 && r.spec.replicates < 2)
        fail(r.file, "sweep.param", &r.sweep,
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
            fail(r.file, key + "." + name, &node,
                 "unknown key (a [[sweep.param]] has path, values, group, range, log)");
        if (const std::string why = misplaced(r.spec.method, name); !why.empty())
            fail(r.file, key + "." + name, &node, name + " does not belong here: " + why);
    }
}

// A grid parameter: values, and its group (a repeated value only matters on an axis of its own).
std::string read_grid_param(const reading& r, parameter& p, const toml::table& entry,
                            const std::string& key) {
    read_parameter_values(p, entry, r.file, key);
    std::string group;
    if (const toml::node* g = entry.get("group")) {
        if (!g->is_string() || g->as_string()->get().empty())
            fail(r.file, key + ".group", g, "must be a non-empty string");
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
    check_against_run_keys(r.spec.params, r.spec.config);
}

// ---------------------------------------------------------------------------------------------
// list: [sweep] points.

std::vector<param_value> read_point(const reading& r, const toml::array& points, std::size_t q) {
    const std::string key = indexed("sweep.points", q);
    const toml::array* point = points.get(q)->as_array();
    const std::size_t count = r.spec.params.size();
    if (!point) fail(r.file, key, points.get(q), "a point is a list of values, one per [[sweep.param]]");
    if (point->size() != count)
        fail(r.file, key, points.get(q),
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
        fail(r.file, "sweep.points", &r.sweep, "missing: a list sweep gives points = [[v1, v2, ...], ...]");
    const toml::array* a = n->as_array();
    if (!a || a->empty())
        fail(r.file, "sweep.points", n, "must be a non-empty list of points [[v1, v2, ...], ...]");
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
            fail(r.file, indexed("sweep.param", i) + ".values", r.entries->get(i)->as_table()->get("values"),
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
std::vector<param_value> first_values(const sweep_spec& spec) {
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

// Replicates count a seed up from its value: it must stay a seed.
void check_replicate_seeds(const reading& r, const m1::seeds& seeds) {
    for (const std::string& name : r.spec.replicate_seeds) {
        const std::uint32_t s = seed_named(seeds, name);
        if (std::uint64_t{s} + r.spec.replicates - 1 > max_seed)
            fail(r.file, "sweep.replicates", r.sweep.get("replicates"),
                 "replicates would take seed " + name + " = " + std::to_string(s) + " past 4294967295");
    }
}

// The model of the first run; a refusal names the parameter whose value the model refuses.
void check_first_run(const reading& r, const std::vector<param_value>& first) {
    const sweep_spec& spec = r.spec;
    sweep_run run;
    run.values = first;
    run.seeds = seeds_with(base_seeds(spec), spec.params, first);
    check_replicate_seeds(r, run.seeds);
    run.config = run_config_of(spec, first, run.seeds);
    try {
        parse_effective_model(spec.model, effective_document(spec, run));
    } catch (const input_error& e) {
        const std::string& at = e.where().key_path;
        for (std::size_t i = 0; i < spec.params.size(); ++i) {
            const std::string target = model_key_path(spec.params[i]);
            if (!target.empty() && (at == target || at.rfind(target + ".", 0) == 0))
                throw input_error(r.first[i], "the model refuses this value (" + at + "): " + e.reason());
        }
        throw input_error({r.file.string(), "sweep", 0, 0},
                          "the model of the first run is refused: " + std::string(e.what()));
    }
}

// Every pointer names a value of the model; the model with the sweep's run keys passes as a
// single run's would; then the first run's.
void check_model(const reading& r) {
    const std::vector<param_value> first = first_values(r.spec);
    check_in_model(r.spec.params, first, r.spec.model, r.spec.config.model.string());
    json base = r.spec.model.root();
    apply_run_keys(base, r.spec.config);
    parse_effective_model(r.spec.model, std::move(base));
    check_first_run(r, first);
}

// ---------------------------------------------------------------------------------------------
// The sweep made self-contained (OUTPUT/sweep.toml next to OUTPUT/model.json).

void write_seeds(const run_config& config, toml::table& out) {
    if (config.seed) out.insert_or_assign("seed", std::int64_t{*config.seed});
    if (!config.seeds) return;
    toml::table seeds;
    seeds.insert_or_assign("conn", std::int64_t{config.seeds->conn});
    seeds.insert_or_assign("stim", std::int64_t{config.seeds->stim});
    seeds.insert_or_assign("loc", std::int64_t{config.seeds->loc});
    out.insert_or_assign("seeds", std::move(seeds));
}

// [lfp] when it differs from the default (it is part of every run's id).
void write_lfp(const lfp_config& lfp, toml::table& out) {
    if (lfp.to_json() == lfp_config{}.to_json()) return;
    toml::table t;
    t.insert_or_assign("record", lfp.record);
    t.insert_or_assign("interval_ms", lfp.interval_ms);
    if (!lfp.electrodes.empty()) {
        toml::array electrodes;
        for (const auto& e : lfp.electrodes) {
            toml::table item;
            item.insert_or_assign("name", e.name);
            item.insert_or_assign("ynorm", toml::array{e.ynorm_low, e.ynorm_high});
            electrodes.push_back(std::move(item));
        }
        t.insert_or_assign("electrodes", std::move(electrodes));
    }
    out.insert_or_assign("lfp", std::move(t));
}

void write_run_keys(const run_config& config, toml::table& out) {
    write_seeds(config, out);
    if (config.threads) out.insert_or_assign("threads", static_cast<std::int64_t>(config.threads));
    if (config.duration) out.insert_or_assign("duration", *config.duration);
    if (config.dt) out.insert_or_assign("dt", *config.dt);
    if (config.scale) out.insert_or_assign("scale", *config.scale);
    if (!config.traces.empty()) {
        toml::array traces;
        for (const std::string& t : config.traces) traces.push_back(t);
        toml::table record;
        record.insert_or_assign("traces", std::move(traces));
        out.insert_or_assign("record", std::move(record));
    }
    write_lfp(config.lfp, out);
}

void write_self_contained(const reading& r) {
    toml::table& out = r.spec.self_contained;
    out.insert_or_assign("name", r.spec.name);
    out.insert_or_assign("model", "model.json");
    out.insert_or_assign("output", ".");
    write_run_keys(r.spec.config, out);
    out.insert_or_assign("sweep", r.sweep);
}

// [cluster], the deepest base first: the files' tables move into the sweep (keeping their lines).
void carry_cluster_tables(std::vector<source_file>& chain, sweep_spec& spec) {
    for (std::size_t i = chain.size(); i-- > 0;) {
        if (!chain[i].table.contains("cluster")) continue;
        auto document = std::make_shared<const toml::table>(std::move(chain[i].table));
        const toml::table* table = document->get("cluster")->as_table();
        spec.cluster_tables.push_back({chain[i].path, std::move(document), table});
    }
}

}  // namespace

bool is_sweep_file(const std::filesystem::path& file) {
    return parse_toml_file(file).contains("sweep");
}

sweep_spec load_sweep(const std::filesystem::path& file) {
    sweep_spec spec;
    spec.file = file;
    std::vector<source_file> chain = read_sources(file);
    for (const source_file& s : chain) spec.sources.push_back(s.path);
    read_chain(chain, spec);
    read_name(chain.front().table, spec);
    reading r{file, sweep_table(chain.front().table, file), spec, nullptr, {}};
    spec.model = json_document::read_file(spec.config.model);
    check_sweep_keys(r);
    read_method(r);
    read_replicates(r);
    read_timeout(r);
    read_analysis(r);
    read_samples(r);
    read_params(r);
    read_points(r);
    check_groups(r);
    widen_values(spec);
    check_model(r);
    write_self_contained(r);
    carry_cluster_tables(chain, spec);
    return spec;
}

}  // namespace m1::batch
