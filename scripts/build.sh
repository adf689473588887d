#!/usr/bin/env bash
# Configures (once) and builds Nacre in ./build. Usage: scripts/build.sh
set -euo pipefail
cd "$(dirname "$0")/.."
"$(pwd)/scripts/install-deps.sh"
if [ ! -f build/build.ninja ]; then
  cmake --preset default
fi
cmake --build build -j "$(nproc)"
