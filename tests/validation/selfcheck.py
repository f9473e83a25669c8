#!/usr/bin/python3
"""validation.neuron_selfcheck: checks that NEURON (with tests/validation/izhi2007b.mod and
myexp2synnmdabb.mod) behaves the way docs/SEMANTICS.md and semantics_ref.py say, on every
validation case.

    /usr/bin/python3 selfcheck.py --mech-dir DIR [--workdir DIR] [--cases DIR] [-j N]

Checks:
* Random123: h.Random().Random123(5,7,1) gives the uniforms 0.29160632372563555,
  0.2802923686615442, 0.8020078407595848; Random123(3,0,1) with successive normal(5,3) gives
  3.7842355145082602, 4.549768540652473, 8.704871632838197 (section 0).
* per case, NEURON run by neuron_run.py:
  - the cell starts at v = vr and u = 0.2 vr (soma v right after finitialize);
  - total membrane capacitance: 0.10000003576 nF for the 2017 soma (diam = L = 10 um,
    cm 31.831), 9.896e-4 nF for the 2016 soma (diam 5, L 6.3, cm 1);
  - the spike count is the one recorded in the case ("expected");
  - semantics_ref.py (a transcription of sections 2, 3 and 6: 3-node tree solve, two current
    evaluations per step, boundary event delivery) gives bit-identical spike times and an
    identical soma voltage at every step;
  - FS cells: the WATCH(v > d)/WATCH(v < d) events do fire (derivtype toggles) and still change
    nothing, since semantics_ref has no such events and matches bit for bit;
  - NMDA cases (MyExp2SynNMDABB): also the same case with the synapses created in reverse
    order (bit-identical to the transcription summing them oldest-first: NEURON sums the
    instances of a node newest first), with one instance shared by all connections (bit-
    identical to the transcription with one state per synMech) and in the recorded random
    creation orders (the first bit-identical to the transcription created in that order); the
    summation spread the case records is what NEURON gives, layout by layout ('merged'
    included); semantics_ref's m1batch layout equals NEURON's 'shared' bit for bit where no step
    sums two events;
  - every case where neuron_run's 'merged' layout applies (all 62 today): NEURON 'merged' (one
    instance per synMech, each step's events of a synMech delivered as one event of their
    summed weight) is bit-identical -- spike times and the soma voltage at every step -- to
    semantics_ref's m1batch layout, and merges the same number of events as that layout sums
    two or more of: m1batch's summation order computed by NEURON itself;
* MyExp2SynNMDABB's surroundings: cai0_ca_ion 5e-5 mM, cao0_ca_ion 2 mM, celsius 6.3, modern
  units (FARADAY 96485.33212331001, R 8.31446261815324), fracca 0.13 and not settable per
  instance (setattr raises LookupError), mechanism types IClamp < Exp2Syn < ca_ion <
  MyExp2SynNMDABB < Izhi2007b (the order semantics_ref adds currents in);
* an IT cell driven by a current step spikes;
* pc.psolve (NetPyNE's driver) and a plain h.fadvance() loop give the same spikes.
Exit status 1 if anything fails.
"""

import argparse
import concurrent.futures
import glob
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import neuron_run  # noqa: E402
import semantics_ref  # noqa: E402

CM_2017_NF = 0.10000003576   # SEMANTICS.md section 2 (printed to 11 digits)
CM_2016_NF = 9.896e-4        # SEMANTICS.md section 9 (printed to 4 digits)


def run_neuron(case_path, out_path, mech_dir, integrator="psolve", trace=True,
               syn_layout="per-connection"):
    cmd = [sys.executable, os.path.join(HERE, "neuron_run.py"), case_path, "--out", out_path,
           "--mech-dir", mech_dir, "--integrator", integrator, "--syn-layout", syn_layout]
    if trace:
        cmd.append("--trace")
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0:
        raise RuntimeError("neuron_run.py failed on %s:\n%s" % (case_path, proc.stdout[-3000:]))
    with open(out_path) as f:
        return json.load(f)


def check_case(case_path, workdir, mech_dir):
    """-> (name, n_spikes, [failure messages], info)"""
    name = os.path.splitext(os.path.basename(case_path))[0]
    fails = []
    with open(case_path) as f:
        case = json.load(f)
    d = neuron_run.describe_case(case)
    out = run_neuron(case_path, os.path.join(workdir, name + ".neuron.json"), mech_dir)
    spikes = out["spikes"]
    vr = float(d["izhi"]["vr"])
    if out["v_at_0"] != vr:
        fails.append("v after finitialize is %r, not vr = %r" % (out["v_at_0"], vr))
    if out["u_at_0"] != 0.2 * vr:
        fails.append("u after finitialize is %r, not 0.2 vr = %r" % (out["u_at_0"], 0.2 * vr))
    g = d["geom"]
    if (g.get("diam"), g.get("L"), g.get("cm")) == (10, 10, 31.831):
        if abs(out["cm_total_nF"] - CM_2017_NF) > 5e-12:
            fails.append("C_m = %.14g nF, not %.11f" % (out["cm_total_nF"], CM_2017_NF))
    elif (g.get("diam"), g.get("L"), g.get("cm")) == (5, 6.3, 1):
        if abs(out["cm_total_nF"] - CM_2016_NF) > 5e-8:
            fails.append("C_m = %.8g nF, not %.4g" % (out["cm_total_nF"], CM_2016_NF))
    expected = case.get("expected", {}).get("neuron_spike_count")
    if expected is None:
        fails.append("the case records no expected.neuron_spike_count")
    elif expected != len(spikes):
        fails.append("NEURON gave %d spikes, the case expects %d" % (len(spikes), expected))

    ref = semantics_ref.simulate(d, record=True)
    if ref["area_um2"] != out["area_um2"]:
        fails.append("soma area: NEURON %r, SEMANTICS %r" % (out["area_um2"], ref["area_um2"]))
    if ref["t_end"] != out["t_end"]:
        fails.append("t at the end: NEURON %r, SEMANTICS %r" % (out["t_end"], ref["t_end"]))
    v_neuron = out["trace"]["v"][1:]   # [0] is t = 0
    n = min(len(v_neuron), len(ref["v"]))
    if len(v_neuron) != len(ref["v"]):
        fails.append("steps: NEURON %d, SEMANTICS %d" % (len(v_neuron), len(ref["v"])))
    dv = max((abs(a - b) for a, b in zip(v_neuron[:n], ref["v"][:n])), default=0.0)
    if dv != 0.0:
        first = next(i for i in range(n) if v_neuron[i] != ref["v"][i])
        fails.append("soma v differs from the SEMANTICS transcription: max %.3g mV, first at "
                     "step %d (t = %.4f)" % (dv, first + 1, out["trace"]["t"][first + 1]))
    if ref["spikes"] != spikes:
        fails.append("spikes differ from the SEMANTICS transcription (NEURON %d, SEMANTICS %d)"
                     % (len(spikes), len(ref["spikes"])))
    info = {"max_dv": dv, "bitwise": ref["spikes"] == spikes and dv == 0.0}
    m1 = semantics_ref.simulate(d, record=True, m1batch=True)
    merged_out, why = check_merged(case_path, d, m1, workdir, mech_dir)
    if merged_out is None:
        info["merged"] = "n/a"
    else:
        info["merged"] = "%s (%d)" % ("no" if why else "yes", merged_out["merged_steps"])
    if why:
        fails.append(why)
    if neuron_run.has_nmda(d):
        fails += check_nmda_layouts(case_path, case, d, spikes, workdir, mech_dir, m1,
                                    merged_out)
    if d["izhi"].get("celltype") == 5 and spikes:
        changes = out.get("derivtype_changes", 0)
        info["derivtype_changes"] = changes
        if changes == 0:
            fails.append("FS: the WATCH(v > d)/(v < d) events never fired")
    return name, len(spikes), fails, info


def check_merged(case_path, d, m1, workdir, mech_dir):
    """NEURON 'merged' against semantics_ref's m1batch layout (m1).

    The 'merged' layout (neuron_run.merged_events) is NEURON with one instance per synMech whose
    events of one step arrive as one event of their summed weight: A + (x + x) = A + 2x, computed
    by NEURON's own NET_RECEIVE, where m1batch's layout sums the step's increments first and
    adds them once. Where it applies (two events of equal weight per step and synMech at most) the
    two must be bit-identical, spikes and the soma voltage at every step, and must merge the same
    steps. -> (NEURON's result or None where the layout refuses the case, failure or None)"""
    name = os.path.splitext(os.path.basename(case_path))[0]
    try:
        neuron_run.merged_events(d)
    except neuron_run.MergeNotExact:
        return None, None
    out = run_neuron(case_path, os.path.join(workdir, "%s.merged.json" % name), mech_dir,
                     syn_layout="merged")
    why = compare_traces(out, m1)
    if why is None and out["merged_steps"] != m1["merged_inputs"]:
        why = "NEURON merged %d steps' events, semantics_ref's m1batch layout sums two or more " \
              "in %d" % (out["merged_steps"], m1["merged_inputs"])
    if why:
        why = "NEURON 'merged' vs semantics_ref's m1batch layout: " + why
    return out, why


def compare_traces(out, ref):
    """-> None if NEURON's soma v and spikes equal the transcription's bit for bit, else why."""
    v_neuron = out["trace"]["v"][1:]
    if len(v_neuron) != len(ref["v"]):
        return "steps: NEURON %d, SEMANTICS %d" % (len(v_neuron), len(ref["v"]))
    dv = max((abs(a - b) for a, b in zip(v_neuron, ref["v"])), default=0.0)
    if dv != 0.0:
        return "soma v differs: max %.3g mV" % dv
    if ref["spikes"] != out["spikes"]:
        return "spikes differ (NEURON %d, SEMANTICS %d)" % (len(out["spikes"]), len(ref["spikes"]))
    return None


def run_layouts(case_path, out_path, mech_dir, layouts):
    """Several layouts in one NEURON process (neuron_run.py --layouts) -> list of results."""
    lay_path = out_path + ".layouts"
    with open(lay_path, "w") as f:
        json.dump(layouts, f)
    cmd = [sys.executable, os.path.join(HERE, "neuron_run.py"), case_path, "--out", out_path,
           "--mech-dir", mech_dir, "--layouts", lay_path]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0:
        raise RuntimeError("neuron_run.py failed on %s:\n%s" % (case_path, proc.stdout[-3000:]))
    with open(out_path) as f:
        return json.load(f)["runs"]


def check_nmda_layouts(case_path, case, d, spikes, workdir, mech_dir, m1, merged_out):
    """NMDA cases: the other synapse layouts.

    * 'reversed' (instances created in the opposite order) matches the transcription summing the
      instances oldest-first, where the per-connection run matches newest-first: so NEURON adds
      the instances of a node newest first (prop_alloc links each new one at the head);
    * 'shared' (one instance for all connections) matches the transcription with one state per
      synMech, bit for bit;
    * 'permuted': the first recorded random creation order matches the transcription created in
      that order (summed newest first), bit for bit; the recorded orders are
      neuron_run.permutation(n, seed) of their seeds;
    * semantics_ref's m1batch layout (m1: events of a step summed before they are added once) is
      NEURON's 'shared' bit for bit when no step has two events for one synMech;
    * the summation spread recorded in the case (compare.py's tolerance) is what NEURON gives, in
      every layout ('merged': merged_out, None where the layout refuses the case, which must
      then be recorded as not applying), and its maxima are the largest over the layouts.
    """
    name = os.path.splitext(os.path.basename(case_path))[0]
    fails = []
    recorded = case.get("expected", {}).get("summation_spread")
    if recorded is None:
        fails.append("the NMDA case records no expected.summation_spread")
        recorded = {}
    shared_out = None
    for layout, kwargs in (("reversed", {"instance_order": "oldest-first"}),
                           ("shared", {"shared": True})):
        out = run_neuron(case_path, os.path.join(workdir, "%s.%s.json" % (name, layout)),
                         mech_dir, syn_layout=layout)
        if layout == "shared":
            shared_out = out
        why = compare_traces(out, semantics_ref.simulate(d, record=True, **kwargs))
        if why:
            fails.append("layout %s: NEURON vs the SEMANTICS transcription (%s): %s"
                         % (layout, ", ".join("%s=%s" % kv for kv in kwargs.items()), why))
        got = neuron_run.spike_distance(spikes, out["spikes"])
        if recorded and got != recorded.get(layout):
            fails.append("layout %s: summation spread %r, the case records %r"
                         % (layout, got, recorded.get(layout)))
    perms = recorded.get("permuted", [])
    n = len(d["conns"])
    for p in perms:
        if p["creation_order"] != neuron_run.permutation(n, p["seed"]):
            fails.append("permuted seed %d: the recorded order is not permutation(%d, %d)"
                         % (p["seed"], n, p["seed"]))
    if perms:
        layouts = [{"syn_layout": "permuted", "creation_order": p["creation_order"],
                    "trace": i == 0} for i, p in enumerate(perms)]
        runs = run_layouts(case_path, os.path.join(workdir, "%s.permuted.json" % name), mech_dir,
                           layouts)
        ref = semantics_ref.simulate(d, record=True, creation_order=perms[0]["creation_order"])
        why = compare_traces(runs[0], ref)
        if why:
            fails.append("permuted seed %d: NEURON vs the SEMANTICS transcription: %s"
                         % (perms[0]["seed"], why))
        for p, out in zip(perms, runs):
            got = neuron_run.spike_distance(spikes, out["spikes"])
            want = {k: p[k] for k in got}
            if got != want:
                fails.append("permuted seed %d: summation spread %r, the case records %r"
                             % (p["seed"], got, want))
    rec_merged = recorded.get("merged")
    if merged_out is not None:
        got = neuron_run.spike_distance(spikes, merged_out["spikes"])
        got["merged_steps"] = merged_out["merged_steps"]
        if recorded and got != rec_merged:
            fails.append("layout merged: summation spread %r, the case records %r"
                         % (got, rec_merged))
    elif recorded and (rec_merged or {}).get("applies") is not False:
        fails.append("layout merged does not apply to the case, which records %r" % rec_merged)
    if recorded:
        every = [recorded.get("reversed", {}), recorded.get("shared", {})] + \
            ([rec_merged or {}] if merged_out is not None else []) + perms
        if recorded.get("layouts") != len(every) or \
                recorded.get("max_count_diff") != max(x.get("count_diff", 0) for x in every) or \
                recorded.get("max_spike_dt_ms") != max(x.get("max_spike_dt_ms") or 0.0
                                                        for x in every):
            fails.append("the recorded spread's layouts/max_count_diff/max_spike_dt_ms are not "
                         "those of its layouts")
    if m1["merged_inputs"] == 0 and shared_out is not None:
        why = compare_traces(shared_out, m1)
        if why:
            fails.append("semantics_ref's m1batch layout vs NEURON 'shared' (no step sums two "
                         "events): %s" % why)
    return fails


NMDA_FACTS_PROBE = r"""
import os, sys, json
os.environ.setdefault("NEURON_MODULE_OPTIONS", "-nogui")
from neuron import h
h.nrn_load_dll(sys.argv[1])
out = {"cai0": h.cai0_ca_ion, "cao0": h.cao0_ca_ion, "celsius": h.celsius,
       "legacy_units": h.nrnunit_use_legacy(), "FARADAY": h.FARADAY, "R": h.R,
       "fracca": h.fracca_MyExp2SynNMDABB}
soma = h.Section(name="soma")
syn = h.MyExp2SynNMDABB(soma(0.5))
try:
    setattr(syn, "fracca", 0.5)
    out["setattr_fracca"] = "accepted"
except Exception as e:
    out["setattr_fracca"] = type(e).__name__
out["fracca_after"] = h.fracca_MyExp2SynNMDABB
out["cai"], out["cao"] = soma(0.5).cai, soma(0.5).cao
s = h.ref("")
types = {}
for k in (0, 1):
    mt = h.MechanismType(k)
    for i in range(int(mt.count())):
        mt.select(i)
        mt.selected(s)
        types[s[0]] = int(mt.internal_type())
out["types"] = types
print(json.dumps(out))
"""


def check_nmda_facts(mech_dir):
    """What semantics_ref assumes about MyExp2SynNMDABB's surroundings (docs/validation.md)."""
    proc = subprocess.run([sys.executable, "-c", NMDA_FACTS_PROBE,
                           neuron_run.mech_lib_path(mech_dir)], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        return ["NMDA facts probe failed: " + proc.stderr[-2000:]]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    fails = []
    want = {"cai0": semantics_ref.CAI0, "cao0": semantics_ref.CAO0,
            "celsius": semantics_ref.CELSIUS, "legacy_units": 0.0,
            "FARADAY": semantics_ref.FARADAY, "R": semantics_ref.R_GAS,
            "fracca": semantics_ref.FRACCA, "setattr_fracca": "LookupError",
            "fracca_after": semantics_ref.FRACCA, "cai": semantics_ref.CAI0,
            "cao": semantics_ref.CAO0}
    for key, value in want.items():
        if got.get(key) != value:
            fails.append("NMDA facts: %s is %r, semantics_ref assumes %r" % (key, got.get(key),
                                                                             value))
    t = got["types"]
    order = ["IClamp", "Exp2Syn", "ca_ion", "MyExp2SynNMDABB", "Izhi2007b"]
    if [t.get(n) for n in order] != sorted(t.get(n, -1) for n in order):
        fails.append("mechanism types are not in the order %s that semantics_ref sums in: %s"
                     % (", ".join(order), ", ".join("%s %s" % (n, t.get(n)) for n in order)))
    return fails


def check_integrators(case_path, workdir, mech_dir):
    name = os.path.splitext(os.path.basename(case_path))[0]
    a = run_neuron(case_path, os.path.join(workdir, name + ".psolve.json"), mech_dir, "psolve",
                   trace=False)
    b = run_neuron(case_path, os.path.join(workdir, name + ".fadvance.json"), mech_dir,
                   "fadvance", trace=False)
    if a["spikes"] != b["spikes"] or a["t_end"] != b["t_end"]:
        return ["%s: pc.psolve and an h.fadvance loop differ (%d vs %d spikes, t_end %r vs %r)"
                % (name, len(a["spikes"]), len(b["spikes"]), a["t_end"], b["t_end"])]
    return []


RANDOM123_PROBE = r"""
import os, sys, json
os.environ.setdefault("NEURON_MODULE_OPTIONS", "-nogui")
from neuron import h
r = h.Random()
r.Random123(5, 7, 1)
u = [r.uniform(0, 1), r.repick(), r.repick()]
r2 = h.Random()
r2.Random123(3, 0, 1)
n = [r2.normal(5, 3) for _ in range(3)]
print(json.dumps({"uniform": u, "normal": n}))
"""


def check_random123():
    proc = subprocess.run([sys.executable, "-c", RANDOM123_PROBE], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        return ["Random123 probe failed: " + proc.stderr[-2000:]]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    fails = []
    want_u = [0.29160632372563555, 0.2802923686615442, 0.8020078407595848]
    want_n = [3.7842355145082602, 4.549768540652473, 8.704871632838197]
    if got["uniform"] != want_u:
        fails.append("Random123(5,7,1) uniforms %r, expected %r" % (got["uniform"], want_u))
    if got["normal"] != want_n:
        fails.append("Random123(3,0,1) normal(5,3) draws %r, expected %r" % (got["normal"], want_n))
    return fails


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mech-dir", required=True)
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--cases", default=os.path.join(HERE, "cases"))
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args(argv)
    mech_dir = os.path.abspath(args.mech_dir)
    workdir = os.path.abspath(args.workdir or os.path.join(mech_dir, "..", "selfcheck"))
    os.makedirs(workdir, exist_ok=True)
    neuron_run.build_mechanisms(mech_dir, quiet=True)
    cases = sorted(glob.glob(os.path.join(args.cases, "*.json")))
    if not cases:
        print("selfcheck: no cases in " + args.cases)
        return 1

    failures = []
    r123 = check_random123()
    failures += r123
    print("Random123 test vectors: %s" % ("FAIL" if r123 else "ok"))
    facts = check_nmda_facts(mech_dir)
    failures += facts
    print("MyExp2SynNMDABB defaults, units and mechanism order: %s" % ("FAIL" if facts else "ok"))
    for f in facts:
        print("    " + f)

    results = {}
    with concurrent.futures.ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futs = {pool.submit(check_case, c, workdir, mech_dir): c for c in cases}
        integ = [pool.submit(check_integrators, c, workdir, mech_dir) for c in cases
                 if os.path.basename(c) in ("IT_GABAA_irregular_dt005.json",
                                            "PV2016_NMDA_irregular_dt005.json",
                                            "PV_step_strong_dt01.json",
                                            "SOM_step_hidden_dt005.json",
                                            "PT_step_rheo_dt005.json")]
        for fut in concurrent.futures.as_completed(futs):
            try:
                name, n, fails, info = fut.result()
            except Exception as e:  # noqa: BLE001 - report and go on
                name = os.path.basename(futs[fut])
                n, fails, info = -1, ["crashed: %s" % e], {}
            results[name] = (n, fails, info)
        for fut in integ:
            failures += fut.result()

    # merged: NEURON 'merged' bit-identical to semantics_ref's m1batch layout (merged steps)
    print("%-28s %7s %10s %10s  %s" % ("case", "spikes", "bitwise", "merged", "result"))
    for name in sorted(results):
        n, fails, info = results[name]
        extra = ""
        if "derivtype_changes" in info:
            extra = " (FS WATCH toggles: %d)" % info["derivtype_changes"]
        print("%-28s %7d %10s %10s  %s%s" % (name, n, "yes" if info.get("bitwise") else "no",
                                             info.get("merged", "-"), "FAIL" if fails else "ok",
                                             extra))
        for f in fails:
            print("    " + f)
        failures += ["%s: %s" % (name, f) for f in fails]

    it_steps = [results[k][0] for k in results if k.startswith("IT_step_") and "_sub_" not in k]
    if not it_steps or min(it_steps) <= 0:
        failures.append("an IT cell driven by a supra-threshold current step did not spike")
    print("pc.psolve vs h.fadvance loop: %s" % (
        "FAIL" if any("psolve" in f for f in failures) else "identical"))
    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    print("all checks passed on %d cases" % len(cases))
    return 0


if __name__ == "__main__":
    sys.exit(main())
