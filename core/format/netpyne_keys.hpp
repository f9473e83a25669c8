#pragma once
// The keys NetPyNE 1.1.0 knows in each section of a model file (netParams / simConfig JSON), with
// NetPyNE's default value. Sources (tag v1.1.0): netpyne/specs/netParams.py NetParams.__init__,
// netpyne/specs/simConfig.py SimConfig.__init__, netpyne/sim/validator.py (*_specs), and the code
// that reads each key (network/pop.py, network/conn.py, network/stim.py, cell/*.py). The facts
// behind each default are in docs/netpyne-semantics.md.
//
// Shape of netpyne_known_keys():
//   {"netParams": {...}, "simConfig": {...}, "popParams": {...}, "cellParams": {...},
//    "cellParams.secs": {...}, "cellParams.secs.geom": {...}, "cellParams.secs.pointps": {...},
//    "synMechParams": {...}, "stimSourceParams": {...}, "stimTargetParams": {...},
//    "connParams": {...}, "conds": {...}}
// Each section maps a key to its default:
//   * a JSON value  = the value NetPyNE uses when the key is absent (Python True -> true,
//                     None -> null, dicts/lists as JSON);
//   * null          = no fixed default: the key is required, or its absence means "unset/None",
//                     or the default is not a literal (e.g. connParams.weight falls back to
//                     netParams.defaultWeight, geom.diam falls back to NEURON's own 500 um, a
//                     NetStim popParams 'start' falls back to NEURON's 50 ms). The doc says which.
// Not JSON-representable defaults: none in these sections (NetPyNE's ODict/Dict containers are
// given as {}).
// "conds" is the set of cell tags a preConds/postConds/stimTargetParams.conds/cellParams.conds
// entry usually names; any other tag name is also accepted there.
//
// Keys the M1 model files use that are NOT NetPyNE attributes: netParams.probLambda,
// netParams.ItoIweight (model-defined numbers that NetPyNE only exposes to string functions) and
// netParams.annots (model annotations; NetPyNE 1.1.0 stores it and never reads it). They are listed
// under "netParams" with default null so that a checker accepts them.
#include <nlohmann/json.hpp>

#include <string_view>

namespace m1 {

// The keys NetPyNE 1.1.0 knows in each section of a model file, with NetPyNE's default value (null
// where NetPyNE has no default or the key is required). Parsed once; thread-safe.
const nlohmann::ordered_json& netpyne_known_keys();

// True for the sections where NetPyNE 1.1.0 accepts keys beyond the listed ones and gives them a
// meaning: netParams (any attribute; numeric ones become string-function variables), simConfig
// (stored, read only if NetPyNE knows it), popParams (extra keys become point-process parameters of
// point-cell pops), cellParams.secs.geom (any Section attribute), cellParams.secs.pointps and
// synMechParams (mechanism parameters), stimSourceParams (point-process parameters of IClamp-like
// sources) and conds (any cell tag). In the other sections an unknown key is silently ignored.
bool netpyne_section_allows_any_key(std::string_view section) noexcept;

}  // namespace m1
