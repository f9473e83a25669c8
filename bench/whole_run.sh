#!/usr/bin/env bash
# Whole-run benchmark: the full mouse M1 model (configs/models/m1_2017.json, or MODEL), 1 s of
# simulated time, run by m1batch under /usr/bin/time -v.
#
# usage: bench/whole_run.sh [BUILD_DIR] [THREADS] [MODEL]
#        (defaults: build/release, 2, configs/models/m1_2017.json; MODEL relative to the repository)
#
# Prints build and simulate time (m1batch's own figures), the real-time factor, wall time and peak
# resident memory (from /usr/bin/time), and the total spike count.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${1:-build/release}"
threads="${2:-2}"
model="${3:-configs/models/m1_2017.json}"
case "$build_dir" in /*) ;; *) build_dir="$repo/$build_dir" ;; esac
case "$model" in /*) ;; *) model="$repo/$model" ;; esac
if [[ ! -f "$model" ]]; then
    echo "whole_run.sh: no model file at $model" >&2
    exit 1
fi

if [[ ! -x /usr/bin/time ]]; then
    echo "whole_run.sh: /usr/bin/time is missing (install the 'time' package: apt-get install time)" >&2
    exit 1
fi
m1batch="$build_dir/batch/m1batch"
if [[ ! -x "$m1batch" ]]; then
    echo "whole_run.sh: no m1batch at $m1batch (build first: cmake --build $build_dir)" >&2
    exit 1
fi
if ! [[ "$threads" =~ ^[0-9]+$ ]]; then
    echo "whole_run.sh: THREADS must be a whole number, got '$threads'" >&2
    exit 1
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/m1-whole-run.XXXXXX")"
trap 'rm -rf -- "$tmp"' EXIT

cat > "$tmp/run.toml" <<TOML
# Whole-run benchmark: the full model, 1 s of activity.
model    = "$model"
output   = "$tmp/out"
duration = 1000.0
threads  = $threads
TOML

if ! /usr/bin/time -v -o "$tmp/time.txt" "$m1batch" "$tmp/run.toml" > "$tmp/stdout.txt" 2> "$tmp/stderr.txt"; then
    echo "whole_run.sh: m1batch failed" >&2
    cat "$tmp/stderr.txt" "$tmp/stdout.txt" >&2
    exit 1
fi

# "build X s, simulate Y s, real-time factor Z, peak memory W MiB"
summary="$(grep -E '^build [0-9.]+ s, simulate [0-9.]+ s' "$tmp/stdout.txt" | tail -n 1 || true)"
if [[ -z "$summary" ]]; then
    echo "whole_run.sh: no summary line in m1batch's output" >&2
    cat "$tmp/stdout.txt" >&2
    exit 1
fi
build_s="$(sed -E 's/^build ([0-9.]+) s.*/\1/' <<< "$summary")"
simulate_s="$(sed -E 's/.*simulate ([0-9.]+) s.*/\1/' <<< "$summary")"
rtf="$(sed -E 's/.*real-time factor ([0-9.]+).*/\1/' <<< "$summary")"
# the "total" row: total  cells  synapses  spikes  rate
spikes="$(awk '$1 == "total" { print $4 }' "$tmp/stdout.txt" | tail -n 1)"
cells="$(awk '$1 == "total" { print $2 }' "$tmp/stdout.txt" | tail -n 1)"
synapses="$(awk '$1 == "total" { print $3 }' "$tmp/stdout.txt" | tail -n 1)"
# "Elapsed (wall clock) time (h:mm:ss or m:ss): 0:12.34"
wall_s="$(awk -F': ' '/Elapsed \(wall clock\) time/ {
    n = split($NF, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%.2f", s }' "$tmp/time.txt")"
rss_mib="$(awk -F': ' '/Maximum resident set size/ { printf "%.0f", $NF / 1024 }' "$tmp/time.txt")"

echo "m1batch whole run: $(basename "$model"), 1000 ms, $threads thread(s), $cells cells, $synapses synapses"
printf '%-22s %12s\n' "measure" "value"
printf '%-22s %12s\n' "build s" "$build_s"
printf '%-22s %12s\n' "simulate s" "$simulate_s"
printf '%-22s %12s\n' "real-time factor" "$rtf"
printf '%-22s %12s\n' "wall s" "$wall_s"
printf '%-22s %12s\n' "peak RSS MiB" "$rss_mib"
printf '%-22s %12s\n' "spikes" "$spikes"
