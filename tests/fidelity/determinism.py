#!/usr/bin/python3
"""The same model, parameters and seed give bit-identical spikes whatever the number of threads
and the vector unit: runs m1batch with 1 thread on the SSE2 baseline (M1BATCH_SIMD=sse2, what any
x86-64 has), with 2 threads on the widest unit this processor has, and that again, and compares
the spike datasets and the LFP current sums byte for byte."""
import argparse
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np


def run(m1batch, model, out, threads, extra, simd=None):
    config = out + ".toml"
    with open(config, "w") as f:
        f.write(f'model = "{model}"\noutput = "{out}"\nthreads = {threads}\n{extra}\n')
    env = dict(os.environ)
    env.pop("M1BATCH_SIMD", None)
    if simd:
        env["M1BATCH_SIMD"] = simd
    subprocess.run([m1batch, "-q", config], check=True, env=env)
    with h5py.File(os.path.join(out, "run.h5"), "r") as f:
        result = {p: (f["spikes"][p]["timestamps"][:].tobytes(), f["spikes"][p]["node_ids"][:].tobytes())
                  for p in f["spikes"]}
        # The LFP's current sums too: summed group by group in a fixed order, so the same bits.
        result["/lfp"] = (f["lfp"]["ampa"][:].tobytes(), f["lfp"]["gaba"][:].tobytes())
        return result


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--m1batch", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--extra", default="", help="more TOML lines (e.g. scale = 0.1)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        one = run(args.m1batch, args.model, os.path.join(d, "t1"), 1, args.extra, simd="sse2")
        two = run(args.m1batch, args.model, os.path.join(d, "t2"), 2, args.extra)
        again = run(args.m1batch, args.model, os.path.join(d, "t2b"), 2, args.extra)
    spikes = sum(len(t) // 8 for p, (t, _) in one.items() if p != "/lfp")
    same_threads = one == two
    same_runs = two == again
    print(f"{spikes} spikes and the LFP sums; 1 thread SSE2 vs 2 threads widest unit identical: {same_threads}; "
          f"two runs identical: {same_runs}")
    return 0 if (same_threads and same_runs and spikes > 0) else 1


if __name__ == "__main__":
    sys.exit(main())
