#!/bin/sh
# lab-title: boot to /init with 2 GiB of RAM (guest clock)
# lab-group: bench
# lab-machine: pc
# lab-memory: 2G 16G
# lab-timeout: 600
# lab-qemu: -icount shift=0
#
# The kernel's own time stamp of "Run /init as init process", on the
# guest clock (-icount shift=0: one nanosecond per instruction): every
# memmap of boot memory is initialized and recorded by then (deferred
# struct page init included, which init waits for).
# shellcheck source=../lib.sh
. /lab/lib.sh
# shellcheck source=../benchlib.sh
. /lab/benchlib.sh

tap_plan 1
bench_boot 2G
tap_done
