#!/bin/sh
# lab-title: soft_offline_page(), memory_failure() and unpoison_memory() on hotplugged memory, then offline it
# lab-machine: pc
# lab-devices: dimm:dimm0:256M
# lab-cmdline: memhp_default_state=offline
# lab-timeout: 120
#
# The three handlers find the page of a pfn with pfn_to_online_page(),
# which the series builds on its record of initialized memmaps.  This boot
# takes each through hotplugged memory: a free page of an online DIMM
# block soft-offlined (taken off the buddy) and unpoisoned, the same for
# memory_failure() through hwpoison-inject, each while the other block
# goes offline and online; then the DIMM goes offline, and the handlers
# refuse its pfns.  The behaviour is the base's: a regression test, with
# lockdep watching the handlers next to offlining on DEBUG=1 kernels.  The
# race of a handler with an offline of its own block is not closed by the
# series (see the cover letter) and not provoked here.
# shellcheck source=../lib.sh
. /lab/lib.sh

tap_plan 14
soft=/sys/devices/system/memory/soft_offline_page
corrupt=/sys/kernel/debug/hwpoison/corrupt-pfn
unpoison=/sys/kernel/debug/hwpoison/unpoison-pfn
blocks_off=$(blocks_in_state offline)
check_eq "the cold-plugged DIMM is offline: 2 blocks" "$(echo "$blocks_off" | wc -l)" 2
first=$(echo "$blocks_off" | head -1)
second=$(echo "$blocks_off" | tail -1)
pfn=$(block_pfn "$first")
pages=$((2 * $(block_pages)))
check "modprobe hwpoison-inject" sh -c "modprobe hwpoison-inject && test -w $corrupt -a -w $unpoison"
for b in $blocks_off; do echo online_movable >"$MEMDIR/$b/state"; done
hc0=$(meminfo HardwareCorrupted)
memtotal0=$(memtotal_kb)

# poison_cycle NAME CMD: CMD poisons a free pfn of the first block while
# the second block cycles offline and online; the pfn must then be
# HWPOISON, counted in HardwareCorrupted, and unpoisoned again.
# The pfn is the head of a MAX_ORDER block in the middle of the first
# block: onlined a moment ago and ZONE_MOVABLE, nearly all of it is free,
# and kpageflags shows BUDDY on the head of a free block only.
poison_cycle() {
	_p=$((pfn + $(block_pages) / 2 + $2))
	kpageflags -q --all BUDDY "$_p" 1 || diag "$1: pfn $_p is not free now"
	(echo offline >"$MEMDIR/$second/state" && echo online_movable >"$MEMDIR/$second/state") &
	_hp=$!
	case "$1" in
	soft) check "soft_offline_page() of pfn $_p" sh -c "echo $((_p * 4096)) >$soft" ;;
	*) check "memory_failure() of pfn $_p through hwpoison-inject" sh -c "echo $_p >$corrupt" ;;
	esac
	check "$1: the second block went offline and online meanwhile" wait "$_hp"
	check "$1: pfn $_p is HWPOISON and counted (HardwareCorrupted $(meminfo HardwareCorrupted) kB)" \
		sh -c "kpageflags -q --all HWPOISON $_p 1 && test $(meminfo HardwareCorrupted) -gt $hc0"
	check "$1: unpoison_memory() of pfn $_p" sh -c "echo $_p >$unpoison && kpageflags -q --none HWPOISON $_p 1"
}
poison_cycle soft 0
poison_cycle corrupt 1024
check_eq "HardwareCorrupted is back where it started" "$(meminfo HardwareCorrupted)" "$hc0"

for b in $blocks_off; do echo offline >"$MEMDIR/$b/state"; done
check_eq "the DIMM goes offline after it all" "$(blocks_in_state offline | wc -l)" 2
check "soft_offline_page() refuses an offline pfn" sh -c "! echo $((pfn * 4096)) >$soft"
check "memory_failure() refuses an offline pfn" sh -c "! echo $pfn >$corrupt"
step "MemTotal $memtotal0 kB online, $(memtotal_kb) kB offline; pfns [$pfn, +$pages)"
tap_done
