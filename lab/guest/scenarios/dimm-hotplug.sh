#!/bin/sh
# lab-title: DIMM hot-add at runtime, online movable and kernel, offline, unplug
# lab-machine: pc
# lab-cmdline: memhp_default_state=offline memory_hotplug.memmap_on_memory=0
# lab-timeout: 120
#
# A 512 MiB pc-dimm is hot-added over QMP twice.  The first time its blocks
# are onlined to ZONE_MOVABLE, the second time to ZONE_NORMAL; each time the
# blocks are offlined and the DIMM is unplugged.  Checked: block count and
# states, zone present/managed deltas, MemTotal, /proc/kpageflags.
# shellcheck source=../lib.sh
. /lab/lib.sh

tap_plan 34
bs=$(block_size)
size=$((512 << 20))
nblk=$((size / bs))
pages=$((size / 4096))
diag "memory block size $((bs >> 20)) MiB; DIMM $((size >> 20)) MiB = $nblk blocks"

blocks0=$(nr_blocks)
mt0=$(memtotal_kb)
step "before: $(mem_summary)"

# hotplug_cycle ZONE STATE: one add/online/offline/unplug round
hotplug_cycle() {
	zone=$1 online_as=$2
	pres0=$(zone_pages "$zone" present)
	man0=$(zone_pages "$zone" managed)

	step "hot-add dimm1 ($((size >> 20)) MiB) over QMP"
	check "QMP: pc-dimm hot-added" req dimm-add dimm1 "$((size >> 20))M"
	check "new memory blocks appear" wait_for 60 nr_blocks_is -ge $((blocks0 + nblk))
	check_eq "$nblk new blocks" "$(($(nr_blocks) - blocks0))" "$nblk"
	new=$(blocks | tail -n "$nblk")
	off=0
	for b in $new; do [ "$(block_state "$b")" = offline ] && off=$((off + 1)); done
	check_eq "new blocks stay offline (memhp_default_state=offline)" "$off" "$nblk"
	first=$(echo "$new" | head -1)
	first_pfn=$(block_pfn "$first")
	check "valid_zones of an offline new block offers $zone" \
		grep -q "$zone" "$MEMDIR/$first/valid_zones"
	check_active "memmap of the offline DIMM is not active" "$first_pfn" "$pages" none
	step "after add: $(mem_summary)"

	for b in $new; do echo "$online_as" >"$MEMDIR/$b/state"; done
	on=0
	for b in $new; do [ "$(block_state "$b")" = online ] && on=$((on + 1)); done
	check_eq "all new blocks online ($online_as)" "$on" "$nblk"
	check_eq "$zone present pages grew by the DIMM" \
		"$(($(zone_pages "$zone" present) - pres0))" "$pages"
	check_eq "$zone managed pages grew by the DIMM" \
		"$(($(zone_pages "$zone" managed) - man0))" "$pages"
	check_eq "MemTotal grew by the DIMM" "$(($(memtotal_kb) - mt0))" "$((size >> 10))"
	check "kpageflags: online pfns have a memmap (not NOPAGE, free ones BUDDY)" \
		kpageflags -q --none NOPAGE --some BUDDY "$first_pfn" $((bs / 4096))
	check_active "memmap of the online DIMM is active" "$first_pfn" "$pages" all
	step "after online ($online_as): $(mem_summary)"

	for b in $new; do
		for _ in 1 2 3 4 5; do
			echo offline >"$MEMDIR/$b/state" 2>/dev/null && break
			usleep 200000
		done
	done
	off=0
	for b in $new; do [ "$(block_state "$b")" = offline ] && off=$((off + 1)); done
	if [ "$zone" = Normal ] && [ "$off" != "$nblk" ]; then
		# ZONE_NORMAL takes unmovable kernel allocations, which no offline
		# can migrate: unplug is only guaranteed for ZONE_MOVABLE.
		reason="$((nblk - off)) ZONE_NORMAL blocks hold unmovable kernel allocations"
		skip "all new blocks offlined" "$reason"
		skip "MemTotal back after offline" "$reason"
		skip "memmap of the offlined DIMM is not active" "$reason"
		skip "QMP: device_del completed (DEVICE_DELETED)" "$reason"
		skip "blocks removed after unplug" "$reason"
		step "offline of ZONE_NORMAL blocks refused ($reason): $(mem_summary)"
		return
	fi
	check_eq "all new blocks offlined" "$off" "$nblk"
	check_eq "MemTotal back after offline" "$(memtotal_kb)" "$mt0"
	check_active "memmap of the offlined DIMM is not active" "$first_pfn" "$pages" none
	step "after offline: $(mem_summary)"

	step "unplug dimm1 over QMP"
	check "QMP: device_del completed (DEVICE_DELETED)" req dimm-del dimm1
	check "blocks removed after unplug" wait_for 60 nr_blocks_is -eq "$blocks0"
	step "after unplug: $(mem_summary)"
}

hotplug_cycle Movable online_movable
# Kernel zone last: its offline may be refused, and the DIMM then stays.
hotplug_cycle Normal online_kernel
tap_done
