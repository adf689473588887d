#!/usr/bin/env bash
# Builds Nacre and runs the whole test suite (unit, MPI jobs, end to end).
# Extra arguments go to ctest, e.g. scripts/test.sh -L unit
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
cd build
exec ctest --output-on-failure --timeout 600 "$@"
