#!/bin/sh
# lab-title: bad memhp_default_state and memmap_on_memory on the command line: the defaults stay
# lab-machine: pc
# lab-cmdline: memhp_default_state=bogus memory_hotplug.memmap_on_memory=bogus
# lab-timeout: 120
#
# Invalid values of the two boot parameters of memory hotplug must leave
# their defaults (the kernel's config: offline; off), and a DIMM
# hot-added then must follow those defaults: blocks offline, and once
# online all of the DIMM is memory (with memmap_on_memory, part of it
# would hold the memmap).
# shellcheck source=../lib.sh
. /lab/lib.sh

tap_plan 5
check_eq "auto_online_blocks is the default (offline)" "$(cat $MEMDIR/auto_online_blocks)" offline
check_eq "memmap_on_memory is the default (N)" \
	"$(cat /sys/module/memory_hotplug/parameters/memmap_on_memory)" N
b0=$(blocks)
n0=$(nr_blocks)
mt0=$(memtotal_kb)
check "QMP: a 256 MiB DIMM hot-added" req dimm-add pdimm 256M
wait_for 60 nr_blocks_is -ge $((n0 + 2))
off=0
for b in $(new_blocks "$b0"); do [ "$(block_state "$b")" = offline ] && off=$((off + 1)); done
check_eq "its 2 blocks stay offline" "$off" 2
for b in $(new_blocks "$b0"); do echo online_movable >"$MEMDIR/$b/state"; done
check_eq "online, all of it is memory: MemTotal +256 MiB" "$(($(memtotal_kb) - mt0))" $((256 << 10))
tap_done
