#!/bin/sh
# lab-title: online/offline cycles of a cold-plugged DIMM, movable and kernel
# lab-machine: pc
# lab-devices: dimm:dimm0:256M
# lab-cmdline: memhp_default_state=offline
# lab-timeout: 120
#
# The DIMM's two blocks go online and offline ten times, alternating
# ZONE_MOVABLE and ZONE_NORMAL; each time the memmap record follows.
# shellcheck source=../lib.sh
. /lab/lib.sh

cycles=10
tap_plan $((cycles * 2 + 3))
blocks_off=$(blocks_in_state offline)
nblk=$(echo "$blocks_off" | wc -l)
check_eq "the cold-plugged DIMM is offline: 2 blocks" "$nblk" 2
first=$(echo "$blocks_off" | head -1)
pfn=$(block_pfn "$first")
pages=$((nblk * $(block_pages)))

# cycle N HOW: online the DIMM as HOW, offline it; 0 if the offline worked.
cycle() {
	for b in $blocks_off; do echo "$2" >"$MEMDIR/$b/state"; done
	check_active "cycle $1: $2: memmap active" "$pfn" "$pages" all
	for b in $blocks_off; do
		echo offline >"$MEMDIR/$b/state" 2>/dev/null || return 1
	done
	check_active "cycle $1: offline: memmap not active" "$pfn" "$pages" none
}

i=0
while [ $i -lt $cycles ]; do
	i=$((i + 1))
	cycle $i online_movable || fail "cycle $i: offline of ZONE_MOVABLE blocks refused"
done
# One round through ZONE_NORMAL last: unmovable allocations may pin it.
cycle $((i + 1)) online_kernel ||
	skip "cycle $((i + 1)): offline: memmap not active" "unmovable allocations in ZONE_NORMAL"
step "$((i + 1)) cycles: $(mem_summary)"
tap_done
