#!/usr/bin/env bash
# The base-vs-series benchmark, in one run: build both kernels, boot the
# bench scenario on each, print the comparison (lab/bench.py).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

RESULTS=$OUT/results/bench
rm -rf "$RESULTS"
"$LAB_ROOT/lab/deps.sh"
for k in base series; do
	"$LAB_ROOT/lab/build.sh" "$k"
	"$LAB_ROOT/lab/initramfs.sh" "$k"
	python3 "$LAB_ROOT/lab/run.py" --label "$k" --results "$RESULTS" \
		--kernel "$(build_for "$k")/arch/x86/boot/bzImage" \
		--initrd "$OUT/initramfs/$k.cpio.gz" bench
done
python3 "$LAB_ROOT/lab/bench.py" "$RESULTS"
