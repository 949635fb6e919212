#!/usr/bin/env bash
# The lab's test run: series lint, tooling self-tests, kernel build,
# initramfs, every scenario booted in QEMU, one summary.  Every step runs
# even when an earlier one failed (a build failure skips only the boots);
# each step is a result group, listed in RESULTS/expected before it starts,
# so a step that dies without results fails the run.  The exit status is
# non-zero if anything failed, timed out or never ran.
#
#   lab/test.sh [SCENARIO...]
#
#   KERNEL=K       the base kernels/K/ alone; without KERNEL (and without
#                  KSRC), every base kernels/ci lists (LAB_CI_KERNELS="K ..."
#                  overrides it), one after the other, each with its own
#                  results (out/<K>/results/test-<flavour>) and summary, then
#                  one last line that sums them
#   BASELINE=1     the scenarios on the unpatched base
#   KSRC=DIR       the scenarios on a kernel tree of your own (built with O=)
#   STEPS="..."    a subset of: deps lint selftest build scenarios
#                  (default: all; e.g. STEPS=scenarios reboots what is built)
#   LAB_BUDGET=S   time budget of the whole run (of each base's, without
#                  KERNEL) in seconds (default 3600): no scenario starts
#                  after it, and none runs past it
set -uo pipefail
all=0
[ -n "${KERNEL:-}" ] || [ -n "${KSRC:-}" ] || all=1
. "$(dirname "$0")/lib.sh"

flavour=$(lab_flavour) || exit 1
steps=" ${STEPS:-deps lint selftest build scenarios} "
for s in $steps; do
	case "$s" in
	deps | lint | selftest | build | scenarios) ;;
	*) die "test: unknown step '$s' in STEPS (want deps lint selftest build scenarios)" ;;
	esac
done
want() { [[ $steps == *" $1 "* ]]; }
check_scenario_args "$@"
if [ "$all" = 1 ]; then
	# Every base of kernels/ci, each a run of its own; one line over them.
	if [ -n "${LAB_CI_KERNELS:-}" ]; then
		read -r -a kernels <<<"$LAB_CI_KERNELS"
	else
		mapfile -t kernels < <(kernels_list "$LAB_ROOT/kernels/ci")
	fi
	[ ${#kernels[@]} -gt 0 ] || die "test: kernels/ci names no base"
	for k in "${kernels[@]}"; do check_kernel "$k"; done
	[ -z "${RESULTS_DIR:-}" ] || [ ${#kernels[@]} = 1 ] ||
		die "test: RESULTS_DIR= with ${#kernels[@]} bases (${kernels[*]}): pick one with KERNEL="
	rc=0
	parts=()
	for k in "${kernels[@]}"; do
		log "==== base $k (KERNEL=$k)"
		json=${LAB_JSON:-}
		[ -z "$json" ] || [ "$json" = - ] || [ ${#kernels[@]} = 1 ] || json=$json.$k
		dir=${RESULTS_DIR:-$LAB_OUT_ROOT/$k/results/test-$(flavour_label "$flavour")}
		# No summary of an earlier run may stand in for one that died early.
		rm -f "$dir/summary.json"
		# Each base has the time budget (LAB_BUDGET) for itself.
		KERNEL=$k LAB_JSON=$json LAB_T0=$(date +%s) "$0" "$@" || rc=1
		parts+=("$k=$dir")
	done
	log "==== all bases: ${kernels[*]}"
	python3 "$LAB_ROOT/lab/summary.py" --combine "${parts[@]}" || rc=1
	exit "$rc"
fi
RESULTS=${RESULTS_DIR:-$OUT/results/test-$(flavour_label "$flavour")}
results_dir "$RESULTS"

if want deps; then
	"$LAB_ROOT/lab/deps.sh" || die "test: cannot install the lab's dependencies"
fi

if want lint; then
	log "== series lint"
	expect "$RESULTS" lint
	"$LAB_ROOT/lab/lint.sh" "$RESULTS/lint.ktap"
fi

if want selftest; then
	log "== tooling self-tests"
	expect "$RESULTS" selftest
	"$LAB_ROOT/tests/selftest.sh" "$RESULTS/selftest.ktap"
fi

built=1
if want build; then
	log "== build ($flavour)"
	expect "$RESULTS" build
	if "$LAB_ROOT/lab/build.sh" "$flavour" && "$LAB_ROOT/lab/initramfs.sh" "$flavour"; then
		ktap_group "$RESULTS" build OK \
			"kernel and initramfs built ($flavour, $(cat "$(build_for "$flavour")/kernelrelease"))"
	else
		ktap_group "$RESULTS" build FAIL "kernel and initramfs built ($flavour)" \
			"see the messages above and $(build_for "$flavour")/build.log"
		built=0
	fi
fi
name_base "$flavour" "$RESULTS"

if want scenarios; then
	if [ "$built" = 1 ]; then
		log "== scenarios on the $flavour kernel"
		boot_scenarios "$flavour" "$RESULTS" "$@"
	else
		expect "$RESULTS" "$(flavour_label "$flavour")/runner"
		ktap_group "$RESULTS" "$(flavour_label "$flavour")/runner" FAIL "scenarios booted" "not booted: the build failed"
	fi
fi

log "== summary ($RESULTS)"
python3 "$LAB_ROOT/lab/summary.py" "$RESULTS" ${LAB_JSON:+--json "$LAB_JSON"}
