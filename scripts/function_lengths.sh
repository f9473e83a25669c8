#!/usr/bin/env bash
# Function lengths in core/, batch/ and analysis/ (Universal Ctags; lambdas left out): the count,
# median, 95th percentile, how many are over 40, 100 and 150 lines, and the N longest.
#
# usage: scripts/function_lengths.sh [REPO_DIR] [N]      (defaults: this repository, 15)
set -euo pipefail
repo="${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
longest="${2:-15}"
command -v ctags >/dev/null || { echo "function_lengths.sh: ctags is missing (apt-get install universal-ctags)" >&2; exit 1; }
lengths="$(mktemp)"
trap 'rm -f -- "$lengths"' EXIT
cd "$repo"
ctags -R --languages=C++ --kinds-C++=f --fields=+ne -x --_xformat='%N	%F	%n	%e' core batch analysis 2>/dev/null |
    awk -F'\t' '$4 != "" && $1 !~ /^__anon/ {print $4 - $3 + 1 "\t" $1 "\t" $2 ":" $3}' | sort -n > "$lengths"
n=$(wc -l < "$lengths")
at() { awk -v k="$1" 'NR == k {print $1}' "$lengths"; }
over() { awk -v x="$1" '$1 > x' "$lengths" | wc -l; }
echo "functions $n, median $(at $(( (n + 1) / 2 ))), p95 $(at $(( (95 * n + 99) / 100 ))), over 40: $(over 40), over 100: $(over 100), over 150: $(over 150)"
tail -n "$longest" "$lengths"
