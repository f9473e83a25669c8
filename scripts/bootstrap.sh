#!/usr/bin/env bash
# The README's two commands:
#   scripts/bootstrap.sh run    install what is missing, build, run the main job (the flagship
#                               sweep, then its summary and plots)
#   scripts/bootstrap.sh test   install what is missing, build, run the whole test suite
set -euo pipefail
cd "$(dirname "$0")/.."

what=${1:-run}
bash scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)"

case "$what" in
  run)
    ./build/release/batch/m1batch configs/sweep_weights.toml
    ./build/release/analysis/m1analyze results/sweep_weights
    ;;
  test)
    ctest --preset release -j 2
    ;;
  *)
    echo "usage: $0 run|test" >&2
    exit 2
    ;;
esac
