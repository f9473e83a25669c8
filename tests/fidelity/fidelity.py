#!/usr/bin/python3
"""Fidelity of m1batch against NetPyNE 1.1.0 + NEURON 8.2.2 on the full M1 model.

Runs m1batch on a model for several seeds, reads each run.h5, and compares with the reference
figures that NetPyNE + NEURON produced on this machine (tests/data/reference_m1_*.json):
cell and contact counts, total spikes, per-population rates and the dominant frequency of the
population spike count (Welch, nperseg 500, the reference file's own method). The tolerances are
the acceptance criteria of issue 3. Prints a table; exits 1 when a criterion fails.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np
from scipy.signal import welch


def run(m1batch, model, seed, workdir, threads, vary):
    out = os.path.join(workdir, f"seed{seed}")
    config = os.path.join(workdir, f"seed{seed}.toml")
    with open(config, "w") as f:
        f.write(f'model = "{model}"\noutput = "{out}"\nthreads = {threads}\n')
        if seed is not None and vary == "all":
            f.write(f"seed = {seed}\n")
        elif seed is not None:  # the same network, another background
            f.write(f"[seeds]\nconn = 1\nloc = 1\nstim = {seed}\n")
    subprocess.run([m1batch, "-q", config], check=True)
    return os.path.join(out, "run.h5")


def statistics(path):
    with h5py.File(path, "r") as f:
        duration = float(f["run"].attrs["duration_ms"])
        cells = f["cells"]["population"].asstr()[:]
        counts = {p: int(np.sum(cells == p)) for p in f["spikes"]}
        times = {p: f["spikes"][p]["timestamps"][:] for p in f["spikes"]}
        synapses = int(f["run"].attrs["synapses"])
    # NetPyNE's popRates: spikes with 0 <= t <= duration over cells and seconds.
    rates = {p: float(np.sum((t >= 0) & (t <= duration))) / counts[p] / (duration / 1000)
             for p, t in times.items()}
    all_times = np.concatenate(list(times.values()))
    bins = np.histogram(all_times, bins=int(round(duration)), range=(0, duration))[0]
    freqs, power = welch(bins - bins.mean(), fs=1000, nperseg=500)
    band = (freqs >= 5) & (freqs <= 100)
    peak = float(freqs[band][np.argmax(power[band])])
    return {"cells": len(cells), "cells_per_pop": counts, "synapses": synapses,
            "spikes": int(len(all_times)), "rates": rates, "peak_hz": peak}


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--m1batch", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--reference", required=True)
    ap.add_argument("--seeds", type=int, default=5, help="seeds 1..N; 0: the model's own seeds")
    ap.add_argument("--spike-tolerance", type=float, default=0.10)
    ap.add_argument("--check-rates", action="store_true")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--vary", choices=["all", "stim"], default="all",
                    help="all: seed replaces conn, stim and loc; stim: same network, new background")
    ap.add_argument("--variant", help="compare with this entry of the reference file (a variant "
                    "of the model run by NetPyNE: its spikes_mean and the median of its "
                    "peak_hz_nperseg_500; or the seed's headline: spikes and oscillation_hz; no "
                    "per-population rates)")
    ap.add_argument("--json", help="write the measured figures here")
    args = ap.parse_args()
    args.model = os.path.abspath(args.model)  # the run configuration lives in a temporary folder
    ref = json.load(open(args.reference))
    failures = []
    with tempfile.TemporaryDirectory() as workdir:
        seeds = list(range(1, args.seeds + 1)) if args.seeds > 0 else [None]
        stats = [statistics(run(args.m1batch, args.model, s, workdir, args.threads, args.vary))
                 for s in seeds]

    first = stats[0]
    if first["cells"] != ref["cells"]:
        failures.append(f"cells {first['cells']} != {ref['cells']}")
    for p, n in ref["cells_per_pop"].items():
        if first["cells_per_pop"].get(p) != n:
            failures.append(f"{p}: {first['cells_per_pop'].get(p)} cells, NetPyNE {n}")
    contacts = ref["synaptic_contacts_cell_to_cell"]
    for s in stats:
        if abs(s["synapses"] - contacts) > 0.01 * contacts:
            failures.append(f"contacts {s['synapses']} not within 1 % of {contacts}")

    ref_spikes, ref_peak, ref_rates = ref["spikes"], ref["oscillation"]["peak_hz_nperseg_500"], \
        ref["rate_per_pop_hz"]
    if args.variant:  # NetPyNE's runs of a variant, or the seed's headline (spikes, oscillation_hz)
        variant = ref[args.variant]
        ref_spikes = int(round(variant.get("spikes_mean", variant.get("spikes"))))
        ref_peak = float(np.median(variant.get("peak_hz_nperseg_500", variant.get("oscillation_hz"))))
        ref_rates = {}
    spikes = np.array([s["spikes"] for s in stats], dtype=float)
    mean_spikes = spikes.mean()
    print(f"{'':14}{'m1batch mean':>14}{'sd':>10}{'NetPyNE':>10}")
    print(f"{'spikes':14}{mean_spikes:14.0f}{spikes.std(ddof=1) if len(spikes) > 1 else 0:10.0f}"
          f"{ref_spikes:10d}")
    if abs(mean_spikes - ref_spikes) > args.spike_tolerance * ref_spikes:
        failures.append(f"mean spikes {mean_spikes:.0f} not within "
                        f"{args.spike_tolerance:.0%} of {ref_spikes}")
    for p, r in ref_rates.items():
        values = np.array([s["rates"][p] for s in stats])
        tol = 0.5 if r < 5 else 0.10 * r
        ok = abs(values.mean() - r) <= tol
        print(f"{p:14}{values.mean():14.2f}{values.std(ddof=1) if len(values) > 1 else 0:10.2f}"
              f"{r:10.2f}{'' if ok or not args.check_rates else '  FAIL'}")
        if args.check_rates and not ok:
            failures.append(f"{p} rate {values.mean():.2f} Hz not within {tol:.2f} Hz of {r}")
    peaks = [s["peak_hz"] for s in stats]
    print(f"{'rhythm Hz':14}{np.mean(peaks):14.2f}{np.std(peaks, ddof=1) if len(peaks) > 1 else 0:10.2f}"
          f"{ref_peak:10.2f}   per seed {peaks}")
    if abs(np.mean(peaks) - ref_peak) > 2:
        failures.append(f"dominant frequency {np.mean(peaks):.2f} Hz not within 2 Hz of {ref_peak}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"seeds": seeds, "runs": stats}, f, indent=1)
    for msg in failures:
        print("FAIL:", msg)
    print("fidelity:", "passed" if not failures else "failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
