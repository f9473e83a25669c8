#include "batch/run_id.hpp"

#include "batch/json_pointer.hpp"
#include "core/base/digest.hpp"
#include "core/format/json_source.hpp"
#include "core/format/model.hpp"

#include <algorithm>

namespace m1::batch {

namespace {

using json = nlohmann::ordered_json;

// Hashed first, so that a change to what the id covers can never collide with older ids.
constexpr std::string_view id_format = "m1batch-run-2\n";  // 2: run files record /lfp

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

}  // namespace

std::string id_digest(const std::string& text) { return sha256_hex(text).substr(0, 16); }

std::string run_id(const json& effective, const run_config& config) {
    std::string text(id_format);
    text += canonical_json(effective);
    append_id_extras(text, config);
    return id_digest(text);
}

run_id_splicer::run_id_splicer(const json& model, const std::vector<parameter>& params)
    : model_(model), params_(params) {
    if (!start_overlay()) return;
    spine top;
    top.children["netParams"];  // partial: its numbers are in the overlay, the rest cached
    for (const parameter& p : params)
        if (!p.tokens.empty() && !mirror(top, p)) return;
    plan_ = build(top, model);
    usable_ = true;
}

// The overlay starts with what apply_run_keys may write: simConfig and netParams' plain values.
bool run_id_splicer::start_overlay() {
    if (!model_.is_object() || !model_.contains("netParams") || !model_.at("netParams").is_object())
        return false;
    overlay_ = json::object();
    if (model_.contains("simConfig")) overlay_["simConfig"] = model_.at("simConfig");
    json& net_overlay = overlay_["netParams"] = json::object();
    for (auto it = model_.at("netParams").begin(); it != model_.at("netParams").end(); ++it)
        if (!it->is_structured()) net_overlay[it.key()] = *it;
    return true;
}

// The overlay mirrors the containers on the way to the swept value; false when not spliceable.
bool run_id_splicer::mirror(spine& top, const parameter& p) {
    spine* s = &top;
    const json* b = &model_;
    json* o = &overlay_;
    for (std::size_t t = 0; t < p.tokens.size(); ++t) {
        const std::string& token = p.tokens[t];
        spine& child = s->children[token];
        if (t + 1 == p.tokens.size()) {
            child.leaf = true;
            return child.children.empty();  // else overlapping pointers
        }
        if (child.leaf) return false;
        const json* bc = child_of(*b, token);
        if (!bc || !bc->is_structured()) return false;
        // Lists keep their length (nulls: take the file's element); objects start empty.
        json* oc = o->is_array() ? &o->at(array_index(token).value_or(0)) : &(*o)[token];
        if (oc->is_null()) *oc = bc->is_array() ? json(std::vector<json>(bc->size())) : json::object();
        s = &child;
        b = bc;
        o = oc;
    }
    return true;
}

run_id_splicer::node_plan run_id_splicer::build(const spine& s, const json& base) {
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

void run_id_splicer::id_text(const std::vector<param_value>& values, const run_config& config,
                             std::string& out) const {
    json overlay = overlay_;
    for (std::size_t i = 0; i < params_.size(); ++i) {
        const parameter& p = params_[i];
        if (p.tokens.empty()) continue;
        // The stored value's type follows the model file's value, as in effective_model.
        json converted = model_value(values[i], find_pointer(model_, p.tokens));
        pointer_slot(overlay, p.tokens) = std::move(converted);
    }
    apply_run_keys(overlay, config);
    out.assign(id_format);
    write(plan_, overlay, out);
    append_id_extras(out, config);
}

void run_id_splicer::write(const node_plan& plan, const json& overlay, std::string& out) {
    if (plan.is_array) write_array(plan, overlay, out);
    else write_object(plan, overlay, out);
}

void run_id_splicer::write_array(const node_plan& plan, const json& overlay, std::string& out) {
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
}

namespace {

// Keys the overlay adds to an object (apply_run_keys' defaults, a swept key the file leaves out),
// sorted; `has` tells the keys the object already has.
template <class Has>
std::vector<const std::string*> added_keys(const json& overlay, Has has) {
    std::vector<const std::string*> extra;
    if (overlay.is_object())
        for (auto it = overlay.begin(); it != overlay.end(); ++it)
            if (!has(it.key())) extra.push_back(&it.key());
    std::sort(extra.begin(), extra.end(), [](const auto* a, const auto* b) { return *a < *b; });
    return extra;
}

}  // namespace

void run_id_splicer::write_object(const node_plan& plan, const json& overlay, std::string& out) {
    const auto extra = added_keys(overlay, [&](const std::string& key) {
        const auto pos = std::lower_bound(plan.members.begin(), plan.members.end(), key,
                                          [](const member& m, const std::string& k) { return m.key < k; });
        return pos != plan.members.end() && pos->key == key;
    });
    out += '{';
    bool first = true;
    auto key = [&](const std::string& text) {
        if (!first) out += ',';
        first = false;
        out += text;
        out += ':';
    };
    std::size_t e = 0;
    for (const member& m : plan.members) {
        for (; e < extra.size() && *extra[e] < m.key; ++e) {
            key(json(*extra[e]).dump());
            out += canonical_json(overlay.at(*extra[e]));
        }
        key(m.key_text);
        const auto it = overlay.is_object() ? overlay.find(m.key) : overlay.end();
        // The overlay holds the whole value (a copied number, simConfig, a swept value) or, for a
        // container on the way to a swept value, the part that changes.
        if (overlay.is_object() && it != overlay.end() && m.partial) write(*m.partial, *it, out);
        else if (overlay.is_object() && it != overlay.end()) out += canonical_json(*it);
        else out += m.cached.empty() ? canonical_json(*m.base) : m.cached;
    }
    for (; e < extra.size(); ++e) {
        key(json(*extra[e]).dump());
        out += canonical_json(overlay.at(*extra[e]));
    }
    out += '}';
}

}  // namespace m1::batch
