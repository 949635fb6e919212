#!/bin/sh
# lab-title: DIMM hot-add with memmap_on_memory: vmemmap hosted by the DIMM
# lab-machine: pc
# lab-cmdline: memhp_default_state=offline memory_hotplug.memmap_on_memory=1
# lab-timeout: 120
#
# With memmap_on_memory each hot-added block carries its own memmap at its
# start: the zone's present pages grow by the whole DIMM, the managed pages
# and MemTotal by the DIMM less the vmemmap.
# shellcheck source=../lib.sh
. /lab/lib.sh

tap_plan 15
bs=$(block_size)
size=$((512 << 20))
nblk=$((size / bs))
pages=$((size / 4096))
# struct page is 64 bytes: the memmap of one block, in pages.
vmemmap_pages=$((bs / 4096 * 64 / 4096))
check_eq "memmap_on_memory is enabled" "$(cat /sys/module/memory_hotplug/parameters/memmap_on_memory)" Y

blocks0=$(nr_blocks)
mt0=$(memtotal_kb)
pres0=$(zone_pages Movable present)
man0=$(zone_pages Movable managed)
step "before: $(mem_summary)"

step "hot-add dimm1 and online it movable"
check "QMP: pc-dimm hot-added" req dimm-add dimm1 "$((size >> 20))M"
check "new memory blocks appear" wait_for 60 nr_blocks_is -ge $((blocks0 + nblk))
new=$(blocks | tail -n "$nblk")
for b in $new; do echo online_movable >"$MEMDIR/$b/state"; done
on=0
for b in $new; do [ "$(block_state "$b")" = online ] && on=$((on + 1)); done
check_eq "all new blocks online" "$on" "$nblk"
check_eq "Movable present grew by the whole DIMM" \
	"$(($(zone_pages Movable present) - pres0))" "$pages"
check_eq "Movable managed grew by the DIMM less its vmemmap" \
	"$(($(zone_pages Movable managed) - man0))" "$((pages - nblk * vmemmap_pages))"
check_eq "MemTotal grew by the DIMM less its vmemmap" \
	"$(($(memtotal_kb) - mt0))" "$(((pages - nblk * vmemmap_pages) * 4))"
first=$(echo "$new" | head -1)
first_pfn=$(($(echo "$first" | tr -dc 0-9) * bs / 4096))
check "kpageflags: the block's pfns have a memmap" \
	kpageflags -q --none NOPAGE --some BUDDY "$first_pfn" $((bs / 4096))
check_active "memmap of the DIMM, vmemmap pages included, is active" "$first_pfn" "$pages" all
step "online: $(mem_summary)"

for b in $new; do echo offline >"$MEMDIR/$b/state"; done
off=0
for b in $new; do [ "$(block_state "$b")" = offline ] && off=$((off + 1)); done
check_eq "all new blocks offlined" "$off" "$nblk"
check_eq "Movable present back" "$(zone_pages Movable present)" "$pres0"
check_eq "MemTotal back" "$(memtotal_kb)" "$mt0"
check_active "memmap of the offlined DIMM is not active" "$first_pfn" "$pages" none
check "QMP: device_del completed" req dimm-del dimm1
check "blocks removed after unplug" wait_for 60 nr_blocks_is -eq "$blocks0"
step "unplugged: $(mem_summary)"
tap_done
