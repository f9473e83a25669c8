#include "core/format/model.hpp"

#include "core/format/netpyne_keys.hpp"
#include "core/base/digest.hpp"

#include <algorithm>
#include <cmath>
#include <set>
#include <sstream>

namespace m1 {

namespace {

using json = nlohmann::ordered_json;

std::string join(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
}

// Reads one JSON object of a NetPyNE section, remembering which keys were used, so that every key
// left over can be checked against NetPyNE's own list (finish()).
class object_reader {
public:
    object_reader(const json_document& doc, const json& value, std::string path,
                  std::string section)
        : doc_(doc), value_(value), path_(std::move(path)), section_(std::move(section)) {
        if (!value_.is_object())
            doc_.fail(path_, "must be an object, not " + std::string(json_kind(value_)));
    }

    const std::string& path() const { return path_; }
    bool has(const std::string& key) const { return value_.contains(key); }
    bool has_been_read(const std::string& key) const { return used_.count(key) > 0; }
    const json* find(const std::string& key) {
        auto it = value_.find(key);
        if (it == value_.end()) return nullptr;
        used_.insert(key);
        return &*it;
    }
    [[noreturn]] void fail(const std::string& key, const std::string& what) const {
        doc_.fail(join(path_, key), what);
    }

    std::optional<double> number(const std::string& key) {
        const json* v = find(key);
        if (!v) return std::nullopt;
        if (v->is_boolean()) return v->get<bool>() ? 1.0 : 0.0;  // Python: True == 1
        if (!v->is_number()) fail(key, "must be a number, not " + std::string(json_kind(*v)));
        const double x = v->get<double>();
        if (!std::isfinite(x)) fail(key, "must be a finite number");
        return x;
    }
    double number(const std::string& key, double fallback) { return number(key).value_or(fallback); }
    double positive(const std::string& key, double fallback) {
        const double x = number(key, fallback);
        if (!(x > 0)) fail(key, "must be positive, not " + format(x));
        return x;
    }
    std::optional<std::string> text(const std::string& key) {
        const json* v = find(key);
        if (!v) return std::nullopt;
        if (!v->is_string()) fail(key, "must be a string, not " + std::string(json_kind(*v)));
        return v->get<std::string>();
    }
    std::vector<double> numbers(const std::string& key) {
        std::vector<double> out;
        const json* v = find(key);
        if (!v) return out;
        if (!v->is_array()) fail(key, "must be a list of numbers");
        for (std::size_t i = 0; i < v->size(); ++i) {
            if (!(*v)[i].is_number())
                doc_.fail(join(join(path_, key), std::to_string(i)), "must be a number");
            out.push_back((*v)[i].get<double>());
        }
        return out;
    }
    std::array<double, 2> range(const std::string& key, std::array<double, 2> fallback) {
        const json* v = find(key);
        if (!v) return fallback;
        if (!v->is_array() || v->size() != 2 || !(*v)[0].is_number() || !(*v)[1].is_number())
            fail(key, "must be a list of two numbers [low, high]");
        std::array<double, 2> r{(*v)[0].get<double>(), (*v)[1].get<double>()};
        if (!(r[0] <= r[1])) fail(key, "low must not exceed high");
        return r;
    }

    // Every key not read above: NetPyNE must know it, and it must hold NetPyNE's default value
    // (NetPyNE's own JSON export writes many such keys); anything else is refused.
    void finish(const std::set<std::string>& descriptive = {}) {
        const json& known = netpyne_known_keys();
        const json* section = known.contains(section_) ? &known.at(section_) : nullptr;
        for (auto it = value_.begin(); it != value_.end(); ++it) {
            const std::string& key = it.key();
            if (used_.count(key) || descriptive.count(key)) continue;
            if (!section || !section->contains(key))
                fail(key, "unknown key" + suggestion(key, section));
            const json& fallback = section->at(key);
            if (!fallback.is_null() && equal_values(it.value(), fallback)) continue;
            fail(key, "NetPyNE's '" + key + "' is not supported by m1batch except at its default " +
                          (fallback.is_null() ? std::string("(unset)") : fallback.dump()) +
                          "; this file sets " + it.value().dump());
        }
    }

    static std::string format(double x) {
        std::ostringstream s;
        s << x;
        return s.str();
    }

private:
    static bool equal_values(const json& a, const json& b) {
        if (a.is_number() && b.is_number()) return a.get<double>() == b.get<double>();
        if (a.is_boolean() && b.is_number()) return double(a.get<bool>()) == b.get<double>();
        if (a.is_number() && b.is_boolean()) return a.get<double>() == double(b.get<bool>());
        if (a.is_array() && b.is_array()) {
            if (a.size() != b.size()) return false;
            for (std::size_t i = 0; i < a.size(); ++i)
                if (!equal_values(a[i], b[i])) return false;
            return true;
        }
        if (a.is_object() && b.is_object()) {
            if (a.size() != b.size()) return false;
            for (auto it = a.begin(); it != a.end(); ++it)
                if (!b.contains(it.key()) || !equal_values(it.value(), b.at(it.key()))) return false;
            return true;
        }
        return a == b;
    }
    static std::string suggestion(const std::string& key, const json* section) {
        if (!section) return "";
        std::string best;
        std::size_t best_distance = 3;
        for (auto it = section->begin(); it != section->end(); ++it) {
            const std::size_t d = edit_distance(key, it.key());
            if (d < best_distance) {
                best_distance = d;
                best = it.key();
            }
        }
        return best.empty() ? "" : " (did you mean '" + best + "'?)";
    }
    static std::size_t edit_distance(const std::string& a, const std::string& b) {
        std::vector<std::size_t> row(b.size() + 1);
        for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
        for (std::size_t i = 1; i <= a.size(); ++i) {
            std::size_t diagonal = row[0];
            row[0] = i;
            for (std::size_t j = 1; j <= b.size(); ++j) {
                const std::size_t up = row[j];
                const bool same = std::tolower(a[i - 1]) == std::tolower(b[j - 1]);
                row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (same ? 0 : 1)});
                diagonal = up;
            }
        }
        return row[b.size()];
    }

    const json_document& doc_;
    const json& value_;
    std::string path_;
    std::string section_;
    std::set<std::string> used_;
};

const std::set<std::string> coordinate_tags = {"x", "y", "z", "xnorm", "ynorm", "znorm"};
const std::set<std::string> text_tags = {"pop", "cellType", "cellModel"};

conditions read_conditions(const json_document& doc, const json& value, const std::string& path) {
    if (!value.is_object()) doc.fail(path, "must be an object of cell tag conditions");
    conditions out;
    for (auto it = value.begin(); it != value.end(); ++it) {
        const std::string key_path = join(path, it.key());
        tag_condition c;
        c.key = it.key();
        const json& v = it.value();
        if (coordinate_tags.count(c.key)) {
            if (!v.is_array() || v.size() != 2 || !v[0].is_number() || !v[1].is_number())
                doc.fail(key_path, "must be a range [low, high]");
            c.is_range = true;
            c.low = v[0].get<double>();
            c.high = v[1].get<double>();
            if (!(c.low <= c.high)) doc.fail(key_path, "low must not exceed high");
        } else if (text_tags.count(c.key)) {
            if (v.is_string()) {
                c.values.push_back(v.get<std::string>());
            } else if (v.is_array()) {
                for (std::size_t i = 0; i < v.size(); ++i) {
                    if (!v[i].is_string())
                        doc.fail(join(key_path, std::to_string(i)), "must be a string");
                    c.values.push_back(v[i].get<std::string>());
                }
            } else {
                doc.fail(key_path, "must be a string or a list of strings");
            }
        } else {
            doc.fail(key_path, "unknown cell tag '" + c.key +
                                   "': conditions may use pop, cellType, cellModel, x, y, z, "
                                   "xnorm, ynorm, znorm");
        }
        out.push_back(std::move(c));
    }
    return out;
}

expression read_expression(const json_document& doc, const json& value, const std::string& path,
                           const expression_globals& globals, bool allow_pre) {
    if (value.is_number()) return expression::constant(value.get<double>());
    if (!value.is_string()) doc.fail(path, "must be a number or a string function");
    const std::string text = value.get<std::string>();
    try {
        expression e = expression::compile(text, globals);
        if (e.uses_pre() && !allow_pre)
            doc.fail(path, "'" + text + "' names a presynaptic cell, which a stimulation has not");
        return e;
    } catch (const expression_error& err) {
        source_location where = doc.locate(path);
        throw input_error(where, "string function '" + text + "': " + err.what() +
                                     " (at character " + std::to_string(err.offset() + 1) + ")");
    }
}

// Whether `text` (a string function) names the identifier `name`.
bool names(const std::string& text, const std::string& name) {
    auto is_word = [](char ch) { return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_'; };
    for (std::size_t at = text.find(name); at != std::string::npos; at = text.find(name, at + 1)) {
        const bool starts = at == 0 || !is_word(text[at - 1]);
        const bool ends = at + name.size() == text.size() || !is_word(text[at + name.size()]);
        if (starts && ends) return true;
    }
    return false;
}

// netParams attributes m1batch reads itself (the rest must be NetPyNE defaults or user numbers).
void read_globals(object_reader& net, model_spec& m) {
    m.scale = net.positive("scale", 1);
    m.size_x = net.positive("sizeX", 100);
    m.size_y = net.positive("sizeY", 100);
    m.size_z = net.positive("sizeZ", 100);
    m.scale_conn_weight = net.number("scaleConnWeight", 1);
    m.scale_conn_weight_netstims = net.number("scaleConnWeightNetStims", 1);
    m.default_weight = net.number("defaultWeight", 1);
    m.default_delay = net.number("defaultDelay", 1);
    m.prop_velocity = net.positive("propVelocity", 500);
    m.default_threshold = net.number("defaultThreshold", 10);
}

}  // namespace

model_spec load_model(const std::filesystem::path& path) {
    const json_document doc = json_document::read_file(path);
    model_spec m = parse_model(doc);
    m.sha256 = sha256_hex(doc.text());
    return m;
}

namespace {

// The top level holds netParams and simConfig (and descriptive keys), nothing else.
void check_top_level(const json_document& doc) {
    const json& root = doc.root();
    if (!root.is_object()) doc.fail("", "a model file must be a JSON object with netParams");
    for (auto it = root.begin(); it != root.end(); ++it) {
        static const std::set<std::string> top = {"netParams", "simConfig", "source", "expected",
                                                  "translation_notes"};
        if (!top.count(it.key()))
            doc.fail(it.key(), "unknown top-level key: a model file has netParams and simConfig "
                               "(and the descriptive source, expected, translation_notes)");
    }
    if (!root.contains("netParams")) doc.fail("", "no netParams");
}

// Every number in netParams may be used by a string function (probLambda, ItoIweight, ...): all
// become globals; those m1batch does not read itself are returned, to be checked once the string
// functions are known (check_user_numbers).
std::vector<std::string> read_user_numbers(const json& net_params, const object_reader& net,
                                           model_spec& m) {
    static const std::set<std::string> sections = {"popParams", "cellParams", "synMechParams",
                                                   "stimSourceParams", "stimTargetParams",
                                                   "connParams", "annots"};
    std::vector<std::string> user_numbers;
    for (auto it = net_params.begin(); it != net_params.end(); ++it) {
        if (it.value().is_number() && !sections.count(it.key())) {
            m.globals[it.key()] = it.value().get<double>();
            if (!net.has_been_read(it.key())) user_numbers.push_back(it.key());
        }
    }
    return user_numbers;
}

// The entries of the netParams section `key` (an object), each read by `read_entry(name, value)`.
template <class Read>
void for_each_entry(object_reader& net, const char* key, Read read_entry) {
    const json* entries = net.find(key);
    if (!entries) return;
    if (!entries->is_object()) net.fail(key, "must be an object");
    for (auto it = entries->begin(); it != entries->end(); ++it) read_entry(it.key(), it.value());
}

// Exp2Syn and MyExp2SynBB: tau1, tau2, e (and MyExp2SynBB's conductance ceiling gmax).
void read_exp2syn(object_reader& r, synaptic_mechanism& s) {
    s.kinetics = s.mod == "MyExp2SynBB" ? synaptic_kinetics::my_exp2syn_bb : synaptic_kinetics::exp2syn;
    s.tau1 = r.positive("tau1", 0.1);
    s.tau2 = r.positive("tau2", 10);
    s.e = r.number("e", 0);
    if (s.mod == "MyExp2SynBB") s.gmax = r.number("gmax", 1e9);
    if (s.tau1 >= s.tau2 && s.mod == "Exp2Syn")
        r.fail("tau1", "Exp2Syn needs tau1 < tau2 (NEURON would change tau1)");
}

// MyExp2SynNMDABB (M1NetworkModel 2ef9817, SEMANTICS.md §3b): its RANGE parameters by their mod
// names, defaults as the mod's PARAMETER block. smax and Vwt are RANGE parameters NEURON accepts
// that change nothing (smax is unused, INITIAL zeroes Vwt); fracca and mg are GLOBALs, which
// NEURON refuses to set on a synapse (mg is unused too).
void read_nmda_bb(object_reader& r, synaptic_mechanism& s) {
    s.kinetics = synaptic_kinetics::nmda_bb;
    s.tau1 = r.positive("tau1NMDA", 15);
    s.tau2 = r.positive("tau2NMDA", 150);
    s.e = r.number("e", 0);
    s.nmda.r = r.number("r", 1);
    s.gmax = r.number("sNMDAmax", 1e9);
    for (const char* inert : {"smax", "Vwt"}) r.number(inert);
    for (const char* global : {"fracca", "mg"})
        if (r.has(global))
            r.fail(global, std::string(global) + " is a GLOBAL of MyExp2SynNMDABB: NEURON cannot "
                                                 "set it per synapse (NetPyNE would stop on it)");
    for (const char* exp2syn_key : {"tau1", "tau2"})
        if (r.has(exp2syn_key))
            r.fail(exp2syn_key, std::string("MyExp2SynNMDABB's time constants are '") +
                                    exp2syn_key + "NMDA'");
    if (s.tau1 >= s.tau2)
        r.fail("tau1NMDA", "MyExp2SynNMDABB needs tau1NMDA < tau2NMDA (NEURON would change "
                           "tau1NMDA to 0.9999 tau2NMDA)");
}

synaptic_mechanism read_synaptic_mechanism(const json_document& doc, const std::string& name,
                                           const json& value) {
    object_reader r(doc, value, "netParams.synMechParams." + name, "synMechParams");
    synaptic_mechanism s;
    s.name = name;
    s.mod = r.text("mod").value_or("");
    if (s.mod == "Exp2Syn" || s.mod == "MyExp2SynBB") read_exp2syn(r, s);
    else if (s.mod == "MyExp2SynNMDABB") read_nmda_bb(r, s);
    else
        r.fail("mod", "synaptic mechanism '" + s.mod +
                          "' is not supported (Exp2Syn, MyExp2SynBB and MyExp2SynNMDABB are)");
    r.finish();
    return s;
}

// The synaptic mechanism a rule names under `key`: its index; NetPyNE's default is the first.
std::size_t synaptic_mechanism_of(object_reader& r, const std::string& key, const model_spec& m) {
    auto name = r.text(key);
    if (!name) {
        if (m.synaptic_mechanisms.empty()) r.fail(key, "no synMechParams are defined");
        return 0;
    }
    for (std::size_t i = 0; i < m.synaptic_mechanisms.size(); ++i)
        if (m.synaptic_mechanisms[i].name == *name) return i;
    r.fail(key, "unknown synaptic mechanism '" + *name + "'");
}

std::uint32_t read_seed(object_reader& r, const char* key, std::uint32_t fallback) {
    const double x = r.number(key, fallback);
    if (x < 0 || x > 4294967295.0 || std::floor(x) != x)
        r.fail(key, "a seed is a whole number from 0 to 2^32-1");
    return static_cast<std::uint32_t>(x);
}

// How many cells: numCells or density (with the norm ranges).
void read_population_size(object_reader& r, const model_spec& m, population_spec& p) {
    if (auto n = r.number("numCells")) {
        if (*n < 0 || std::floor(*n) != *n) r.fail("numCells", "must be a whole number of cells");
        p.num_cells = static_cast<std::int64_t>(*n);
        // NetPyNE 1.1 creates int(scale*numCells) cells but advances gids by numCells,
        // leaving gaps that shift every later stream; m1batch numbers cells densely.
        if (m.scale != 1)
            r.fail("numCells", "with netParams.scale " + object_reader::format(m.scale) +
                                   " NetPyNE 1.1 leaves gaps in the gids of numCells "
                                   "populations, which m1batch does not reproduce; scale "
                                   "numCells itself instead");
    }
    if (auto d = r.number("density")) {
        if (*d < 0) r.fail("density", "must not be negative");
        p.density = *d;
    }
    if (p.num_cells && p.density) r.fail("density", "give numCells or density, not both");
    if (!p.num_cells && !p.density) r.fail("", "needs numCells or density");
    p.xnorm_range = r.range("xnormRange", {0, 1});
    p.ynorm_range = r.range("ynormRange", {0, 1});
    p.znorm_range = r.range("znormRange", {0, 1});
}

// A NetStim population's own settings.
void read_netstim_population(object_reader& r, stim_source& p) {
    if (r.has("rate") && r.has("interval")) r.fail("rate", "give rate or interval");
    // pointCell.py: rate sets interval = 1000.0/rate; everything not given keeps NEURON's
    // NetStim defaults (interval 10, start 50, noise 0); NetPyNE sets number to 1e9 and seed to
    // simConfig.seeds.stim.
    if (auto rate = r.number("rate")) {
        if (!(*rate > 0)) r.fail("rate", "must be positive");
        p.interval = 1000.0 / *rate;
    } else {
        p.interval = r.positive("interval", 10);
    }
    p.noise = std::clamp(r.number("noise", 0), 0.0, 1.0);
    p.start = r.number("start", 50);
    p.number = r.number("number", 1e9);
    if (r.has("seed")) p.seed = read_seed(r, "seed", 0);
}

population_spec read_population(const json_document& doc, const std::string& name,
                                const json& value, const model_spec& m) {
    object_reader r(doc, value, "netParams.popParams." + name, "popParams");
    population_spec p;
    p.name = name;
    p.cell_model = r.text("cellModel").value_or("");
    p.cell_type = r.text("cellType").value_or("");
    if (p.cell_model == "NetStim") p.kind = population_kind::netstim;
    else if (p.cell_model == "VecStim") p.kind = population_kind::vecstim;
    else p.kind = population_kind::izhikevich;
    read_population_size(r, m, p);
    p.spike_source.name = name;
    if (p.kind == population_kind::netstim) {
        p.spike_source.kind = stim_kind::netstim;
        read_netstim_population(r, p.spike_source);
    } else if (p.kind == population_kind::vecstim) {
        p.spike_source.kind = stim_kind::vecstim;
        p.spike_source.spike_times = r.numbers("spkTimes");
        if (!std::is_sorted(p.spike_source.spike_times.begin(), p.spike_source.spike_times.end()))
            r.fail("spkTimes", "spike times must be in increasing order");
    }
    r.finish();
    return p;
}

void read_geometry(const json_document& doc, const json& value, const std::string& path,
                   cell_rule& c) {
    object_reader geom(doc, value, path, "cellParams.secs.geom");
    c.geometry.diam = geom.positive("diam", c.geometry.diam);
    c.geometry.L = geom.positive("L", c.geometry.L);
    c.geometry.cm = geom.positive("cm", c.geometry.cm);
    c.geometry.Ra = geom.positive("Ra", c.geometry.Ra);
    if (geom.number("nseg", 1) != 1)
        geom.fail("nseg", "m1batch simulates single-compartment cells: nseg must be 1");
    geom.finish();
}

// The soma's one point process, an Izhi2007b.
void read_izhikevich(const json_document& doc, const json& value, const std::string& path,
                     izhikevich_params& z) {
    object_reader pp(doc, value, path, "cellParams.secs.pointps");
    const std::string mod = pp.text("mod").value_or("");
    if (mod != "Izhi2007b") pp.fail("mod", "point process '" + mod + "' is not supported (Izhi2007b is)");
    if (pp.has("vref")) pp.fail("vref", "spikes are detected on the soma voltage; vref is not supported");
    if (pp.number("loc", 0.5) != 0.5) pp.fail("loc", "the point process sits at 0.5");
    z.C = pp.positive("C", z.C);
    z.k = pp.number("k", z.k);
    z.vr = pp.number("vr", z.vr);
    z.vt = pp.number("vt", z.vt);
    z.vpeak = pp.number("vpeak", z.vpeak);
    z.a = pp.number("a", z.a);
    z.b = pp.number("b", z.b);
    z.c = pp.number("c", z.c);
    z.d = pp.number("d", z.d);
    z.Iin = pp.number("Iin", z.Iin);
    z.alive = pp.number("alive", 1) != 0;
    pp.number("cellid");  // a label NEURON's mechanism keeps; no effect
    const double celltype = pp.number("celltype", 1);
    if (celltype < 1 || celltype > 7 || std::floor(celltype) != celltype)
        pp.fail("celltype", "must be 1 (RS), 2 (IB), 3 (CH), 4 (LTS), 5 (FS), 6 (TC) or 7 (RTN)");
    z.celltype = static_cast<int>(celltype);
    pp.finish({"verbose"});
}

// A cell rule: one soma holding one Izhi2007b point process.
cell_rule read_cell_rule(const json_document& doc, const std::string& name, const json& value) {
    const std::string path = "netParams.cellParams." + name;
    object_reader r(doc, value, path, "cellParams");
    cell_rule c;
    c.label = name;
    if (const json* conds = r.find("conds")) c.conds = read_conditions(doc, *conds, path + ".conds");
    const json* secs = r.find("secs");
    if (!secs || !secs->is_object() || secs->size() != 1)
        r.fail("secs", "m1batch simulates single-compartment cells: give exactly one "
                       "section holding an Izhi2007b point process");
    const std::string sec_path = path + ".secs." + secs->begin().key();
    object_reader sec(doc, secs->begin().value(), sec_path, "cellParams.secs");
    if (const json* geom = sec.find("geom")) read_geometry(doc, *geom, sec_path + ".geom", c);
    if (const json* mechs = sec.find("mechs"); mechs && !mechs->empty())
        sec.fail("mechs", "membrane mechanisms are not supported: the cell is an "
                          "Izhi2007b point process on a passive-free soma");
    if (auto v = sec.number("vinit")) c.v_init = *v;
    const json* pointps = sec.find("pointps");
    if (!pointps || !pointps->is_object() || pointps->size() != 1)
        sec.fail("pointps", "needs exactly one point process, an Izhi2007b");
    read_izhikevich(doc, pointps->begin().value(), sec_path + ".pointps." + pointps->begin().key(),
                    c.izhikevich);
    sec.finish();
    r.finish();
    return c;
}

void read_netstim_source(object_reader& r, stim_source& s) {
    s.kind = stim_kind::netstim;
    if (r.has("rate") && r.has("interval")) r.fail("rate", "give rate or interval");
    // cell.py addNetStim: rate (or 1000.0/interval), then interval = rate**-1 * 1e3,
    // Python's float power: one unit in the last place off 1000/rate for some rates.
    double rate = 0;
    if (auto given = r.number("rate")) {
        if (!(*given > 0)) r.fail("rate", "must be positive");
        rate = *given;
    } else {
        rate = 1000.0 / r.positive("interval", 10);
    }
    s.interval = std::pow(rate, -1.0) * 1e3;
    s.noise = std::clamp(r.number("noise", 0), 0.0, 1.0);
    s.start = r.number("start", 0);
    s.number = r.number("number", 1e9);
    if (r.has("seed")) s.seed = read_seed(r, "seed", 0);
}

stim_source read_stim_source(const json_document& doc, const std::string& name, const json& value,
                             model_spec& m) {
    object_reader r(doc, value, "netParams.stimSourceParams." + name, "stimSourceParams");
    stim_source s;
    s.name = name;
    const std::string type = r.text("type").value_or("");
    if (type == "NetStim") {
        read_netstim_source(r, s);
    } else if (type == "IClamp") {
        s.kind = stim_kind::iclamp;
        s.del = r.number("del", 0);
        s.dur = r.number("dur", 0);
        s.amp = r.number("amp", 0);
        if (s.dur < 0) r.fail("dur", "must not be negative");
    } else if (type == "VecStim") {
        s.kind = stim_kind::vecstim;
        s.spike_times = r.numbers("spkTimes");
        m.warnings.push_back(r.path() + ": NetPyNE 1.1 connects a VecStim stimulation "
                             "source to nothing, so there it delivers no spikes; m1batch "
                             "delivers them");
        if (!std::is_sorted(s.spike_times.begin(), s.spike_times.end()))
            r.fail("spkTimes", "spike times must be in increasing order");
    } else {
        r.fail("type", "stimulation type '" + type + "' is not supported (NetStim, IClamp and VecStim are)");
    }
    r.finish();
    return s;
}

stim_target read_stim_target(const json_document& doc, const std::string& name, const json& value,
                             const model_spec& m) {
    const std::string path = "netParams.stimTargetParams." + name;
    object_reader r(doc, value, path, "stimTargetParams");
    stim_target t;
    t.name = name;
    const auto source = r.text("source");
    if (!source) r.fail("source", "names no stimSourceParams entry");
    const auto found = std::find_if(m.stim_sources.begin(), m.stim_sources.end(),
                                    [&](const stim_source& s) { return s.name == *source; });
    if (found == m.stim_sources.end()) r.fail("source", "unknown stimulation source '" + *source + "'");
    t.source = static_cast<std::size_t>(found - m.stim_sources.begin());
    if (const json* conds = r.find("conds")) t.conds = read_conditions(doc, *conds, path + ".conds");
    if (r.number("loc", 0.5) != 0.5) r.fail("loc", "stimulations sit at 0.5");
    if (auto sec = r.text("sec"); sec && *sec != "soma") r.fail("sec", "the cells have one section, 'soma'");
    if (r.number("synsPerConn", 1) != 1) r.fail("synsPerConn", "must be 1");
    if (m.stim_sources[t.source].kind != stim_kind::iclamp) {
        t.synaptic_mechanism = synaptic_mechanism_of(r, "synMech", m);
        const json* w = r.find("weight");
        // NetPyNE's stim targets default to 1.0, not defaultWeight/defaultDelay.
        t.weight = w ? read_expression(doc, *w, path + ".weight", m.globals, false)
                     : expression::constant(1.0);
        const json* d = r.find("delay");
        t.delay = d ? read_expression(doc, *d, path + ".delay", m.globals, false)
                    : expression::constant(1.0);
    }
    r.finish();
    return t;
}

// NetPyNE's choice of connFunc (conn.py connectCells): probability, then convergence, then
// divergence, else fullConn; the key of the amount, or none for fullConn.
const char* read_connectivity_kind(object_reader& r, connectivity_rule& c) {
    const char* amount_key = nullptr;
    for (const auto& [key, kind] : {std::pair{"probability", connectivity_kind::probability},
                                    std::pair{"convergence", connectivity_kind::convergence},
                                    std::pair{"divergence", connectivity_kind::divergence}})
        if (!amount_key && r.has(key)) {
            c.kind = kind;
            amount_key = key;
        }
    if (auto func = r.text("connFunc")) {
        static const std::map<std::string, connectivity_kind> funcs = {
            {"probConn", connectivity_kind::probability},
            {"convConn", connectivity_kind::convergence},
            {"divConn", connectivity_kind::divergence},
            {"fullConn", connectivity_kind::full}};
        auto f = funcs.find(*func);
        if (f == funcs.end() || (amount_key && f->second != c.kind) ||
            (!amount_key && f->second != connectivity_kind::full))
            r.fail("connFunc", "'" + *func + "' does not fit the rule's keys");
    }
    return amount_key;
}

void read_connection_amount(const json_document& doc, object_reader& r, const std::string& path,
                            const char* amount_key, const model_spec& m, connectivity_rule& c) {
    c.amount = read_expression(doc, *r.find(amount_key), join(path, amount_key), m.globals, true);
    // conn.py evaluates a convergence once per postsynaptic cell and a divergence once per
    // presynaptic cell: the other side does not exist there.
    if (c.kind == connectivity_kind::convergence && c.amount.uses_pre())
        r.fail("convergence", "a convergence can name post_ variables, not pre_ or dist_");
    if (c.kind == connectivity_kind::divergence && c.amount.uses_post())
        r.fail("divergence", "a divergence can name pre_ variables, not post_ or dist_");
}

void read_weight_and_delay(const json_document& doc, object_reader& r, const std::string& path,
                           const model_spec& m, connectivity_rule& c) {
    const json* w = r.find("weight");
    c.weight = w ? read_expression(doc, *w, path + ".weight", m.globals, true)
                 : expression::constant(m.default_weight);
    const json* d = r.find("delay");
    c.delay = d ? read_expression(doc, *d, path + ".delay", m.globals, true)
                : expression::constant(m.default_delay);
    if (c.delay.is_constant()) {
        const double delay = c.delay.evaluate({});
        if (!(delay > 0))
            r.fail("delay", "a connection delay must be positive, not " + object_reader::format(delay));
    }
}

connectivity_rule read_connectivity_rule(const json_document& doc, const std::string& name,
                                         const json& value, const model_spec& m) {
    const std::string path = "netParams.connParams." + name;
    object_reader r(doc, value, path, "connParams");
    connectivity_rule c;
    c.label = name;
    if (const json* pre = r.find("preConds")) c.pre = read_conditions(doc, *pre, path + ".preConds");
    if (const json* post = r.find("postConds")) c.post = read_conditions(doc, *post, path + ".postConds");
    c.synaptic_mechanism = synaptic_mechanism_of(r, "synMech", m);
    if (const char* amount_key = read_connectivity_kind(r, c))
        read_connection_amount(doc, r, path, amount_key, m, c);
    read_weight_and_delay(doc, r, path, m, c);
    if (auto sec = r.text("sec"); sec && *sec != "soma") r.fail("sec", "the cells have one section, 'soma'");
    if (r.number("loc", 0.5) != 0.5) r.fail("loc", "synapses sit at 0.5");
    if (r.number("synsPerConn", 1) != 1) r.fail("synsPerConn", "must be 1");
    r.finish();
    return c;
}

// A number m1batch does not read itself is a user variable when some string function names it;
// otherwise it must be a NetPyNE setting at its default (finish), so that a misspelt setting is
// not taken silently for a variable.
void check_user_numbers(object_reader& net, const model_spec& m,
                        const std::vector<std::string>& user_numbers) {
    for (const std::string& key : user_numbers) {
        bool used = false;
        auto uses = [&](const expression& e) { return !e.is_constant() && names(e.text(), key); };
        for (const auto& c : m.connectivity_rules)
            used = used || uses(c.amount) || uses(c.weight) || uses(c.delay);
        for (const auto& t : m.stim_targets) used = used || uses(t.weight) || uses(t.delay);
        if (used) net.find(key);
    }
}

void read_sim_config(const json_document& doc, const json& value, model_spec& m) {
    object_reader sim(doc, value, "simConfig", "simConfig");
    m.sim.duration = sim.positive("duration", 1000);
    m.sim.dt = sim.positive("dt", 0.025);
    m.sim.record_step = sim.positive("recordStep", 0.1);
    if (const json* s = sim.find("seeds")) {
        object_reader seeds(doc, *s, "simConfig.seeds", "simConfig.seeds");
        m.sim.seed.conn = read_seed(seeds, "conn", 1);
        m.sim.seed.stim = read_seed(seeds, "stim", 1);
        m.sim.seed.loc = read_seed(seeds, "loc", 1);
        read_seed(seeds, "cell", 1);  // NetPyNE's seed for cell-level diversity: nothing here draws from it
        seeds.finish();
    }
    m.allow_self_connections = sim.number("allowSelfConns", 0) != 0;
    // Exp2Syn is linear: one synapse per NetCon or one per cell and mechanism give the same
    // dynamics (SEMANTICS.md §3), so either setting is accepted.
    sim.number("oneSynPerNetcon");
    if (auto cvode = sim.number("cvode_active"); cvode && *cvode != 0)
        sim.fail("cvode_active", "m1batch integrates with NEURON's fixed step only");
    if (const json* h = sim.find("hParams")) {
        object_reader hoc(doc, *h, "simConfig.hParams", "simConfig.hParams");
        m.sim.celsius = hoc.number("celsius", 6.3);
        hoc.finish();
    }
    sim.finish();
}

}  // namespace

// The model, section by section in NetPyNE's order of meaning: globals first (every string
// function may use them), synaptic mechanisms before the rules that name them, sources before
// their targets.
model_spec parse_model(const json_document& doc) {
    check_top_level(doc);
    model_spec m;
    m.file = doc.file();
    m.document = doc.root();
    const json& net_params = doc.root().at("netParams");
    object_reader net(doc, net_params, "netParams", "netParams");
    read_globals(net, m);
    const std::vector<std::string> user_numbers = read_user_numbers(net_params, net, m);
    for_each_entry(net, "synMechParams", [&](const std::string& name, const json& value) {
        m.synaptic_mechanisms.push_back(read_synaptic_mechanism(doc, name, value));
    });
    for_each_entry(net, "popParams", [&](const std::string& name, const json& value) {
        m.populations.push_back(read_population(doc, name, value, m));
    });
    if (m.populations.empty()) net.fail("popParams", "the model has no populations");
    for_each_entry(net, "cellParams", [&](const std::string& name, const json& value) {
        m.cell_rules.push_back(read_cell_rule(doc, name, value));
    });
    for_each_entry(net, "stimSourceParams", [&](const std::string& name, const json& value) {
        m.stim_sources.push_back(read_stim_source(doc, name, value, m));
    });
    for_each_entry(net, "stimTargetParams", [&](const std::string& name, const json& value) {
        m.stim_targets.push_back(read_stim_target(doc, name, value, m));
    });
    for_each_entry(net, "connParams", [&](const std::string& name, const json& value) {
        m.connectivity_rules.push_back(read_connectivity_rule(doc, name, value, m));
    });
    check_user_numbers(net, m, user_numbers);
    net.finish({"annots"});
    if (doc.root().contains("simConfig")) read_sim_config(doc, doc.root().at("simConfig"), m);
    return m;
}

}  // namespace m1
