#!/usr/bin/env bash
# Installs, builds and runs the whole test suite: unit and scenario tests, then the labs (real
# sshd, ufw, WireGuard in network namespaces and debootstrap trees; they need root and say so).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
if [ "$(id -u)" -eq 0 ]; then
  # The Debian 12 tree the labs use is built once and cached outside the repository.
  tests/lab/make-tree.sh >/dev/null
fi
cd build
ctest --output-on-failure "$@"
