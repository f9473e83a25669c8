#include "core/run/network_cache.hpp"

#include "core/base/digest.hpp"
#include "core/format/model.hpp"
#include "core/format/json_source.hpp"

#include <tbb/parallel_for.h>

#include <cctype>
#include <cmath>
#include <limits>

namespace m1 {

namespace {

// A weight that is the same for every pair of a rule: no cell variables, no random draws.
bool same_for_every_pair(const expression& e) {
    return !e.uses_pre() && !e.uses_post() && !e.uses_random();
}

bool is_identifier_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

// Whether `name` appears as a whole identifier in any string of `value`.
bool mentions(const nlohmann::ordered_json& value, const std::string& name) {
    if (value.is_string()) {
        const std::string& text = value.get_ref<const std::string&>();
        for (std::size_t at = text.find(name); at != std::string::npos; at = text.find(name, at + 1)) {
            const bool starts = at == 0 || !is_identifier_char(text[at - 1]);
            const std::size_t end = at + name.size();
            const bool ends = end == text.size() || !is_identifier_char(text[end]);
            if (starts && ends) return true;
        }
        return false;
    }
    if (value.is_structured())
        for (const auto& item : value)
            if (mentions(item, name)) return true;
    return false;
}

}  // namespace

std::string connectivity_key(const model_spec& model) {
    nlohmann::ordered_json doc = model.document;
    if (auto sim = doc.find("simConfig"); sim != doc.end() && sim->is_object()) {
        sim->erase("duration");
        sim->erase("recordStep");
        if (auto seeds = sim->find("seeds"); seeds != sim->end() && seeds->is_object())
            seeds->erase("stim");
    }
    auto net = doc.find("netParams");
    if (net != doc.end() && net->is_object()) {
        net->erase("stimSourceParams");
        net->erase("stimTargetParams");
        net->erase("scaleConnWeightNetStims");
        bool all_rule_constant = true;
        if (auto rules = net->find("connParams"); rules != net->end() && rules->is_object()) {
            for (const connectivity_rule& rule : model.connectivity_rules) {
                auto entry = rules->find(rule.label);
                if (entry == rules->end() || !entry->is_object()) continue;
                if (same_for_every_pair(rule.weight)) entry->erase("weight");
                else all_rule_constant = false;
            }
        }
        if (all_rule_constant) net->erase("scaleConnWeight");
        // netParams numbers that strings used only in what was removed (ItoIweight: only in
        // weights). Numbers no string uses are read by the parser itself and stay.
        std::vector<std::string> only_in_removed;
        for (auto it = net->begin(); it != net->end(); ++it)
            if (it.value().is_number() && !mentions(doc, it.key()) &&
                mentions(model.document, it.key()))
                only_in_removed.push_back(it.key());
        for (const std::string& name : only_in_removed) net->erase(name);
    }
    return sha256_hex(canonical_json(doc));
}

network reweighted(const network& built, const recipe& r) {
    const model_spec& m = r.model();
    std::vector<double> rule_weight(m.connectivity_rules.size(),
                                    std::numeric_limits<double>::quiet_NaN());
    for (std::size_t k = 0; k < m.connectivity_rules.size(); ++k) {
        const expression& e = m.connectivity_rules[k].weight;
        if (same_for_every_pair(e)) rule_weight[k] = e.evaluate({}) * m.scale_conn_weight;
    }
    network out{.slot_of_gid = built.slot_of_gid,
                .gid_of_slot = built.gid_of_slot,
                .synapses = {.wiring = built.synapses.wiring, .weight = {}},
                .min_delay = built.min_delay,
                .max_delay = built.max_delay,
                .max_artificial_delay = built.max_artificial_delay,
                .contacts = built.contacts,
                .num_contacts = built.num_contacts};
    // A rule whose weight varies per pair is in the key, so its weights are the built ones.
    const std::vector<std::uint16_t>& rule = built.synapses.wiring->rule;
    const uninitialized_vector<double>& old_weight = built.synapses.weight;
    uninitialized_vector<double>& weight = out.synapses.weight;
    weight.resize(old_weight.size());  // not zeroed: every element is written below, in parallel
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, weight.size(), 1 << 16),
                      [&](const tbb::blocked_range<std::size_t>& range) {
        for (std::size_t s = range.begin(); s != range.end(); ++s) {
            const double w = rule_weight[rule[s]];
            weight[s] = std::isnan(w) ? old_weight[s] : w;
        }
    });
    return out;
}

std::shared_ptr<const network> network_cache::find(const std::string& key) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
        if (it->first != key) continue;
        auto entry = std::move(*it);
        entries_.erase(it);
        entries_.push_back(std::move(entry));
        return entries_.back().second;
    }
    return nullptr;
}

void network_cache::store(const std::string& key, std::shared_ptr<const network> net) {
    if (capacity_ == 0) return;
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto it = entries_.begin(); it != entries_.end(); ++it)
        if (it->first == key) {
            entries_.erase(it);
            break;
        }
    if (entries_.size() >= capacity_) entries_.erase(entries_.begin());
    entries_.emplace_back(key, std::move(net));
}

obtained_network network_for(const recipe& r, network_cache* cache) {
    obtained_network out;
    const std::string key = cache ? connectivity_key(r.model()) : std::string();
    if (cache) {
        if (auto cached = cache->find(key)) {
            out.net = std::make_shared<const network>(reweighted(*cached, r));
            out.reused = true;
            return out;
        }
    }
    out.net = std::make_shared<const network>(build_network(r));
    if (cache) cache->store(key, out.net);
    return out;
}

}  // namespace m1
