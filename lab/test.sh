#!/usr/bin/env bash
# The lab's test run: series lint, tooling self-tests, kernel build,
# initramfs, every scenario booted in QEMU, one summary.  Every step runs
# even when an earlier one failed (a build failure skips only the boots);
# the exit status is non-zero if anything failed or timed out.
#
#   lab/test.sh [SCENARIO...]      BASELINE=1 runs the scenarios on the base
set -uo pipefail
. "$(dirname "$0")/lib.sh"

flavour=$(lab_flavour) || exit 1
RESULTS=${RESULTS_DIR:-$OUT/results/test-$flavour}
rm -rf "$RESULTS"
mkdir -p "$RESULTS"
step_tap() { # step_tap NAME OK|FAIL DESC
	printf 'TAP version 13\n1..1\n%s 1 - %s\n' "$([ "$2" = OK ] && echo ok || echo "not ok")" "$3" \
		>"$RESULTS/$1.tap"
}

"$LAB_ROOT/lab/deps.sh" || exit 1

log "== series lint"
"$LAB_ROOT/lab/lint.sh" "$RESULTS/lint.tap"

log "== tooling self-tests"
"$LAB_ROOT/tests/selftest.sh" "$RESULTS/selftest.tap"

log "== build ($flavour)"
if "$LAB_ROOT/lab/build.sh" "$flavour" && "$LAB_ROOT/lab/initramfs.sh" "$flavour"; then
	step_tap build OK "kernel and initramfs built ($flavour, $(cat "$(build_for "$flavour")/kernelrelease"))"
	log "== scenarios on the $flavour kernel"
	python3 "$LAB_ROOT/lab/run.py" --label "$flavour" --results "$RESULTS" \
		--kernel "$(build_for "$flavour")/arch/x86/boot/bzImage" \
		--initrd "$OUT/initramfs/$flavour.cpio.gz" "$@"
else
	step_tap build FAIL "kernel and initramfs built ($flavour)"
fi

log "== summary ($RESULTS)"
python3 "$LAB_ROOT/lab/summary.py" "$RESULTS"
