#include "batch/sweep.hpp"

#include "core/base/digest.hpp"
#include "core/base/text_format.hpp"
#include "core/base/random.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <toml++/toml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <ostream>
#include <set>
#include <type_traits>
#include <unordered_map>

namespace m1::batch {

namespace {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

constexpr std::string_view run_key_names[] = {"seed", "seeds.conn", "seeds.stim", "seeds.loc",
                                              "duration", "dt", "scale"};
constexpr const char* run_key_list = "seed, seeds.conn, seeds.stim, seeds.loc, duration, dt, scale";
// Hashed first, so that a change to what the id covers can never collide with older ids.
constexpr std::string_view id_format = "m1batch-run-2\n";  // 2: run files record /lfp
constexpr std::uint64_t max_seed = 4294967295ULL;
// Whole numbers above 2^53 are not all doubles: an integer range is kept below.
constexpr double max_exact_integer = 9007199254740992.0;
// id3 of the sampling streams, one per use, so that no two uses share draws.
constexpr std::uint32_t random_stream_id = 0x52414e44;    // "RAND"
constexpr std::uint32_t lhs_permutation_id = 0x4c485350;  // "LHSP"
constexpr std::uint32_t lhs_offset_id = 0x4c48534f;       // "LHSO"

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

bool is_pointer(const std::string& path) { return !path.empty() && path[0] == '/'; }

// RFC 6901 reference tokens: "/a~1b/c~0d" -> {"a/b", "c~d"}; nullopt for a bad escape.
std::optional<std::vector<std::string>> pointer_tokens(std::string_view path) {
    if (path.empty() || path[0] != '/') return std::nullopt;
    std::vector<std::string> tokens(1);
    for (std::size_t i = 1; i < path.size(); ++i) {
        if (path[i] == '/') {
            tokens.emplace_back();
        } else if (path[i] == '~') {
            if (i + 1 >= path.size() || (path[i + 1] != '0' && path[i + 1] != '1'))
                return std::nullopt;
            tokens.back() += path[++i] == '0' ? '~' : '/';
        } else {
            tokens.back() += path[i];
        }
    }
    return tokens;
}

// An array index token: digits, no leading zero (RFC 6901).
std::optional<std::size_t> array_index(const std::string& token) {
    if (token.empty() || (token.size() > 1 && token[0] == '0')) return std::nullopt;
    std::size_t index = 0;
    const auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), index);
    if (ec != std::errc() || end != token.data() + token.size()) return std::nullopt;
    return index;
}

// The key path the model's own errors use (json_document::locate): tokens joined by dots.
std::string dotted(const std::vector<std::string>& tokens, std::size_t count) {
    std::string out;
    for (std::size_t i = 0; i < count && i < tokens.size(); ++i) {
        if (i) out += '.';
        out += tokens[i];
    }
    return out;
}

const char* json_kind(const json& v) {
    if (v.is_object()) return "an object";
    if (v.is_array()) return "a list";
    if (v.is_string()) return "a string";
    if (v.is_boolean()) return "a boolean";
    if (v.is_null()) return "null";
    return "a number";
}

// A swept value as the model stores it. A float field keeps floats: an integer becomes an integer
// only where the model already holds one (so 1 and 1.0 in a float field are the same model).
json to_json(const param_value& value, const json* existing) {
    if (const auto* i = std::get_if<std::int64_t>(&value))
        return existing && existing->is_number_integer() ? json(*i) : json(static_cast<double>(*i));
    if (const auto* d = std::get_if<double>(&value)) return json(*d);
    if (const auto* b = std::get_if<bool>(&value)) return json(*b);
    return json(std::get<std::string>(value));
}

// Sets the value `tokens` name in `doc` (load_sweep has checked that all but the last exist).
void set_pointer(json& doc, const std::vector<std::string>& tokens, const param_value& value) {
    if (tokens.empty()) return;
    json* parent = &doc;
    for (std::size_t i = 0; i + 1 < tokens.size(); ++i) {
        if (parent->is_array()) parent = &parent->at(array_index(tokens[i]).value_or(0));
        else parent = &(*parent)[tokens[i]];
    }
    if (parent->is_array()) {
        json& slot = parent->at(array_index(tokens.back()).value_or(0));
        slot = to_json(value, &slot);
        return;
    }
    auto it = parent->find(tokens.back());
    if (it != parent->end()) *it = to_json(value, &*it);
    else (*parent)[tokens.back()] = to_json(value, nullptr);
}

double as_double(const param_value& v) {
    if (const auto* i = std::get_if<std::int64_t>(&v)) return static_cast<double>(*i);
    if (const auto* d = std::get_if<double>(&v)) return *d;
    return 0;
}

enum class family { number, string, boolean };
family family_of(const param_value& v) {
    if (std::holds_alternative<bool>(v)) return family::boolean;
    if (std::holds_alternative<std::string>(v)) return family::string;
    return family::number;
}
const char* family_name(family f) {
    return f == family::number ? "a number" : f == family::string ? "a string" : "a boolean";
}

bool same_value(const param_value& a, const param_value& b) {
    if (family_of(a) != family_of(b)) return false;
    if (family_of(a) == family::number) return as_double(a) == as_double(b);
    return a == b;
}

// One swept value as written in the TOML file.
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

// A run-key parameter's value must be what the run key itself accepts.
void check_run_value(const std::string& path, const param_value& v, const fs::path& file,
                     const std::string& key, const toml::node* node) {
    if (path == "seed" || path.rfind("seeds.", 0) == 0) {
        const auto* i = std::get_if<std::int64_t>(&v);
        if (!i || *i < 0 || static_cast<std::uint64_t>(*i) > max_seed)
            fail(file, key, node, "a seed is a whole number from 0 to 4294967295");
    } else if (family_of(v) != family::number || !(as_double(v) > 0)) {
        fail(file, key, node, path + " must be a positive number");
    }
}

// The three seeds a run starts from before its parameters and replicate: the configuration's, else
// the model's simConfig.seeds (load_sweep has had the model parser check them).
m1::seeds base_seeds(const sweep_spec& sweep) {
    if (sweep.config.seeds) return *sweep.config.seeds;
    if (sweep.config.seed) return {*sweep.config.seed, *sweep.config.seed, *sweep.config.seed};
    m1::seeds s;
    const json& root = sweep.model.root();
    if (!root.is_object() || !root.contains("simConfig")) return s;
    const json& sim = root.at("simConfig");
    if (!sim.is_object() || !sim.contains("seeds") || !sim.at("seeds").is_object()) return s;
    const json& seeds = sim.at("seeds");
    auto read = [&](const char* key, std::uint32_t& into) {
        if (seeds.contains(key) && seeds.at(key).is_number()) {
            const double x = seeds.at(key).get<double>();
            if (x >= 0 && x <= double(max_seed)) into = static_cast<std::uint32_t>(x);
        }
    };
    read("conn", s.conn);
    read("stim", s.stim);
    read("loc", s.loc);
    return s;
}

// The seeds of a point before replicates: the base seeds with the swept seed parameters set.
m1::seeds point_seeds(const sweep_spec& sweep, const m1::seeds& base,
                      const std::vector<param_value>& values) {
    m1::seeds s = base;
    for (std::size_t i = 0; i < sweep.params.size() && i < values.size(); ++i) {
        const std::string& path = sweep.params[i].path;
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

m1::seeds replicate_of(const m1::seeds& s, const std::vector<std::string>& which, std::size_t k) {
    m1::seeds out = s;
    const auto add = static_cast<std::uint32_t>(k);
    for (const std::string& name : which) {
        if (name == "conn") out.conn += add;
        else if (name == "stim") out.stim += add;
        else if (name == "loc") out.loc += add;
    }
    return out;
}

// A run's configuration without its output (which needs the id): the sweep's run keys with the
// run's run-key parameters and seeds.
run_config run_config_of(const sweep_spec& sweep, const std::vector<param_value>& values,
                         const m1::seeds& seeds) {
    run_config c = sweep.config;
    for (std::size_t i = 0; i < sweep.params.size() && i < values.size(); ++i) {
        const std::string& path = sweep.params[i].path;
        if (path == "duration") c.duration = as_double(values[i]);
        else if (path == "dt") c.dt = as_double(values[i]);
        else if (path == "scale") c.scale = as_double(values[i]);
    }
    c.seed.reset();
    c.seeds = seeds;
    return c;
}

// What the id covers beyond the model: the scale (also visible in the model, but stated) and the
// recorded traces, as canonical JSON after a newline.
void append_id_extras(std::string& text, const run_config& config) {
    json extras = json::object();
    if (config.scale) extras["scale"] = *config.scale;
    extras["traces"] = config.traces;
    extras["lfp"] = config.lfp.to_json();  // what /lfp records changes the run file
    text += '\n';
    text += canonical_json(extras);
}

std::string digest16(const std::string& text) { return sha256_hex(text).substr(0, 16); }

// ---------------------------------------------------------------------------------------------
// Run ids without building each run's whole model. A run's effective model differs from the model
// file only at the swept pointers and where apply_run_keys writes (netParams' numbers, simConfig).
// So each run fills a small overlay (those members, the swept values, then apply_run_keys on it)
// and its canonical text is spliced from the overlay and the canonical text of every other member,
// computed once. expand_sweep checks it against the full construction and falls back to that.
class id_splicer {
public:
    explicit id_splicer(const sweep_spec& sweep) : sweep_(sweep) {
        const json& root = sweep.model.root();
        if (!root.is_object() || !root.contains("netParams") || !root.at("netParams").is_object())
            return;
        spine top;
        top.children["netParams"];  // partial: its numbers are in the overlay, the rest cached
        overlay_ = json::object();
        if (root.contains("simConfig")) overlay_["simConfig"] = root.at("simConfig");
        json& net_overlay = overlay_["netParams"] = json::object();
        for (auto it = root.at("netParams").begin(); it != root.at("netParams").end(); ++it)
            if (!it->is_structured()) net_overlay[it.key()] = *it;
        tokens_.resize(sweep.params.size());
        for (std::size_t i = 0; i < sweep.params.size(); ++i) {
            if (!is_pointer(sweep.params[i].path)) continue;
            auto tokens = pointer_tokens(sweep.params[i].path);
            if (!tokens || tokens->empty()) return;
            // The overlay mirrors the containers on the way to the swept value.
            spine* s = &top;
            const json* b = &root;
            json* o = &overlay_;
            for (std::size_t t = 0; t < tokens->size(); ++t) {
                const std::string& token = (*tokens)[t];
                const bool last = t + 1 == tokens->size();
                spine& child = s->children[token];
                if (last) {
                    if (!child.children.empty()) return;  // overlapping pointers: not spliceable
                    child.leaf = true;
                    break;
                }
                if (child.leaf) return;
                const json* bc = nullptr;
                if (b && b->is_object() && b->contains(token)) bc = &b->at(token);
                if (b && b->is_array()) {
                    const auto index = array_index(token);
                    if (index && *index < b->size()) bc = &(*b)[*index];
                }
                if (!bc || !bc->is_structured()) return;
                // Lists keep their length (nulls: take the file's element); objects start empty.
                json* oc = o->is_array() ? &o->at(array_index(token).value_or(0)) : &(*o)[token];
                if (oc->is_null())
                    *oc = bc->is_array() ? json(std::vector<json>(bc->size())) : json::object();
                s = &child;
                b = bc;
                o = oc;
            }
            tokens_[i] = std::move(*tokens);
        }
        plan_ = build(top, root);
        usable_ = true;
    }

    bool usable() const noexcept { return usable_; }

    // The id text of `run`: id_format, the canonical effective model, the extras.
    void id_text(const sweep_run& run, std::string& out) const {
        json overlay = overlay_;
        for (std::size_t i = 0; i < sweep_.params.size(); ++i)
            if (!tokens_[i].empty()) set_pointer_in_overlay(overlay, i, run.values[i]);
        apply_run_keys(overlay, run.config);
        out.assign(id_format);
        write(plan_, overlay, out);
        append_id_extras(out, run.config);
    }

private:
    struct spine {
        std::map<std::string, spine> children;
        bool leaf = false;
    };
    struct node_plan;
    struct member {
        std::string key, key_text;  // key_text: the key as canonical JSON writes it
        const json* base = nullptr;
        std::unique_ptr<node_plan> partial;  // a container on the way to a swept value
        bool leaf = false;                   // a swept value: always from the overlay
        std::string cached;                  // canonical text of the rest
    };
    struct node_plan {
        bool is_array = false;
        std::vector<member> members;  // objects: sorted by key; lists: by index
    };

    node_plan build(const spine& s, const json& base) {
        node_plan plan;
        plan.is_array = base.is_array();
        auto add = [&](const std::string& key, const json& value) {
            member m;
            m.key = key;
            m.key_text = json(key).dump();
            m.base = &value;
            auto it = s.children.find(key);
            if (it != s.children.end() && it->second.leaf) m.leaf = true;
            else if (it != s.children.end()) m.partial = std::make_unique<node_plan>(build(it->second, value));
            else m.cached = canonical_json(value);
            plan.members.push_back(std::move(m));
        };
        if (base.is_object()) {
            for (auto it = base.begin(); it != base.end(); ++it) add(it.key(), it.value());
            std::sort(plan.members.begin(), plan.members.end(),
                      [](const member& a, const member& b) { return a.key < b.key; });
        } else {
            for (std::size_t i = 0; i < base.size(); ++i) add(std::to_string(i), base[i]);
        }
        return plan;
    }

    void set_pointer_in_overlay(json& overlay, std::size_t param, const param_value& value) const {
        // The stored value's type follows the model file's value, as in effective_document.
        const std::vector<std::string>& tokens = tokens_[param];
        const json* existing = &sweep_.model.root();
        for (const std::string& t : tokens) {
            if (!existing) break;
            if (existing->is_array()) {
                const auto index = array_index(t);
                existing = index && *index < existing->size() ? &(*existing)[*index] : nullptr;
            } else if (existing->is_object() && existing->contains(t)) {
                existing = &existing->at(t);
            } else {
                existing = nullptr;
            }
        }
        json* o = &overlay;
        for (std::size_t i = 0; i + 1 < tokens.size(); ++i)
            o = o->is_array() ? &o->at(array_index(tokens[i]).value_or(0)) : &(*o)[tokens[i]];
        json converted = to_json(value, existing);
        if (o->is_array()) o->at(array_index(tokens.back()).value_or(0)) = std::move(converted);
        else (*o)[tokens.back()] = std::move(converted);
    }

    static void write(const node_plan& plan, const json& overlay, std::string& out) {
        if (plan.is_array) {
            out += '[';
            for (std::size_t i = 0; i < plan.members.size(); ++i) {
                if (i) out += ',';
                const member& m = plan.members[i];
                const json* o = overlay.is_array() && i < overlay.size() ? &overlay[i] : nullptr;
                if (m.partial && o) write(*m.partial, *o, out);
                else if (m.leaf && o) out += canonical_json(*o);
                else out += m.cached.empty() ? canonical_json(*m.base) : m.cached;
            }
            out += ']';
            return;
        }
        // Keys the overlay adds (apply_run_keys' defaults, a swept key the file leaves out).
        std::vector<const std::string*> extra;
        if (overlay.is_object())
            for (auto it = overlay.begin(); it != overlay.end(); ++it) {
                const auto pos = std::lower_bound(
                    plan.members.begin(), plan.members.end(), it.key(),
                    [](const member& m, const std::string& k) { return m.key < k; });
                if (pos == plan.members.end() || pos->key != it.key()) extra.push_back(&it.key());
            }
        std::sort(extra.begin(), extra.end(), [](const auto* a, const auto* b) { return *a < *b; });
        out += '{';
        bool first = true;
        auto from_overlay = [&](const std::string& key) {
            if (!first) out += ',';
            first = false;
            out += json(key).dump();
            out += ':';
            out += canonical_json(overlay.at(key));
        };
        std::size_t e = 0;
        for (const member& m : plan.members) {
            while (e < extra.size() && *extra[e] < m.key) from_overlay(*extra[e++]);
            if (!first) out += ',';
            first = false;
            out += m.key_text;
            out += ':';
            const auto it = overlay.is_object() ? overlay.find(m.key) : overlay.end();
            if (overlay.is_object() && it != overlay.end()) {
                // The overlay holds the whole value (a copied number, simConfig, a swept value)
                // or, for a container on the way to a swept value, the part that changes.
                if (m.partial) write(*m.partial, *it, out);
                else out += canonical_json(*it);
            } else {
                out += m.cached.empty() ? canonical_json(*m.base) : m.cached;
            }
        }
        while (e < extra.size()) from_overlay(*extra[e++]);
        out += '}';
    }

    const sweep_spec& sweep_;
    bool usable_ = false;
    json overlay_;
    std::vector<std::vector<std::string>> tokens_;  // per param; empty for a run key
    node_plan plan_;
};

// ---------------------------------------------------------------------------------------------
// The points of a sweep, computed on demand so that counting them costs nothing.
class point_source {
public:
    explicit point_source(const sweep_spec& sweep) : sweep_(sweep) {
        if (sweep.params.empty()) {
            count_ = 1;
            return;
        }
        switch (sweep.method) {
            case sweep_method::grid: {
                // One axis per group (at its first parameter) and per ungrouped parameter.
                std::map<std::string, std::size_t> group_axis;
                for (std::size_t i = 0; i < sweep.params.size(); ++i) {
                    const sweep_param& p = sweep.params[i];
                    if (!p.group.empty()) {
                        auto [it, fresh] = group_axis.emplace(p.group, axes_.size());
                        if (!fresh) {
                            axes_[it->second].push_back(i);
                            continue;
                        }
                    }
                    axes_.push_back({i});
                    lengths_.push_back(p.values.size());
                }
                count_ = 1;
                for (std::size_t len : lengths_)
                    if (__builtin_mul_overflow(count_, len, &count_)) overflow_ = true;
                break;
            }
            case sweep_method::list: count_ = sweep.points.size(); break;
            case sweep_method::random:
            case sweep_method::latin_hypercube: count_ = sweep.samples; break;
        }
    }

    std::size_t count() const noexcept { return count_; }
    bool overflow() const noexcept { return overflow_; }

    // Draws the random and Latin hypercube values (only once the count is known to be sane).
    void sample() {
        if (sweep_.method != sweep_method::random && sweep_.method != sweep_method::latin_hypercube)
            return;
        const auto id1 = static_cast<std::uint32_t>(sweep_.sampling_seed);
        const auto global = static_cast<std::uint32_t>(sweep_.sampling_seed >> 32);
        const std::size_t n = count_;
        samples_.assign(sweep_.params.size(), {});
        for (std::size_t p = 0; p < sweep_.params.size(); ++p) {
            const sweep_param& param = sweep_.params[p];
            auto& out = samples_[p];
            out.reserve(n);
            const auto pid = static_cast<std::uint32_t>(p);
            if (sweep_.method == sweep_method::random) {
                random_stream stream(id1, pid, random_stream_id, global);
                for (std::size_t i = 0; i < n; ++i) out.push_back(transform(param, stream.uniform01()));
            } else {
                // Each of the n strata of [0, 1) once, in a random order (Fisher-Yates), at a
                // uniform offset inside it.
                std::vector<std::uint64_t> strata(n);
                for (std::size_t i = 0; i < n; ++i) strata[i] = i;
                random_stream shuffle(id1, pid, lhs_permutation_id, global);
                for (std::size_t i = n; i-- > 1;) {
                    const auto j = static_cast<std::size_t>(
                        (std::uint64_t{shuffle.next_word()} * (i + 1)) >> 32);
                    std::swap(strata[i], strata[j]);
                }
                random_stream offset(id1, pid, lhs_offset_id, global);
                for (std::size_t i = 0; i < n; ++i) {
                    const double u = (double(strata[i]) + offset.uniform01()) / double(n);
                    out.push_back(transform(param, std::min(u, std::nextafter(1.0, 0.0))));
                }
            }
        }
    }

    std::vector<param_value> values(std::size_t point) const {
        std::vector<param_value> v(sweep_.params.size());
        if (sweep_.params.empty()) return v;
        switch (sweep_.method) {
            case sweep_method::grid: {
                std::size_t q = point;  // mixed radix, the last axis fastest
                for (std::size_t a = axes_.size(); a-- > 0;) {
                    const std::size_t index = q % lengths_[a];
                    q /= lengths_[a];
                    for (std::size_t p : axes_[a]) v[p] = sweep_.params[p].values[index];
                }
                break;
            }
            case sweep_method::list: v = sweep_.points[point]; break;
            case sweep_method::random:
            case sweep_method::latin_hypercube:
                for (std::size_t p = 0; p < v.size(); ++p) v[p] = samples_[p][point];
                break;
        }
        return v;
    }

    // u in (0, 1) to a value in the parameter's range; an integer range is [lo, hi + 1) floored,
    // so that every whole number in [lo, hi] gets its share.
    static param_value transform(const sweep_param& p, double u) {
        const double lo = (*p.range)[0];
        const double hi = (*p.range)[1] + (p.integer ? 1 : 0);
        double x = p.log ? std::exp(std::log(lo) + u * (std::log(hi) - std::log(lo)))
                         : lo + u * (hi - lo);
        if (p.integer)
            return static_cast<std::int64_t>(std::clamp(std::floor(x), lo, (*p.range)[1]));
        return std::clamp(x, lo, hi);
    }

private:
    const sweep_spec& sweep_;
    std::size_t count_ = 0;
    bool overflow_ = false;
    std::vector<std::vector<std::size_t>> axes_;
    std::vector<std::size_t> lengths_;
    std::vector<std::vector<param_value>> samples_;  // [param][point]
};

// ---------------------------------------------------------------------------------------------
// Loading.

struct source_file {
    fs::path path;
    toml::table table;
};

fs::path identity(const fs::path& p) {
    std::error_code ec;
    fs::path c = fs::weakly_canonical(p, ec);
    return ec ? fs::absolute(p, ec).lexically_normal() : c;
}

// The sweep file and its chain of base files, the sweep file first.
std::vector<source_file> read_sources(const fs::path& file) {
    std::vector<source_file> chain;
    std::vector<fs::path> seen{identity(file)};
    chain.push_back({file, parse_toml_file(file)});
    while (true) {
        const fs::path current = chain.back().path;
        const toml::node* node = chain.back().table.get("base");
        if (!node) break;
        if (!node->is_string() || node->as_string()->get().empty())
            fail(current, "base", node, "must be the path of a run configuration");
        fs::path base = node->as_string()->get();
        if (base.is_relative()) base = current.parent_path() / base;
        base = base.lexically_normal();
        const fs::path id = identity(base);
        if (std::find(seen.begin(), seen.end(), id) != seen.end()) {
            std::string cycle;
            for (const source_file& s : chain) cycle += s.path.string() + " -> ";
            fail(current, "base", node, "base files form a cycle: " + cycle + base.string());
        }
        std::error_code ec;
        if (!fs::is_regular_file(base, ec)) fail(current, "base", node, "no such file: " + base.string());
        seen.push_back(id);
        toml::table table = parse_toml_file(base);
        if (const toml::node* s = table.get("sweep"))
            fail(base, "sweep", s,
                 "a base file gives run keys only; the [sweep] table belongs in the sweep file");
        chain.push_back({base, std::move(table)});
    }
    return chain;
}

struct param_source {  // where load_sweep found a parameter's parts, for later checks
    std::vector<std::string> tokens;   // JSON Pointer tokens; empty for a run key
    const toml::node* values = nullptr;
    const toml::node* range = nullptr;
    source_location first;             // where the first run's value is written
};

}  // namespace

bool is_run_key(std::string_view path) {
    return std::find(std::begin(run_key_names), std::end(run_key_names), path) !=
           std::end(run_key_names);
}

bool is_sweep_file(const std::filesystem::path& file) {
    return parse_toml_file(file).contains("sweep");
}

sweep_spec load_sweep(const std::filesystem::path& file) {
    sweep_spec spec;
    spec.file = file;
    const std::vector<source_file> chain = read_sources(file);
    for (const source_file& s : chain) spec.sources.push_back(s.path);
    const toml::table& top = chain.front().table;

    // Run keys: the deepest base first, each file overriding what it sets.
    for (std::size_t i = chain.size(); i-- > 1;) {
        if (const toml::node* n = chain[i].table.get("name"); n && !n->is_string())
            fail(chain[i].path, "name", n, "must be a string");
        read_run_keys(chain[i].table, chain[i].path, spec.config, {"base", "name", "cluster"});
    }
    read_run_keys(top, file, spec.config, {"base", "name", "sweep", "cluster"});
    // [cluster]: the deepest base first, each file overriding the keys it sets.
    for (std::size_t i = chain.size(); i-- > 0;)
        if (const toml::node* n = chain[i].table.get("cluster")) {
            const toml::table* t = n->as_table();
            if (!t) fail(chain[i].path, "cluster", n, "must be a table: [cluster]");
            spec.cluster.override_with(read_cluster_table(*t, chain[i].path));
        }
    spec.config.file = file;
    require_model_and_output(spec.config);

    spec.name = file.stem().string();
    if (const toml::node* n = top.get("name")) {
        if (!n->is_string() || n->as_string()->get().empty())
            fail(file, "name", n, "must be a non-empty string");
        spec.name = n->as_string()->get();
    }

    const toml::node* sweep_node = top.get("sweep");
    if (!sweep_node)
        fail(file, "sweep", nullptr,
             "missing: a sweep file has a [sweep] table (a file without one is a single run)");
    const toml::table* sw = sweep_node->as_table();
    if (!sw) fail(file, "sweep", sweep_node, "must be a table: [sweep]");

    spec.model = json_document::read_file(spec.config.model);

    // --- [sweep]
    static const std::set<std::string> sweep_keys = {
        "method", "replicates", "replicate_seeds", "timeout_s", "analysis",
        "param", "points", "samples", "sampling_seed"};
    for (auto&& [k, node] : *sw)
        if (!sweep_keys.count(std::string(k.str())))
            fail(file, "sweep." + std::string(k.str()), &node,
                 "unknown key (a [sweep] table has method, replicates, replicate_seeds, timeout_s, "
                 "analysis, param, points, samples, sampling_seed)");

    if (const toml::node* n = sw->get("method")) {
        static const std::map<std::string, sweep_method> methods = {
            {"grid", sweep_method::grid}, {"list", sweep_method::list},
            {"random", sweep_method::random}, {"latin_hypercube", sweep_method::latin_hypercube}};
        const auto it = n->is_string() ? methods.find(n->as_string()->get()) : methods.end();
        if (it == methods.end())
            fail(file, "sweep.method", n,
                 "must be \"grid\", \"list\", \"random\" or \"latin_hypercube\"");
        spec.method = it->second;
    }
    const std::string method = method_name(spec.method);
    const bool sampled =
        spec.method == sweep_method::random || spec.method == sweep_method::latin_hypercube;
    if (const toml::node* n = sw->get("points"); n && spec.method != sweep_method::list)
        fail(file, "sweep.points", n,
             "points belong to method = \"list\"; this sweep's method is \"" + method + "\"");
    for (const char* key : {"samples", "sampling_seed"})
        if (const toml::node* n = sw->get(key); n && !sampled)
            fail(file, std::string("sweep.") + key, n,
                 std::string(key) + " is for method = \"random\" or \"latin_hypercube\"; this "
                 "sweep's method is \"" + method + "\"");

    if (const toml::node* n = sw->get("replicates")) {
        if (!n->is_integer() || n->as_integer()->get() < 1)
            fail(file, "sweep.replicates", n, "must be a whole number >= 1");
        spec.replicates = static_cast<std::size_t>(n->as_integer()->get());
    }
    if (const toml::node* n = sw->get("replicate_seeds")) {
        const toml::array* a = n->as_array();
        if (!a || a->empty())
            fail(file, "sweep.replicate_seeds", n,
                 "must be a non-empty list of seed names: \"conn\", \"stim\", \"loc\"");
        spec.replicate_seeds.clear();
        for (std::size_t i = 0; i < a->size(); ++i) {
            const toml::node& e = *a->get(i);
            const std::string key = indexed("sweep.replicate_seeds", i);
            const std::string name = e.is_string() ? e.as_string()->get() : std::string();
            if (name != "conn" && name != "stim" && name != "loc")
                fail(file, key, &e, "a seed name is \"conn\", \"stim\" or \"loc\"");
            if (std::find(spec.replicate_seeds.begin(), spec.replicate_seeds.end(), name) !=
                spec.replicate_seeds.end())
                fail(file, key, &e, "\"" + name + "\" is named twice");
            spec.replicate_seeds.push_back(name);
        }
    }
    if (const toml::node* n = sw->get("timeout_s")) {
        const auto v = n->value<double>();  // integers too
        if (!n->is_number() || !v || !(*v > 0) || !std::isfinite(*v))
            fail(file, "sweep.timeout_s", n, "must be a positive number of seconds");
        spec.timeout_s = *v;
    }
    if (const toml::node* n = sw->get("analysis")) {
        // The measures run right after each run (m1analyze's defaults for their parameters).
        const toml::array* a = n->as_array();
        if (!a) fail(file, "sweep.analysis", n, "must be a list of rates, rate_psd, granger, nte, lfp");
        for (std::size_t i = 0; i < a->size(); ++i) {
            const toml::node& item = *a->get(i);
            const auto name = item.value<std::string>();
            if (!name || (*name != "rates" && *name != "rate_psd" && *name != "granger" &&
                          *name != "nte" && *name != "lfp"))
                fail(file, indexed("sweep.analysis", i), &item,
                     "unknown analysis (rates, rate_psd, granger, nte, lfp)");
            if (std::find(spec.analysis.begin(), spec.analysis.end(), *name) != spec.analysis.end())
                fail(file, indexed("sweep.analysis", i), &item, "listed twice");
            spec.analysis.push_back(*name);
        }
    }
    if (sampled) {
        const toml::node* n = sw->get("samples");
        if (!n)
            fail(file, "sweep.samples", sweep_node,
                 "missing: a " + method + " sweep needs samples = N (N >= 1)");
        if (!n->is_integer() || n->as_integer()->get() < 1)
            fail(file, "sweep.samples", n, "must be a whole number >= 1");
        spec.samples = static_cast<std::size_t>(n->as_integer()->get());
        if (const toml::node* s = sw->get("sampling_seed")) {
            if (!s->is_integer() || s->as_integer()->get() < 0)
                fail(file, "sweep.sampling_seed", s, "must be a whole number >= 0");
            spec.sampling_seed = static_cast<std::uint64_t>(s->as_integer()->get());
        }
    }

    // --- [[sweep.param]]
    std::vector<param_source> sources;
    const toml::array* entries = nullptr;
    if (const toml::node* n = sw->get("param")) {
        entries = n->as_array();
        if (!entries || !entries->is_array_of_tables())
            fail(file, "sweep.param", n, "must be [[sweep.param]] tables");
    }
    const std::size_t count = entries ? entries->size() : 0;
    if (count == 0 && spec.method != sweep_method::grid)
        fail(file, "sweep.param", sweep_node,
             "a " + method + " sweep needs [[sweep.param]] entries");
    if (count == 0 && spec.replicates < 2)
        fail(file, "sweep.param", sweep_node,
             "nothing to sweep: give [[sweep.param]] entries, or replicates > 1");
    static const std::set<std::string> param_keys = {"path", "values", "group", "range", "log"};
    for (std::size_t i = 0; i < count; ++i) {
        const toml::table& t = *entries->get(i)->as_table();
        const std::string key = indexed("sweep.param", i);
        for (auto&& [k, node] : t) {
            const std::string name(k.str());
            if (!param_keys.count(name))
                fail(file, key + "." + name, &node,
                     "unknown key (a [[sweep.param]] has path, values, group, range, log)");
            const bool wrong =
                (spec.method == sweep_method::grid && (name == "range" || name == "log")) ||
                (spec.method == sweep_method::list && name != "path") ||
                (sampled && (name == "values" || name == "group"));
            if (!wrong) continue;
            std::string why;
            if (spec.method == sweep_method::grid)
                why = "a grid sweep lists values = [...]; range and log are for random and "
                      "latin_hypercube sweeps";
            else if (spec.method == sweep_method::list)
                why = "a list sweep's [[sweep.param]] has only path; its values are in "
                      "[sweep] points";
            else
                why = "a " + method + " sweep samples range = [lo, hi]; values and group are "
                      "for grid sweeps";
            fail(file, key + "." + name, &node, name + " does not belong here: " + why);
        }

        sweep_param p;
        param_source src;
        const toml::node* path_node = t.get("path");
        if (!path_node) fail(file, key + ".path", entries->get(i), "missing: path = \"/netParams/...\" or a run key");
        if (!path_node->is_string() || path_node->as_string()->get().empty())
            fail(file, key + ".path", path_node, "must be a JSON Pointer (\"/netParams/...\") or a run key");
        p.path = path_node->as_string()->get();
        p.where = toml_location(file, key + ".path", path_node);
        if (is_pointer(p.path)) {
            auto tokens = pointer_tokens(p.path);
            if (!tokens)
                fail(file, key + ".path", path_node,
                     "malformed JSON Pointer: '~' is written ~0 and a '/' inside a key ~1");
            src.tokens = std::move(*tokens);
        } else if (!is_run_key(p.path)) {
            fail(file, key + ".path", path_node,
                 "unknown run key '" + p.path + "' (" + run_key_list +
                     "); a model parameter is a JSON Pointer starting with /");
        }

        if (spec.method == sweep_method::grid) {
            const toml::node* vn = t.get("values");
            if (!vn) fail(file, key + ".values", entries->get(i), "missing: values = [...]");
            const toml::array* a = vn->as_array();
            if (!a) fail(file, key + ".values", vn, "must be a list: values = [...]");
            if (a->empty()) fail(file, key + ".values", vn, "must not be empty");
            src.values = vn;
            for (std::size_t j = 0; j < a->size(); ++j) {
                const std::string vkey = indexed(key + ".values", j);
                param_value v = read_value(file, vkey, *a->get(j));
                if (j > 0 && family_of(v) != family_of(p.values.front()))
                    fail(file, vkey, a->get(j),
                         std::string("mixed types: this value is ") + family_name(family_of(v)) +
                             ", " + key + ".values[0] is " + family_name(family_of(p.values.front())));
                if (!is_pointer(p.path)) check_run_value(p.path, v, file, vkey, a->get(j));
                p.values.push_back(std::move(v));
            }
            src.first = toml_location(file, key + ".values[0]", a->get(0));
            if (const toml::node* g = t.get("group")) {
                if (!g->is_string() || g->as_string()->get().empty())
                    fail(file, key + ".group", g, "must be a non-empty string");
                p.group = g->as_string()->get();
            }
            if (p.group.empty())  // a repeated value gives the same run twice
                for (std::size_t j = 1; j < p.values.size(); ++j)
                    for (std::size_t k = 0; k < j; ++k)
                        if (same_value(p.values[j], p.values[k]))
                            fail(file, indexed(key + ".values", j), a->get(j),
                                 "repeats " + indexed(key + ".values", k) +
                                     " (the two runs would be the same)");
        } else if (sampled) {
            const toml::node* rn = t.get("range");
            if (!rn) fail(file, key + ".range", entries->get(i), "missing: range = [lo, hi]");
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
            if (const toml::node* ln = t.get("log")) {
                if (!ln->is_boolean()) fail(file, key + ".log", ln, "must be true or false");
                p.log = ln->as_boolean()->get();
            }
            if (p.log && !(lo > 0))
                fail(file, key + ".range", rn, "a log range needs lo > 0");
            if (!is_pointer(p.path)) {
                if (p.path == "seed" || p.path.rfind("seeds.", 0) == 0) {
                    if (!p.integer || lo < 0 || hi > double(max_seed))
                        fail(file, key + ".range", rn,
                             "a seed range is [lo, hi] of whole numbers from 0 to 4294967295");
                } else if (!(lo > 0)) {
                    fail(file, key + ".range", rn, p.path + " must be positive: lo > 0");
                }
            }
            src.range = rn;
            src.first = toml_location(file, key + ".range", rn);
        }
        spec.params.push_back(std::move(p));
        sources.push_back(std::move(src));
    }

    // Parameters may not touch the same thing twice.
    for (std::size_t j = 0; j < spec.params.size(); ++j) {
        const sweep_param& b = spec.params[j];
        const std::string key = indexed("sweep.param", j) + ".path";
        const toml::node* node = entries->get(j)->as_table()->get("path");
        for (std::size_t i = 0; i < j; ++i) {
            const sweep_param& a = spec.params[i];
            const std::string other = indexed("sweep.param", i) + " (line " +
                                      std::to_string(a.where.line) + ")";
            if (a.path == b.path) fail(file, key, node, "'" + b.path + "' is already swept by " + other);
            const auto& ta = sources[i].tokens;
            const auto& tb = sources[j].tokens;
            if (!ta.empty() && !tb.empty()) {
                const std::size_t n = std::min(ta.size(), tb.size());
                if (std::equal(ta.begin(), ta.begin() + n, tb.begin()))
                    fail(file, key, node,
                         "'" + b.path + "' overlaps '" + a.path + "' swept by " + other);
            } else if (ta.empty() && tb.empty() &&
                       ((a.path == "seed" && b.path.rfind("seeds.", 0) == 0) ||
                        (b.path == "seed" && a.path.rfind("seeds.", 0) == 0))) {
                fail(file, key, node,
                     "'" + b.path + "' overlaps '" + a.path + "' swept by " + other +
                         ": seed sets all three seeds");
            }
        }
    }
    // Keys of simConfig that every run's run keys overwrite would be swept for nothing.
    auto swept = [&](const char* run_key) {
        return std::any_of(spec.params.begin(), spec.params.end(),
                           [&](const sweep_param& p) { return p.path == run_key; });
    };
    for (std::size_t i = 0; i < spec.params.size(); ++i) {
        const auto& t = sources[i].tokens;
        if (t.empty() || t[0] != "simConfig") continue;
        const std::string key = indexed("sweep.param", i) + ".path";
        const toml::node* node = entries->get(i)->as_table()->get("path");
        if (t.size() == 1 || t[1] == "seeds")
            fail(file, key, node,
                 "every run sets simConfig.seeds from its seeds: sweep seed or seeds.conn, "
                 "seeds.stim, seeds.loc (and replicates) instead");
        if (t[1] == "duration" && (spec.config.duration || swept("duration")))
            fail(file, key, node,
                 "the run key duration sets simConfig.duration for every run: sweep duration instead");
        if (t[1] == "dt" && (spec.config.dt || swept("dt")))
            fail(file, key, node, "the run key dt sets simConfig.dt for every run: sweep dt instead");
    }

    // --- list: [sweep] points
    if (spec.method == sweep_method::list) {
        const toml::node* n = sw->get("points");
        if (!n)
            fail(file, "sweep.points", sweep_node,
                 "missing: a list sweep gives points = [[v1, v2, ...], ...]");
        const toml::array* a = n->as_array();
        if (!a || a->empty())
            fail(file, "sweep.points", n, "must be a non-empty list of points [[v1, v2, ...], ...]");
        spec.points.reserve(a->size());
        for (std::size_t q = 0; q < a->size(); ++q) {
            const std::string key = indexed("sweep.points", q);
            const toml::array* point = a->get(q)->as_array();
            if (!point)
                fail(file, key, a->get(q), "a point is a list of values, one per [[sweep.param]]");
            if (point->size() != spec.params.size())
                fail(file, key, a->get(q),
                     "a point has one value per [[sweep.param]] (" +
                         std::to_string(spec.params.size()) + "), this one has " +
                         std::to_string(point->size()));
            std::vector<param_value> values;
            values.reserve(point->size());
            for (std::size_t i = 0; i < point->size(); ++i) {
                const std::string vkey = indexed(key, i);
                param_value v = read_value(file, vkey, *point->get(i));
                if (q > 0 && family_of(v) != family_of(spec.points.front()[i]))
                    fail(file, vkey, point->get(i),
                         std::string("mixed types: this value is ") + family_name(family_of(v)) +
                             ", " + indexed(indexed("sweep.points", 0), i) + " is " +
                             family_name(family_of(spec.points.front()[i])));
                if (!is_pointer(spec.params[i].path))
                    check_run_value(spec.params[i].path, v, file, vkey, point->get(i));
                values.push_back(std::move(v));
            }
            spec.points.push_back(std::move(values));
        }
        for (std::size_t i = 0; i < spec.params.size(); ++i)
            sources[i].first = toml_location(file, "sweep.points[0][" + std::to_string(i) + "]",
                                             a->get(0)->as_array()->get(i));
    }

    // --- grid: the lists of one group are zipped, so they must be equally long.
    if (spec.method == sweep_method::grid) {
        std::map<std::string, std::size_t> first_of_group;
        for (std::size_t i = 0; i < spec.params.size(); ++i) {
            const sweep_param& p = spec.params[i];
            if (p.group.empty()) continue;
            auto [it, fresh] = first_of_group.emplace(p.group, i);
            if (fresh) continue;
            const sweep_param& first = spec.params[it->second];
            if (first.values.size() != p.values.size())
                fail(file, indexed("sweep.param", i) + ".values", sources[i].values,
                     "group '" + p.group + "' zips lists of equal length: " +
                         indexed("sweep.param", it->second) + " has " +
                         std::to_string(first.values.size()) + " values, this list has " +
                         std::to_string(p.values.size()));
        }
    }

    // A parameter with a float among its values sets floats throughout (1 and 1.0 alike).
    auto widen = [](auto&& each) {
        bool any_float = false;
        each([&](param_value& v) { any_float = any_float || std::holds_alternative<double>(v); });
        if (any_float)
            each([](param_value& v) {
                if (const auto* i = std::get_if<std::int64_t>(&v)) v = static_cast<double>(*i);
            });
    };
    for (std::size_t i = 0; i < spec.params.size(); ++i) {
        if (spec.method == sweep_method::grid)
            widen([&](auto&& f) { for (auto& v : spec.params[i].values) f(v); });
        if (spec.method == sweep_method::list)
            widen([&](auto&& f) { for (auto& point : spec.points) f(point[i]); });
    }

    // --- the model: every pointer must name a value in it.
    const json& root = spec.model.root();
    const std::string model_name = spec.config.model.string();
    std::vector<param_value> first(spec.params.size());
    for (std::size_t i = 0; i < spec.params.size(); ++i) {
        const sweep_param& p = spec.params[i];
        if (spec.method == sweep_method::grid) first[i] = p.values.front();
        else if (spec.method == sweep_method::list) first[i] = spec.points.front()[i];
        else first[i] = p.integer ? param_value(static_cast<std::int64_t>((*p.range)[0]))
                                  : param_value((*p.range)[0]);
    }
    for (std::size_t i = 0; i < spec.params.size(); ++i) {
        const auto& tokens = sources[i].tokens;
        if (tokens.empty()) continue;
        const sweep_param& p = spec.params[i];
        const std::string key = indexed("sweep.param", i) + ".path";
        const toml::node* node = entries->get(i)->as_table()->get("path");
        const std::string where = "'" + p.path + "' is not in the model file " + model_name + ": ";
        const json* cur = &root;
        for (std::size_t t = 0; t < tokens.size(); ++t) {
            const std::string parent = t == 0 ? std::string("the file") : dotted(tokens, t);
            const bool last = t + 1 == tokens.size();
            if (cur->is_object()) {
                auto it = cur->find(tokens[t]);
                if (it != cur->end()) {
                    cur = &*it;
                    continue;
                }
                if (!last) fail(file, key, node, where + parent + " has no key '" + tokens[t] + "'");
                // A key the file leaves at NetPyNE's default may be swept if the model parser
                // takes it; anything else it does not know is refused.
                json changed = root;
                set_pointer(changed, tokens, first[i]);
                try {
                    parse_effective_model(spec.model, std::move(changed));
                } catch (const input_error& e) {
                    fail(file, key, node,
                         where + parent + " has no key '" + tokens[t] + "', and setting it is refused: " +
                             e.reason());
                }
            } else if (cur->is_array()) {
                const auto index = array_index(tokens[t]);
                if (!index || *index >= cur->size())
                    fail(file, key, node,
                         where + "'" + tokens[t] + "' is not an index of " + parent + " (a list of " +
                             std::to_string(cur->size()) + ")");
                cur = &(*cur)[*index];
            } else {
                fail(file, key, node,
                     where + parent + " is " + json_kind(*cur) + ", not an object or a list");
            }
        }
    }

    // The model with the sweep's run keys, as a single run would check it; then the first run.
    {
        json base = root;
        apply_run_keys(base, spec.config);
        parse_effective_model(spec.model, std::move(base));
    }
    {
        const m1::seeds seeds = point_seeds(spec, base_seeds(spec), first);
        for (const std::string& name : spec.replicate_seeds) {
            const std::uint32_t s = name == "conn" ? seeds.conn : name == "stim" ? seeds.stim : seeds.loc;
            if (std::uint64_t{s} + spec.replicates - 1 > max_seed)
                fail(file, "sweep.replicates", sw->get("replicates"),
                     "replicates would take seed " + name + " = " + std::to_string(s) +
                         " past 4294967295");
        }
        sweep_run run;
        run.values = first;
        run.seeds = seeds;
        run.config = run_config_of(spec, first, seeds);
        try {
            parse_effective_model(spec.model, effective_document(spec, run));
        } catch (const input_error& e) {
            const std::string& at = e.where().key_path;
            for (std::size_t i = 0; i < spec.params.size(); ++i) {
                std::string target = dotted(sources[i].tokens, sources[i].tokens.size());
                if (spec.params[i].path == "duration") target = "simConfig.duration";
                if (spec.params[i].path == "dt") target = "simConfig.dt";
                if (!target.empty() && (at == target || at.rfind(target + ".", 0) == 0))
                    throw input_error(sources[i].first,
                                      "the model refuses this value (" + at + "): " + e.reason());
            }
            throw input_error({file.string(), "sweep", 0, 0},
                              "the model of the first run is refused: " + std::string(e.what()));
        }
    }

    // --- the sweep made self-contained (OUTPUT/sweep.toml next to OUTPUT/model.json)
    toml::table& out = spec.self_contained;
    out.insert_or_assign("name", spec.name);
    out.insert_or_assign("model", "model.json");
    out.insert_or_assign("output", ".");
    if (spec.config.seed) out.insert_or_assign("seed", std::int64_t{*spec.config.seed});
    if (spec.config.seeds) {
        toml::table seeds;
        seeds.insert_or_assign("conn", std::int64_t{spec.config.seeds->conn});
        seeds.insert_or_assign("stim", std::int64_t{spec.config.seeds->stim});
        seeds.insert_or_assign("loc", std::int64_t{spec.config.seeds->loc});
        out.insert_or_assign("seeds", std::move(seeds));
    }
    if (spec.config.threads) out.insert_or_assign("threads", static_cast<std::int64_t>(spec.config.threads));
    if (spec.config.duration) out.insert_or_assign("duration", *spec.config.duration);
    if (spec.config.dt) out.insert_or_assign("dt", *spec.config.dt);
    if (spec.config.scale) out.insert_or_assign("scale", *spec.config.scale);
    if (!spec.config.traces.empty()) {
        toml::array traces;
        for (const std::string& t : spec.config.traces) traces.push_back(t);
        toml::table record;
        record.insert_or_assign("traces", std::move(traces));
        out.insert_or_assign("record", std::move(record));
    }
    {
        // [lfp] when it differs from the default (it is part of every run's id).
        const lfp_config& lfp = spec.config.lfp;
        if (lfp.to_json() != lfp_config{}.to_json()) {
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
    }
    out.insert_or_assign("sweep", *sw);
    if (toml::table cluster = cluster_table(spec.cluster); !cluster.empty())
        out.insert_or_assign("cluster", std::move(cluster));
    return spec;
}

std::vector<sweep_run> expand_sweep(const sweep_spec& sweep, std::size_t max_runs) {
    point_source points(sweep);
    const std::size_t reps = std::max<std::size_t>(1, sweep.replicates);
    std::size_t total = 0;
    const bool overflow = points.overflow() || __builtin_mul_overflow(points.count(), reps, &total);
    if (overflow || total > max_runs)
        throw input_error({sweep.file.string(), "sweep", 0, 0},
                          "the sweep has " +
                              (overflow ? std::string("more than 2^64") : std::to_string(total)) +
                              " runs, more than --max-runs " + std::to_string(max_runs) +
                              "; raise --max-runs to run it");
    points.sample();

    const m1::seeds base = base_seeds(sweep);
    std::vector<std::vector<param_value>> point_values(points.count());
    std::vector<m1::seeds> seeds(points.count());
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, points.count()), [&](const auto& r) {
        for (std::size_t q = r.begin(); q != r.end(); ++q) {
            point_values[q] = points.values(q);
            seeds[q] = point_seeds(sweep, base, point_values[q]);
        }
    });
    for (std::size_t q = 0; q < points.count(); ++q)
        for (const std::string& name : sweep.replicate_seeds) {
            const std::uint32_t s =
                name == "conn" ? seeds[q].conn : name == "stim" ? seeds[q].stim : seeds[q].loc;
            if (std::uint64_t{s} + reps - 1 > max_seed)
                throw input_error({sweep.file.string(), "sweep.replicates", 0, 0},
                                  "point " + std::to_string(q) + ": replicates would take seed " +
                                      name + " = " + std::to_string(s) + " past 4294967295");
        }

    std::vector<sweep_run> runs(total);
    auto fill = [&](std::size_t i) {
        sweep_run& run = runs[i];
        run.index = i;
        run.point = i / reps;
        run.replicate = i % reps;
        run.values = point_values[run.point];
        run.seeds = replicate_of(seeds[run.point], sweep.replicate_seeds, run.replicate);
        run.config = run_config_of(sweep, run.values, run.seeds);
    };
    // The splicer must give exactly run_id's text; checked on two runs, else every run is built whole.
    id_splicer splicer(sweep);
    bool splice = splicer.usable();
    std::string text;
    for (std::size_t i : {std::size_t{0}, total - 1}) {
        fill(i);
        if (!splice) break;
        splicer.id_text(runs[i], text);
        splice = digest16(text) == run_id(effective_document(sweep, runs[i]), runs[i].config);
    }
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, total), [&](const auto& r) {
        std::string buffer;
        for (std::size_t i = r.begin(); i != r.end(); ++i) {
            fill(i);
            sweep_run& run = runs[i];
            if (splice) {
                splicer.id_text(run, buffer);
                run.id = digest16(buffer);
            } else {
                run.id = run_id(effective_document(sweep, run), run.config);
            }
            run.config.output = sweep.config.output / "runs" / run.id;
        }
    });

    // Two runs with one id would be one simulation counted twice.
    std::vector<std::size_t> order(total);
    for (std::size_t i = 0; i < total; ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return runs[a].id != runs[b].id ? runs[a].id < runs[b].id : a < b;
    });
    for (std::size_t k = 1; k < total; ++k)
        if (runs[order[k]].id == runs[order[k - 1]].id)
            throw input_error(
                {sweep.file.string(), "sweep", 0, 0},
                "runs " + std::to_string(order[k - 1]) + " and " + std::to_string(order[k]) +
                    " are the same simulation (run id " + runs[order[k]].id +
                    "): look for a repeated value or point, seeds varied both by a parameter and "
                    "by replicates, or an integer range with fewer values than samples");
    return runs;
}

nlohmann::ordered_json effective_document(const sweep_spec& sweep, const sweep_run& run) {
    json doc = sweep.model.root();
    for (std::size_t i = 0; i < sweep.params.size() && i < run.values.size(); ++i) {
        if (!is_pointer(sweep.params[i].path)) continue;
        if (const auto tokens = pointer_tokens(sweep.params[i].path))
            set_pointer(doc, *tokens, run.values[i]);
    }
    apply_run_keys(doc, run.config);
    return doc;
}

std::string run_id(const nlohmann::ordered_json& effective, const run_config& config) {
    std::string text(id_format);
    text += canonical_json(effective);
    append_id_extras(text, config);
    return digest16(text);
}

std::string format_value(const param_value& value) {
    char buffer[64];
    if (const auto* i = std::get_if<std::int64_t>(&value)) {
        const auto r = std::to_chars(buffer, buffer + sizeof buffer, *i);
        return std::string(buffer, r.ptr);
    }
    if (const auto* d = std::get_if<double>(&value)) return python_repr(*d);
    if (const auto* b = std::get_if<bool>(&value)) return *b ? "true" : "false";
    return std::get<std::string>(value);
}

std::string format_seeds(const m1::seeds& seeds) {
    if (seeds.conn == seeds.stim && seeds.stim == seeds.loc) return std::to_string(seeds.conn);
    return std::to_string(seeds.conn) + "/" + std::to_string(seeds.stim) + "/" +
           std::to_string(seeds.loc);
}

namespace {


}  // namespace

void print_runs(const sweep_spec& sweep, const std::vector<sweep_run>& runs, std::ostream& out,
                bool csv) {
    std::vector<std::string> header{"run_id"};
    for (const sweep_param& p : sweep.params) header.push_back(p.path);
    header.push_back("seed");
    auto row_of = [&](const sweep_run& run) {
        std::vector<std::string> row{run.id};
        for (const param_value& v : run.values) row.push_back(format_value(v));
        row.push_back(format_seeds(run.seeds));
        return row;
    };
    if (csv) {
        auto line = [&](const std::vector<std::string>& fields) {
            for (std::size_t i = 0; i < fields.size(); ++i) {
                if (i) out << ',';
                out << csv_field(fields[i]);
            }
            out << "\r\n";
        };
        line(header);
        for (const sweep_run& run : runs) line(row_of(run));
        return;
    }
    header.insert(header.begin(), "#");
    std::vector<std::size_t> width(header.size());
    for (std::size_t c = 0; c < header.size(); ++c) width[c] = header[c].size();
    std::vector<std::vector<std::string>> rows;
    rows.reserve(runs.size());
    for (const sweep_run& run : runs) {
        auto row = row_of(run);
        row.insert(row.begin(), std::to_string(run.index));
        for (std::size_t c = 0; c < row.size() && c < width.size(); ++c)
            width[c] = std::max(width[c], row[c].size());
        rows.push_back(std::move(row));
    }
    auto line = [&](const std::vector<std::string>& fields) {
        std::string text;
        for (std::size_t c = 0; c < fields.size(); ++c) {
            if (c) text += "  ";
            const std::size_t pad = c < width.size() ? width[c] - std::min(width[c], fields[c].size()) : 0;
            if (c == 0) text.append(pad, ' ');  // the run number, right-aligned
            text += fields[c];
            if (c != 0 && c + 1 < fields.size()) text.append(pad, ' ');
        }
        out << text << '\n';
    };
    line(header);
    for (const auto& row : rows) line(row);
    const std::size_t reps = sweep.replicates ? sweep.replicates : 1;
    const std::size_t points = runs.size() / reps;
    out << runs.size() << (runs.size() == 1 ? " run (" : " runs (") << points
        << (points == 1 ? " point x " : " points x ") << reps
        << (reps == 1 ? " replicate)" : " replicates)") << '\n';
}

}  // namespace m1::batch
