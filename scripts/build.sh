#!/usr/bin/env bash
# Installs the build dependencies (as root) and builds build/devbox-harden and the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -eq 0 ]; then scripts/setup.sh; fi
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
echo "build: build/devbox-harden is ready"
