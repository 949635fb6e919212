#!/bin/sh
# lab-title: selftests/mm hmm-tests on lib/test_hmm.c; device-private memmaps without PG_reserved
# lab-machine: pc
# lab-timeout: 180
#
# The upstream hmm-tests (tools/testing/selftests/mm) against the test_hmm
# driver, which backs its fake device with MEMORY_DEVICE_PRIVATE memory from
# memremap_pages().  The harness's results are one nested subtest, a case
# each, so base and series can be compared case by case (make compare).
# The driver keeps its device
# memory until it is unloaded: the lab's memmap_probe module then reads the
# struct pages of every hmm_dmirror range.
# shellcheck source=../lib.sh
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
	(cd /tmp && timeout 120 "$hmm" >"$out" 2>&1)
	rc=$?
else
	rc=127
	: >"$out"
fi
ranges=$(awk '/: hmm_dmirror$/ { print $1 }' /proc/iomem)
nranges=$(echo "$ranges" | grep -c .)

tap_plan $((3 + 3 * nranges))
check_eq "modprobe test_hmm" "$loaded" 0
diag "hmm-tests exit status $rc"
# The harness's own TAP, plan and all, as one nested subtest: kunit_parser
# on the host checks that every planned case reported.
nest hmm-tests "$out" "$rc"
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
