#!/usr/bin/env bash
# The base-vs-series benchmark, in one run: build both kernels, boot the
# bench scenario on each, print the comparison (lab/bench.py).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

RESULTS=$OUT/results/bench
rm -rf "$RESULTS"
mkdir -p "$RESULTS"
"$LAB_ROOT/lab/deps.sh"
rc=0
for k in base series; do
	"$LAB_ROOT/lab/build.sh" "$k"
	"$LAB_ROOT/lab/initramfs.sh" "$k"
	boot_scenarios "$k" "$RESULTS" bench || rc=1
done
python3 "$LAB_ROOT/lab/summary.py" "$RESULTS" >/dev/null || rc=1
python3 "$LAB_ROOT/lab/bench.py" "$RESULTS" || rc=1
exit $rc
