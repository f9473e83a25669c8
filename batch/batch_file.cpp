#include "batch/batch_file.hpp"

#include "batch/sweep_expansion.hpp"

#include <algorithm>
#include <cmath>

namespace m1::batch {

namespace {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

// The tables that make a file a sweep or a search, and what each file is called.
struct own_table_kind {
    const char* key;
    const char* file;
};
constexpr own_table_kind own_tables[] = {{"sweep", "sweep file"}, {"optimize", "search file"}};

// ---------------------------------------------------------------------------------------------
// The chain of files.

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
        fail_at(current, "base", &node, "must be the path of a run configuration");
    fs::path base = node.as_string()->get();
    if (base.is_relative()) base = current.parent_path() / base;
    base = base.lexically_normal();
    if (std::find(seen.begin(), seen.end(), identity(base)) != seen.end()) {
        std::string cycle;
        for (const source_file& s : chain) cycle += s.path.string() + " -> ";
        fail_at(current, "base", &node, "base files form a cycle: " + cycle + base.string());
    }
    std::error_code ec;
    if (!fs::is_regular_file(base, ec))
        fail_at(current, "base", &node, "no such file: " + base.string());
    return base;
}

// A base file gives run keys only.
void check_base_file(const fs::path& base, const toml::table& table) {
    for (const own_table_kind& t : own_tables)
        if (const toml::node* n = table.get(t.key))
            fail_at(base, t.key, n,
                    std::string("a base file gives run keys only; the [") + t.key +
                        "] table belongs in the " + t.file);
}

// A file is a sweep or a search: the later of the two tables is refused.
void check_one_table(const fs::path& file, const toml::table& top) {
    const toml::node* sweep = top.get("sweep");
    const toml::node* search = top.get("optimize");
    if (!sweep || !search) return;
    const bool sweep_later = sweep->source().begin.line > search->source().begin.line;
    fail_at(file, sweep_later ? "sweep" : "optimize", sweep_later ? sweep : search,
            "a file has either [sweep] or [optimize] (a sweep runs the points it lists; a search "
            "chooses its own)");
}

// Run keys: the deepest base first, each file overriding what it sets; [cluster] must be a table.
void read_chain(const std::vector<source_file>& chain, sweep_spec& spec) {
    for (std::size_t i = chain.size(); i-- > 1;) {
        if (const toml::node* n = chain[i].table.get("name"); n && !n->is_string())
            fail_at(chain[i].path, "name", n, "must be a string");
        read_run_keys(chain[i].table, chain[i].path, spec.config, {"base", "name", "cluster"});
    }
    read_run_keys(chain.front().table, spec.file, spec.config,
                  {"base", "name", "sweep", "optimize", "cluster"});
    for (std::size_t i = chain.size(); i-- > 0;)
        if (const toml::node* n = chain[i].table.get("cluster"); n && !n->is_table())
            fail_at(chain[i].path, "cluster", n, "must be a table: [cluster]");
    spec.config.file = spec.file;
    require_model_and_output(spec.config);
}

void read_name(const toml::table& top, sweep_spec& spec) {
    spec.name = spec.file.stem().string();
    if (const toml::node* n = top.get("name")) {
        if (!n->is_string() || n->as_string()->get().empty())
            fail_at(spec.file, "name", n, "must be a non-empty string");
        spec.name = n->as_string()->get();
    }
}

// ---------------------------------------------------------------------------------------------
// Keys both tables have.

void read_replicate_seeds(const table_reading& r, const toml::node& n) {
    const std::string at = r.key + ".replicate_seeds";
    const toml::array* a = n.as_array();
    if (!a || a->empty())
        fail_at(r.file, at, &n, "must be a non-empty list of seed names: \"conn\", \"stim\", \"loc\"");
    std::vector<std::string>& seeds = r.spec.replicate_seeds;
    seeds.clear();
    for (std::size_t i = 0; i < a->size(); ++i) {
        const toml::node& e = *a->get(i);
        const std::string name = e.is_string() ? e.as_string()->get() : std::string();
        if (name != "conn" && name != "stim" && name != "loc")
            fail_at(r.file, indexed(at, i), &e, "a seed name is \"conn\", \"stim\" or \"loc\"");
        if (std::find(seeds.begin(), seeds.end(), name) != seeds.end())
            fail_at(r.file, indexed(at, i), &e, "\"" + name + "\" is named twice");
        seeds.push_back(name);
    }
}

bool is_measure(const std::string& name) {
    return std::find(std::begin(analysis_measures), std::end(analysis_measures), name) !=
           std::end(analysis_measures);
}

// ---------------------------------------------------------------------------------------------
// Checks against the model.

// Replicates count a seed up from its value: it must stay a seed.
void check_replicate_seeds(const table_reading& r, const m1::seeds& seeds) {
    for (const std::string& name : r.spec.replicate_seeds) {
        const std::uint32_t s = seed_named(seeds, name);
        if (std::uint64_t{s} + r.spec.replicates - 1 > max_seed)
            fail_at(r.file, r.key + ".replicates", r.table.get("replicates"),
                    "replicates would take seed " + name + " = " + std::to_string(s) +
                        " past 4294967295");
    }
}

// The model of the first run; a refusal names the parameter whose value the model refuses.
void check_first_run(const table_reading& r, const first_values& first) {
    const sweep_spec& spec = r.spec;
    sweep_run run;
    run.values = first.values;
    run.seeds = seeds_with(base_seeds(spec), spec.params, first.values);
    check_replicate_seeds(r, run.seeds);
    run.config = run_config_of(spec, first.values, run.seeds);
    try {
        parse_effective_model(spec.model, effective_document(spec, run));
    } catch (const input_error& e) {
        const std::string& at = e.where().key_path;
        for (std::size_t i = 0; i < spec.params.size(); ++i) {
            const std::string target = model_key_path(spec.params[i]);
            if (!target.empty() && (at == target || at.rfind(target + ".", 0) == 0))
                throw input_error(first.where[i],
                                  "the model refuses this value (" + at + "): " + e.reason());
        }
        throw input_error({r.file.string(), r.key, 0, 0},
                          "the model of the first run is refused: " + std::string(e.what()));
    }
}

// ---------------------------------------------------------------------------------------------
// The self-contained copy.

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

}  // namespace

void fail_at(const fs::path& file, const std::string& key, const toml::node* node,
             const std::string& what) {
    throw input_error(toml_location(file, key, node), what);
}

std::string indexed(const std::string& key, std::size_t i) {
    return key + "[" + std::to_string(i) + "]";
}

std::vector<source_file> read_sources(const fs::path& file) {
    std::vector<source_file> chain;
    std::vector<fs::path> seen{identity(file)};
    chain.push_back({file, parse_toml_file(file)});
    check_one_table(file, chain.front().table);
    while (const toml::node* node = chain.back().table.get("base")) {
        const fs::path base = base_of(chain, seen, *node);
        seen.push_back(identity(base));
        toml::table table = parse_toml_file(base);
        check_base_file(base, table);
        chain.push_back({base, std::move(table)});
    }
    return chain;
}

std::vector<source_file> read_batch_file(const fs::path& file, sweep_spec& spec) {
    spec.file = file;
    std::vector<source_file> chain = read_sources(file);
    for (const source_file& s : chain) spec.sources.push_back(s.path);
    read_chain(chain, spec);
    read_name(chain.front().table, spec);
    return chain;
}

void carry_cluster_tables(std::vector<source_file>& chain, sweep_spec& spec) {
    for (std::size_t i = chain.size(); i-- > 0;) {
        if (!chain[i].table.contains("cluster")) continue;
        auto document = std::make_shared<const toml::table>(std::move(chain[i].table));
        const toml::table* table = document->get("cluster")->as_table();
        spec.cluster_tables.push_back({chain[i].path, std::move(document), table});
    }
}

const toml::table& own_table(const toml::table& top, const fs::path& file, const std::string& key,
                             const std::string& missing) {
    const toml::node* node = top.get(key);
    if (!node) fail_at(file, key, nullptr, "missing: " + missing);
    const toml::table* t = node->as_table();
    if (!t) fail_at(file, key, node, "must be a table: [" + key + "]");
    return *t;
}

void check_table_keys(const table_reading& r, const std::vector<std::string>& keys) {
    for (auto&& [k, node] : r.table) {
        const std::string name(k.str());
        if (std::find(keys.begin(), keys.end(), name) != keys.end()) continue;
        std::string list;
        for (const std::string& key : keys) list += (list.empty() ? "" : ", ") + key;
        fail_at(r.file, r.key + "." + name, &node,
                "unknown key (a [" + r.key + "] table has " + list + ")");
    }
}

void read_replicates(const table_reading& r) {
    if (const toml::node* n = r.table.get("replicates")) {
        if (!n->is_integer() || n->as_integer()->get() < 1)
            fail_at(r.file, r.key + ".replicates", n, "must be a whole number >= 1");
        r.spec.replicates = static_cast<std::size_t>(n->as_integer()->get());
    }
    if (const toml::node* n = r.table.get("replicate_seeds")) read_replicate_seeds(r, *n);
}

void read_timeout(const table_reading& r) {
    if (const toml::node* n = r.table.get("timeout_s")) {
        const auto v = n->value<double>();  // integers too
        if (!n->is_number() || !v || !(*v > 0) || !std::isfinite(*v))
            fail_at(r.file, r.key + ".timeout_s", n, "must be a positive number of seconds");
        r.spec.timeout_s = *v;
    }
}

void read_analysis(const table_reading& r) {
    const std::string at = r.key + ".analysis";
    const toml::node* n = r.table.get("analysis");
    if (!n) return;
    const toml::array* a = n->as_array();
    if (!a) fail_at(r.file, at, n, "must be a list of rates, rate_psd, granger, nte, lfp");
    std::vector<std::string>& analysis = r.spec.analysis;
    for (std::size_t i = 0; i < a->size(); ++i) {
        const toml::node& item = *a->get(i);
        const auto name = item.value<std::string>();
        if (!name || !is_measure(*name))
            fail_at(r.file, indexed(at, i), &item,
                    "unknown analysis (rates, rate_psd, granger, nte, lfp)");
        if (std::find(analysis.begin(), analysis.end(), *name) != analysis.end())
            fail_at(r.file, indexed(at, i), &item, "listed twice");
        analysis.push_back(*name);
    }
}

void read_run_policy(const table_reading& r) {
    read_replicates(r);
    read_timeout(r);
    read_analysis(r);
}

model_spec check_model(const table_reading& r, const first_values& first) {
    check_in_model(r.spec.params, first.values, r.spec.model, r.spec.config.model.string());
    json base = r.spec.model.root();
    apply_run_keys(base, r.spec.config);
    model_spec model = parse_effective_model(r.spec.model, std::move(base));
    check_first_run(r, first);
    return model;
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

void write_self_contained(const table_reading& r) {
    toml::table& out = r.spec.self_contained;
    out.insert_or_assign("name", r.spec.name);
    out.insert_or_assign("model", "model.json");
    out.insert_or_assign("output", ".");
    write_run_keys(r.spec.config, out);
    out.insert_or_assign(r.key, r.table);
}

}  // namespace m1::batch
