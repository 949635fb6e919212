#!/bin/sh
# lab-title: DIMM hotplug paths at 128 MiB, 1, 4 and 8 GiB with memmap_on_memory (guest clock)
# lab-group: bench
# lab-machine: pc
# lab-memory: 2G 48G
# lab-cmdline: memhp_default_state=offline memory_hotplug.memmap_on_memory=1
# lab-timeout: 3600
# lab-qemu: -icount shift=0
#
# bench-hotplug's DIMM paths with memory_hotplug.memmap_on_memory=1: each
# memory block hosts its own memmap (the vmemmap pages the series records
# with the block, and accounts as the block's).  Samples are named as in
# bench-hotplug with "mom:" in front.
# shellcheck source=../lib.sh
. /lab/lib.sh
# shellcheck source=../benchlib.sh
. /lab/benchlib.sh

sizes="128M 1G 4G 8G"
runs=$(bench_runs 3)
tap_plan 5
check_eq "memmap_on_memory is on" \
	"$(cat /sys/module/memory_hotplug/parameters/memmap_on_memory)" Y
BENCH_PREFIX=mom:
for s in $sizes; do
	step "DIMM of $s, memmap on memory"
	bench_dimm "$s" "$runs"
done
tap_done
