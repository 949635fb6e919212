#!/usr/bin/env bash
# The base-vs-series benchmark, in one run: build both kernels, boot the
# bench scenarios on each, alternating, BENCH_ROUNDS times (default 3;
# the kernel that goes first swaps every round), then print the
# comparison and draw the charts (lab/bench.py).  With KSRC=DIR the second
# kernel is that tree's (the series applied by hand to your kernel), the
# first still the pinned base.  Scenario names as arguments run only those.
#
#   lab/bench.sh [SCENARIO...]         results: out/<K>/results/bench/
#
# Not a test: nothing here passes or fails on a figure.  The exit status
# is non-zero when a kernel did not build, a boot failed, or a metric has
# no samples on one kernel.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

SCENARIOS=(bench bench-hotplug bench-hotplug-mom bench-boot-2g bench-boot-8g)
[ $# = 0 ] || SCENARIOS=("$@")
rounds=${BENCH_ROUNDS:-3}
[[ $rounds =~ ^[1-9][0-9]?$ ]] || die "bench: BENCH_ROUNDS=$rounds is not a number from 1 to 99"
for s in "${SCENARIOS[@]}"; do
	grep -q '^# lab-group: bench$' "$LAB_ROOT/lab/guest/scenarios/$s.sh" 2>/dev/null ||
		die "bench: '$s' is not a bench scenario (lab-group: bench in lab/guest/scenarios/)"
done
RESULTS=$OUT/results/bench
results_dir "$RESULTS"
# gnuplot draws the charts; the bench alone needs it, so make deps does not.
"$LAB_ROOT/lab/deps.sh" gnuplot-nox
second=series
[ -z "${KSRC:-}" ] || { check_ksrc; second=custom; }
for k in base "$second"; do
	"$LAB_ROOT/lab/build.sh" "$k"
	"$LAB_ROOT/lab/initramfs.sh" "$k"
done
# A run of the five scenarios takes about 3 minutes a kernel (-icount);
# the lab's default budget is for make test.
export LAB_BUDGET=${LAB_BUDGET:-$((rounds * 2 * 1800))}
rc=0
for r in $(seq "$rounds"); do
	dir=$RESULTS/round$r
	mkdir -p "$dir"
	order=(base "$second")
	[ $((r % 2)) = 1 ] || order=("$second" base)
	for k in "${order[@]}"; do
		log "== bench round $r of $rounds: $k"
		boot_scenarios "$k" "$dir" "${SCENARIOS[@]}" || rc=1
	done
	python3 "$LAB_ROOT/lab/summary.py" "$dir" >"$dir/summary.txt" || {
		rc=1
		log "bench round $r: some boots failed:"
		tail -15 "$dir/summary.txt" >&2
	}
done
python3 "$LAB_ROOT/lab/bench.py" "$RESULTS" >"$RESULTS/bench.txt" || rc=1
cat "$RESULTS/bench.txt"
exit $rc
