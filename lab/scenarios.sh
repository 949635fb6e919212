#!/usr/bin/env bash
# Boot scenarios on the kernel and initramfs already built, then summarize:
# the fast path of a development loop ('make scenarios S=nvdimm').  Results
# go to a directory of their own, cleared first, so nothing of an earlier
# run is mixed in.
#
#   lab/scenarios.sh [SCENARIO...]      (BASELINE=1, KSRC= as for make test)
#   lab/scenarios.sh --dry-run [SCENARIO...]   print the QEMU commands
#   lab/scenarios.sh --shell SCENARIO          a shell in the scenario's machine
set -uo pipefail
. "$(dirname "$0")/lib.sh"

flavour=$(lab_flavour) || exit 1
case "${1:-}" in
--dry-run | --shell)
	exec python3 "$LAB_ROOT/lab/run.py" --label "$(flavour_label "$flavour")" --results "$OUT/results/$(flavour_label "$flavour")-${1#--}" \
		--kernel "$(build_for "$flavour")/arch/x86/boot/bzImage" \
		--initrd "$INITRAMFS_DIR/$flavour.cpio.gz" \
		${LAB_KERNEL_ARGS:+--kernel_args="$LAB_KERNEL_ARGS"} \
		${LAB_QEMU_ARGS:+--qemu_args="$LAB_QEMU_ARGS"} "$@"
	;;
esac
RESULTS=${RESULTS_DIR:-$OUT/results/scenarios-$(flavour_label "$flavour")}
check_scenario_args "$@"
results_dir "$RESULTS"
name_base "$flavour" "$RESULTS"
boot_scenarios "$flavour" "$RESULTS" "$@"
python3 "$LAB_ROOT/lab/summary.py" "$RESULTS" ${LAB_JSON:+--json "$LAB_JSON"}
