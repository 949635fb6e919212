#!/bin/sh
# lab-title: online/offline cycles of a cold-plugged DIMM, movable and kernel
# lab-machine: pc
# lab-devices: dimm:dimm0:256M
# lab-cmdline: memhp_default_state=offline
# lab-timeout: 400
#
# The DIMM's two blocks go online and offline ten times, alternating
# ZONE_MOVABLE and ZONE_NORMAL; each time the memmap record follows.
. /lab/lib.sh

cycles=10
tap_plan $((cycles * 2 + 1))
blocks_off=$(blocks_in_state offline)
nblk=$(echo "$blocks_off" | wc -l)
check_eq "the cold-plugged DIMM is offline: 2 blocks" "$nblk" 2
first=$(echo "$blocks_off" | head -1)
pfn=$(block_pfn "$first")
pages=$((nblk * $(block_pages)))

i=0
while [ $i -lt $cycles ]; do
	i=$((i + 1))
	if [ $((i % 2)) = 1 ]; then how=online_movable; else how=online_kernel; fi
	for b in $blocks_off; do echo $how >"$MEMDIR/$b/state"; done
	check_active "cycle $i: $how: memmap active" "$pfn" "$pages" all
	ok=1
	for b in $blocks_off; do
		echo offline >"$MEMDIR/$b/state" 2>/dev/null || ok=0
	done
	if [ $ok = 1 ]; then
		check_active "cycle $i: offline: memmap not active" "$pfn" "$pages" none
	else
		skip "cycle $i: offline: memmap not active" "unmovable allocations in ZONE_NORMAL"
		break
	fi
done
while [ $TAP_N -lt $((cycles * 2 + 1)) ]; do
	skip "cycle skipped" "an earlier offline was refused"
done
step "$i cycles: $(mem_summary)"
tap_done
