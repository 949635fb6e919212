#!/bin/sh
# lab-title: online/offline storm, movable and kernel blocks, memmap_on_memory=1, walkers and compaction running
# lab-machine: pc
# lab-devices: dimm:dimm0:256M:1
# lab-qemu: -object memory-backend-ram,id=ram0,size=2G -numa node,nodeid=0,cpus=0-1,memdev=ram0 -numa node,nodeid=1
# lab-cmdline: memhp_default_state=offline memory_hotplug.memmap_on_memory=1
# lab-timeout: 1200
#
# A cold-plugged DIMM's two blocks go online, one to ZONE_MOVABLE and one
# to ZONE_NORMAL, and offline again (the DIMM is NUMA node 1's, which has
# no CPU: the kernel's own allocations, page tables first, come from node
# 0, so that the ZONE_NORMAL block can go offline again), storm_cycles times (default 250,
# make stress 2500), while every pfn walker of race-walkers runs over
# them.  Every online and offline must end (an offline is retried while
# it is refused, and killed after 20 s), no walker may read a poisoned
# memmap or fail, and at the end every block, zone and counter is as it
# was.  memmap_on_memory=1: each block hosts its own memmap.
# shellcheck source=../lib.sh
. /lab/lib.sh
# shellcheck source=../stress-storm.sh
. /lab/stress-storm.sh
tap_done
