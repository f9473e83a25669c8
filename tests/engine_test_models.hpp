#pragma once
// Small models for the engine's tests: an RS Izhikevich cell rule and an AMPA Exp2Syn, plus the
// populations and any further netParams a test names.
#include "core/engine/izhikevich_cells.hpp"
#include "core/engine/synapse_lanes.hpp"
#include "core/format/model.hpp"

#include <string>

namespace m1::test {

inline m1::model_spec model_with(const std::string& populations, const std::string& extra = "") {
    const std::string text = R"({"netParams": {
      "popParams": {)" + populations + R"(},
      "cellParams": {"RS": {"conds": {"cellType": "RS"}, "secs": {"soma": {
          "geom": {"diam": 10, "L": 10, "cm": 31.831},
          "pointps": {"Izhi": {"mod": "Izhi2007b", "C": 1, "k": 0.7, "vr": -60, "vt": -40,
                               "vpeak": 35, "a": 0.03, "b": -2, "c": -50, "d": 100, "celltype": 1}}}}}},
      "synMechParams": {"AMPA": {"mod": "Exp2Syn", "tau1": 0.05, "tau2": 2.3, "e": 0}})" + extra + R"(},
      "simConfig": {"duration": 400, "dt": 0.05, "seeds": {"conn": 1, "stim": 1, "loc": 1}}})";
    return m1::parse_model(m1::json_document::parse(text, "engine.json"));
}

// A model's network with its cell block and synapse lanes at dt = 0.05 ms.
struct cells_and_lanes {
    explicit cells_and_lanes(m1::model_spec m) : model(std::move(m)) {}
    m1::model_spec model;
    m1::recipe recipe{model};
    m1::network net = m1::build_network(recipe);
    m1::izhikevich_cells cells{recipe, net, 0.05};
    m1::synapse_lanes lanes{recipe, net, 0.05, cells.padded};
};

}  // namespace m1::test
