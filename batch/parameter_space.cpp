#include "batch/parameter_space.hpp"

#include "batch/json_pointer.hpp"
#include "core/format/json_source.hpp"

#include <algorithm>
#include <cmath>

namespace m1::batch {

namespace {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

constexpr std::string_view run_key_names[] = {"seed", "seeds.conn", "seeds.stim", "seeds.loc",
                                              "duration", "dt", "scale"};
constexpr const char* run_key_list = "seed, seeds.conn, seeds.stim, seeds.loc, duration, dt, scale";
// Whole numbers above 2^53 are not all doubles: an integer range is kept below.
constexpr double max_exact_integer = 9007199254740992.0;

[[noreturn]] void fail(const fs::path& file, const std::string& key, const toml::node* node,
                       const std::string& what) {
    throw input_error(toml_location(file, key, node), what);
}

std::string indexed(const std::string& key, std::size_t i) {
    return key + "[" + std::to_string(i) + "]";
}

bool is_seed(const std::string& path) { return path == "seed" || path.rfind("seeds.", 0) == 0; }

enum class family { number, string, boolean };
family family_of(const param_value& v) {
    if (std::holds_alternative<bool>(v)) return family::boolean;
    if (std::holds_alternative<std::string>(v)) return family::string;
    return family::number;
}
const char* family_name(family f) {
    return f == family::number ? "a number" : f == family::string ? "a string" : "a boolean";
}

// A run key's range must hold only values the run key takes.
void check_run_range(const parameter& p, const fs::path& file, const std::string& key,
                     const toml::node* node) {
    const double lo = (*p.range)[0], hi = (*p.range)[1];
    if (!p.tokens.empty()) return;
    if (is_seed(p.path)) {
        if (!p.integer || lo < 0 || hi > double(max_seed))
            fail(file, key, node, "a seed range is [lo, hi] of whole numbers from 0 to 4294967295");
    } else if (!(lo > 0)) {
        fail(file, key, node, p.path + " must be positive: lo > 0");
    }
}

// Where two parameters touch the same thing: "" when they do not.
std::string overlap(const parameter& a, const parameter& b) {
    if (a.path == b.path) return "'" + b.path + "' is already varied by ";
    if (!a.tokens.empty() && !b.tokens.empty()) {
        const std::size_t n = std::min(a.tokens.size(), b.tokens.size());
        if (std::equal(a.tokens.begin(), a.tokens.begin() + n, b.tokens.begin()))
            return "'" + b.path + "' overlaps '" + a.path + "' varied by ";
    } else if (a.tokens.empty() && b.tokens.empty() &&
               ((a.path == "seed" && b.path.rfind("seeds.", 0) == 0) ||
                (b.path == "seed" && a.path.rfind("seeds.", 0) == 0))) {
        return "'" + b.path + "' overlaps '" + a.path + "' varied by ";
    }
    return "";
}

// A pointer's missing last key may be set when the model parser takes it with `first` there.
void check_new_key(const parameter& p, const param_value& first, const json_document& model,
                   const std::string& refusal) {
    json changed = model.root();
    pointer_slot(changed, p.tokens) = model_value(first, nullptr);
    try {
        parse_effective_model(model, std::move(changed));
    } catch (const input_error& e) {
        throw input_error(p.where, refusal + ", and setting it is refused: " + e.reason());
    }
}

// One pointer against the model: each token names a key of an object or an index of a list.
void check_pointer(const parameter& p, const param_value& first, const json_document& model,
                   const std::string& model_name) {
    const auto& tokens = p.tokens;
    const std::string where = "'" + p.path + "' is not in the model file " + model_name + ": ";
    const json* cur = &model.root();
    for (std::size_t t = 0; t < tokens.size(); ++t) {
        const std::string parent = t == 0 ? std::string("the file") : dotted(tokens, t);
        if (cur->is_object()) {
            const auto it = cur->find(tokens[t]);
            if (it != cur->end()) {
                cur = &*it;
                continue;
            }
            const std::string missing = where + parent + " has no key '" + tokens[t] + "'";
            if (t + 1 < tokens.size()) throw input_error(p.where, missing);
            check_new_key(p, first, model, missing);
        } else if (cur->is_array()) {
            const auto index = array_index(tokens[t]);
            if (!index || *index >= cur->size())
                throw input_error(p.where, where + "'" + tokens[t] + "' is not an index of " + parent +
                                               " (a list of " + std::to_string(cur->size()) + ")");
            cur = &(*cur)[*index];
        } else {
            throw input_error(p.where, where + parent + " is " + json_kind(*cur) +
                                           ", not an object or a list");
        }
    }
}

}  // namespace

bool is_run_key(std::string_view path) {
    return std::find(std::begin(run_key_names), std::end(run_key_names), path) !=
           std::end(run_key_names);
}

parameter read_parameter_path(const toml::table& entry, const fs::path& file, const std::string& key) {
    const toml::node* node = entry.get("path");
    if (!node) fail(file, key + ".path", &entry, "missing: path = \"/netParams/...\" or a run key");
    if (!node->is_string() || node->as_string()->get().empty())
        fail(file, key + ".path", node, "must be a JSON Pointer (\"/netParams/...\") or a run key");
    parameter p;
    p.path = node->as_string()->get();
    p.where = toml_location(file, key + ".path", node);
    if (!p.path.empty() && p.path[0] == '/') {
        auto tokens = pointer_tokens(p.path);
        if (!tokens)
            fail(file, key + ".path", node,
                 "malformed JSON Pointer: '~' is written ~0 and a '/' inside a key ~1");
        p.tokens = std::move(*tokens);
    } else if (!is_run_key(p.path)) {
        fail(file, key + ".path", node,
             "unknown run key '" + p.path + "' (" + run_key_list +
                 "); a model parameter is a JSON Pointer starting with /");
    }
    return p;
}

void read_parameter_values(parameter& p, const toml::table& entry, const fs::path& file,
                           const std::string& key) {
    const toml::node* vn = entry.get("values");
    if (!vn) fail(file, key + ".values", &entry, "missing: values = [...]");
    const toml::array* a = vn->as_array();
    if (!a) fail(file, key + ".values", vn, "must be a list: values = [...]");
    if (a->empty()) fail(file, key + ".values", vn, "must not be empty");
    for (std::size_t j = 0; j < a->size(); ++j) {
        const std::string vkey = indexed(key + ".values", j);
        param_value v = read_value(file, vkey, *a->get(j));
        if (j > 0) check_same_type(v, p.values.front(), key + ".values[0]", file, vkey, a->get(j));
        check_run_value(p, v, file, vkey, a->get(j));
        p.values.push_back(std::move(v));
    }
}

void check_distinct_values(const parameter& p, const toml::table& entry, const fs::path& file,
                           const std::string& key) {
    const toml::array& a = *entry.get("values")->as_array();
    for (std::size_t j = 1; j < p.values.size(); ++j)
        for (std::size_t k = 0; k < j; ++k)
            if (same_value(p.values[j], p.values[k]))
                fail(file, indexed(key + ".values", j), a.get(j),
                     "repeats " + indexed(key + ".values", k) + " (the two runs would be the same)");
}

void read_parameter_range(parameter& p, const toml::table& entry, const fs::path& file,
                          const std::string& key) {
    const toml::node* rn = entry.get("range");
    if (!rn) fail(file, key + ".range", &entry, "missing: range = [lo, hi]");
    const toml::array* a = rn->as_array();
    if (!a || a->size() != 2 || !a->get(0)->is_number() || !a->get(1)->is_number())
        fail(file, key + ".range", rn, "must be [lo, hi]: two numbers");
    const double lo = *a->get(0)->value<double>(), hi = *a->get(1)->value<double>();
    if (!std::isfinite(lo) || !std::isfinite(hi) || !(lo < hi))
        fail(file, key + ".range", rn, "must be [lo, hi] with lo < hi");
    p.range = std::array<double, 2>{lo, hi};
    p.integer = a->get(0)->is_integer() && a->get(1)->is_integer();
    if (p.integer && (std::fabs(lo) > max_exact_integer || std::fabs(hi) >= max_exact_integer))
        fail(file, key + ".range", rn, "whole-number ranges must lie within +-2^53");
    if (const toml::node* ln = entry.get("log")) {
        if (!ln->is_boolean()) fail(file, key + ".log", ln, "must be true or false");
        p.log = ln->as_boolean()->get();
    }
    if (p.log && !(lo > 0)) fail(file, key + ".range", rn, "a log range needs lo > 0");
    check_run_range(p, file, key + ".range", rn);
}

param_value read_value(const fs::path& file, const std::string& key, const toml::node& node) {
    if (const auto* i = node.as_integer()) return i->get();
    if (const auto* d = node.as_floating_point()) {
        if (!std::isfinite(d->get())) fail(file, key, &node, "must be a finite number");
        return d->get();
    }
    if (const auto* b = node.as_boolean()) return b->get();
    if (const auto* s = node.as_string()) return s->get();
    fail(file, key, &node,
         std::string("a value is a number, a string or a boolean, not ") +
             (node.is_array() ? "a list" : node.is_table() ? "a table" : "a date or time"));
}

void check_run_value(const parameter& p, const param_value& v, const fs::path& file,
                     const std::string& key, const toml::node* node) {
    if (!p.tokens.empty()) return;
    if (is_seed(p.path)) {
        const auto* i = std::get_if<std::int64_t>(&v);
        if (!i || *i < 0 || static_cast<std::uint64_t>(*i) > max_seed)
            fail(file, key, node, "a seed is a whole number from 0 to 4294967295");
    } else if (family_of(v) != family::number || !(as_double(v) > 0)) {
        fail(file, key, node, p.path + " must be a positive number");
    }
}

void check_same_type(const param_value& v, const param_value& first, const std::string& first_key,
                     const fs::path& file, const std::string& key, const toml::node* node) {
    if (family_of(v) == family_of(first)) return;
    fail(file, key, node,
         std::string("mixed types: this value is ") + family_name(family_of(v)) + ", " + first_key +
             " is " + family_name(family_of(first)));
}

bool same_value(const param_value& a, const param_value& b) {
    if (family_of(a) != family_of(b)) return false;
    if (family_of(a) == family::number) return as_double(a) == as_double(b);
    return a == b;
}

double as_double(const param_value& v) {
    if (const auto* i = std::get_if<std::int64_t>(&v)) return static_cast<double>(*i);
    if (const auto* d = std::get_if<double>(&v)) return *d;
    return 0;
}

void check_distinct_parameters(const std::vector<parameter>& params, const std::string& table_key) {
    for (std::size_t j = 0; j < params.size(); ++j)
        for (std::size_t i = 0; i < j; ++i) {
            const std::string clash = overlap(params[i], params[j]);
            if (clash.empty()) continue;
            const std::string other = indexed(table_key, i) + " (line " +
                                      std::to_string(params[i].where.line) + ")";
            const bool seeds = params[i].tokens.empty() && params[i].path != params[j].path;
            throw input_error(params[j].where,
                              clash + other + (seeds ? ": seed sets all three seeds" : ""));
        }
}

void check_against_run_keys(const std::vector<parameter>& params, const run_config& config,
                            const std::string& table_key) {
    auto varied = [&](const char* run_key) {
        return std::any_of(params.begin(), params.end(),
                           [&](const parameter& p) { return p.path == run_key; });
    };
    const std::string instead = " in " + table_key + " instead";
    for (const parameter& p : params) {
        const auto& t = p.tokens;
        if (t.empty() || t[0] != "simConfig") continue;
        if (t.size() == 1 || t[1] == "seeds")
            throw input_error(p.where, "every run sets simConfig.seeds from its seeds: vary the run "
                                       "key seed or seeds.conn, seeds.stim, seeds.loc" + instead +
                                       " (or give replicates)");
        if (t[1] == "duration" && (config.duration || varied("duration")))
            throw input_error(p.where, "the run key duration sets simConfig.duration for every run: "
                                       "vary the run key duration" + instead);
        if (t[1] == "dt" && (config.dt || varied("dt")))
            throw input_error(p.where, "the run key dt sets simConfig.dt for every run: vary the run "
                                       "key dt" + instead);
    }
}

void check_in_model(const std::vector<parameter>& params, const std::vector<param_value>& first,
                    const json_document& model, const std::string& model_name) {
    for (std::size_t i = 0; i < params.size(); ++i)
        if (!params[i].tokens.empty()) check_pointer(params[i], first[i], model, model_name);
}

std::string model_key_path(const parameter& p) {
    if (p.path == "duration") return "simConfig.duration";
    if (p.path == "dt") return "simConfig.dt";
    return dotted(p.tokens, p.tokens.size());
}

param_value value_in_range(const parameter& p, double u) {
    // An integer range is [lo, hi + 1) floored, so that every whole number in [lo, hi] gets its share.
    const double lo = (*p.range)[0];
    const double hi = (*p.range)[1] + (p.integer ? 1 : 0);
    double x = p.log ? std::exp(std::log(lo) + u * (std::log(hi) - std::log(lo))) : lo + u * (hi - lo);
    if (p.integer) return static_cast<std::int64_t>(std::clamp(std::floor(x), lo, (*p.range)[1]));
    return std::clamp(x, lo, hi);
}

nlohmann::json param_value_to_json(const param_value& v) {
    return std::visit([](const auto& x) { return nlohmann::json(x); }, v);
}

param_value param_value_from_json(const nlohmann::json& j) {
    if (j.is_boolean()) return j.get<bool>();
    if (j.is_number_integer()) return j.get<std::int64_t>();
    if (j.is_number()) return j.get<double>();
    return j.get<std::string>();
}

json model_value(const param_value& value, const json* existing) {
    if (const auto* i = std::get_if<std::int64_t>(&value))
        return existing && existing->is_number_integer() ? json(*i) : json(static_cast<double>(*i));
    if (const auto* d = std::get_if<double>(&value)) return json(*d);
    if (const auto* b = std::get_if<bool>(&value)) return json(*b);
    return json(std::get<std::string>(value));
}

json effective_model(const json& model, const std::vector<parameter>& params,
                     const std::vector<param_value>& values) {
    json doc = model;
    for (std::size_t i = 0; i < params.size() && i < values.size(); ++i) {
        if (params[i].tokens.empty()) continue;
        json converted = model_value(values[i], find_pointer(doc, params[i].tokens));
        pointer_slot(doc, params[i].tokens) = std::move(converted);
    }
    return doc;
}

m1::seeds seeds_with(const m1::seeds& base, const std::vector<parameter>& params,
                     const std::vector<param_value>& values) {
    m1::seeds s = base;
    for (std::size_t i = 0; i < params.size() && i < values.size(); ++i) {
        const std::string& path = params[i].path;
        const auto* v = std::get_if<std::int64_t>(&values[i]);
        if (!v) continue;
        const auto seed = static_cast<std::uint32_t>(*v);
        if (path == "seed") s = {seed, seed, seed};
        else if (path == "seeds.conn") s.conn = seed;
        else if (path == "seeds.stim") s.stim = seed;
        else if (path == "seeds.loc") s.loc = seed;
    }
    return s;
}

void apply_run_key_values(run_config& config, const std::vector<parameter>& params,
                          const std::vector<param_value>& values) {
    for (std::size_t i = 0; i < params.size() && i < values.size(); ++i) {
        const std::string& path = params[i].path;
        if (path == "duration") config.duration = as_double(values[i]);
        else if (path == "dt") config.dt = as_double(values[i]);
        else if (path == "scale") config.scale = as_double(values[i]);
    }
}

}  // namespace m1::batch
