#!/usr/bin/python3
"""The same model, parameters and seed give bit-identical spikes whatever the number of threads:
runs m1batch with 1 and 2 threads (and 2 threads twice) and compares the spike datasets byte for
byte."""
import argparse
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np


def run(m1batch, model, out, threads, extra):
    config = out + ".toml"
    with open(config, "w") as f:
        f.write(f'model = "{model}"\noutput = "{out}"\nthreads = {threads}\n{extra}\n')
    subprocess.run([m1batch, "-q", config], check=True)
    with h5py.File(os.path.join(out, "run.h5"), "r") as f:
        return {p: (f["spikes"][p]["timestamps"][:].tobytes(), f["spikes"][p]["node_ids"][:].tobytes())
                for p in f["spikes"]}


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--m1batch", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--extra", default="", help="more TOML lines (e.g. scale = 0.1)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        one = run(args.m1batch, args.model, os.path.join(d, "t1"), 1, args.extra)
        two = run(args.m1batch, args.model, os.path.join(d, "t2"), 2, args.extra)
        again = run(args.m1batch, args.model, os.path.join(d, "t2b"), 2, args.extra)
    spikes = sum(len(t) // 8 for t, _ in one.values())
    same_threads = one == two
    same_runs = two == again
    print(f"{spikes} spikes; 1 vs 2 threads identical: {same_threads}; two runs identical: {same_runs}")
    return 0 if (same_threads and same_runs and spikes > 0) else 1


if __name__ == "__main__":
    sys.exit(main())
