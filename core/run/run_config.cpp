#include "core/run/run_config.hpp"

#include "core/base/digest.hpp"

#include <algorithm>
#include <cmath>
#include <set>

namespace m1 {

namespace {

source_location where(const std::filesystem::path& file, const std::string& key,
                      const toml::node* node) {
    source_location loc{file.string(), key, 0, 0};
    if (node) {
        loc.line = node->source().begin.line;
        loc.column = node->source().begin.column;
    }
    return loc;
}

template <class T>
std::optional<T> value_of(const toml::table& table, const std::filesystem::path& file,
                          const std::string& key, const char* expected) {
    const toml::node* node = table.get(key);
    if (!node) return std::nullopt;
    if constexpr (std::is_same_v<T, double>) {
        if (auto v = node->value<double>()) return *v;  // integers convert too
    } else if constexpr (std::is_same_v<T, std::int64_t>) {
        if (node->is_integer()) return node->as_integer()->get();
    } else {
        if (node->is_string()) return node->as_string()->get();
    }
    throw input_error(where(file, key, node), std::string("must be ") + expected);
}

std::string absolute_from(const std::filesystem::path& base, const std::string& path) {
    std::filesystem::path p(path);
    if (p.is_relative()) p = base / p;
    return p.lexically_normal().string();
}

}  // namespace

toml::table parse_toml_file(const std::filesystem::path& path) {
    try {
        return toml::parse_file(path.string());
    } catch (const toml::parse_error& e) {
        const auto& begin = e.source().begin;
        std::error_code ec;
        if (!std::filesystem::exists(path, ec))
            throw input_error({path.string(), "", 0, 0}, "no such file");
        throw input_error({path.string(), "", begin.line, begin.column},
                          "malformed TOML: " + std::string(e.description()));
    }
}

source_location toml_location(const std::filesystem::path& file, const std::string& key,
                              const toml::node* node) {
    return where(file, key, node);
}

namespace {

void check_lfp_keys(const toml::table& t, const std::filesystem::path& path) {
    for (auto&& [key, sub] : t) {
        const std::string k(key.str());
        if (k != "record" && k != "interval_ms" && k != "electrodes")
            throw input_error(where(path, "lfp." + k, &sub), "unknown key (record, interval_ms, electrodes)");
    }
}

// One entry of lfp.electrodes: {name = "...", ynorm = [low, high]}.
electrode_spec read_electrode(const toml::node& item, const std::filesystem::path& path, std::size_t i) {
    const std::string at = "lfp.electrodes[" + std::to_string(i) + "]";
    const toml::table* e = item.as_table();
    const toml::array* range = e && e->get("ynorm") ? e->get("ynorm")->as_array() : nullptr;
    const auto name = e ? e->get("name") ? e->get("name")->value<std::string>() : std::nullopt : std::nullopt;
    if (!e || !name || !range || range->size() != 2 || !range->get(0)->is_number() ||
        !range->get(1)->is_number() || e->size() != 2)
        throw input_error(where(path, at, &item), "must be {name = \"...\", ynorm = [low, high]}");
    electrode_spec spec{*name, *range->get(0)->value<double>(), *range->get(1)->value<double>()};
    if (!(spec.ynorm_low < spec.ynorm_high))
        throw input_error(where(path, at, &item), "ynorm must be [low, high] with low < high");
    return spec;
}

void read_lfp_table(const toml::node& node, const std::filesystem::path& path, lfp_config& lfp) {
    const toml::table* t = node.as_table();
    if (!t) throw input_error(where(path, "lfp", &node), "must be a table: [lfp]");
    check_lfp_keys(*t, path);
    if (const toml::node* n = t->get("record")) {
        if (!n->is_boolean()) throw input_error(where(path, "lfp.record", n), "must be true or false");
        lfp.record = n->as_boolean()->get();
    }
    if (const toml::node* n = t->get("interval_ms")) {
        const auto v = n->value<double>();
        if (!n->is_number() || !v || !(*v > 0) || !std::isfinite(*v))
            throw input_error(where(path, "lfp.interval_ms", n), "must be a positive number of ms");
        lfp.interval_ms = *v;
    }
    if (const toml::node* n = t->get("electrodes")) {
        const toml::array* list = n->as_array();
        if (!list) throw input_error(where(path, "lfp.electrodes", n),
                                     "must be a list of {name = \"...\", ynorm = [low, high]}");
        lfp.electrodes.clear();
        for (std::size_t i = 0; i < list->size(); ++i)
            lfp.electrodes.push_back(read_electrode(*list->get(i), path, i));
    }
}

void check_run_key_names(const toml::table& root, const std::filesystem::path& path,
                         const std::set<std::string>& also_allowed) {
    static const std::set<std::string> known = {"model", "output", "seed", "threads", "duration",
                                                "dt", "scale", "seeds", "record", "lfp"};
    for (auto&& [key, node] : root) {
        const std::string k(key.str());
        if (!known.count(k) && !also_allowed.count(k)) {
            std::string hint = k == "sweep" || k == "base" || k == "name"
                                   ? " (a sweep file needs a [sweep] table)" : "";
            throw input_error(where(path, k, &node), "unknown key" + hint);
        }
    }
}

std::optional<std::uint32_t> seed_value(const toml::table& t, const std::string& key,
                                        const std::filesystem::path& path, const std::string& path_key) {
    const toml::node* node = t.get(key);
    if (!node) return std::nullopt;
    if (!node->is_integer() || node->as_integer()->get() < 0 || node->as_integer()->get() > 4294967295LL)
        throw input_error(where(path, path_key, node), "a seed is a whole number from 0 to 4294967295");
    return static_cast<std::uint32_t>(node->as_integer()->get());
}

// [seeds] conn, stim, loc: keys left out keep what a base file gave, else 1 (NetPyNE's default).
void read_seeds_table(const toml::node& node, const std::filesystem::path& path, run_config& config) {
    const toml::table* t = node.as_table();
    if (!t) throw input_error(where(path, "seeds", &node), "must be a table: [seeds]");
    for (auto&& [key, sub] : *t) {
        const std::string k(key.str());
        if (k != "conn" && k != "stim" && k != "loc")
            throw input_error(where(path, "seeds." + k, &sub), "unknown key (seeds are conn, stim, loc)");
    }
    m1::seeds s = config.seeds ? *config.seeds
                  : config.seed ? m1::seeds{*config.seed, *config.seed, *config.seed}
                                : m1::seeds{};
    if (auto v = seed_value(*t, "conn", path, "seeds.conn")) s.conn = *v;
    if (auto v = seed_value(*t, "stim", path, "seeds.stim")) s.stim = *v;
    if (auto v = seed_value(*t, "loc", path, "seeds.loc")) s.loc = *v;
    config.seeds = s;
    config.seed.reset();
}

// seed (every simConfig seed) or [seeds], not both.
void read_seeds(const toml::table& root, const std::filesystem::path& path, run_config& config) {
    if (auto seed = seed_value(root, "seed", path, "seed")) {
        if (root.get("seeds"))
            throw input_error(where(path, "seeds", root.get("seeds")), "give seed or [seeds], not both");
        config.seed = seed;
        config.seeds.reset();
    }
    if (const toml::node* node = root.get("seeds")) read_seeds_table(*node, path, config);
}

void read_positive(const toml::table& root, const std::filesystem::path& path, const char* key,
                   std::optional<double>& into) {
    auto v = value_of<double>(root, path, key, "a number");
    if (v && !(*v > 0 && std::isfinite(*v)))
        throw input_error(where(path, key, root.get(key)), "must be positive");
    if (v) into = v;
}

// [record] traces = ["population:index", ...]
void read_record_table(const toml::node& node, const std::filesystem::path& path, run_config& config) {
    const toml::table* t = node.as_table();
    if (!t) throw input_error(where(path, "record", &node), "must be a table: [record]");
    for (auto&& [key, sub] : *t) {
        if (std::string(key.str()) != "traces")
            throw input_error(where(path, "record." + std::string(key.str()), &sub), "unknown key");
        const toml::array* list = sub.as_array();
        if (!list)
            throw input_error(where(path, "record.traces", &sub), "must be a list of \"population:index\"");
        config.traces.clear();
        for (const toml::node& item : *list) {
            if (!item.is_string())
                throw input_error(where(path, "record.traces", &item),
                                  "must be a list of \"population:index\"");
            config.traces.push_back(item.as_string()->get());
        }
    }
}

}  // namespace

void read_run_keys(const toml::table& root, const std::filesystem::path& path, run_config& config,
                   const std::set<std::string>& also_allowed) {
    check_run_key_names(root, path, also_allowed);
    config.file = path;
    const std::filesystem::path base = path.parent_path();
    if (auto model = value_of<std::string>(root, path, "model", "a path to a model file"))
        config.model = absolute_from(base, *model);
    if (auto output = value_of<std::string>(root, path, "output", "a directory path"))
        config.output = absolute_from(base, *output);
    read_seeds(root, path, config);
    if (auto threads = value_of<std::int64_t>(root, path, "threads", "a whole number")) {
        if (*threads < 0)
            throw input_error(where(path, "threads", root.get("threads")), "must not be negative");
        config.threads = static_cast<std::size_t>(*threads);
    }
    read_positive(root, path, "duration", config.duration);
    read_positive(root, path, "dt", config.dt);
    read_positive(root, path, "scale", config.scale);
    if (const toml::node* node = root.get("lfp")) read_lfp_table(*node, path, config.lfp);
    if (const toml::node* node = root.get("record")) read_record_table(*node, path, config);
}


std::string lfp_config::to_json() const {
    nlohmann::ordered_json j = {{"record", record}, {"interval_ms", interval_ms}};
    auto& list = j["electrodes"] = nlohmann::ordered_json::array();
    for (const auto& e : electrodes) list.push_back({e.name, e.ynorm_low, e.ynorm_high});
    return j.dump();
}

std::vector<electrode_spec> default_electrodes(const model_spec& model) {
    std::vector<electrode_spec> out;
    for (const population_spec& p : model.populations) {
        if (p.kind != population_kind::izhikevich) continue;
        int celltype = 0;
        for (const cell_rule& rule : model.cell_rules)
            for (const tag_condition& c : rule.conds)
                if (c.key == "cellType" && std::find(c.values.begin(), c.values.end(), p.cell_type) != c.values.end())
                    celltype = rule.izhikevich.celltype;
        if (celltype < 1 || celltype > 3) continue;  // RS, IB, CH: excitatory
        const double lo = p.ynorm_range[0], hi = p.ynorm_range[1];
        const bool seen = std::any_of(out.begin(), out.end(), [&](const electrode_spec& e) {
            return e.ynorm_low == lo && e.ynorm_high == hi;
        });
        if (seen) continue;
        const auto underscore = p.name.rfind('_');
        out.push_back({underscore == std::string::npos ? p.name : p.name.substr(underscore + 1), lo, hi});
    }
    std::sort(out.begin(), out.end(), [](const electrode_spec& a, const electrode_spec& b) {
        return a.ynorm_low < b.ynorm_low;
    });
    return out;
}

void require_model_and_output(const run_config& config) {
    if (config.model.empty())
        throw input_error({config.file.string(), "model", 0, 0}, "missing: the model file to run");
    if (config.output.empty())
        throw input_error({config.file.string(), "output", 0, 0}, "missing: the output directory");
}

run_config load_run_config(const std::filesystem::path& path) {
    run_config config;
    read_run_keys(parse_toml_file(path), path, config);
    require_model_and_output(config);
    return config;
}

void apply_run_keys(nlohmann::ordered_json& changed, const run_config& config) {
    if (!changed.is_object() || !changed.contains("netParams") || !changed["netParams"].is_object())
        return;  // parse_model reports what is wrong with the file
    auto& net = changed["netParams"];
    if (config.scale) {
        // M1.py's scaling: the same column narrowed (sizeX and sizeZ by sqrt(scale)), so
        // densities and the depth profile are unchanged; netParams.scale for numCells pops.
        // A value that is not a number is left for parse_model to report with its line.
        const double factor = std::sqrt(*config.scale);
        auto scaled = [&](const char* key, double fallback, double by) {
            if (!net.contains(key)) net[key] = fallback * by;
            else if (net[key].is_number()) net[key] = net[key].get<double>() * by;
        };
        scaled("sizeX", 100.0, factor);
        scaled("sizeZ", 100.0, factor);
        scaled("scale", 1.0, *config.scale);
    }
    if (config.duration || config.dt || config.seed || config.seeds) {
        auto& sim = changed["simConfig"];
        if (sim.is_null()) sim = nlohmann::ordered_json::object();
        if (sim.is_object()) {
            if (config.duration) sim["duration"] = *config.duration;
            if (config.dt) sim["dt"] = *config.dt;
            if (config.seed)
                sim["seeds"] = {{"conn", *config.seed}, {"stim", *config.seed},
                                {"loc", *config.seed}};
            if (config.seeds)
                sim["seeds"] = {{"conn", config.seeds->conn}, {"stim", config.seeds->stim},
                                {"loc", config.seeds->loc}};
        }
    }
}

model_spec parse_effective_model(const json_document& original, nlohmann::ordered_json changed) {
    model_spec m;
    if (original.root() == changed) {
        m = parse_model(original);
    } else {
        try {
            m = parse_model(json_document::parse(changed.dump(1), original.file()));
        } catch (const input_error& e) {
            // Report with the original file's line where the key exists there.
            throw input_error(original.locate(e.where().key_path), e.reason());
        }
    }
    m.sha256 = sha256_hex(original.text());
    m.document = std::move(changed);
    return m;
}

model_spec effective_model(const run_config& config) {
    json_document doc = json_document::read_file(config.model);
    nlohmann::ordered_json changed = doc.root();
    apply_run_keys(changed, config);
    return parse_effective_model(doc, std::move(changed));
}

}  // namespace m1
