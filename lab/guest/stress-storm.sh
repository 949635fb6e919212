# The body of the stress-online-offline scenarios (sourced): online/offline
# storms of a cold-plugged DIMM's two blocks, the first block to
# ZONE_MOVABLE, the second to ZONE_NORMAL, while pfn walkers run over them
# and compaction runs.  storm_cycles=N on the kernel command line sets the
# cycles (default 250: 500 block cycles); make stress asks for 2500.
# shellcheck shell=sh

cycles=$(kernel_arg storm_cycles 250)
tap_plan 12
blocks_off=$(blocks_in_state offline)
check_eq "the cold-plugged DIMM is offline: 2 blocks" "$(echo "$blocks_off" | wc -l)" 2
mov=$(echo "$blocks_off" | sed -n 1p)
ker=$(echo "$blocks_off" | sed -n 2p)
pfn=$(block_pfn "$mov")
pages=$((2 * $(block_pages)))
snapshot >/tmp/state.start
rm -f /tmp/race.* /tmp/offline.errs
walkers="kpageflags kpagecount idle-read idle-write kcore compact"
# shellcheck disable=SC2086 # the walkers' names are words
walkers_start "$pfn" "$pages" $walkers
# pfn_race: lookups and reads 2 ms apart in one RCU section; on 7.3 also
# alloc_contig_pages() of 2 MiB (the DIMM's movable block is the only
# ZONE_MOVABLE memory).
check "pfn_race loads over both blocks" \
	insmod /lab/pfn_race.ko start="$pfn" nr="$pages" delay_us=2000 contig=512

# An offline is retried (at most 100 times) while it is refused:
# alloc_contig_pages() holding a pageblock, kernel allocations in the
# ZONE_NORMAL block.

done_cycles=0
stuck=0
onfail=0
i=0
while [ $i -lt "$cycles" ]; do
	i=$((i + 1))
	echo online_movable >"$MEMDIR/$mov/state" || onfail=$((onfail + 1))
	echo online_kernel >"$MEMDIR/$ker/state" || onfail=$((onfail + 1))
	offline_retry "$mov" 100 || stuck=$((stuck + 1))
	offline_retry "$ker" 100 || stuck=$((stuck + 1))
	done_cycles=$i
	[ $((i % 50)) = 0 ] && step "cycle $i: $(cat /sys/module/pfn_race/parameters/result); refused $OFF_REFUSED"
done
r=$(cat /sys/module/pfn_race/parameters/result)
rmmod pfn_race
walkers_stop
step "$done_cycles cycles ($((2 * done_cycles)) block cycles): pfn_race $r; walkers runs/errors:" \
	"$(for w in $walkers; do printf '%s %s, ' "$w" "$(cat /tmp/race.$w)"; done)"
step "offline tries refused: $OFF_REFUSED, hung: $OFF_HUNG; errors:" \
	"$(sort /tmp/offline.errs 2>/dev/null | uniq -c | tr -s ' \n' ' ')"
check_eq "$cycles cycles: every online done, every offline done within 100 tries, none hung" \
	"$done_cycles/$onfail/$stuck/$OFF_HUNG" "$cycles/0/0/0"
check_eq "pfn_race never read a poisoned memmap" "$(pfield "$r" poisoned)" 0
check "pfn_race found online pages" test "$(pfield "$r" found)" -gt 0
for w in kpageflags kpagecount idle-read idle-write compact; do
	# shellcheck disable=SC2046
	set -- $(cat "/tmp/race.$w")
	check "$w: ran ($1 runs), no read or write failed ($2)" test "$1" -gt 0 -a "$2" = 0
done
# shellcheck disable=SC2046
set -- $(cat /tmp/race.kcore)
check "kcore: no read failed ($1 runs, $2 errors, $3 while absent)" test "$2" = 0
check_state "blocks, zones, MemTotal, memmap pages, pins and records as before the storm" \
	/tmp/state.start
