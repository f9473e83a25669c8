#!/usr/bin/python3
"""Regenerates tests/validation/cases/*.json (the validation cases) and docs' case table.

    /usr/bin/python3 make_cases.py [--model2017 PATH] [--model2016 PATH] [--mech-dir DIR]

Each case is a NetPyNE-layout model file with one Izhi cell (population "cell") whose cellParams
rule is copied from the 2017 model (or the 2016 one for the *2016 cases), driven by a current step
or a fixed presynaptic spike train. The amplitudes and weights below were chosen by running NEURON
(neuron_run.py) so that every case has a meaningful number of spikes: 0 for the sub-threshold
steps, 5-50 otherwise. After writing a case, this script runs it in NEURON and stores the spike
count in "expected" (the self-check holds NEURON to it).

The NMDA cases (MyExp2SynNMDABB, tests/validation/myexp2synnmdabb.mod) have several presynaptic
trains, one VecStim population and one connection each. For them "expected" also records
"summation_spread": NEURON's own spread when the same synaptic input is summed in another order
(the case run again with the synapses created in reverse order, with one instance shared by all
connections, with up to 16 seeded random creation orders, and 'merged': one shared instance whose
same-step events arrive as one event of their summed weight, m1batch's summation order computed
by NEURON; SPREAD_SOURCE). compare.py takes its tolerance for the case from it
(docs/validation.md).

Presynaptic spike times have 3 decimals and are chosen so that spike time + delay is at least
0.003 ms away from any multiple of 0.025 ms. NEURON delivers an event at the step boundary nearest
to its time (ties to the earlier one); arrival times away from the midpoints t_n + dt/2 make the
cases insensitive to how an implementation accumulates t.
"""

import argparse
import json
import os
import random
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
CASES = os.path.join(HERE, "cases")
DEFAULT_2017 = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "configs", "models", "m1_2017.json")
DEFAULT_2016 = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "configs", "models", "m1_2016.json")

DURATION = 500.0
STEP_DEL, STEP_DUR = 50.0, 400.0
SYN_DELAY = 1.5
SEEDS = {"conn": 1, "stim": 1, "loc": 1}

# cellType -> (Izhikevich class, {level: amp nA}) for 500 ms runs with a 400 ms step at 50 ms
STEPS = {
    "IT": ("RS", {"sub": 0.05, "rheo": 0.1, "strong": 0.4}),
    "PT": ("IB", {"sub": 0.15, "rheo": 0.35, "strong": 1.0}),
    "SOM": ("LTS", {"sub": 0.08, "rheo": 0.15, "strong": 0.3}),
    "PV": ("FS", {"sub": 0.3, "rheo": 0.37, "strong": 1.0}),
}


# The 2007 mechanism's other cell classes, not used by M1 but part of Izhi2007b: parameters from
# Izhikevich (2007), Dynamical Systems in Neuroscience, ch. 8 (CH fig. 8.23, TC fig. 8.31, RTN
# fig. 8.32), C in the 2017 model's units (the book's pF / 100, as RS 100 pF -> C 1). RTN's vpeak
# is raised from the book's 0 mV to 20 mV so that its spikes cross NetPyNE's 10 mV detector.
BOOK_CELLS = {
    "CH": {"C": 0.5, "k": 1.5, "vr": -60, "vt": -40, "vpeak": 25, "a": 0.03, "b": 1, "c": -40,
           "d": 150, "celltype": 3},
    "TC": {"C": 2.0, "k": 1.6, "vr": -60, "vt": -50, "vpeak": 35, "a": 0.01, "b": 15, "c": -60,
           "d": 10, "celltype": 6},
    "RTN": {"C": 0.4, "k": 0.25, "vr": -65, "vt": -45, "vpeak": 20, "a": 0.015, "b": 10, "c": -55,
            "d": 50, "celltype": 7},
}
# (class, case suffix, step amplitude nA): tonic steps, and for TC and RTN a hyperpolarising step
# whose release gives a rebound burst (b switches below -65 mV).
BOOK_STEPS = [("CH", "step", 0.6), ("TC", "step", 1.0), ("TC", "rebound", -1.0),
              ("RTN", "step", 0.6), ("RTN", "rebound", -1.5)]


def book_cell_params(klass):
    izhi = {"mod": "Izhi2007b"}
    izhi.update(BOOK_CELLS[klass])
    return {klass: {"conds": {"cellType": klass}, "secs": {"soma": {
        "geom": {"diam": 10, "L": 10, "cm": 31.831}, "pointps": {"Izhi": izhi}}}}}


def dt_tag(dt):
    return "dt" + ("%g" % dt).replace(".", "")  # 0.05 -> dt005, 0.1 -> dt01


def tie_safe(x, q=0.025, margin=0.003):
    r = x / q
    return abs(r - round(r)) * q >= margin


def safe_times(times):
    out = []
    for t in times:
        x = round(t, 3)
        while not tie_safe(x + SYN_DELAY):
            x = round(x + 0.004, 3)
        out.append(x)
    if out != sorted(set(out)):
        raise SystemExit("spike times are not strictly increasing after the tie shifts")
    return out


def regular_train(rate_hz, start, stop):
    isi = 1000.0 / rate_hz
    n = int((stop - start) / isi) + 1
    return safe_times([start + isi * k for k in range(n) if start + isi * k < stop])


def poisson_train(rate_hz, start, stop, seed):
    rng = random.Random(seed)
    t, out = start, []
    while True:
        t += rng.expovariate(rate_hz / 1000.0)
        if t >= stop:
            break
        out.append(t)
    return safe_times(out)


def base_case(cell_params, cell_type, dt, source):
    return {
        "source": source,
        "netParams": {
            "popParams": {"cell": {"cellModel": "Izhi", "cellType": cell_type, "numCells": 1}},
            "cellParams": {cell_type: json.loads(json.dumps(cell_params[cell_type]))},
            "scaleConnWeight": 1,
        },
        "simConfig": {"duration": DURATION, "dt": dt, "seeds": dict(SEEDS)},
    }


def add_iclamp(case, label, delay, dur, amp):
    net = case["netParams"]
    net.setdefault("stimSourceParams", {})[label] = {
        "type": "IClamp", "del": delay, "dur": dur, "amp": amp}
    net.setdefault("stimTargetParams", {})[label + "->cell"] = {
        "source": label, "conds": {"pop": "cell"}, "sec": "soma", "loc": 0.5}


def add_train(case, syn_mechs, mech, weight, times):
    net = case["netParams"]
    net["popParams"]["pre"] = {"cellModel": "VecStim", "numCells": 1, "spkTimes": times}
    net.setdefault("synMechParams", {})[mech] = dict(syn_mechs[mech])
    net["connParams"] = {"pre->cell": {
        "preConds": {"pop": "pre"}, "postConds": {"pop": "cell"}, "synMech": mech,
        "weight": weight, "delay": SYN_DELAY, "probability": 1.0}}


# MyExp2SynNMDABB (tests/validation/myexp2synnmdabb.mod). The synMech the 2016 model used for its
# background input at M1NetworkModel 2ef9817 (sim/M1_ynorm_izhi.py); the "defaults" variant gives
# no parameter at all (the mod's defaults, which are the same numbers), and the "params" case
# gives all five keys with other values and a binding sNMDAmax.
NMDA_2EF9817 = {"mod": "MyExp2SynNMDABB", "tau1NMDA": 15, "tau2NMDA": 150, "r": 1, "e": 0}
NMDA_DEFAULTS = {"mod": "MyExp2SynNMDABB"}
NMDA_PARAMS = {"mod": "MyExp2SynNMDABB", "tau1NMDA": 10, "tau2NMDA": 100, "e": -5, "r": 0.8,
               "sNMDAmax": 0.0004}

# The NMDA cases: (name, model year, cellType, dt, drive, inputs, weight uS, step nA, synMech)
#   regular:   NMDA_PAIRS pairs of 10 Hz regular inputs; the two inputs of a pair arrive 0.009 ms
#              apart (in the same step, or in adjacent ones), the pairs 33.3 ms apart
#   irregular: n independent 8 Hz Poisson inputs
#   step:      a current step (50-450 ms) that holds the cell depolarised (below or near its
#              threshold), plus n 8 Hz Poisson NMDA inputs: there the Mg block is partly relieved
# Weights and amplitudes were chosen by running NEURON (5-50 spikes).
NMDA_PAIRS = 3
NMDA_CASES = [
    ("IT2016_NMDA_regular", 2016, "IT", (0.05, 0.1), "regular", 2 * NMDA_PAIRS, 1e-4, None,
     NMDA_DEFAULTS),
    ("IT2016_NMDA_irregular", 2016, "IT", (0.05, 0.1), "irregular", 8, 1e-4, None,
     NMDA_2EF9817),
    ("IT2016_NMDA_step", 2016, "IT", (0.05, 0.1), "step", 3, 1e-4, 0.0005, NMDA_2EF9817),
    ("PV2016_NMDA_regular", 2016, "PV", (0.05, 0.1), "regular", 2 * NMDA_PAIRS, 1e-4, None,
     NMDA_DEFAULTS),
    ("PV2016_NMDA_irregular", 2016, "PV", (0.05, 0.1), "irregular", 10, 1e-4, None,
     NMDA_2EF9817),
    ("PV2016_NMDA_step", 2016, "PV", (0.05, 0.1), "step", 3, 1e-4, 0.002, NMDA_2EF9817),
    ("IT2016_NMDA_params", 2016, "IT", (0.1,), "irregular", 1, 6e-4, None, NMDA_PARAMS),
    ("IT_NMDA_irregular", 2017, "IT", (0.05,), "irregular", 8, 0.01, None, NMDA_2EF9817),
    ("PV_NMDA_step", 2017, "PV", (0.05,), "step", 5, 0.004, 0.3, NMDA_2EF9817),
]
# and one mixed case: 2017 IT cell, AMPA (Exp2Syn) and NMDA Poisson inputs on one soma, so that
# both synapse types, the Izhi current and an IClamp bias add into the same node
MIXED = ("IT_AMPA_NMDA_irregular", 2017, "IT", (0.05,), 6, 0.004, 6, 0.006, 0.05)


def add_trains(case, syn_mechs, mech, weight, trains, first=0):
    """One VecStim population and one connection per train (pre<k> -> cell)."""
    net = case["netParams"]
    net.setdefault("synMechParams", {})[mech] = dict(syn_mechs[mech])
    conns = net.setdefault("connParams", {})
    for k, times in enumerate(trains, start=first):
        net["popParams"]["pre%d" % k] = {"cellModel": "VecStim", "numCells": 1,
                                         "spkTimes": times}
        conns["pre%d->cell" % k] = {
            "preConds": {"pop": "pre%d" % k}, "postConds": {"pop": "cell"}, "synMech": mech,
            "weight": weight, "delay": SYN_DELAY, "probability": 1.0}


def distinct(trains, taken=None):
    """Shifts spike times (by 0.004 ms, tie-safe) so that no two arrivals of a case coincide:
    NEURON's order for equal event times is then never needed."""
    taken = set() if taken is None else taken
    out = []
    for times in trains:
        new = []
        for x in times:
            while x in taken or not tie_safe(x + SYN_DELAY):
                x = round(x + 0.004, 3)
            taken.add(x)
            new.append(x)
        if new != sorted(set(new)):
            raise SystemExit("spike times are not strictly increasing after the shifts")
        out.append(new)
    return out


def nmda_trains(drive, n, seed):
    if drive == "regular":
        return distinct([regular_train(10, 50.011 + (k // 2) * 33.3 + (k % 2) * 0.009, 450)
                         for k in range(n)])
    return distinct([poisson_train(8, 20, 480, seed=seed + k) for k in range(n)])


def build_nmda_cases(m2017, m2016):
    syn = {"NMDA": None}
    cases = {}
    for name, year, ct, dts, drive, n, w, amp, mech in NMDA_CASES:
        cp = (m2016 if year == 2016 else m2017)["netParams"]["cellParams"]
        syn["NMDA"] = mech
        trains = nmda_trains(drive, n, seed=100 if ct == "IT" else 200)
        keys = ", ".join("%s %g" % (k, v) for k, v in mech.items() if k != "mod") or "mod defaults"
        if drive == "regular":
            what = "%d pairs of 10 Hz regular NMDA inputs (pair members 0.009 ms apart)" % (n // 2)
        else:
            what = "%d Poisson NMDA input%s at 8 Hz" % (n, "s" if n > 1 else "")
        for dt in dts:
            c = base_case(cp, ct, dt, "m1batch validation: %s cell, %d parameters, %s, "
                          "MyExp2SynNMDABB (%s), weight %g uS each, delay %g ms%s, dt %g ms"
                          % (ct, year, what, keys, w, SYN_DELAY,
                             "" if amp is None else ", %g nA step %g-%g ms" % (
                                 amp, STEP_DEL, STEP_DEL + STEP_DUR), dt))
            add_trains(c, syn, "NMDA", w, trains)
            if amp is not None:
                add_iclamp(c, "step", STEP_DEL, STEP_DUR, amp)
            cases["%s_%s" % (name, dt_tag(dt))] = c
    name, year, ct, dts, n_ampa, w_ampa, n_nmda, w_nmda, bias = MIXED
    cp = m2017["netParams"]["cellParams"]
    syn = {"AMPA": m2017["netParams"]["synMechParams"]["AMPA"], "NMDA": NMDA_2EF9817}
    ampa = distinct([poisson_train(8, 20, 480, seed=300 + k) for k in range(n_ampa)])
    taken = {x for t in ampa for x in t}
    nmda = distinct([poisson_train(8, 20, 480, seed=400 + k) for k in range(n_nmda)], taken)
    for dt in dts:
        c = base_case(cp, ct, dt, "m1batch validation: %s cell, 2017 parameters, %d Poisson AMPA "
                      "(Exp2Syn, weight %g uS) and %d Poisson NMDA (MyExp2SynNMDABB as at "
                      "2ef9817, weight %g uS) inputs at 8 Hz, delay %g ms, %g nA bias, dt %g ms"
                      % (ct, n_ampa, w_ampa, n_nmda, w_nmda, SYN_DELAY, bias, dt))
        add_trains(c, syn, "AMPA", w_ampa, ampa)
        add_trains(c, syn, "NMDA", w_nmda, nmda, first=n_ampa)
        add_iclamp(c, "bias", 0.0, DURATION, bias)
        cases["%s_%s" % (name, dt_tag(dt))] = c
    return cases


def build_cases(m2017, m2016):
    cp17 = m2017["netParams"]["cellParams"]
    cp16 = m2016["netParams"]["cellParams"]
    syn17 = m2017["netParams"]["synMechParams"]
    cases = {}
    for dt in (0.05, 0.1):
        for ct, (klass, amps) in STEPS.items():
            for level, amp in amps.items():
                name = "%s_step_%s_%s" % (ct, level, dt_tag(dt))
                c = base_case(cp17, ct, dt, "m1batch validation: %s (%s) cell, 2017 parameters, "
                              "%g nA step %g-%g ms, dt %g ms" % (ct, klass, amp, STEP_DEL,
                                                                   STEP_DEL + STEP_DUR, dt))
                add_iclamp(c, "step", STEP_DEL, STEP_DUR, amp)
                cases[name] = c
        ampa_reg = regular_train(40, 50.011, 450)
        ampa_irr = poisson_train(60, 20, 480, seed=7)
        gaba_reg = regular_train(20, 30.013, 480)
        gaba_irr = poisson_train(40, 20, 480, seed=11)
        for name, mech, w, times, bias, what in (
                ("IT_AMPA_regular", "AMPA", 0.02, ampa_reg, None, "40 Hz regular AMPA train"),
                ("IT_AMPA_irregular", "AMPA", 0.01, ampa_irr, None, "60 Hz Poisson AMPA train"),
                ("IT_GABAA_regular", "GABAA", 0.01, gaba_reg, 0.3,
                 "20 Hz regular GABAA train against a 0.3 nA bias"),
                ("IT_GABAA_irregular", "GABAA", 0.01, gaba_irr, 0.3,
                 "40 Hz Poisson GABAA train against a 0.3 nA bias")):
            c = base_case(cp17, "IT", dt, "m1batch validation: IT (RS) cell, 2017 parameters, "
                          "%s, weight %g uS, delay %g ms, dt %g ms" % (what, w, SYN_DELAY, dt))
            add_train(c, syn17, mech, w, times)
            if bias is not None:
                add_iclamp(c, "bias", 0.0, DURATION, bias)
            cases["%s_%s" % (name, dt_tag(dt))] = c

    # FS: synaptic current sees 100 pF while the intrinsic current is 5x faster (C = 0.2)
    c = base_case(cp17, "PV", 0.05, "m1batch validation: PV (FS) cell, 2017 parameters, 60 Hz "
                  "Poisson AMPA train, weight 0.005 uS, on a 0.3 nA sub-threshold bias, dt 0.05 ms")
    add_train(c, syn17, "AMPA", 0.005, poisson_train(60, 20, 480, seed=7))
    add_iclamp(c, "bias", 0.0, DURATION, 0.3)
    cases["PV_AMPA_irregular_dt005"] = c

    # LTS at strong drive: u grows past ~300, the peak vpeak - 0.1 u falls below the 10 mV
    # detector, so most WATCH resets are not spikes (80 resets, 13 detected spikes).
    c = base_case(cp17, "SOM", 0.05, "m1batch validation: SOM (LTS) cell, 2017 parameters, 0.6 nA "
                  "step 50-450 ms, dt 0.05 ms; most resets peak below the 10 mV spike detector")
    add_iclamp(c, "step", STEP_DEL, STEP_DUR, 0.6)
    cases["SOM_step_hidden_dt005"] = c

    # CH, TC and RTN (celltypes 3, 6, 7) with the book's parameters, both time steps
    for dt in (0.05, 0.1):
        for klass, kind, amp in BOOK_STEPS:
            c = base_case(book_cell_params(klass), klass, dt,
                          "m1batch validation: %s cell (celltype %d), Izhikevich 2007 parameters, "
                          "%g nA step %g-%g ms, dt %g ms" % (klass, BOOK_CELLS[klass]["celltype"],
                                                             amp, STEP_DEL, STEP_DEL + STEP_DUR, dt))
            add_iclamp(c, "step", STEP_DEL, STEP_DUR if kind == "step" else 150.0, amp)
            cases["%s_%s_%s" % (klass, kind, dt_tag(dt))] = c

    # 2016 geometry (diam 5, L 6.3, cm 1; C in pF), dt 0.1 as in the 2016 model
    for ct, amp in (("IT", 0.002), ("PV", 0.005)):
        c = base_case(cp16, ct, 0.1, "m1batch validation: %s cell with the 2016 geometry and "
                      "parameters (diam 5, L 6.3, cm 1, C %g), %g nA step %g-%g ms, dt 0.1 ms"
                      % (ct, cp16[ct]["secs"]["soma"]["pointps"]["Izhi"]["C"], amp, STEP_DEL,
                         STEP_DEL + STEP_DUR))
        add_iclamp(c, "step", STEP_DEL, STEP_DUR, amp)
        cases["%s2016_step_dt01" % ct] = c
    cases.update(build_nmda_cases(m2017, m2016))
    return cases


def run_neuron(case_path, mech_dir, out_path, syn_layout="per-connection"):
    subprocess.run([sys.executable, os.path.join(HERE, "neuron_run.py"), case_path, "--out",
                    out_path, "--mech-dir", mech_dir, "--syn-layout", syn_layout], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(out_path) as f:
        return json.load(f)


# How many random creation orders (the 'permuted' layout) the spread covers, at most: seeds 1, 2,
# ... give neuron_run.permutation(n, seed); an order equal to the connection order, its reverse or
# an earlier one is skipped (its seed is not recorded), and at most MAX_SEED seeds are tried (a
# case with 3 inputs has only 4 other orders).
N_PERMUTATIONS = 16
MAX_SEED = 200

SPREAD_SOURCE = (
    "measured by make_cases.py: NEURON run with the case's synapses laid out as 'reversed' (one "
    "instance per connection, created in the opposite order), 'shared' (one instance per synMech "
    "for all connections), 'merged' (as 'shared', and the events NEURON would deliver to that "
    "instance in one time step delivered instead as one event of their summed weight at the "
    "first of their times, neuron_run.merged_events) and 'permuted' (one instance per "
    "connection, created in the random order listed with its seed, neuron_run.permutation; up "
    "to %d distinct orders), each compared with 'per-connection' (NetPyNE's oneSynPerNetcon, the "
    "reference; see neuron_run.spike_distance); max_count_diff and max_spike_dt_ms are the "
    "largest over all these layouts. 'merged' is NEURON itself under a change of summation "
    "order only: the step's increments are summed before they reach the state, A + (x + x) "
    "instead of (A + x) + x, which is m1batch's order. It is exact because the events it merges "
    "are two of equal weight w on one synMech: x + x = 2x and factor*(w + w)*r = "
    "2*((factor*w)*r) in floating point, so NEURON adds exactly A + 2x (the layout refuses any "
    "other case, and is then left out of the spread); where no step has two events for one "
    "synMech it is 'shared' itself. The order in which the events of one step are delivered is "
    "not varied: NEURON's queue delivers them in time order and cannot be made to reorder them "
    "without changing their times, and here no connection has two events in one step and every "
    "connection of a synMech has the same weight, so every delivery order adds the same "
    "increments (checked by make_cases.py)" % N_PERMUTATIONS)


def check_delivery_order_moot(d):
    """Why the spread need not vary the delivery order of a step's events (SPREAD_SOURCE):
    no connection has two arrivals in one step (per-connection instances get at most one event
    per step) and the connections of one synMech share one weight (a shared instance gets equal
    increments, in whatever order)."""
    import bisect
    dt = d["dt"]
    t_mid, t = [], 0.0
    for _ in range(int(round(d["duration"] / dt)) + 2):
        t = t + 0.5 * dt
        t_mid.append(t)
        t = t + 0.5 * dt
    weights = {}
    for c in d["conns"]:
        steps = [bisect.bisect_left(t_mid, x + c["delay"]) for x in c["spkTimes"]]
        if len(steps) != len(set(steps)):
            raise SystemExit("%s: two events of one connection in one step: the summation "
                             "spread would have to vary their delivery order" % c["label"])
        weights.setdefault(c["synMech"], set()).add(c["weight"])
    for mech, ws in weights.items():
        if len(ws) > 1:
            raise SystemExit("synMech %s: connections with different weights: the summation "
                             "spread would have to vary the delivery order" % mech)


def spread_layouts(n_conns, merged=True):
    """The layouts the spread covers: reversed, shared, merged (if it applies to the case), and up
    to N_PERMUTATIONS distinct random creation orders (not the connection order or its
    reverse)."""
    import neuron_run
    layouts = [{"syn_layout": "reversed"}, {"syn_layout": "shared"}]
    if merged:
        layouts.append({"syn_layout": "merged"})
    n_fixed = len(layouts)
    seen = {tuple(range(n_conns)), tuple(reversed(range(n_conns)))}
    seed = 0
    while len(layouts) < n_fixed + N_PERMUTATIONS and seed < MAX_SEED:
        seed += 1
        order = neuron_run.permutation(n_conns, seed)
        if tuple(order) in seen:
            continue
        seen.add(tuple(order))
        layouts.append({"syn_layout": "permuted", "creation_order": order, "seed": seed})
    return layouts


def run_layouts(case_path, mech_dir, tmp, name, layouts):
    """All layouts in one NEURON process (neuron_run.py --layouts)."""
    lay_path = os.path.join(tmp, "%s.layouts.json" % name)
    with open(lay_path, "w") as f:
        json.dump(layouts, f)
    out_path = os.path.join(tmp, "%s.spread.json" % name)
    subprocess.run([sys.executable, os.path.join(HERE, "neuron_run.py"), case_path, "--out",
                    out_path, "--mech-dir", mech_dir, "--layouts", lay_path], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(out_path) as f:
        return json.load(f)["runs"]


def summation_spread(case_path, mech_dir, tmp, name, ref_spikes):
    """NEURON's own spread from the order in which synapse currents are summed."""
    import neuron_run
    with open(case_path) as f:
        d = neuron_run.describe_case(json.load(f))
    check_delivery_order_moot(d)
    try:
        merged_steps, refused = neuron_run.merged_events(d)["steps"], None
    except neuron_run.MergeNotExact as e:
        merged_steps, refused = None, str(e)
    layouts = spread_layouts(len(d["conns"]), merged=refused is None)
    # the reference again in the same process: runs in one process must be independent
    runs = run_layouts(case_path, mech_dir, tmp, name, [{"syn_layout": "per-connection"}] + layouts)
    if runs[0]["spikes"] != ref_spikes:
        raise SystemExit("%s: per-connection run in a --layouts process differs from its own "
                         "process" % name)
    out = {"source": SPREAD_SOURCE, "permuted": []}
    widest, widest_by = (0, 0.0), "none"
    for lay, o in zip(layouts, runs[1:]):
        dist = neuron_run.spike_distance(ref_spikes, o["spikes"])
        if lay["syn_layout"] == "permuted":
            label = "permuted seed %d" % lay["seed"]
            out["permuted"].append(dict({"seed": lay["seed"],
                                         "creation_order": lay["creation_order"]}, **dist))
        else:
            label = lay["syn_layout"]
            out[label] = dist
            if label == "merged":
                if o["merged_steps"] != merged_steps:
                    raise SystemExit("%s: NEURON merged %r events, merged_events says %r"
                                     % (name, o["merged_steps"], merged_steps))
                dist["merged_steps"] = merged_steps
        key = (dist["count_diff"], dist["max_spike_dt_ms"] or 0.0)
        if key > widest:
            widest, widest_by = key, label
    if refused is not None:
        # not part of the spread: recorded with the reason
        out["merged"] = {"applies": False, "why": refused}
    every = [out["reversed"], out["shared"]] + \
        ([out["merged"]] if refused is None else []) + out["permuted"]
    return {"source": out["source"], "reversed": out["reversed"], "shared": out["shared"],
            "merged": out["merged"], "permuted": out["permuted"], "layouts": len(every),
            "max_count_diff": max(x["count_diff"] for x in every),
            "max_spike_dt_ms": max(x["max_spike_dt_ms"] or 0.0 for x in every),
            "widest": widest_by}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model2017", default=DEFAULT_2017)
    ap.add_argument("--model2016", default=DEFAULT_2016)
    ap.add_argument("--mech-dir", default="/tmp/m1batch-validation-mech")
    args = ap.parse_args()
    with open(args.model2017) as f:
        m2017 = json.load(f)
    with open(args.model2016) as f:
        m2016 = json.load(f)
    cases = build_cases(m2017, m2016)
    os.makedirs(CASES, exist_ok=True)
    for old in os.listdir(CASES):
        if old.endswith(".json") and old[:-5] not in cases:
            os.remove(os.path.join(CASES, old))
    tmp = os.path.join(args.mech_dir, "runs")
    os.makedirs(tmp, exist_ok=True)
    for name, c in sorted(cases.items()):
        path = os.path.join(CASES, name + ".json")
        c.pop("expected", None)
        with open(path, "w") as f:
            json.dump(c, f, indent=1)
        out = run_neuron(path, args.mech_dir, os.path.join(tmp, name + ".json"))
        # "expected" comes first in the file, after "source"
        expected = {"neuron_spike_count": len(out["spikes"]),
                    "neuron_version": out["neuron_version"].split(" Build")[0].strip()}
        spread = None
        if any(m.get("mod") == "MyExp2SynNMDABB"
               for m in c["netParams"].get("synMechParams", {}).values()):
            spread = summation_spread(path, args.mech_dir, tmp, name, out["spikes"])
            expected["summation_spread"] = spread
        c2 = {"source": c["source"], "expected": expected}
        c2.update({k: v for k, v in c.items() if k != "source"})
        with open(path, "w") as f:
            # the recorded creation orders on one line each
            f.write(re.sub(r'("creation_order": )\[([^\]]*)\]',
                           lambda m: m.group(1) + "[" + ", ".join(
                               x.strip() for x in m.group(2).split(",")) + "]",
                           json.dumps(c2, indent=1)))
            f.write("\n")
        print("%-28s %3d spikes%s" % (name, len(out["spikes"]), "" if spread is None else
                                      "; summation spread: %s; %d permuted: max count diff %d, "
                                      "max|dt| %.3g ms; over all %d layouts: +-%d spikes, %.3g ms "
                                      "(%s)" % (
                                          "; ".join("%s %d spikes, max|dt| %.3g ms" % (
                                              k, spread[k]["spike_count"],
                                              spread[k]["max_spike_dt_ms"] or 0.0)
                                              for k in ("reversed", "shared", "merged")
                                              if "spike_count" in spread[k]),
                                          len(spread["permuted"]),
                                          max([p["count_diff"] for p in spread["permuted"]] or [0]),
                                          max([p["max_spike_dt_ms"] or 0.0
                                               for p in spread["permuted"]] or [0.0]),
                                          spread["layouts"], spread["max_count_diff"],
                                          spread["max_spike_dt_ms"], spread["widest"])))


if __name__ == "__main__":
    main()
