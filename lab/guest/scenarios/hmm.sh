#!/bin/sh
# lab-title: selftests/mm hmm-tests on lib/test_hmm.c; device-private memmaps without PG_reserved
# lab-machine: pc
# lab-timeout: 900
#
# The upstream hmm-tests (tools/testing/selftests/mm) against the test_hmm
# driver, which backs its fake device with MEMORY_DEVICE_PRIVATE memory from
# memremap_pages().  Each hmm-tests case becomes one result here, so base
# and series can be compared case by case.  The driver keeps its device
# memory until it is unloaded: the lab's memmap_probe module then reads the
# struct pages of every hmm_dmirror range.
. /lab/lib.sh

hmm=/kselftest/mm/hmm-tests
# make_device_exclusive_range() of 6.12 cannot handle a PMD-mapped THP
# (the exclusive* cases get EBUSY, base and series alike): THP only where
# a test asks for it with MADV_HUGEPAGE, as Debian's kernels default to.
thp=/sys/kernel/mm/transparent_hugepage/enabled
[ -w "$thp" ] && echo madvise >"$thp"
modprobe test_hmm >/tmp/modprobe.out 2>&1
loaded=$?
out=/tmp/hmm-tests.out
if [ "$loaded" = 0 ] && [ -x "$hmm" ]; then
	(cd /tmp && timeout 700 "$hmm" >"$out" 2>&1)
	rc=$?
else
	rc=127
	: >"$out"
fi
# kselftest_harness lines: "ok N name", "not ok N name", "... # SKIP why"
cases=$(grep -c -E '^(not )?ok [0-9]+ ' "$out")
ranges=$(awk '/: hmm_dmirror$/ { print $1 }' /proc/iomem)
nranges=$(echo "$ranges" | grep -c .)

tap_plan $((cases + 3 + 3 * nranges))
check_eq "modprobe test_hmm" "$loaded" 0
diag "hmm-tests exit status $rc, $cases cases"
check "hmm-tests ran to completion" test "$rc" != 124 -a "$rc" != 127 -a "$cases" -gt 0
grep -E '^(not )?ok [0-9]+ ' "$out" | while read -r l; do
	name=$(echo "$l" | sed -E 's/^(not )?ok [0-9]+ //')
	case "$l" in
	"not ok"*) _emit "not ok $((TAP_N + 1)) - hmm-tests: $name" ;;
	*"# SKIP"*) _emit "ok $((TAP_N + 1)) - hmm-tests: ${name%% # SKIP*} # SKIP ${name#*# SKIP}" ;;
	*) _emit "ok $((TAP_N + 1)) - hmm-tests: $name" ;;
	esac
	TAP_N=$((TAP_N + 1))
done
TAP_N=$((TAP_N + cases))
TAP_FAILED=$((TAP_FAILED + $(grep -c -E '^not ok [0-9]+ ' "$out")))
# The harness's own account of each failure: the lines before "not ok".
grep -B4 -E '^not ok [0-9]+ ' "$out" | grep -v -E '^(ok|not ok) [0-9]+ |^--$' |
	head -40 | while read -r l; do diag "$l"; done
grep -E '^# (FAILED|PASSED|Totals)' "$out" | while read -r l; do diag "$l"; done

check "test_hmm holds device-private memory (hmm_dmirror in /proc/iomem)" test "$nranges" -gt 0
for r in $ranges; do
	s=$((0x${r%-*} / 4096))
	n=$((0x${r#*-} / 4096 + 1 - s))
	p=$(probe "$s" "$n") || p=failed
	diag "hmm_dmirror [$s, +$n): $p"
	check_eq "device-private [$s, +$n): no page is PG_reserved" "$(pfield "$p" reserved)" 0
	check_eq "device-private [$s, +$n): every page is initialized ZONE_DEVICE" \
		"$(psum "$p" poisoned not_device)" 0
	check_eq "device-private [$s, +$n): every page points to its pgmap" \
		"$(pfield "$p" foreign_pgmap)" 0
done
tap_done
