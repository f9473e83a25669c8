#!/usr/bin/python3
"""Regenerates tests/validation/cases/*.json (the validation cases) and docs' case table.

    /usr/bin/python3 make_cases.py [--model2017 PATH] [--model2016 PATH] [--mech-dir DIR]

Each case is a NetPyNE-layout model file with one Izhi cell (population "cell") whose cellParams
rule is copied from the 2017 model (or the 2016 one for the *2016 cases), driven by a current step
or a fixed presynaptic spike train. The amplitudes and weights below were chosen by running NEURON
(neuron_run.py) so that every case has a meaningful number of spikes: 0 for the sub-threshold
steps, 5-50 otherwise. After writing a case, this script runs it in NEURON and stores the spike
count in "expected" (the self-check holds NEURON to it).

Presynaptic spike times have 3 decimals and are chosen so that spike time + delay is at least
0.003 ms away from any multiple of 0.025 ms. NEURON delivers an event at the step boundary nearest
to its time (ties to the earlier one); arrival times away from the midpoints t_n + dt/2 make the
cases insensitive to how an implementation accumulates t.
"""

import argparse
import json
import os
import random
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
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
    return cases


def run_neuron(case_path, mech_dir, out_path):
    subprocess.run([sys.executable, os.path.join(HERE, "neuron_run.py"), case_path, "--out",
                    out_path, "--mech-dir", mech_dir], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    with open(out_path) as f:
        return json.load(f)


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
        c2 = {"source": c["source"],
              "expected": {"neuron_spike_count": len(out["spikes"]),
                           "neuron_version": out["neuron_version"].split(" Build")[0].strip()}}
        c2.update({k: v for k, v in c.items() if k != "source"})
        with open(path, "w") as f:
            json.dump(c2, f, indent=1)
            f.write("\n")
        print("%-28s %3d spikes" % (name, len(out["spikes"])))


if __name__ == "__main__":
    main()
