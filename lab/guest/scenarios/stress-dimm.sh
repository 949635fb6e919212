#!/bin/sh
# lab-title: DIMM add -> online -> offline -> unplug over QMP, repeated; the state identical after every cycle
# lab-machine: pc
# lab-cmdline: memhp_default_state=offline
# lab-timeout: 1200
#
# A 256 MiB pc-dimm is hot-added over QMP, its blocks onlined to
# ZONE_MOVABLE, offlined, and the DIMM unplugged, dimm_cycles times
# (default 10, make stress 100).  After every cycle the snapshot (lib.sh:
# block states, zones' present/managed/spanned pages, MemTotal, memmap
# pages, pins, memmap records) is the one before the first: a cycle that
# leaks a memmap, a section usage or a record shows.  While the DIMM is
# online, its memmap must be recorded (on the series).
# shellcheck source=../lib.sh
. /lab/lib.sh

cycles=$(kernel_arg dimm_cycles 10)
tap_plan 5
nblk=$(((256 << 20) / $(block_size)))
snapshot >/tmp/state.start
b0=$(blocks)
n0=$(nr_blocks)
done_cycles=0
unrecorded=0
i=0
while [ $i -lt "$cycles" ]; do
	i=$((i + 1))
	req dimm-add sdimm 256M >/tmp/dimm.err 2>&1 || break
	wait_for 60 nr_blocks_is -ge $((n0 + nblk)) || break
	new=$(new_blocks "$b0")
	for b in $new; do echo online_movable >"$MEMDIR/$b/state" || break 2; done
	p=$(block_pfn "$(echo "$new" | head -1)")
	[ "$(memmap_active_state "$p" $((nblk * $(block_pages))))" = all ] || unrecorded=$((unrecorded + 1))
	for b in $new; do
		ok=0
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			echo offline >"$MEMDIR/$b/state" 2>>/tmp/dimm.err && ok=1 && break
			usleep 100000
		done
		[ $ok = 1 ] || break 2
	done
	req dimm-del sdimm >>/tmp/dimm.err 2>&1 || break
	wait_for 60 nr_blocks_is -eq "$n0" || break
	cycle_state "$i"
	done_cycles=$i
	[ $((i % 10)) = 0 ] && step "cycle $i done"
done
[ "$done_cycles" = "$cycles" ] || sed 's/^/# /' /tmp/dimm.err | tail -5 | while read -r l; do diag "$l"; done
check_eq "$cycles add/online/offline/unplug cycles completed" "$done_cycles" "$cycles"
[ -z "$FIRST_DIFF" ] || diag "$FIRST_DIFF"
check_eq "the state after every cycle is the state before the first" "$DRIFT" 0
if [ -r "$MEMMAP_ACTIVE" ]; then
	check_eq "the online DIMM's memmap was recorded in every cycle" "$unrecorded" 0
else
	skip "the online DIMM's memmap was recorded in every cycle" "no memmap records on this kernel (the series' debugfs file)"
fi
check_state "the state at the end is the state at the start" /tmp/state.start
check_eq "no memory block is left from the DIMM" "$(nr_blocks)" "$n0"
tap_done
