#!/usr/bin/env bash
# The base-vs-series benchmark, in one run: build both kernels, boot the
# bench scenario on each, print the comparison (lab/bench.py).  With
# KSRC=DIR the second kernel is that tree's (the series applied by hand to
# your kernel), the first still the pinned base.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

RESULTS=$OUT/results/bench
results_dir "$RESULTS"
"$LAB_ROOT/lab/deps.sh"
rc=0
second=series
[ -z "${KSRC:-}" ] || { check_ksrc; second=custom; }
for k in base "$second"; do
	"$LAB_ROOT/lab/build.sh" "$k"
	"$LAB_ROOT/lab/initramfs.sh" "$k"
	boot_scenarios "$k" "$RESULTS" bench || rc=1
done
python3 "$LAB_ROOT/lab/summary.py" "$RESULTS" >/dev/null || rc=1
python3 "$LAB_ROOT/lab/bench.py" "$RESULTS" || rc=1
exit $rc
