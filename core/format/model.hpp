#pragma once
// The model spec: what a NetPyNE model file says, validated, with every value checked and every key
// known. Nothing here is derived (cell counts, positions, connections belong to the recipe).
#include "core/format/expression.hpp"
#include "core/format/json_source.hpp"

#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace m1 {

// A condition on one cell tag (NetPyNE conds / preConds / postConds).
struct tag_condition {
    std::string key;                   // pop, cellType, cellModel, x, y, z, xnorm, ynorm, znorm
    bool is_range = false;             // coordinates: [low, high]
    double low = 0, high = 0;
    std::vector<std::string> values;   // text tags: one value, or a list meaning "any of"
};
using conditions = std::vector<tag_condition>;



struct population_spec {
    std::string name;
    population_kind kind = population_kind::izhikevich;
    std::string cell_model;  // as written: "Izhi", "NetStim", "VecStim"
    std::string cell_type;   // may be empty for artificial populations
    std::optional<double> density;          // cells per mm³
    std::optional<std::int64_t> num_cells;
    std::array<double, 2> xnorm_range{0, 1}, ynorm_range{0, 1}, znorm_range{0, 1};
    // NetStim and VecStim populations: what each cell is, a NetStim (interval, noise, start,
    // number, seed: id3 of its stream, default seeds.stim) or a VecStim (the same spike times
    // for every cell of the population).
    stim_source spike_source;
};

struct cell_rule {
    std::string label;
    conditions conds;
    soma_geometry geometry;
    izhikevich_params izhikevich;
    double v_init = -65;  // NEURON's finitialize default, used by the two zero-area nodes
};

struct stim_target {
    std::string name;
    std::size_t source = 0;  // index into model_spec::stim_sources
    conditions conds;
    std::size_t synaptic_mechanism = 0;  // for NetStim and VecStim sources
    expression weight = expression::constant(1);
    expression delay = expression::constant(1);
};

enum class connectivity_kind { probability, convergence, divergence, full };

struct connectivity_rule {
    std::string label;
    conditions pre, post;
    std::size_t synaptic_mechanism = 0;
    connectivity_kind kind = connectivity_kind::full;
    expression amount = expression::constant(1);  // probability, convergence or divergence
    expression weight = expression::constant(1);
    expression delay = expression::constant(1);
};

struct seeds {
    std::uint32_t conn = 1, stim = 1, loc = 1;
};

struct sim_config {
    double duration = 1000, dt = 0.025, record_step = 0.1;
    double celsius = 6.3;  // hParams: NEURON's default temperature, which NetPyNE keeps
    seeds seed;
};

struct model_spec {
    std::string file;             // as given
    std::string sha256;           // of the file's bytes
    nlohmann::ordered_json document;  // the effective model (after run overrides)

    double scale = 1, size_x = 100, size_y = 100, size_z = 100;
    double scale_conn_weight = 1, scale_conn_weight_netstims = 1;
    double default_weight = 1, default_delay = 1, prop_velocity = 500, default_threshold = 10;
    expression_globals globals;  // every numeric netParams attribute, by name

    std::vector<population_spec> populations;
    std::vector<cell_rule> cell_rules;
    std::vector<synaptic_mechanism> synaptic_mechanisms;
    std::vector<stim_source> stim_sources;
    std::vector<stim_target> stim_targets;
    std::vector<connectivity_rule> connectivity_rules;
    sim_config sim;
    bool allow_self_connections = false;  // simConfig.allowSelfConns
    std::vector<std::string> warnings;    // accepted, but the user should know (printed by the CLI)
};

// Reads and validates a NetPyNE model file. Throws input_error naming the file, key path and line.
model_spec load_model(const std::filesystem::path& path);
model_spec parse_model(const json_document& doc);

}  // namespace m1
