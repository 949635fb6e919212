#!/usr/bin/env bash
# make stress: the stress scenarios at full length on the debug kernels
# (DEBUG=1 unless DEBUG=0 is given: KASAN, lockdep, PROVE_RCU,
# PAGE_POISONING with page_poison=1), on the series and then the base, and
# the kernel reports of every boot counted (lab/stress_report.py).  make
# test runs the same scenarios at their short default lengths.
#
#   lab/stress.sh [SCENARIO...]     results: out/<K>/results/stress[-debug]/
#
#   STRESS_SHORT=1   the short lengths of make test (a quick look)
#   BASELINE=0|1     only the series (0) or only the base (1); default both
set -euo pipefail
export DEBUG=${DEBUG:-1}
. "$(dirname "$0")/lib.sh"

SCENARIOS=(stress-online-offline stress-online-offline-mom stress-dimm stress-namespace
	stress-faults stress-bad-input stress-bad-params)
[ $# = 0 ] || SCENARIOS=("$@")
for s in "${SCENARIOS[@]}"; do
	[ -f "$LAB_ROOT/lab/guest/scenarios/$s.sh" ] || die "stress: no scenario '$s'"
done
# 2 x 2500 block cycles each storm scenario, 100 DIMM and namespace cycles.
long="storm_cycles=2500 dimm_cycles=100 ns_cycles=100"
[ "${STRESS_SHORT:-0}" = 1 ] && long=
args="$long"
[ "$DEBUG" = 1 ] && args="$args page_poison=1"
export LAB_KERNEL_ARGS="${args# } ${LAB_KERNEL_ARGS:-}"
case "${BASELINE:-}" in
"") flavours=(series base) ;;
0) flavours=(series) ;;
1) flavours=(base) ;;
*) die "stress: BASELINE must be 0 or 1, not '$BASELINE'" ;;
esac
RESULTS=$OUT/results/stress$DEBUG_SFX
results_dir "$RESULTS"
"$LAB_ROOT/lab/deps.sh"
# Full length takes hours under TCG: no budget of make test's.
export LAB_BUDGET=${LAB_BUDGET:-$((12 * 3600))}
rc=0
for k in "${flavours[@]}"; do
	"$LAB_ROOT/lab/build.sh" "$k" && "$LAB_ROOT/lab/initramfs.sh" "$k" || { rc=1; continue; }
	log "== stress on the $k kernel: ${SCENARIOS[*]} (${LAB_KERNEL_ARGS% })"
	boot_scenarios "$k" "$RESULTS" "${SCENARIOS[@]}" || rc=1
done
name_base "${flavours[0]}" "$RESULTS"
python3 "$LAB_ROOT/lab/stress_report.py" "$RESULTS" || rc=1
python3 "$LAB_ROOT/lab/summary.py" "$RESULTS" || rc=1
exit $rc
