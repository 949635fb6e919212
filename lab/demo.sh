#!/usr/bin/env bash
# The demo: from a fresh Debian 12 machine, install what is needed, expand
# the base, apply the series, build, and boot QEMU once per kind of memory
# hotplug, printing each step with its time and what changed.
#
#   lab/demo.sh [SCENARIO...]      BASELINE=1 demonstrates the base kernel
set -euo pipefail
. "$(dirname "$0")/lib.sh"

flavour=$(lab_flavour)
RESULTS=${RESULTS_DIR:-$OUT/results/demo-$(flavour_label "$flavour")}
check_scenario_args "$@"
results_dir "$RESULTS"
scenarios=("$@")
[ ${#scenarios[@]} -gt 0 ] || scenarios=(dimm-hotplug memmap-on-memory nvdimm virtio-mem)

log "== 1/5 dependencies"
"$LAB_ROOT/lab/deps.sh"
log "== 2/5 expand the base and apply the series"
[ "$flavour" = custom ] || "$LAB_ROOT/lab/expand.sh"
log "== 3/5 build the $flavour kernel"
"$LAB_ROOT/lab/build.sh" "$flavour"
log "== 4/5 guest initramfs"
"$LAB_ROOT/lab/initramfs.sh" "$flavour"
log "== 5/5 boot and hotplug: ${scenarios[*]}"
rc=0
name_base "$flavour" "$RESULTS"
boot_scenarios "$flavour" "$RESULTS" --raw_output "${scenarios[@]}" || rc=1
python3 "$LAB_ROOT/lab/summary.py" "$RESULTS" || rc=1
log "console logs, TAP and JSON: $RESULTS"
exit $rc
