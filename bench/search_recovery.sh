#!/usr/bin/env bash
# Search benchmark and the recovery test of issue 13: hide a point of four weights of the M1
# model, take as targets the 13 population rates the model gives there, and let each algorithm
# search ranges spanning 2x either side of the hidden point (log) for them.
#
# usage: bench/search_recovery.sh [BUILD_DIR] [SCALE] [BUDGET] [SEEDS] [ALGORITHMS]
#        defaults: build/release, 0.25, 400 evaluations, "1 2 3 4 5",
#                  "cmaes sade de pso nsga2 random latin_hypercube"
#
# Targets: the hidden point's rates, 1 s; objective widths 10 % of each rate, at least 0.5 Hz
# (fitness netpyne). A search has reached the target when every rate is within 10 % of its target,
# or 0.5 Hz for rates below 5 Hz. For each algorithm and seed it prints the evaluations needed to
# reach the target (none: "-") and the search's wall time, then per algorithm the median over
# seeds, and the evaluations per hour. Population 16 (25 generations for 400 evaluations), one run
# per candidate, all cores.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${1:-build/release}"
scale="${2:-0.25}"
budget="${3:-400}"
seeds="${4:-1 2 3 4 5}"
algorithms="${5:-cmaes sade de pso nsga2 random latin_hypercube}"
case "$build_dir" in /*) ;; *) build_dir="$repo/$build_dir" ;; esac
m1batch="$build_dir/batch/m1batch"
[[ -x "$m1batch" ]] || { echo "search_recovery.sh: no m1batch at $m1batch (build first)" >&2; exit 1; }

tmp="$(mktemp -d "${TMPDIR:-/tmp}/m1-search-bench.XXXXXX")"
trap 'rm -rf -- "$tmp"' EXIT
model="$repo/configs/models/m1_2017.json"
# The hidden point (the model's own values: 0.0003, 0.5, 0.25, 0.15), moved off them.
hidden_w=0.00036 hidden_ii=0.6 hidden_bg=0.21 hidden_pt=0.12
population=16
generations=$(( (budget + population - 1) / population ))

# The four parameters and their hidden values.
params=("/netParams/scaleConnWeight $hidden_w" "/netParams/ItoIweight $hidden_ii"
        "/netParams/scaleConnWeightNetStims $hidden_bg"
        "/netParams/stimTargetParams/bgE->PT/weight $hidden_pt")

# The hidden point's rates: one run, analysed.
{
    printf 'model = "%s"\noutput = "%s"\nscale = %s\nduration = 1000.0\n' "$model" "$tmp/hidden" "$scale"
    printf '[sweep]\nanalysis = ["rates"]\n'
    for p in "${params[@]}"; do
        set -- $p
        printf '[[sweep.param]]\npath = "%s"\nvalues = [%s]\n' "$1" "$2"
    done
} > "$tmp/hidden.toml"
"$m1batch" -q "$tmp/hidden.toml"
/usr/bin/python3 - "$tmp" <<'PY'
import glob, h5py, json, sys
tmp = sys.argv[1]
f = h5py.File(glob.glob(tmp + "/hidden/runs/*/analysis.h5")[0], "r")
pops = [p.decode() if isinstance(p, bytes) else p for p in f["analysis/rates/population"][()]]
rates = f["analysis/rates/rate_hz"][()]
json.dump(dict(zip(pops, [float(r) for r in rates])), open(tmp + "/targets.json", "w"))
PY

objectives() {
    /usr/bin/python3 - "$tmp/targets.json" <<'PY'
import json, sys
for pop, rate in json.load(open(sys.argv[1])).items():
    print(f'[[optimize.objective]]\ncolumn = "rate_hz:{pop}"\ntarget = {rate!r}\nwidth = {max(0.1 * rate, 0.5)!r}\n')
PY
}

param() {  # path, hidden value: a log range 2x either side
    printf '[[optimize.param]]\npath = "%s"\nrange = [%s, %s]\nlog = true\n' "$1" \
        "$(/usr/bin/python3 -c "print($2 / 2)")" "$(/usr/bin/python3 -c "print($2 * 2)")"
}

search_file() {  # algorithm, seed
    cat <<TOML
model    = "$model"
output   = "$tmp/$1_$2"
scale    = $scale
duration = 1000.0
[optimize]
algorithm   = "$1"
population  = $population
generations = $generations
seed        = $2
TOML
    for p in "${params[@]}"; do param $p; done
    objectives
}

echo "M1 at scale $scale, 1 s; 4 parameters; 13 rate targets; $generations generations of $population"
printf '%-16s %5s %12s %8s %10s\n' algorithm seed to_target wall_s evals/hour
results="$tmp/results.txt"
: > "$results"
for algorithm in $algorithms; do
    for seed in $seeds; do
        search_file "$algorithm" "$seed" > "$tmp/$algorithm.$seed.toml"
        start=$(date +%s.%N)
        "$m1batch" -q "$tmp/$algorithm.$seed.toml"
        end=$(date +%s.%N)
        /usr/bin/python3 - "$tmp/${algorithm}_$seed/optimization.csv" "$tmp/targets.json" \
            "$algorithm" "$seed" "$start" "$end" <<'PY' | tee -a "$results"
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
targets = json.load(open(sys.argv[2]))
def reached(row):
    for pop, t in targets.items():
        v = row.get("rate_hz:" + pop, "")
        if v == "" or abs(float(v) - t) > (0.5 if t < 5 else 0.1 * t):
            return False
    return True
first = next((k + 1 for k, r in enumerate(rows) if reached(r)), None)
wall = float(sys.argv[6]) - float(sys.argv[5])
print(f"{sys.argv[3]:<16} {sys.argv[4]:>5} {first if first else '-':>12} {wall:8.1f} {len(rows) / wall * 3600:10.0f}")
PY
    done
done
/usr/bin/python3 - "$results" "$budget" <<'PY'
import statistics, sys
by = {}
for line in open(sys.argv[1]):
    a, seed, first, wall, rate = line.split()
    by.setdefault(a, []).append((int(first) if first != "-" else None, float(wall), float(rate)))
print("median over seeds (a search that never reached the target counts as beyond the budget):")
for a, rows in by.items():
    firsts = sorted(f if f is not None else float("inf") for f, _, _ in rows)
    med = statistics.median(firsts)
    reached = sum(f is not None for f, _, _ in rows)
    print(f"  {a:<16} evaluations to target {med if med != float('inf') else '> ' + sys.argv[2]:>8}"
          f"  reached in {reached}/{len(rows)}  wall {statistics.median(w for _, w, _ in rows):.0f} s"
          f"  {statistics.median(r for _, _, r in rows):.0f} evaluations/hour")
PY
