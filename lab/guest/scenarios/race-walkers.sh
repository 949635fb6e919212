#!/bin/sh
# lab-title: pfn walkers against online/offline cycles: no walker reads a poisoned memmap
# lab-machine: pc
# lab-devices: dimm:dimm0:256M
# lab-cmdline: memhp_default_state=offline
# lab-timeout: 400
#
# The DIMM's two blocks go online (movable) and offline 30 times
# while walkers run over its pfns: the lab's pfn_race module
# (pfn_to_online_page() and a read of the page 2 ms later, in one RCU
# read-side critical section, as the lifetime rule asks), and userspace
# reading /proc/kpageflags, /proc/kpagecount, the page_idle bitmap and the
# DIMM's memory through /proc/kcore, writing the bitmap, and compacting
# memory (/proc/sys/vm/compact_memory: both scanners walk the DIMM's
# ZONE_MOVABLE blocks), and pfn_race's second thread allocating 2 MiB at a
# time with alloc_contig_pages() (the DIMM is the only ZONE_MOVABLE
# memory, so it scans and isolates the DIMM's pageblocks).  With the
# series, offlining waits for such readers before it poisons the memmap:
# pfn_race never reads the poison.  The base
# poisons it under them: its "no poisoned read" check fails there (or the
# DEBUG_VM_PGFLAGS checks of a kpageflags read BUG first).  An offline may
# be refused while alloc_contig_pages() holds a pageblock isolated, and is
# then retried; one that does not end within 20 s is killed and counted as
# hung (the base's alloc_contig_pages() can undo the offline's isolation,
# and the offline then retries forever).  At the end the offline DIMM
# must read KPF_NOPAGE, which the 7.3 base lost.
# KERNEL_ARGS=race_readers=0 leaves the userspace walkers out (their
# checks are SKIPs), so that on the base pfn_race can count poisoned reads
# for all the cycles instead of a kpageflags read ending the run with a BUG;
# race_walkers=compact,kcore (say) runs only those.
# shellcheck source=../lib.sh
. /lab/lib.sh

cycles=30
delay_us=2000
tap_plan 16
blocks_off=$(blocks_in_state offline)
nblk=$(echo "$blocks_off" | wc -l)
check_eq "the cold-plugged DIMM is offline: 2 blocks" "$nblk" 2
first=$(echo "$blocks_off" | head -1)
pfn=$(block_pfn "$first")
pages=$((nblk * $(block_pages)))
memtotal0=$(memtotal_kb)
rm -f /tmp/race.*
# The userspace walkers to run: all of them, none with race_readers=0,
# or those race_walkers=NAME,NAME... lists (the others are SKIPs).
all_walkers="kpageflags kpagecount idle-read idle-write kcore compact contig"
walkers=$all_walkers
# shellcheck disable=SC2013 # the command line is words
for a in $(cat /proc/cmdline); do
	case "$a" in
	race_readers=0) walkers= ;;
	race_walkers=*) walkers=$(echo "${a#race_walkers=}" | tr , ' ') ;;
	esac
done
for w in $walkers; do
	case " $all_walkers " in *" $w "*) ;; *) diag "race_walkers: no walker '$w'" ;; esac
done
# wants WALKER: WALKER runs.
wants() { case " $walkers " in *" $1 "*) return 0 ;; esac; return 1; }

for w in $all_walkers; do wants "$w" || echo "skipped" >"/tmp/race.$w"; done
# shellcheck disable=SC2086 # the walkers' names are words
walkers_start "$pfn" "$pages" $walkers
contig=0
wants contig && contig=512
check "pfn_race loads: walker over [$pfn, +$pages), ${delay_us} us between lookup and read, contig=$contig" \
	insmod /lab/pfn_race.ko start="$pfn" nr="$pages" delay_us="$delay_us" contig="$contig"

done_cycles=0
failed=0
# Refused offlines are retried only while contig holds pageblocks.
tries=1
wants contig && tries=100
i=0
while [ $i -lt "$cycles" ]; do
	i=$((i + 1))
	for b in $blocks_off; do echo online_movable >"$MEMDIR/$b/state"; done
	usleep 200000
	for b in $blocks_off; do
		offline_retry "$b" "$tries" || failed=$((failed + 1))
	done
	done_cycles=$i
	[ $((i % 10)) = 0 ] && step "cycle $i: $(cat /sys/module/pfn_race/parameters/result)"
done
r=$(cat /sys/module/pfn_race/parameters/result)
rmmod pfn_race
walkers_stop
step "$done_cycles cycles: pfn_race $r; userspace runs/errors: kpageflags $(cat /tmp/race.kpageflags)," \
	"kpagecount $(cat /tmp/race.kpagecount), idle read $(cat /tmp/race.idle-read), idle write $(cat /tmp/race.idle-write)," \
	"kcore $(cat /tmp/race.kcore), compact $(cat /tmp/race.compact)"

step "offlines refused: $OFF_REFUSED (retried while contig runs), hung: $OFF_HUNG;" \
	"errors: $(sort /tmp/offline.errs 2>/dev/null | uniq -c | tr -s ' \n' ' ')"
check_eq "$cycles online/offline cycles of both blocks, every offline done, none hung" \
	"$done_cycles/$failed/$OFF_HUNG" "$cycles/0/0"
check "pfn_race found online pages while the blocks were online" test "$(pfield "$r" found)" -gt 0
check_eq "pfn_race never read a poisoned memmap" "$(pfield "$r" poisoned)" 0
for w in $all_walkers; do
	if ! wants "$w"; then
		skip "$w: the walker ran and no read or write failed" "not in race_walkers=${walkers:-(none)}"
		continue
	fi
	if [ "$w" = contig ]; then
		# TRIES/GOT/IN_RANGE: got memory of the DIMM, so it isolated there.
		c=$(pfield "$r" contig)
		if [ -z "$c" ]; then
			skip "contig: alloc_contig_pages() allocated 2 MiB of the DIMM" \
				"this kernel does not export alloc_contig_pages() to modules"
		else
			check "contig: alloc_contig_pages() allocated 2 MiB of the DIMM (tries/got/of the DIMM: $c)" \
				test "${c##*/}" -gt 0
		fi
		continue
	fi
	# shellcheck disable=SC2046
	set -- $(cat "/tmp/race.$w")
	# kcore: while offline, the DIMM is not in /proc/kcore at all ($3 runs).
	check "$w: the walker ran ($1 runs) and no read or write failed ($2)" test "$1" -gt 0 -a "$2" = 0
done
check_eq "the DIMM's blocks are offline at the end" "$(blocks_in_state offline | wc -l)" 2
check_eq "MemTotal is back where it started" "$(memtotal_kb)" "$memtotal0"
check_active "the DIMM's memmap is not active at the end" "$pfn" "$pages" none
check "kpageflags: every pfn of the offline DIMM is NOPAGE" kpageflags -q --all NOPAGE "$pfn" "$pages"
tap_done
