#!/usr/bin/python3
"""Where the 2016-03-02 headline (54,562 spikes, 5.08 Hz, ~15 Hz) comes from: issue 14's hypotheses.

    /usr/bin/python3 hypotheses.py --m1batch BUILD/batch/m1batch [--seeds 5] [--only NAME ...]
                                   [--json OUT.json]

Each hypothesis is a variant of configs/models/m1_2016_0302.json (the 2016-03-02 form: slow NMDA
background from 50 ms), either a committed model file (configs/models/hypotheses/) or a one-key
edit of one written here, run at full scale for 1 s over background (stim) seeds 1..N on the same
network, or over network seeds where the hypothesis is about the network's random streams. Prints
one markdown row per variant: spikes (mean, sd, range), mean rate, rhythm (Welch peak of the
population spike count, nperseg 500, as fidelity.py) and the ratio to 54,562. docs/SEMANTICS.md §9
and the README's fidelity section quote the table.
"""
import argparse
import json
import os
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from fidelity import run, statistics  # noqa: E402

MODELS = os.path.join(HERE, "..", "..", "configs", "models")
BASE = os.path.join(MODELS, "m1_2016_0302.json")
BUG = os.path.join(MODELS, "hypotheses", "m1_2016_0302_distance_bug.json")
BUG_INDEGREE = os.path.join(MODELS, "hypotheses", "m1_2016_0302_distance_bug_indegree.json")
HEADLINE = {"spikes": 54562, "rate_hz": 5.08, "rhythm_hz": 15}


def prop_velocity(v):
    def edit(m):
        m["netParams"]["propVelocity"] = float(v)
    return edit


def background_weight(k):
    def edit(m):
        for t in m["netParams"]["stimTargetParams"].values():
            t["weight"] = t["weight"] * k
    return edit


# (name, what it tests, model file, edit or None, which seeds vary)
VARIANTS = [
    ("base", "m1_2016_0302.json as it is", BASE, None, "stim"),
    ("network_streams", "(b) other position and connection streams: network seeds 1-N", BASE, None,
     "all"),
    ("distance_bug", "(a) the NetPyNE <= 0.3.4 probability bug: the six SOM/PV rules "
     "distance-independent", BUG, None, "stim"),
    ("distance_bug_indegree", "(a) the bug with its in-degree heterogeneity", BUG_INDEGREE, None,
     "stim"),
    ("prop_velocity_50", "(c) propVelocity 50 instead of 100", BASE, prop_velocity(50), "stim"),
    ("prop_velocity_200", "(c) propVelocity 200 (its value before 2016-02-16)", BASE,
     prop_velocity(200), "stim"),
    ("distance_bug_prop_velocity_50", "(a)+(c) the bug with propVelocity 50", BUG,
     prop_velocity(50), "stim"),
    ("distance_bug_prop_velocity_200", "(a)+(c) the bug with propVelocity 200", BUG,
     prop_velocity(200), "stim"),
    ("nmda_weight_1.5", "(d) background NMDA weight x1.5", BASE, background_weight(1.5), "stim"),
    ("nmda_weight_2", "(d) background NMDA weight x2", BASE, background_weight(2.0), "stim"),
]


def model_file(path, edit, workdir, name):
    if edit is None:
        return os.path.abspath(path)
    with open(path) as f:
        m = json.load(f)
    edit(m)
    out = os.path.join(workdir, name + ".json")
    with open(out, "w") as f:
        json.dump(m, f)
    return out


def measure(m1batch, name, path, edit, vary, seeds, threads):
    with tempfile.TemporaryDirectory() as workdir:
        model = model_file(path, edit, workdir, name)
        stats = [statistics(run(m1batch, model, s, workdir, threads, vary))
                 for s in range(1, seeds + 1)]
    spikes = np.array([s["spikes"] for s in stats], dtype=float)
    cells = stats[0]["cells"]
    return {"spikes": [int(x) for x in spikes], "spikes_mean": float(spikes.mean()),
            "spikes_sd": float(spikes.std(ddof=1)) if len(spikes) > 1 else 0.0,
            "rate_hz": float(spikes.mean() / cells), "rhythm_hz": [s["peak_hz"] for s in stats]}


def row(name, what, r):
    rhythm = r["rhythm_hz"]
    return (f"| {name} | {what} | {r['spikes_mean']:,.0f} ± {r['spikes_sd']:,.0f} "
            f"({min(r['spikes']):,}–{max(r['spikes']):,}) | {r['rate_hz']:.2f} | "
            f"{np.median(rhythm):g} ({', '.join(f'{x:g}' for x in rhythm)}) | "
            f"{r['spikes_mean'] / HEADLINE['spikes']:.2f} |")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--m1batch", required=True)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--only", nargs="*", help="these variants only")
    ap.add_argument("--json", help="write the measured figures here")
    args = ap.parse_args()
    results = {}
    print("| variant | what it tests | spikes, mean ± sd (range) | rate Hz | rhythm Hz, median "
          "(per seed) | / 54,562 |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, what, path, edit, vary in VARIANTS:
        if args.only and name not in args.only:
            continue
        results[name] = measure(args.m1batch, name, path, edit, vary, args.seeds, args.threads)
        print(row(name, what, results[name]), flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"headline": HEADLINE, "seeds": args.seeds, "variants": results}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
