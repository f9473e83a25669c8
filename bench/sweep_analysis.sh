#!/usr/bin/env bash
# Sweep-with-analysis benchmark: 8 runs of the full M1 model (4 recurrent weights x 2 replicates,
# 1 s each) with every measure of the per-run analysis (analysis = rates, rate_psd, granger, nte,
# lfp), one run at a time on all threads.
#
# usage: bench/sweep_analysis.sh [BUILD_DIR] [THREADS]     (defaults: build/release, 2)
#
# Prints the batch's wall time and runs per hour, then the bytes the batch wrote and read per run
# (read(2)/write(2) and their p-variants counted with strace in a second pass, whose time is not
# reported): what the per-run analysis costs in I/O besides the run file.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${1:-build/release}"
threads="${2:-2}"
case "$build_dir" in /*) ;; *) build_dir="$repo/$build_dir" ;; esac
m1batch="$build_dir/batch/m1batch"
[[ -x "$m1batch" ]] || { echo "sweep_analysis.sh: no m1batch at $m1batch (build first)" >&2; exit 1; }
command -v strace >/dev/null || { echo "sweep_analysis.sh: strace is missing (apt-get install strace)" >&2; exit 1; }

tmp="$(mktemp -d "${TMPDIR:-/tmp}/m1-sweep-analysis.XXXXXX")"
trap 'rm -rf -- "$tmp"' EXIT
runs=8
cat > "$tmp/sweep.toml" <<TOML
model    = "$repo/configs/models/m1_2017.json"
output   = "$tmp/out"
duration = 1000.0
[sweep]
replicates = 2
analysis   = ["rates", "rate_psd", "granger", "nte", "lfp"]
[[sweep.param]]
path   = "/netParams/scaleConnWeight"
values = [0.00025, 0.0003, 0.00035, 0.0004]
TOML

start=$(date +%s.%N)
"$m1batch" -q --jobs 1 --threads "$threads" "$tmp/sweep.toml"
end=$(date +%s.%N)
done_runs=$(find "$tmp/out/runs" -name analysis.h5 | wc -l)
[[ "$done_runs" == "$runs" ]] || { echo "sweep_analysis.sh: $done_runs of $runs runs analysed" >&2; exit 1; }

rm -rf "$tmp/out"
strace -f -qq -e trace=read,pread64,write,pwrite64 -e signal=none -o "$tmp/io.trace" \
    "$m1batch" -q --jobs 1 --threads "$threads" "$tmp/sweep.toml"
/usr/bin/python3 - "$tmp/io.trace" "$start" "$end" "$runs" <<'PY'
import re, sys
trace, start, end, runs = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
read = written = 0
for line in open(trace):
    # A call interrupted by another thread's is split: "name(... <unfinished ...>", then
    # "<... name resumed>...) = N"; the result is on the second line.
    m = re.search(r"^\d+\s+(?:<\.\.\. )?(read|pread64|write|pwrite64)(?:\(| resumed>).*\)\s+=\s+(\d+)", line)
    if not m:
        continue
    if m.group(1) in ("read", "pread64"):
        read += int(m.group(2))
    else:
        written += int(m.group(2))
wall = end - start
print(f"runs {runs}  wall {wall:.1f} s  runs/hour {runs / wall * 3600:.0f}  "
      f"per run: written {written / runs / 1e6:.2f} MB, read {read / runs / 1e6:.2f} MB")
PY
