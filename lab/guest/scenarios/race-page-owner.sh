#!/bin/sh
# lab-title: page_owner, pagetypeinfo and split_huge_pages against online/offline cycles
# lab-machine: pc
# lab-devices: dimm:dimm0:256M
# lab-cmdline: memhp_default_state=offline page_owner=on
# lab-timeout: 400
#
# The walkers that page_owner=on brings (/sys/kernel/debug/page_owner read
# from the DIMM's first pfn, /proc/pagetypeinfo's mixed-block count) and
# debugfs' split_huge_pages run while the DIMM's two blocks go online
# (movable) and offline 20 times, with anonymous memory allocated on them
# in between.  They must all keep working, and the console must stay clean
# (the host checks it).  page_owner=on makes page_ext free its tables with a
# grace period at MEM_OFFLINE, before the memmap is poisoned, so this
# scenario shows the converted walkers work; race-walkers is the one that
# shows the base failing.
# shellcheck source=../lib.sh
. /lab/lib.sh

cycles=20
tap_plan 9
blocks_off=$(blocks_in_state offline)
nblk=$(echo "$blocks_off" | wc -l)
check_eq "the cold-plugged DIMM is offline: 2 blocks" "$nblk" 2
first=$(echo "$blocks_off" | head -1)
pfn=$(block_pfn "$first")
memtotal0=$(memtotal_kb)
rm -f /tmp/race.*

# page_owner's file offset is a pfn: 64 records from the DIMM's first pfn.
# shellcheck disable=SC2317 # called through walker
# The records seen go to /tmp/race.records, one count a run.
owner() {
	dd if=/sys/kernel/debug/page_owner iflag=skip_bytes skip="$pfn" bs=4096 count=64 >/tmp/owner.out || return 1
	grep -c '^Page allocated via' /tmp/owner.out >>/tmp/race.records
	return 0
}
check "page_owner is on" test -r /sys/kernel/debug/page_owner
walker page_owner owner &
walker pagetypeinfo cat /proc/pagetypeinfo &
walker split_huge_pages sh -c 'echo 1 >/sys/kernel/debug/split_huge_pages' &

refused=0
i=0
while [ $i -lt $cycles ]; do
	i=$((i + 1))
	for b in $blocks_off; do echo online_movable >"$MEMDIR/$b/state"; done
	# dd's 64 MiB buffer: anonymous memory, which the new movable blocks
	# serve first, for page_owner to report and split_huge_pages to find.
	dd if=/dev/zero of=/dev/null bs=64M count=4 2>/dev/null
	for b in $blocks_off; do
		echo offline >"$MEMDIR/$b/state" 2>/dev/null || refused=$((refused + 1))
	done
done
touch "$RACE_STOP"
wait
step "$cycles cycles; runs/errors: page_owner $(cat /tmp/race.page_owner)," \
	"pagetypeinfo $(cat /tmp/race.pagetypeinfo), split_huge_pages $(cat /tmp/race.split_huge_pages)"

check_eq "$cycles online/offline cycles of both blocks, no offline refused" "$refused" 0
for w in page_owner pagetypeinfo split_huge_pages; do
	# shellcheck disable=SC2046
	set -- $(cat "/tmp/race.$w")
	check "$w: the walker ran ($1 runs) and never failed ($2)" test "$1" -gt 0 -a "$2" = 0
done
records=$(awk '{ s += $1 } END { print s + 0 }' /tmp/race.records)
check "page_owner reported records from the DIMM's pfns on ($records)" test "$records" -gt 0
check_eq "the DIMM's blocks are offline at the end" "$(blocks_in_state offline | wc -l)" 2
check_eq "MemTotal is back where it started" "$(memtotal_kb)" "$memtotal0"
tap_done
