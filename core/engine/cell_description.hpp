#pragma once
// What the engine simulates, as plain data lowered from a model by the recipe: where a cell is,
// its Izhikevich parameters and soma, the kinetics of a synaptic mechanism, a stimulation or
// artificial spike source. No file format here: the model reader (core/format) fills these, the
// engine reads them through the recipe and never includes the reader.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace m1 {

// Where a cell is: absolute (µm) and normalised (0..1) coordinates.
struct cell_position {
    double x = 0, y = 0, z = 0;
    double xnorm = 0, ynorm = 0, znorm = 0;
};

enum class population_kind { izhikevich, netstim, vecstim };

// Izhi2007b's parameters (SEMANTICS.md §2). celltype: 1 RS, 2 IB, 3 CH, 4 LTS, 5 FS, 6 TC, 7 RTN.
struct izhikevich_params {
    double C = 1, k = 0.7, vr = -60, vt = -40, vpeak = 35, a = 0.03, b = -2, c = -50, d = 100;
    double Iin = 0;
    int celltype = 1;
    bool alive = true;
};

struct soma_geometry {
    double diam = 500.0 / 3.14159265358979323846;  // NEURON's default section: L = diam = 500/pi
    double L = 500.0 / 3.14159265358979323846;
    double cm = 1.0;
    double Ra = 35.4;
};

// Which kinetics a synaptic mechanism follows: the engine asks this, never the name.
enum class synaptic_kinetics {
    exp2syn,        // exp2syn.mod: tau1 clamped from below
    my_exp2syn_bb,  // MyExp2SynBB: no lower clamp of tau1, a conductance ceiling gmax
    nmda_bb         // MyExp2SynNMDABB: Exp2Syn's states, a Mg-blocked current, part of it calcium
};

// MyExp2SynNMDABB's constants beyond the two exponentials (SEMANTICS.md §3b): the event scale r
// (events are ignored when r < 0), the calcium fraction fracca (a GLOBAL of the mod) and the
// calcium concentrations its GHK driving force reads, which nothing in these models changes
// (NEURON's defaults cai0_ca_ion and cao0_ca_ion).
struct nmda_constants {
    double r = 1;
    double fracca = 0.13;
    double cai = 5e-5, cao = 2;  // mM
};

// Exp2Syn (and MyExp2SynBB, its twin with a conductance ceiling, and MyExp2SynNMDABB, whose
// tau1NMDA/tau2NMDA/sNMDAmax are tau1/tau2/gmax here): two exponentials whose difference peaks at
// the event weight (SEMANTICS.md §3).
struct synaptic_mechanism {
    std::string name;
    std::string mod;    // "Exp2Syn", "MyExp2SynBB" or "MyExp2SynNMDABB"
    synaptic_kinetics kinetics = synaptic_kinetics::exp2syn;  // as `mod` says
    double tau1 = 0.1, tau2 = 10, e = 0;
    double gmax = 1e9;  // MyExp2SynBB's gmax, MyExp2SynNMDABB's sNMDAmax
    nmda_constants nmda;  // MyExp2SynNMDABB only
};

enum class stim_kind { netstim, iclamp, vecstim };

// A stimulation source (stimSourceParams), or the spike source of an artificial population
// (a NetStim or VecStim popParams entry, lowered by the recipe).
struct stim_source {
    std::string name;
    stim_kind kind = stim_kind::netstim;
    double interval = 10, noise = 0, start = 0, number = 1e9;  // NetStim
    std::optional<std::uint32_t> seed;                         // NetStim: id3 of its stream
    double del = 0, dur = 0, amp = 0;                          // IClamp
    std::vector<double> spike_times;                           // VecStim
};

}  // namespace m1
