#!/usr/bin/env bash
# Installs the Debian 12 packages m1batch needs that are not installed yet (idempotent; everything
# comes from Debian's archive, nothing else is downloaded). Run as root.
set -euo pipefail

packages=(
  # build
  build-essential cmake ninja-build pkg-config
  # libraries (see README: why each one is there)
  libtbb-dev libhdf5-dev libcli11-dev nlohmann-json3-dev libtomlplusplus-dev librandom123-dev
  libssl-dev
  libopenmpi-dev openmpi-bin libboost-program-options-dev
  libfftw3-dev libeigen3-dev libcairo2-dev libpagmo-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev time strace
  # a real single-node SLURM for the cluster tests (tests/cluster/slurm_cluster.sh)
  slurmctld slurmd slurm-client munge
  # validation against NEURON, and the fidelity checks
  neuron neuron-dev python3-neuron python3-h5py python3-numpy python3-scipy
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup: all ${#packages[@]} packages are installed"
fi
