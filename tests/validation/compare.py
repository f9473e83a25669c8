#!/usr/bin/python3
"""Runs a validation case in m1batch and in NEURON and compares the spike times.

    /usr/bin/python3 compare.py --m1batch PATH --case CASE.json --workdir DIR [--mech-dir DIR]
    /usr/bin/python3 compare.py --m1batch PATH --case cases/ --workdir DIR     (every case)

For each case, in DIR (or DIR/<case name> when several cases are given):
  1. writes run.toml:   model = "<absolute path of the case>"
                        output = "<DIR>/m1"
     (duration and dt come from the case's simConfig);
  2. runs `m1batch [--m1batch-arg ...] DIR/run.toml`;
  3. reads DIR/m1/run.h5: /spikes/cell/timestamps (float64, ms) of population "cell";
  4. runs neuron_run.py on the case (NEURON 8.2 + tests/validation/*.mod), giving
     DIR/neuron.json;
  5. compares. Pass = the same number of spikes and every spike time within one dt of NEURON's
     (the acceptance criterion); the table also says whether the two are bit-identical.

Cases whose "expected" records a "summation_spread" (the NMDA cases, several synapse instances
summed per step; make_cases.py measured it in NEURON) are accepted within that measured spread
instead, when it is wider than the default: spike counts may differ by up to max_count_diff and
every spike of either train must have a spike of the other within max(dt, max_spike_dt_ms)
(neuron_run.spike_distance); the spread includes NEURON's 'merged' layout, m1batch's own
summation order. For these cases NEURON also runs in that layout (neuron-merged.json: one
instance per synMech, and the events of a step for one synMech delivered as one event of their
summed weight, so NEURON computes A + (x + x) as m1batch does), and a note says whether m1batch's
spikes are bit-identical to that run (where the layout refuses the case, NEURON 'shared' instead,
neuron-shared.json). The note does not decide the result.

The sharp check (every case; --no-sharp-check skips it): m1batch against semantics_ref.py's
"m1batch" layout, which is m1batch's own summation order (one state per synMech, a step's events
summed in m1batch's delivery order, then added once). Its spike times and its soma voltage at every
step must be bit-identical; the voltage comes from a second m1batch run of a copy of the case
(case-traced.json, simConfig.recordStep = dt) with [record] traces = ["cell:0"] (run-traced.toml,
m1-traced/), whose spikes must equal the first run's. A case fails if the sharp check fails.

Prints one table row per case; exits 1 if any case fails (2 on a usage or setup error).
`--neuron-only` skips m1batch (steps 1-3) and only runs NEURON, e.g. to test the NEURON half.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
POPULATION = "cell"


def toml_string(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def read_m1_spikes(h5_path, population=POPULATION):
    import h5py
    import numpy as np
    with h5py.File(h5_path, "r") as f:
        if "spikes" not in f:
            raise RuntimeError("%s has no /spikes group" % h5_path)
        group = f["spikes"]
        if population not in group:
            # docs/run-file.md: every population has a group, empty ones included
            raise RuntimeError("%s has no /spikes/%s group (populations: %s)" % (
                h5_path, population, ", ".join(group.keys()) or "none"))
        ts = np.asarray(group[population]["timestamps"][()], dtype=np.float64)
        return [float(x) for x in ts]


def run_m1batch(m1batch, extra_args, case_path, workdir, timeout, name="", traces=()):
    """Runs m1batch on the case in WORKDIR/m1<name> (run file WORKDIR/run<name>.toml); with
    `traces` ("population:index"), also records their soma voltage ([record] traces)."""
    out_dir = os.path.join(workdir, "m1" + name)
    toml = os.path.join(workdir, "run%s.toml" % name)
    with open(toml, "w") as f:
        f.write("model = %s\n" % toml_string(os.path.abspath(case_path)))
        f.write("output = %s\n" % toml_string(out_dir))
        if traces:
            f.write("\n[record]\ntraces = [%s]\n" % ", ".join(toml_string(t) for t in traces))
    h5 = os.path.join(out_dir, "run.h5")
    if os.path.exists(h5):
        os.remove(h5)
    cmd = [m1batch] + list(extra_args) + [toml]
    t0 = time.time()
    proc = subprocess.run(cmd, cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=timeout)
    with open(os.path.join(workdir, "m1batch%s.log" % name), "w") as f:
        f.write("$ %s\n%s" % (" ".join(cmd), proc.stdout))
    if proc.returncode != 0:
        raise RuntimeError("m1batch exited with %d:\n%s" % (proc.returncode, proc.stdout[-4000:]))
    if not os.path.isfile(h5):
        raise RuntimeError("m1batch wrote no %s:\n%s" % (h5, proc.stdout[-4000:]))
    return read_m1_spikes(h5), time.time() - t0


def read_m1_trace(h5_path, population=POPULATION, index=0):
    """The soma voltage of one traced cell, every sample (mV), from /traces."""
    import h5py
    import numpy as np
    with h5py.File(h5_path, "r") as f:
        pops = list(f["traces/population"].asstr()[:])
        ids = [int(x) for x in f["traces/node_id"][:]]
        row = list(zip(pops, ids)).index((population, index))
        return [float(x) for x in np.asarray(f["traces/v"][row], dtype=np.float64)]


def sharp_check(case_path, case, got, args, workdir):
    """m1batch against semantics_ref's m1batch layout (its own summation order: one state per
    synMech, the events of a step summed before they are added once): the spike times and the
    soma voltage of every step must be bit-identical. The voltage comes from a second m1batch run
    of a copy of the case with simConfig.recordStep = dt and [record] traces = ["cell:0"]
    (recording changes nothing: its spikes must equal the first run's).
    -> (ok, message)"""
    import neuron_run
    import semantics_ref
    d = neuron_run.describe_case(case)
    ref = semantics_ref.simulate(d, record=True, m1batch=True)
    traced = dict(case)
    traced["simConfig"] = dict(case["simConfig"], recordStep=case["simConfig"]["dt"])
    traced_path = os.path.join(workdir, "case-traced.json")
    with open(traced_path, "w") as f:
        json.dump(traced, f)
    got2, _ = run_m1batch(args.m1batch, args.m1batch_arg, traced_path, workdir, args.timeout,
                          name="-traced", traces=["%s:0" % POPULATION])
    v = read_m1_trace(os.path.join(workdir, "m1-traced", "run.h5"))[1:]  # [0] is t = 0
    problems = []
    if got2 != got:
        problems.append("the traced run's spikes differ from the untraced run's")
    if got != ref["spikes"]:
        dist = neuron_run.spike_distance(ref["spikes"], got)
        problems.append("spikes differ (%d vs %d, max|dt| %s ms, from %s ms)" % (
            len(ref["spikes"]), len(got), dist["max_spike_dt_ms"], dist["first_difference_ms"]))
    if len(v) != len(ref["v"]):
        problems.append("voltage samples: m1batch %d, semantics_ref %d" % (len(v), len(ref["v"])))
    else:
        diff = [i for i in range(len(v)) if v[i] != ref["v"][i]]
        if diff:
            i = diff[0]
            problems.append("soma v differs at %d of %d steps, first after step %d (t = %.4f ms):"
                            " m1batch %r, semantics_ref %r; max |dv| %.3g mV" % (
                                len(diff), len(v), i + 1, (i + 1) * d["dt"], v[i], ref["v"][i],
                                max(abs(v[j] - ref["v"][j]) for j in diff)))
    merged = ref["merged_inputs"]
    what = "%d step input%s summing two or more events" % (merged, "" if merged == 1 else "s")
    if problems:
        return False, "sharp check FAILED: m1batch vs semantics_ref's m1batch layout (%s): %s" % (
            what, "; ".join(problems))
    return True, "sharp check: m1batch bit-identical to semantics_ref's m1batch layout (spikes " \
        "and soma v at all %d steps; %s)" % (len(v), what)


def run_neuron(case_path, workdir, mech_dir, timeout, syn_layout=None):
    out = os.path.join(workdir, "neuron.json" if syn_layout is None
                       else "neuron-%s.json" % syn_layout)
    cmd = [sys.executable, os.path.join(HERE, "neuron_run.py"), case_path, "--out", out,
           "--mech-dir", mech_dir]
    if syn_layout is not None:
        cmd += ["--syn-layout", syn_layout]
    t0 = time.time()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError("neuron_run.py exited with %d:\n%s" % (proc.returncode,
                                                                  proc.stdout[-4000:]))
    with open(out) as f:
        return json.load(f), time.time() - t0


def compare_spikes(ref, got, dt):
    """-> (ok, max_abs_dt or None, bit_identical, message)"""
    if len(ref) != len(got):
        first = next((i for i in range(min(len(ref), len(got))) if abs(ref[i] - got[i]) > dt),
                     min(len(ref), len(got)))
        return False, None, False, "spike counts differ (NEURON %d, m1batch %d); first " \
            "disagreement at spike %d: NEURON %s, m1batch %s" % (
                len(ref), len(got), first, ref[first] if first < len(ref) else "-",
                got[first] if first < len(got) else "-")
    if not ref:
        return True, 0.0, True, ""
    diffs = [abs(a - b) for a, b in zip(ref, got)]
    worst = max(diffs)
    identical = all(a == b for a, b in zip(ref, got))
    # "within one dt": dt itself passes (a spike one step early or late), with room for the
    # representation error of t (accumulated in steps of dt/2).
    ok = worst <= dt * (1 + 1e-6)
    msg = ""
    if not ok:
        i = diffs.index(worst)
        msg = "spike %d: NEURON %.10f, m1batch %.10f (|dt| %.6g > dt %g)" % (
            i, ref[i], got[i], worst, dt)
    return ok, worst, identical, msg


def compare_within_spread(ref, got, dt, spread):
    """The acceptance for a case with a measured summation spread (see the module doc).
    -> (ok, max_abs_dt or None, bit_identical, message)"""
    import neuron_run
    dist = neuron_run.spike_distance(ref, got)
    tol_dt = max(dt * (1 + 1e-6), float(spread.get("max_spike_dt_ms") or 0.0))
    tol_n = int(spread.get("max_count_diff", 0))
    worst = dist["max_spike_dt_ms"]
    identical = ref == got
    ok = dist["count_diff"] <= tol_n and (worst is None and tol_n >= 1 or
                                          worst is not None and worst <= tol_dt)
    msg = ""
    if not ok:
        msg = "outside NEURON's measured summation spread: %d vs %d spikes (allowed difference " \
              "%d), max nearest-spike |dt| %s ms (allowed %.6g)" % (
                  len(ref), len(got), tol_n, "-" if worst is None else "%.6g" % worst, tol_dt)
    return ok, worst, identical, msg


def case_list(paths):
    out = []
    for p in paths:
        if os.path.isdir(p):
            out += sorted(os.path.join(p, f) for f in os.listdir(p) if f.endswith(".json"))
        else:
            out.append(p)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--m1batch", help="path of the m1batch executable")
    ap.add_argument("--m1batch-arg", action="append", default=[],
                    help="extra argument put before the run file (repeatable)")
    ap.add_argument("--case", action="append", required=True,
                    help="case JSON, or a folder of them (repeatable)")
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--mech-dir", help="compiled NMODL (default: WORKDIR/mech)")
    ap.add_argument("--neuron-only", action="store_true", help="run only the NEURON half")
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("--no-sharp-check", action="store_true",
                    help="skip the comparison with semantics_ref's m1batch layout")
    args = ap.parse_args(argv)
    if not args.neuron_only and not args.m1batch:
        ap.error("--m1batch is required (or --neuron-only)")
    if args.m1batch:
        # m1batch runs in the work directory: make a relative path absolute first
        if os.sep in args.m1batch:
            args.m1batch = os.path.abspath(args.m1batch)
        else:
            args.m1batch = shutil.which(args.m1batch) or args.m1batch
    if args.m1batch and not os.access(args.m1batch, os.X_OK):
        print("compare.py: %s is not an executable" % args.m1batch, file=sys.stderr)
        return 2
    cases = case_list(args.case)
    if not cases:
        print("compare.py: no cases", file=sys.stderr)
        return 2
    workroot = os.path.abspath(args.workdir)
    mech_dir = os.path.abspath(args.mech_dir or os.path.join(workroot, "mech"))
    sys.path.insert(0, HERE)
    import neuron_run
    neuron_run.build_mechanisms(mech_dir, quiet=True)

    header = "%-28s %5s %7s %7s %12s %10s  %s" % ("case", "dt", "NEURON", "m1batch",
                                                  "max|dt| ms", "identical", "result")
    print(header)
    print("-" * len(header))
    failures = 0
    for case_path in cases:
        name = os.path.splitext(os.path.basename(case_path))[0]
        workdir = workroot if len(cases) == 1 else os.path.join(workroot, name)
        os.makedirs(workdir, exist_ok=True)
        with open(case_path) as f:
            case = json.load(f)
        dt = float(case["simConfig"]["dt"])
        notes = []
        try:
            ref, _ = run_neuron(case_path, workdir, mech_dir, args.timeout)
            expected = case.get("expected", {}).get("neuron_spike_count")
            if expected is not None and expected != len(ref["spikes"]):
                notes.append("NEURON gave %d spikes, the case file expects %d"
                             % (len(ref["spikes"]), expected))
            if args.neuron_only:
                print("%-28s %5g %7d %7s %12s %10s  %s" % (name, dt, len(ref["spikes"]), "-",
                                                           "-", "-", "NEURON ran"))
                continue
            got, _ = run_m1batch(args.m1batch, args.m1batch_arg, case_path, workdir,
                                 args.timeout)
            with open(os.path.join(workdir, "m1batch_spikes.json"), "w") as f:
                json.dump({"spikes": got}, f)
        except (RuntimeError, subprocess.TimeoutExpired, OSError) as e:
            failures += 1
            print("%-28s %5g %7s %7s %12s %10s  ERROR" % (name, dt, "-", "-", "-", "-"))
            print("    " + str(e).replace("\n", "\n    "))
            continue
        spread = case.get("expected", {}).get("summation_spread")
        if spread is not None:
            ok, worst, identical, msg = compare_within_spread(ref["spikes"], got, dt, spread)
            layout = "merged"
            try:
                try:
                    neuron_run.merged_events(neuron_run.describe_case(case))
                    layout, what = "merged", "NEURON 'merged' (m1batch's summation order)"
                except neuron_run.MergeNotExact:
                    layout, what = "shared", "NEURON with one shared instance ('merged' refused)"
                other, _ = run_neuron(case_path, workdir, mech_dir, args.timeout, layout)
                same = other["spikes"] == got
                d_o = neuron_run.spike_distance(other["spikes"], got)
                n_tol = spread.get("max_count_diff", 0)
                dt_tol = spread.get("max_spike_dt_ms") or 0.0
                notes.append("%s; vs %s (%d spikes): %s" % (
                                 "tolerance from the case's measured summation spread: count "
                                 "+-%d, max|dt| %.6g ms (%s)" % (n_tol, dt_tol,
                                                                 spread.get("widest", "?"))
                                 if n_tol or dt_tol > dt else
                                 "NEURON's measured summation spread is within the default "
                                 "criterion",
                                 what, len(other["spikes"]),
                                 "bit-identical" if same else "differs (max|dt| %s ms)" % (
                                     "-" if d_o["max_spike_dt_ms"] is None
                                     else "%.3g" % d_o["max_spike_dt_ms"])))
            except (RuntimeError, subprocess.TimeoutExpired, OSError) as e:
                notes.append("NEURON in the %s layout failed: %s" % (layout, e))
        else:
            ok, worst, identical, msg = compare_spikes(ref["spikes"], got, dt)
        if not args.no_sharp_check:
            try:
                sharp_ok, sharp_msg = sharp_check(case_path, case, got, args, workdir)
            except (RuntimeError, subprocess.TimeoutExpired, OSError, ValueError) as e:
                sharp_ok, sharp_msg = False, "sharp check could not run: %s" % e
            notes.append(sharp_msg)
            if not sharp_ok:
                ok = False
        if not ok:
            failures += 1
        print("%-28s %5g %7d %7d %12s %10s  %s" % (
            name, dt, len(ref["spikes"]), len(got),
            "-" if worst is None else "%.3g" % worst, "yes" if identical else "no",
            "PASS" if ok else "FAIL"))
        for n in ([msg] if msg else []) + notes:
            print("    " + n)
    if not args.neuron_only:
        print("%d of %d cases passed" % (len(cases) - failures, len(cases)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
