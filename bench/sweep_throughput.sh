#!/usr/bin/env bash
# Sweep benchmark: a 16-run sweep of the full M1 model (4 recurrent weights x 2 I->I weights x 2
# replicates, 1 s each), run by m1batch's local executor with several splits of the cores.
#
# usage: bench/sweep_throughput.sh [BUILD_DIR] [SPLIT ...]   (defaults: build/release, "1x2 2x1 auto")
#   a SPLIT is JOBSxTHREADS (runs at once x threads per run) or "auto" (m1batch chooses)
#
# For each split it prints the batch's wall time, its throughput (runs per hour), the sum over runs
# of build_s + simulate_s (what the runs themselves cost, from their run files) and the batch's
# overhead against that sum (meaningful for one run at a time: 1xN), the runs whose network was
# reused and the build time saved.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${1:-build/release}"
shift || true
splits=("$@")
((${#splits[@]})) || splits=(1x2 2x1 auto)
case "$build_dir" in /*) ;; *) build_dir="$repo/$build_dir" ;; esac
m1batch="$build_dir/batch/m1batch"
[[ -x "$m1batch" ]] || { echo "sweep_throughput.sh: no m1batch at $m1batch (build first)" >&2; exit 1; }

tmp="$(mktemp -d "${TMPDIR:-/tmp}/m1-sweep-bench.XXXXXX")"
trap 'rm -rf -- "$tmp"' EXIT
cat > "$tmp/sweep16.toml" <<TOML
model    = "$repo/configs/models/m1_2017.json"
output   = "$tmp/out"
duration = 1000.0
[sweep]
replicates = 2
[[sweep.param]]
path   = "/netParams/scaleConnWeight"
values = [0.00025, 0.0003, 0.00035, 0.0004]
[[sweep.param]]
path   = "/netParams/ItoIweight"
values = [0.5, 1.0]
TOML

printf '%-6s %9s %10s %14s %9s %7s %12s\n' split wall_s runs/hour sum_build+sim overhead reused build_saved_s
for split in "${splits[@]}"; do
    rm -rf "$tmp/out"
    args=()
    if [[ "$split" != auto ]]; then
        args=(--jobs "${split%x*}" --threads "${split#*x}")
    fi
    start=$(date +%s.%N)
    "$m1batch" -q "${args[@]}" "$tmp/sweep16.toml"
    end=$(date +%s.%N)
    /usr/bin/python3 - "$tmp/out" "$start" "$end" "$split" <<'PY'
import glob, sys, h5py
out, start, end, split = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
wall = end - start
runs = [dict(h5py.File(f, "r")["run"].attrs) for f in sorted(glob.glob(out + "/runs/*/run.h5"))]
assert len(runs) == 16, f"{len(runs)} run files"
cost = sum(r["build_s"] + r["simulate_s"] for r in runs)
fresh = [r["build_s"] for r in runs if not r["network_reused"]]
reused = [r["build_s"] for r in runs if r["network_reused"]]
saved = len(reused) * (sum(fresh) / len(fresh) - sum(reused) / len(reused)) if fresh and reused else 0.0
print(f"{split:<6} {wall:9.1f} {16 / wall * 3600:10.0f} {cost:14.1f} {100 * (wall / cost - 1):8.1f}% "
      f"{len(reused):7d} {saved:12.1f}")
PY
done
