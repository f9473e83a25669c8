#include "core/run/run.hpp"

#include "core/io/run_file.hpp"

#include <sys/resource.h>
#include <toml++/toml.h>

#include <tbb/info.h>
#include <tbb/task_arena.h>

#include <chrono>
#include <cmath>
#include <iomanip>
#include <ostream>
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

void read_lfp_table(const toml::node& node, const std::filesystem::path& path, lfp_config& lfp) {
    const toml::table* t = node.as_table();
    if (!t) throw input_error(where(path, "lfp", &node), "must be a table: [lfp]");
    for (auto&& [key, sub] : *t) {
        const std::string k(key.str());
        if (k != "record" && k != "interval_ms" && k != "electrodes")
            throw input_error(where(path, "lfp." + k, &sub), "unknown key (record, interval_ms, electrodes)");
    }
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
        for (std::size_t i = 0; i < list->size(); ++i) {
            const toml::node& item = *list->get(i);
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
            lfp.electrodes.push_back(spec);
        }
    }
}

}  // namespace

void read_run_keys(const toml::table& root, const std::filesystem::path& path, run_config& config,
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
    config.file = path;
    const std::filesystem::path base = path.parent_path();
    if (auto model = value_of<std::string>(root, path, "model", "a path to a model file"))
        config.model = absolute_from(base, *model);
    if (auto output = value_of<std::string>(root, path, "output", "a directory path"))
        config.output = absolute_from(base, *output);

    auto seed_value = [&](const toml::table& t, const std::string& key, const std::string& path_key)
        -> std::optional<std::uint32_t> {
        const toml::node* node = t.get(key);
        if (!node) return std::nullopt;
        if (!node->is_integer() || node->as_integer()->get() < 0 ||
            node->as_integer()->get() > 4294967295LL)
            throw input_error(where(path, path_key, node),
                              "a seed is a whole number from 0 to 4294967295");
        return static_cast<std::uint32_t>(node->as_integer()->get());
    };
    if (auto seed = seed_value(root, "seed", "seed")) {
        if (root.get("seeds"))
            throw input_error(where(path, "seeds", root.get("seeds")), "give seed or [seeds], not both");
        config.seed = seed;
        config.seeds.reset();
    }
    if (const toml::node* node = root.get("seeds")) {
        const toml::table* t = node->as_table();
        if (!t) throw input_error(where(path, "seeds", node), "must be a table: [seeds]");
        for (auto&& [key, sub] : *t) {
            const std::string k(key.str());
            if (k != "conn" && k != "stim" && k != "loc")
                throw input_error(where(path, "seeds." + k, &sub),
                                  "unknown key (seeds are conn, stim, loc)");
        }
        // Keys left out keep what a base file gave, else 1 (NetPyNE's default).
        m1::seeds s = config.seeds ? *config.seeds
                      : config.seed ? m1::seeds{*config.seed, *config.seed, *config.seed}
                                    : m1::seeds{};
        if (auto v = seed_value(*t, "conn", "seeds.conn")) s.conn = *v;
        if (auto v = seed_value(*t, "stim", "seeds.stim")) s.stim = *v;
        if (auto v = seed_value(*t, "loc", "seeds.loc")) s.loc = *v;
        config.seeds = s;
        config.seed.reset();
    }
    if (auto threads = value_of<std::int64_t>(root, path, "threads", "a whole number")) {
        if (*threads < 0)
            throw input_error(where(path, "threads", root.get("threads")), "must not be negative");
        config.threads = static_cast<std::size_t>(*threads);
    }
    auto positive = [&](const char* key, std::optional<double>& into) {
        auto v = value_of<double>(root, path, key, "a number");
        if (v && !(*v > 0 && std::isfinite(*v)))
            throw input_error(where(path, key, root.get(key)), "must be positive");
        if (v) into = v;
    };
    positive("duration", config.duration);
    positive("dt", config.dt);
    positive("scale", config.scale);
    if (const toml::node* node = root.get("lfp")) read_lfp_table(*node, path, config.lfp);
    if (const toml::node* node = root.get("record")) {
        const toml::table* t = node->as_table();
        if (!t) throw input_error(where(path, "record", node), "must be a table: [record]");
        for (auto&& [key, sub] : *t) {
            const std::string k(key.str());
            if (k != "traces")
                throw input_error(where(path, "record." + k, &sub), "unknown key");
            const toml::array* list = sub.as_array();
            if (!list)
                throw input_error(where(path, "record.traces", &sub),
                                  "must be a list of \"population:index\"");
            config.traces.clear();
            for (const toml::node& item : *list) {
                if (!item.is_string())
                    throw input_error(where(path, "record.traces", &item),
                                      "must be a list of \"population:index\"");
                config.traces.push_back(item.as_string()->get());
            }
        }
    }
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

double peak_rss_mib() {
    struct rusage usage {};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_maxrss) / 1024.0;  // KiB on Linux
}

std::unique_ptr<network> network_cache::find(const std::string& key) {
    std::shared_ptr<const network> hit;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        for (auto it = entries_.begin(); it != entries_.end(); ++it) {
            if (it->first != key) continue;
            auto entry = std::move(*it);
            entries_.erase(it);
            hit = entry.second;
            entries_.push_back(std::move(entry));
            break;
        }
    }
    return hit ? std::make_unique<network>(*hit) : nullptr;  // copied outside the lock
}

void network_cache::store(const std::string& key, const network& net) {
    if (capacity_ == 0) return;
    auto copy = std::make_shared<const network>(net);
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto it = entries_.begin(); it != entries_.end(); ++it)
        if (it->first == key) {
            entries_.erase(it);
            break;
        }
    if (entries_.size() >= capacity_) entries_.erase(entries_.begin());
    entries_.emplace_back(key, std::move(copy));
}

run_summary run_instance(const run_config& config, std::ostream* log) {
    return run_model(config, effective_model(config), log);
}

run_summary run_model(const run_config& config, model_spec model, std::ostream* log,
                      const run_extras& extras) {
    using clock = std::chrono::steady_clock;
    const auto t0 = clock::now();
    if (log)
        *log << "model " << config.model.string() << ": " << model.populations.size()
             << " populations, " << model.connectivity_rules.size() << " connectivity rules\n";
    for (const std::string& w : model.warnings)
        if (log) *log << "warning: " << w << "\n";

    // The output directory must be writable before minutes of work are spent.
    std::error_code ec;
    std::filesystem::create_directories(config.output, ec);
    if (ec || !std::filesystem::is_directory(config.output))
        throw run_error("cannot create output directory " + config.output.string() + ": " +
                        (ec ? ec.message() : std::string("a file is in the way")));

    tbb::task_arena arena(config.threads > 0 ? static_cast<int>(config.threads)
                                             : tbb::task_arena::automatic);
    std::unique_ptr<recipe> rec;
    network net;
    bool reused = false;
    arena.execute([&] {
        rec = std::make_unique<recipe>(model);
        // Runs that differ only in weights, stimulation or duration share their connectivity.
        const std::string key = extras.networks ? connectivity_key(model) : std::string();
        if (extras.networks) {
            if (auto cached = extras.networks->find(key)) {
                net = std::move(*cached);
                reweight(net, *rec);
                reused = true;
            }
        }
        if (!reused) {
            net = build_network(*rec);
            if (extras.networks) extras.networks->store(key, net);
        }
    });
    for (const std::string& w : rec->warnings())
        if (log) *log << "warning: " << w << "\n";

    simulation_options options;
    options.duration = model.sim.duration;
    options.dt = model.sim.dt;
    options.threads = config.threads;
    options.record_step = model.sim.record_step;
    options.should_stop = extras.should_stop;
    std::vector<std::pair<std::size_t, std::uint32_t>> traced;  // population, index
    for (const std::string& t : config.traces) {
        const auto colon = t.rfind(':');
        bool found = false;
        if (colon != std::string::npos) {
            const std::string pop = t.substr(0, colon);
            for (std::size_t p = 0; p < rec->populations().size(); ++p) {
                if (model.populations[rec->populations()[p].spec].name != pop) continue;
                std::uint32_t index = 0;
                try {
                    index = static_cast<std::uint32_t>(std::stoul(t.substr(colon + 1)));
                } catch (...) {
                    break;
                }
                if (index >= rec->populations()[p].size) break;
                options.traced_cells.push_back(rec->populations()[p].first_gid + index);
                traced.emplace_back(p, index);
                found = true;
            }
        }
        if (!found)
            throw input_error({config.file.string(), "record.traces", 0, 0},
                              "'" + t + "' names no cell (population:index, index < population size)");
    }
    // The LFP proxy's current sums: which cells each electrode sums, which mechanisms count as
    // AMPA (excitatory) and GABA (inhibitory) by their names; NMDA and others are left out, as in
    // Mazzoni et al. 2015.
    std::vector<electrode_spec> electrodes;
    std::vector<std::int64_t> electrode_cells;
    if (config.lfp.record) {
        electrodes = config.lfp.electrodes.empty() ? default_electrodes(model) : config.lfp.electrodes;
        const double every = config.lfp.interval_ms / model.sim.dt;
        const auto steps = static_cast<std::size_t>(std::llround(every));
        if (steps < 1 || std::fabs(every - double(steps)) > 1e-9)
            throw input_error({config.file.string(), "lfp.interval_ms", 0, 0},
                              "must be a whole multiple of dt (" + std::to_string(model.sim.dt) + " ms)");
        options.current_sums.interval = steps;
        options.current_sums.electrodes = electrodes.size();
        options.current_sums.electrode_of_gid.assign(rec->num_cells(), -1);
        electrode_cells.assign(electrodes.size(), 0);
        for (gid_type g = 0; g < rec->num_cells(); ++g) {
            const cell_rule* rule = rec->cell_rule_of(g);
            if (!rule || rule->izhikevich.celltype < 1 || rule->izhikevich.celltype > 3) continue;
            const double y = rec->position(g).ynorm;
            for (std::size_t e = 0; e < electrodes.size(); ++e) {
                const auto& el = electrodes[e];
                if (y >= el.ynorm_low && (y < el.ynorm_high || (el.ynorm_high >= 1.0 && y <= 1.0))) {
                    options.current_sums.electrode_of_gid[g] = static_cast<std::int16_t>(e);
                    ++electrode_cells[e];
                    break;
                }
            }
        }
        for (const auto& mech : model.synaptic_mechanisms)
            options.current_sums.current_class.push_back(
                mech.name.find("AMPA") != std::string::npos   ? 1
                : mech.name.find("GABA") != std::string::npos ? 2
                                                              : 0);
    }
    // Building ends when the engine is ready to integrate (its tables are set up too).
    simulation sim(*rec, net, options);
    const auto t_built = clock::now();
    const double build_s = std::chrono::duration<double>(t_built - t0).count();
    if (log)
        *log << (reused ? "reused the connectivity of an earlier run: " : "built ")
             << rec->num_cells() << " cells and " << net.num_contacts << " synaptic contacts in "
             << std::fixed << std::setprecision(2) << build_s << " s\n";
    simulation_result result = sim.run();

    // The run file.
    run_record record;
    const auto pops = rec->populations();
    record.spikes.resize(pops.size());
    for (std::size_t p = 0; p < pops.size(); ++p)
        record.spikes[p].population = model.populations[pops[p].spec].name;
    for (const spike& s : result.spikes) {
        const std::size_t p = rec->population_of(s.gid);
        record.spikes[p].timestamps.push_back(s.time);
        record.spikes[p].node_ids.push_back(s.gid - pops[p].first_gid);
    }
    cell_table& cells = record.cells;
    for (gid_type g = 0; g < rec->num_cells(); ++g) {
        const population_spec& spec = rec->population_spec_of(g);
        const cell_position& pos = rec->position(g);
        cells.gid.push_back(g);
        cells.population.push_back(spec.name);
        cells.cell_type.push_back(spec.cell_type);
        cells.x.push_back(pos.x);
        cells.y.push_back(pos.y);
        cells.z.push_back(pos.z);
        cells.ynorm.push_back(pos.ynorm);
    }
    for (const auto& p : pops) {
        record.connectivity.pre_populations.push_back(model.populations[p.spec].name);
        record.connectivity.post_populations.push_back(model.populations[p.spec].name);
    }
    for (const auto& s : model.synaptic_mechanisms)
        record.connectivity.synaptic_mechanisms.push_back(s.name);
    if (model.synaptic_mechanisms.empty()) record.connectivity.synaptic_mechanisms.push_back("none");
    record.connectivity.contacts = net.contacts;
    record.model_json = model.document.dump(1);
    record.record_step = model.sim.record_step;
    for (std::size_t i = 0; i < traced.size(); ++i) {
        voltage_trace tr;
        tr.population = model.populations[pops[traced[i].first].spec].name;
        tr.node_id = traced[i].second;
        tr.gid = options.traced_cells[i];
        tr.v = std::move(result.traces[i]);
        record.traces.push_back(std::move(tr));
    }
    const std::uint32_t seed = config.seed ? *config.seed : model.sim.seed.conn;
    auto& attrs = record.run_attributes;
    attrs.emplace_back("format_version", std::int64_t{2});  // 2: /lfp
    attrs.emplace_back("model_file", config.model.string());
    attrs.emplace_back("model_sha256", model.sha256);
    attrs.emplace_back("seed", std::int64_t{seed});
    attrs.emplace_back("seed_conn", std::int64_t{model.sim.seed.conn});
    attrs.emplace_back("seed_stim", std::int64_t{model.sim.seed.stim});
    attrs.emplace_back("seed_loc", std::int64_t{model.sim.seed.loc});
    attrs.emplace_back("dt_ms", model.sim.dt);
    attrs.emplace_back("duration_ms", model.sim.duration);
    attrs.emplace_back("threads", std::int64_t(config.threads > 0
                                                   ? config.threads
                                                   : std::size_t(tbb::info::default_concurrency())));
    attrs.emplace_back("version", std::string(M1_VERSION));
    attrs.emplace_back("build_s", build_s);
    attrs.emplace_back("simulate_s", result.simulate_seconds);
    attrs.emplace_back("cells", std::int64_t(rec->num_cells()));
    attrs.emplace_back("synapses", std::int64_t(net.num_contacts));
    attrs.emplace_back("steps", std::int64_t(result.steps));
    attrs.emplace_back("config_file", config.file.string());
    attrs.emplace_back("network_reused", std::int64_t(reused));

    run_summary summary;
    summary.run_file = config.output / "run.h5";
    summary.cells = rec->num_cells();
    summary.synapses = net.num_contacts;
    summary.spikes = result.spikes.size();
    summary.duration_ms = model.sim.duration;
    summary.build_s = build_s;
    summary.simulate_s = result.simulate_seconds;
    summary.network_reused = reused;
    attrs.emplace_back("spikes", std::int64_t(summary.spikes));
    attrs.emplace_back("mean_rate_hz", summary.mean_rate_hz());
    // Wall time up to the run file (the file itself takes a few ms more).
    summary.wall_s = std::chrono::duration<double>(clock::now() - t0).count();
    attrs.emplace_back("wall_s", summary.wall_s);
    for (const auto& a : extras.run_attributes) attrs.push_back(a);
    record.sweep_attributes = extras.sweep_attributes;
    if (config.lfp.record) {
        lfp_sums lfp;
        lfp.interval_ms = config.lfp.interval_ms;
        for (const auto& e : electrodes) {
            lfp.electrodes.push_back(e.name);
            lfp.ynorm_low.push_back(e.ynorm_low);
            lfp.ynorm_high.push_back(e.ynorm_high);
        }
        lfp.cells = electrode_cells;
        lfp.ampa = std::move(result.excitatory_sums);
        lfp.gaba = std::move(result.inhibitory_sums);
        record.lfp = std::move(lfp);
    }
    write_run_file(summary.run_file, record);

    for (std::size_t p = 0; p < pops.size(); ++p) {
        population_summary ps;
        ps.name = model.populations[pops[p].spec].name;
        ps.cells = pops[p].size;
        for (std::size_t q = 0; q < pops.size(); ++q)
            for (std::size_t m = 0; m < record.connectivity.synaptic_mechanisms.size(); ++m)
                ps.incoming_synapses +=
                    net.contacts[(q * pops.size() + p) * record.connectivity.synaptic_mechanisms.size() + m];
        // NetPyNE's popRates: spikes with 0 <= t <= duration.
        for (double t : record.spikes[p].timestamps)
            if (t >= 0 && t <= model.sim.duration) ++ps.spikes;
        ps.rate_hz = ps.cells ? double(ps.spikes) / ps.cells / (model.sim.duration / 1000.0) : 0;
        summary.populations.push_back(ps);
    }
    summary.peak_rss_mb = peak_rss_mib();
    return summary;
}

void print_summary(const run_summary& s, std::ostream& out) {
    out << std::left << std::setw(12) << "population" << std::right << std::setw(8) << "cells"
        << std::setw(14) << "synapses in" << std::setw(10) << "spikes" << std::setw(10)
        << "rate Hz" << "\n";
    for (const auto& p : s.populations)
        out << std::left << std::setw(12) << p.name << std::right << std::setw(8) << p.cells
            << std::setw(14) << p.incoming_synapses << std::setw(10) << p.spikes << std::setw(10)
            << std::fixed << std::setprecision(2) << p.rate_hz << "\n";
    const double rate = s.mean_rate_hz();
    out << std::left << std::setw(12) << "total" << std::right << std::setw(8) << s.cells
        << std::setw(14) << s.synapses << std::setw(10) << s.spikes << std::setw(10)
        << std::fixed << std::setprecision(2) << rate << "\n";
    out << std::setprecision(2) << "build " << s.build_s << " s, simulate " << s.simulate_s
        << " s, real-time factor " << std::setprecision(3) << (s.simulate_s / (s.duration_ms / 1000.0))
        << ", peak memory " << std::setprecision(0) << s.peak_rss_mb << " MiB\n"
        << "run file: " << s.run_file.string() << "\n";
}

}  // namespace m1
