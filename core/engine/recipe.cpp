#include "core/engine/recipe.hpp"

#include "core/format/model.hpp"  // the recipe lowers the model: the one engine unit that reads it

#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace m1 {

namespace {

bool in_list(const std::vector<std::string>& values, const std::string& tag) {
    return std::find(values.begin(), values.end(), tag) != values.end();
}

double coordinate(const cell_position& p, const std::string& key) {
    if (key == "x") return p.x;
    if (key == "y") return p.y;
    if (key == "z") return p.z;
    if (key == "xnorm") return p.xnorm;
    if (key == "ynorm") return p.ynorm;
    return p.znorm;
}

}  // namespace

recipe::recipe(const model_spec& model) : model_(model) {
    place_cells();
    select_rules();
    draw_stimulations();
}

namespace {

// Pop.createCellsDensity (Python's left-to-right evaluation, then truncation), or numCells.
std::uint32_t population_size(const model_spec& m, const population_spec& spec) {
    if (!spec.density) return static_cast<std::uint32_t>(*spec.num_cells);  // scale 1: model.cpp refuses others
    double volume = m.size_y / 1e3 * m.size_x / 1e3 * m.size_z / 1e3;
    volume *= spec.ynorm_range[1] - spec.ynorm_range[0];
    volume *= spec.xnorm_range[1] - spec.xnorm_range[0];
    volume *= spec.znorm_range[1] - spec.znorm_range[0];
    return static_cast<std::uint32_t>(*spec.density * volume);
}

double scaled(double u, const std::array<double, 2>& range) { return u * (range[1] - range[0]) + range[0]; }

}  // namespace

// Populations in file order, gids consecutive (SEMANTICS.md §1).
void recipe::place_cells() {
    gid_type next_gid = 0;
    for (std::size_t p = 0; p < model_.populations.size(); ++p) {
        const std::uint32_t n = population_size(model_, model_.populations[p]);
        populations_.push_back({p, next_gid, n});
        next_gid += n;
    }
    population_of_.resize(next_gid);
    positions_.resize(next_gid);
    cell_rule_.assign(next_gid, -1);
    tbb::parallel_for(std::size_t(0), populations_.size(), [&](std::size_t p) { draw_positions(p); });
    assign_cell_rules();
}

// One stream per population, Random123(N, first gid, seeds.loc); uniform(0,1) spends one draw
// installing the distribution, then x, y, z norms are drawn cell by cell.
void recipe::draw_positions(std::size_t p) {
    const model_spec& m = model_;
    const population_layout& layout = populations_[p];
    const population_spec& spec = m.populations[layout.spec];
    random_stream stream(layout.size, layout.first_gid, m.sim.seed.loc);
    stream.discard(1);
    for (std::uint32_t i = 0; i < layout.size; ++i) {
        const gid_type gid = layout.first_gid + i;
        cell_position& pos = positions_[gid];
        pos.xnorm = scaled(stream.uniform01(), spec.xnorm_range);
        pos.ynorm = scaled(stream.uniform01(), spec.ynorm_range);
        pos.znorm = scaled(stream.uniform01(), spec.znorm_range);
        pos.x = m.size_x * pos.xnorm;
        pos.y = m.size_y * pos.ynorm;
        pos.z = m.size_z * pos.znorm;
        population_of_[gid] = static_cast<std::uint16_t>(p);
    }
}

// Each Izhikevich cell takes the one cellParams rule whose conds it meets (closed ranges, as
// NetPyNE's checkConditions).
void recipe::assign_cell_rules() {
    for (const population_layout& layout : populations_) {
        if (model_.populations[layout.spec].kind != population_kind::izhikevich) continue;
        for (std::uint32_t i = 0; i < layout.size; ++i)
            cell_rule_[layout.first_gid + i] = cell_rule_for(layout, i);
    }
}

std::int16_t recipe::cell_rule_for(const population_layout& layout, std::uint32_t i) const {
    const model_spec& m = model_;
    const population_spec& spec = m.populations[layout.spec];
    std::int16_t found = -1;
    for (std::size_t r = 0; r < m.cell_rules.size(); ++r) {
        if (!matches(m.cell_rules[r].conds, layout.first_gid + i, true)) continue;
        if (found >= 0)
            throw input_error({m.file, "netParams.cellParams." + m.cell_rules[r].label, 0, 0},
                              "cells of population " + spec.name + " meet the conds of two cell rules, " +
                                  m.cell_rules[found].label + " and " + m.cell_rules[r].label +
                                  "; m1batch needs exactly one");
        found = static_cast<std::int16_t>(r);
    }
    if (found < 0)
        throw input_error({m.file, "netParams.popParams." + spec.name, 0, 0},
                          "no cellParams rule's conds match cell " + std::to_string(i) + " of population " +
                              spec.name + " (cellType '" + spec.cell_type + "')");
    return found;
}

const population_spec& recipe::population_spec_of(gid_type gid) const {
    return model_.populations[populations_[population_of_[gid]].spec];
}

const izhikevich_params& recipe::izhikevich_of(gid_type gid) const { return cell_rule_of(gid)->izhikevich; }
const soma_geometry& recipe::geometry_of(gid_type gid) const { return cell_rule_of(gid)->geometry; }
double recipe::v_init_of(gid_type gid) const { return cell_rule_of(gid)->v_init; }
double recipe::threshold() const { return model_.default_threshold; }
std::span<const synaptic_mechanism> recipe::synaptic_mechanisms() const { return model_.synaptic_mechanisms; }
double recipe::temperature() const { return model_.sim.celsius; }
const stim_source* recipe::artificial_source(std::size_t population) const {
    const population_spec& spec = model_.populations[populations_[population].spec];
    return spec.kind == population_kind::izhikevich ? nullptr : &spec.spike_source;
}

const stim_source& recipe::source_of(const cell_stimulation& st) const {
    return model_.stim_sources[model_.stim_targets[st.target].source];
}


const cell_rule* recipe::cell_rule_of(gid_type gid) const {
    return cell_rule_[gid] < 0 ? nullptr : &model_.cell_rules[cell_rule_[gid]];
}

namespace {

// The text tags (pop, cellType, cellModel): the same for every cell of a population.
bool tags_match(const conditions& conds, const population_spec& pop) {
    for (const tag_condition& c : conds) {
        if (c.is_range) continue;
        if (c.key == "pop" && !in_list(c.values, pop.name)) return false;
        if (c.key == "cellType" && !in_list(c.values, pop.cell_type)) return false;
        if (c.key == "cellModel" && !in_list(c.values, pop.cell_model)) return false;
    }
    return true;
}

bool in_ranges(const conditions& conds, const cell_position& p, bool closed_ranges) {
    for (const tag_condition& c : conds) {
        if (!c.is_range) continue;
        const double v = coordinate(p, c.key);
        if (v < c.low) return false;
        if (closed_ranges ? v > c.high : v >= c.high) return false;
    }
    return true;
}

}  // namespace

bool recipe::matches(const conditions& conds, gid_type gid, bool closed_ranges) const {
    return tags_match(conds, population_spec_of(gid)) &&
           in_ranges(conds, positions_[gid], closed_ranges);
}

// Population by population (gids are consecutive per population): the text tags once per
// population, the coordinate ranges per cell.
std::vector<gid_type> recipe::select(const conditions& conds) const {
    std::vector<gid_type> out;
    for (const population_layout& layout : populations_) {
        if (!tags_match(conds, model_.populations[layout.spec])) continue;
        for (gid_type gid = layout.first_gid; gid < layout.first_gid + layout.size; ++gid)
            if (in_ranges(conds, positions_[gid], false)) out.push_back(gid);
    }
    return out;
}

void recipe::select_rules() {
    rules_.resize(model_.connectivity_rules.size());
    tbb::parallel_for(std::size_t(0), rules_.size(), [&](std::size_t r) { select_rule(r); });
    warn_idle_rules();
    index_memberships(true, pre_offsets_, pre_memberships_);
    index_memberships(false, post_offsets_, post_memberships_);
}

void recipe::select_rule(std::size_t r) {
    const connectivity_rule& rule = model_.connectivity_rules[r];
    rule_selection& s = rules_[r];
    s.pre = select(rule.pre);
    if (!s.pre.empty()) s.post = select(rule.post);  // NetPyNE skips post when pre is empty
    const std::vector<std::uint64_t> pre(s.pre.begin(), s.pre.end());
    const std::vector<std::uint64_t> post(s.post.begin(), s.post.end());
    s.pre_hash = hash_list(pre);
    s.post_hash = hash_list(post);
    // Constants evaluated once: the pair loop visits ~85 million pairs in M1.
    const double nan = std::numeric_limits<double>::quiet_NaN();
    s.constant_amount = rule.amount.is_constant() ? rule.amount.evaluate({}) : nan;
    s.constant_weight = rule.weight.is_constant() ? rule.weight.evaluate({}) : nan;
    if (rule.kind == connectivity_kind::convergence || rule.kind == connectivity_kind::divergence)
        sample_rule(r);
    else
        draw_rule_strings(r);
}

void recipe::warn_idle_rules() {
    std::string idle;
    std::size_t idle_count = 0;
    for (std::size_t r = 0; r < rules_.size(); ++r)
        if (rules_[r].pre.empty() || rules_[r].post.empty())
            idle += (idle_count++ ? ", " : "") + model_.connectivity_rules[r].label;
    if (idle_count)
        warnings_.push_back(std::to_string(idle_count) +
                            " connectivity rules select no presynaptic or no postsynaptic cells "
                            "and make no connections: netParams.connParams " + idle);
}

// Which rules each cell takes part in, as presynaptic (pre_side) or as postsynaptic cell.
void recipe::index_memberships(bool pre_side, std::vector<std::uint32_t>& offsets,
                               std::vector<membership>& entries) {
    offsets.assign(num_cells() + 1, 0);
    for (const rule_selection& s : rules_)
        for (gid_type g : pre_side ? s.pre : s.post) ++offsets[g + 1];
    for (std::size_t g = 0; g < num_cells(); ++g) offsets[g + 1] += offsets[g];
    entries.resize(offsets.back());
    std::vector<std::uint32_t> fill(offsets.begin(), offsets.end() - 1);
    for (std::size_t r = 0; r < rules_.size(); ++r) {
        const auto& cells = pre_side ? rules_[r].pre : rules_[r].post;
        for (std::uint32_t i = 0; i < cells.size(); ++i)
            entries[fill[cells[i]]++] = {static_cast<std::uint16_t>(r), i};
    }
}

// String parameters that call random functions where NetPyNE draws them up front from the rule's
// stream Random123(hashStr('conn_' + connFunc), hashList(pre + post), conn), pair by pair with
// the presynaptic cell outer (conn.py _connStrToFunc): a probability of probConn, and fullConn's
// weight and delay (each over all pairs before the next).
void recipe::draw_rule_strings(std::size_t r) {
    const connectivity_rule& rule = model_.connectivity_rules[r];
    rule_selection& s = rules_[r];
    const bool random_probability =
        rule.kind == connectivity_kind::probability && rule.amount.uses_random();
    const bool full = rule.kind == connectivity_kind::full;
    const bool random_weight = full && rule.weight.uses_random();
    const bool random_delay = full && rule.delay.uses_random();
    if (!(random_probability || random_weight || random_delay) || s.pre.empty() || s.post.empty())
        return;
    std::vector<std::uint64_t> both(s.pre.begin(), s.pre.end());
    both.insert(both.end(), s.post.begin(), s.post.end());
    random_stream stream(hash_str(full ? "conn_fullConn" : "conn_probConn"), hash_list(both),
                         model_.sim.seed.conn);
    auto draw_all = [&](const expression& e, std::vector<double>& out) {
        out.resize(s.pre.size() * s.post.size());
        for (std::size_t i = 0; i < s.pre.size(); ++i)
            for (std::size_t j = 0; j < s.post.size(); ++j)
                out[i * s.post.size() + j] =
                    e.evaluate({&positions_[s.pre[i]], &positions_[s.post[j]], &stream});
    };
    if (random_probability) draw_all(rule.amount, s.pair_probability);
    if (random_weight) draw_all(rule.weight, s.pair_weight);
    if (random_delay) draw_all(rule.delay, s.pair_delay);
}

bool recipe::accepts(std::size_t r, std::uint32_t i, std::uint32_t j, double draw) const {
    const rule_selection& s = rules_[r];
    if (!std::isnan(s.constant_amount)) return s.constant_amount >= draw;
    if (!s.pair_probability.empty()) return s.pair_probability[i * s.post.size() + j] >= draw;
    const expression_scope scope{&positions_[s.pre[i]], &positions_[s.post[j]], nullptr};
    return model_.connectivity_rules[r].amount.evaluate(scope) >= draw;
}

void recipe::make_connection(std::size_t r, std::uint32_t i, std::uint32_t j,
                             std::vector<connection>& out) const {
    const connectivity_rule& rule = model_.connectivity_rules[r];
    const rule_selection& s = rules_[r];
    const gid_type pre = s.pre[i], post = s.post[j];
    // Self-pairs are drawn (the stream does not shift) and then dropped (cfg.allowSelfConns).
    if (pre == post && !model_.allow_self_connections) return;
    // Random functions in weight and delay draw from Random123(pre, post, conn seed), weight
    // first, then delay continuing the same stream (conn.py _addCellConn).
    random_stream pair_stream(pre, post, model_.sim.seed.conn);
    const expression_scope pair_scope{&positions_[pre], &positions_[post], &pair_stream};
    connection c;
    c.pre = pre;
    c.post = post;
    c.rule = static_cast<std::uint16_t>(r);
    c.synaptic_mechanism = static_cast<std::uint8_t>(rule.synaptic_mechanism);
    const std::size_t pair = std::size_t(i) * s.post.size() + j;
    const double weight = !s.pair_weight.empty()        ? s.pair_weight[pair]
                          : std::isnan(s.constant_weight) ? rule.weight.evaluate(pair_scope)
                                                          : s.constant_weight;
    c.weight = weight * model_.scale_conn_weight;
    c.delay = !s.pair_delay.empty() ? s.pair_delay[pair] : rule.delay.evaluate(pair_scope);
    out.push_back(c);
}

void recipe::connections_from(gid_type pre, std::vector<connection>& out) const {
    for (std::uint32_t k = pre_offsets_[pre]; k < pre_offsets_[pre + 1]; ++k) {
        const auto [r, i] = pre_memberships_[k];
        const rule_selection& s = rules_[r];
        const std::uint64_t n_post = s.post.size();
        const connectivity_rule& rule = model_.connectivity_rules[r];
        if (rule.kind == connectivity_kind::probability) {
            // Pair (i, j) takes draw 1 + i*|post| + j of Random123(hash(pre), hash(post), conn):
            // consecutive j share Philox blocks of four.
            const std::uint64_t first = 1 + i * n_post;
            double block[4];
            std::uint64_t loaded = ~std::uint64_t{0};
            for (std::uint32_t j = 0; j < n_post; ++j) {
                const std::uint64_t draw = first + j;
                if ((draw >> 2) != loaded) {
                    loaded = draw >> 2;
                    uniform01_block(s.pre_hash, s.post_hash, model_.sim.seed.conn, loaded, block);
                }
                if (accepts(r, i, j, block[draw & 3])) make_connection(r, i, j, out);
            }
        } else if (rule.kind == connectivity_kind::full) {
            for (std::uint32_t j = 0; j < n_post; ++j) make_connection(r, i, j, out);
        } else {
            const sampled_pairs& p = s.sampled;
            for (std::uint32_t k = p.pre_offsets[i]; k < p.pre_offsets[i + 1]; ++k)
                make_connection(r, i, p.post_of[k], out);
        }
    }
}

void recipe::connections_on(gid_type post, std::vector<connection>& out) const {
    for (std::uint32_t k = post_offsets_[post]; k < post_offsets_[post + 1]; ++k) {
        const auto [r, j] = post_memberships_[k];
        const rule_selection& s = rules_[r];
        const connectivity_rule& rule = model_.connectivity_rules[r];
        if (rule.kind == connectivity_kind::convergence || rule.kind == connectivity_kind::divergence) {
            const sampled_pairs& p = s.sampled;
            for (std::uint32_t q = p.post_offsets[j]; q < p.post_offsets[j + 1]; ++q)
                make_connection(r, p.pre_of[q], j, out);
            continue;
        }
        for (std::uint32_t i = 0; i < s.pre.size(); ++i) {
            if (rule.kind == connectivity_kind::probability) {
                const double draw = uniform01_at(s.pre_hash, s.post_hash, model_.sim.seed.conn,
                                                 1 + std::uint64_t(i) * s.post.size() + j);
                if (accepts(r, i, j, draw)) make_connection(r, i, j, out);
            } else {
                make_connection(r, i, j, out);
            }
        }
    }
}

// conn.py randUniqueInt: discunif(0, n-1) installs the distribution (one draw spent), then repick
// until `count` distinct values, in the order drawn.
static std::vector<std::uint32_t> unique_sample(random_stream& stream, std::size_t count,
                                                std::size_t n) {
    stream.discunif(0, double(n - 1));
    std::vector<std::uint32_t> out;
    std::vector<bool> taken(n, false);
    while (out.size() < count) {
        const auto x = static_cast<std::uint32_t>(stream.discunif(0, double(n - 1)));
        if (!taken[x]) {
            taken[x] = true;
            out.push_back(x);
        }
    }
    return out;
}

namespace {

// One direction of a rule's sampled pairs as CSR (by presynaptic index, or by postsynaptic),
// keeping the order the pairs were made in.
void index_pairs(const std::vector<std::pair<std::uint32_t, std::uint32_t>>& pairs, bool by_pre,
                 std::size_t n, std::vector<std::uint32_t>& offsets, std::vector<std::uint32_t>& partner) {
    offsets.assign(n + 1, 0);
    for (const auto& [i, j] : pairs) ++offsets[(by_pre ? i : j) + 1];
    for (std::size_t x = 0; x < n; ++x) offsets[x + 1] += offsets[x];
    partner.resize(pairs.size());
    std::vector<std::uint32_t> fill(offsets.begin(), offsets.end() - 1);
    for (const auto& [i, j] : pairs) partner[fill[by_pre ? i : j]++] = by_pre ? j : i;
}

}  // namespace

// convConn and divConn (conn.py): for each post (each pre), round-half-even(convergence) distinct
// partners drawn from Random123(hashList(partners), gid, conn); a drawn partner that is the cell
// itself is replaced by the one extra draw. Sampled once here, so both directions of the recipe
// answer from the same pairs.
void recipe::sample_rule(std::size_t r) {
    rule_selection& s = rules_[r];
    const auto pairs = sample_pairs(r);
    index_pairs(pairs, true, s.pre.size(), s.sampled.pre_offsets, s.sampled.post_of);
    index_pairs(pairs, false, s.post.size(), s.sampled.post_offsets, s.sampled.pre_of);
}

// The convergence (divergence) of every sampled cell, in gid order, from the rule's stream.
std::vector<double> recipe::sampled_amounts(std::size_t r) const {
    const connectivity_rule& rule = model_.connectivity_rules[r];
    const rule_selection& s = rules_[r];
    const bool convergence = rule.kind == connectivity_kind::convergence;
    const std::vector<gid_type>& cells = convergence ? s.post : s.pre;
    std::vector<std::uint64_t> both(s.pre.begin(), s.pre.end());
    both.insert(both.end(), s.post.begin(), s.post.end());
    random_stream rule_stream(hash_str(convergence ? "conn_convConn" : "conn_divConn"), hash_list(both),
                              model_.sim.seed.conn);
    std::vector<double> amounts(cells.size());
    for (std::size_t c = 0; c < cells.size(); ++c) {
        const expression_scope scope{convergence ? nullptr : &positions_[cells[c]],
                                     convergence ? &positions_[cells[c]] : nullptr, &rule_stream};
        amounts[c] = rule.amount.is_constant() ? rule.amount.evaluate({}) : rule.amount.evaluate(scope);
    }
    return amounts;
}

// The (pre, post) index pairs of a convergence or divergence rule, cell by cell.
std::vector<std::pair<std::uint32_t, std::uint32_t>> recipe::sample_pairs(std::size_t r) const {
    const rule_selection& s = rules_[r];
    const bool convergence = model_.connectivity_rules[r].kind == connectivity_kind::convergence;
    const std::vector<gid_type>& cells = convergence ? s.post : s.pre;     // sampled for
    const std::vector<gid_type>& partners = convergence ? s.pre : s.post;  // sampled from
    std::vector<std::pair<std::uint32_t, std::uint32_t>> pairs;
    if (cells.empty() || partners.empty()) return pairs;
    const std::vector<double> amounts = sampled_amounts(r);
    const std::vector<std::uint64_t> partner_ids(partners.begin(), partners.end());
    const std::uint32_t partner_hash = hash_list(partner_ids);
    const double most = double(partners.size()) - 1;
    for (std::uint32_t c = 0; c < cells.size(); ++c) {
        // Python's round() is half-to-even, as nearbyint in the default rounding mode.
        const double wanted = std::max(std::min(std::nearbyint(amounts[c]), most), 0.0);
        const auto count = static_cast<std::size_t>(wanted);
        random_stream stream(partner_hash, cells[c], model_.sim.seed.conn);
        std::vector<std::uint32_t> sample = unique_sample(stream, count + 1, partners.size());
        std::vector<std::uint32_t> chosen(sample.begin(), sample.begin() + count);
        for (std::uint32_t& x : chosen)
            if (partners[x] == cells[c]) x = sample[count];
        if (convergence) std::sort(chosen.begin(), chosen.end());  // pres in gid order
        for (std::uint32_t x : chosen) pairs.emplace_back(convergence ? x : c, convergence ? c : x);
    }
    return pairs;
}

// stimTargetParams: every target cell gets its own source; string weights and delays are drawn
// per target rule from one stream, Random123(hashStr('stim_' + type), hashList(targets), stim),
// cell by cell in gid order (SEMANTICS.md §5).
void recipe::draw_stimulations() {
    netstim_hash_ = hash_str("NetStim");
    std::vector<std::vector<cell_stimulation>> per_cell(num_cells());
    for (std::size_t t = 0; t < model_.stim_targets.size(); ++t) stimulate_target(t, per_cell);
    stimulation_offsets_.assign(num_cells() + 1, 0);
    for (std::size_t g = 0; g < num_cells(); ++g)
        stimulation_offsets_[g + 1] = stimulation_offsets_[g] + per_cell[g].size();
    stimulations_.reserve(stimulation_offsets_.back());
    for (auto& v : per_cell) stimulations_.insert(stimulations_.end(), v.begin(), v.end());
}

void recipe::stimulate_target(std::size_t t, std::vector<std::vector<cell_stimulation>>& per_cell) {
    const model_spec& m = model_;
    const stim_target& target = m.stim_targets[t];
    const stim_source& source = m.stim_sources[target.source];
    const std::vector<gid_type> cells = select(target.conds);
    if (cells.empty())
        warnings_.push_back("netParams.stimTargetParams." + target.name + ": selects no cells; nothing is stimulated");
    // stim.py _stimStrToFunc: one stream per target rule; each string parameter is evaluated for
    // every selected cell in gid order before the next parameter (weight, then delay).
    const std::vector<std::uint64_t> ids(cells.begin(), cells.end());
    const char* type = source.kind == stim_kind::netstim   ? "stim_NetStim"
                       : source.kind == stim_kind::vecstim ? "stim_VecStim"
                                                           : "stim_IClamp";
    random_stream stream(hash_str(type), hash_list(ids), m.sim.seed.stim);
    std::vector<double> weights(cells.size()), delays(cells.size());
    if (source.kind != stim_kind::iclamp) {
        for (std::size_t i = 0; i < cells.size(); ++i)
            weights[i] = target.weight.evaluate({nullptr, &positions_[cells[i]], &stream});
        for (std::size_t i = 0; i < cells.size(); ++i)
            delays[i] = target.delay.evaluate({nullptr, &positions_[cells[i]], &stream});
    }
    for (std::size_t i = 0; i < cells.size(); ++i) {
        if (is_artificial(cells[i])) continue;  // NetPyNE stimulates compartmental cells only
        const cell_stimulation st{t, static_cast<std::uint8_t>(target.synaptic_mechanism),
                                  weights[i] * m.scale_conn_weight_netstims, delays[i]};
        per_cell[cells[i]].push_back(st);
    }
}

stream_key recipe::netstim_stream(gid_type gid, std::optional<std::uint32_t> seed) const {
    return {netstim_hash_, gid, seed.value_or(model_.sim.seed.stim)};
}

}  // namespace m1
