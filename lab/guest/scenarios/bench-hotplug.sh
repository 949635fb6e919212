#!/bin/sh
# lab-title: hotplug paths at 128 MiB, 1, 4 and 8 GiB: DIMM, devdax map=mem/map=dev, dax_kmem (guest clock)
# lab-group: bench
# lab-machine: pc
# lab-memory: 2G 48G
# lab-devices: nvdimm:nv0:9G
# lab-cmdline: memhp_default_state=offline memory_hotplug.memmap_on_memory=0
# lab-timeout: 3600
# lab-qemu: -icount shift=0
#
# The paths where the series records and clears memmaps, and waits for an
# RCU grace period before a memmap goes: a pc-dimm hot-added over QMP and
# onlined (movable), offlined and onlined again, offlined and unplugged;
# a devdax namespace disabled and enabled (memunmap_pages(),
# memremap_pages()) with its memmap in RAM and in the namespace; a devdax
# namespace to system-ram and back with daxctl.  Each at 128 MiB, 1 GiB,
# 4 GiB and 8 GiB, so that the cost curve of each shows; the memmap of
# the hot-added memory in RAM here (memmap_on_memory=0, the
# bench-hotplug-mom scenario has the other).  Time is the guest clock
# (benchlib.sh).  Each boot takes three samples of each (bench_runs=N on
# the kernel command line: N).
# shellcheck source=../lib.sh
. /lab/lib.sh
# shellcheck source=../benchlib.sh
. /lab/benchlib.sh

sizes="${BENCH_SIZES:-128M 1G 4G 8G}"
runs=$(bench_runs 3)
tap_plan 17
# QEMU's label area starts empty, and a label-less region holds one
# namespace of its whole size: initialize labels so that it can hold
# namespaces of any size.
check "ndctl: nmem0's labels initialized" \
	sh -c 'ndctl disable-region region0 && ndctl init-labels -f nmem0 && ndctl enable-region region0'
for s in $sizes; do
	step "DIMM of $s"
	bench_dimm "$s" "$runs"
	step "devdax namespaces of $s"
	bench_ns "$s" "$runs"
done
tap_done
