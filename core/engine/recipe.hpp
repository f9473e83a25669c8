#pragma once
// The recipe: the model spec made concrete for one instance, cell-oriented and lazy in the manner
// of Arbor's recipes. It answers questions about one gid at a time (its population, position,
// cell rule, stimulation, and its outgoing or incoming connections), so that the network can be
// built in parallel, cell by cell, in any order, with the same result.
//
// Everything random is drawn from counter-based streams keyed as NetPyNE 1.1 keys them
// (SEMANTICS.md §0, §1, §4, §5), so the network is NetPyNE's own for the same seeds.
// The recipe is where the model is lowered: recipe.cpp reads the model spec (core/format); this
// header does not include it, so the engine, which asks the recipe, never sees the file format.
#include "core/base/error.hpp"
#include "core/engine/cell_description.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace m1 {

struct model_spec;
struct population_spec;
struct cell_rule;
struct tag_condition;
using conditions = std::vector<tag_condition>;

using gid_type = std::uint32_t;

struct population_layout {
    std::size_t spec = 0;     // index into model_spec::populations
    gid_type first_gid = 0;
    std::uint32_t size = 0;
};

struct connection {
    gid_type pre = 0, post = 0;
    std::uint16_t rule = 0;               // index into model_spec::connectivity_rules
    std::uint8_t synaptic_mechanism = 0;
    double weight = 0;                    // µS, scaled by scaleConnWeight
    double delay = 0;                     // ms
};

// A NetStim, IClamp or VecStim stimulation of one cell (stimTargetParams).
struct cell_stimulation {
    std::size_t target = 0;               // index into model_spec::stim_targets
    std::uint8_t synaptic_mechanism = 0;  // NetStim and VecStim
    double weight = 0;                    // µS, scaled by scaleConnWeightNetStims
    double delay = 0;                     // ms; may be negative (NEURON then delivers at once)
};

// A spike source's random stream (NetStim noise), keyed as NetPyNE keys it.
struct stream_key {
    std::uint32_t id1 = 0, id2 = 0, id3 = 0;
};

class recipe {
public:
    explicit recipe(const model_spec& model);

    const model_spec& model() const noexcept { return model_; }
    std::size_t num_cells() const noexcept { return population_of_.size(); }
    std::span<const population_layout> populations() const noexcept { return populations_; }
    std::size_t population_of(gid_type gid) const { return population_of_[gid]; }
    const population_spec& population_spec_of(gid_type gid) const;
    const cell_position& position(gid_type gid) const { return positions_[gid]; }
    // The cellParams rule of an Izhikevich cell; null for artificial cells (NetStim, VecStim).
    const cell_rule* cell_rule_of(gid_type gid) const;
    bool is_artificial(gid_type gid) const { return cell_rule_[gid] < 0; }

    // What the engine asks, lowered: an Izhikevich cell's parameters, soma and initial voltage,
    // the spike threshold (defaultThreshold), the synaptic mechanisms' kinetics, a stimulation's
    // source, and an artificial population's spike source (kind netstim or vecstim).
    const izhikevich_params& izhikevich_of(gid_type gid) const;
    const soma_geometry& geometry_of(gid_type gid) const;
    double v_init_of(gid_type gid) const;
    double threshold() const;
    std::span<const synaptic_mechanism> synaptic_mechanisms() const;
    double temperature() const;  // °C, NEURON's celsius (simConfig.hParams)
    const stim_source& source_of(const cell_stimulation& st) const;
    // Null for an Izhikevich population (index into populations()).
    const stim_source* artificial_source(std::size_t population) const;

    // Connections made by the model's rules, as NetPyNE makes them. Both answer the same set;
    // `connections_from` is the order the engine's tables want (presynaptic cell, then rule, then
    // postsynaptic gid), `connections_on` NetPyNE's per-cell order (rule, then presynaptic gid).
    void connections_from(gid_type pre, std::vector<connection>& out) const;
    void connections_on(gid_type post, std::vector<connection>& out) const;

    std::span<const cell_stimulation> stimulations_on(gid_type gid) const {
        return {stimulations_.data() + stimulation_offsets_[gid],
                stimulations_.data() + stimulation_offsets_[gid + 1]};
    }
    // The noise stream of a NetStim on cell `gid` (a stimulation of the cell, or the cell itself
    // in a NetStim population): Random123(hashStr('NetStim'), gid, seed), seed defaulting to
    // simConfig.seeds.stim (sim/utils.py _init_stim_randomizer).
    stream_key netstim_stream(gid_type gid, std::optional<std::uint32_t> seed = {}) const;

    // Cells selected by rule r's preConds and postConds, in gid order (empty post when pre is).
    std::span<const gid_type> rule_pre_cells(std::size_t r) const { return rules_[r].pre; }
    std::span<const gid_type> rule_post_cells(std::size_t r) const { return rules_[r].post; }
    // Cells a set of conditions selects, in gid order (half-open coordinate ranges, as NetPyNE's
    // connectivity and stimulation targets do).
    std::vector<gid_type> select(const conditions& conds) const;
    // Things a user should hear about (a rule that selects no cells).
    const std::vector<std::string>& warnings() const noexcept { return warnings_; }

private:
    // The pairs a convergence or divergence rule made, by presynaptic and by postsynaptic index.
    struct sampled_pairs {
        std::vector<std::uint32_t> pre_offsets, post_of;
        std::vector<std::uint32_t> post_offsets, pre_of;
    };
    struct rule_selection {
        std::vector<gid_type> pre, post;
        std::uint32_t pre_hash = 0, post_hash = 0;
        double constant_amount = 0, constant_weight = 0;  // NaN where a string function
        sampled_pairs sampled;                            // convergence and divergence rules
        // Drawn up front where NetPyNE does (draw_rule_strings), [pre index * |post| + post index].
        std::vector<double> pair_probability, pair_weight, pair_delay;
    };
    struct membership {
        std::uint16_t rule;
        std::uint32_t index;  // position of the cell in the rule's sorted pre or post list
    };

    bool matches(const conditions& conds, gid_type gid, bool closed_ranges) const;
    void place_cells();
    void draw_positions(std::size_t population);
    void assign_cell_rules();
    std::int16_t cell_rule_for(const population_layout& layout, std::uint32_t index) const;
    void select_rules();
    void select_rule(std::size_t r);
    void warn_idle_rules();
    void index_memberships(bool pre_side, std::vector<std::uint32_t>& offsets,
                           std::vector<membership>& entries);
    void draw_stimulations();
    void stimulate_target(std::size_t t, std::vector<std::vector<cell_stimulation>>& per_cell);
    void sample_rule(std::size_t r);
    std::vector<double> sampled_amounts(std::size_t r) const;
    std::vector<std::pair<std::uint32_t, std::uint32_t>> sample_pairs(std::size_t r) const;
    void draw_rule_strings(std::size_t r);
    // probConn's test for pair (i, j) of rule r: probability >= draw.
    bool accepts(std::size_t r, std::uint32_t i, std::uint32_t j, double draw) const;
    void make_connection(std::size_t r, std::uint32_t i, std::uint32_t j,
                         std::vector<connection>& out) const;

    const model_spec& model_;
    std::vector<population_layout> populations_;
    std::vector<std::uint16_t> population_of_;
    std::vector<cell_position> positions_;
    std::vector<std::int16_t> cell_rule_;
    std::vector<rule_selection> rules_;
    std::vector<std::uint32_t> pre_offsets_, post_offsets_;  // CSR of memberships by gid
    std::vector<membership> pre_memberships_, post_memberships_;
    std::vector<std::uint32_t> stimulation_offsets_;
    std::vector<cell_stimulation> stimulations_;
    std::uint32_t netstim_hash_ = 0;
    std::vector<std::string> warnings_;
};

}  // namespace m1
