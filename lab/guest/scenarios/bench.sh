#!/bin/sh
# lab-title: pfn lookup cost per pfn class, /proc/kpage* scan time, memmap record size
# lab-group: bench
# lab-machine: pc
# lab-devices: dimm:dimm0:256M
# lab-cmdline: memmap=64M!1856M memhp_default_state=offline
# lab-timeout: 900
# lab-qemu: -icount shift=0
#
# With -icount shift=0 the guest clock advances one nanosecond per executed
# instruction: guest ns per call are instructions per call, deterministic
# and free of the host's noise and of TCG's code-layout effects, so that
# two kernels can be compared.
# The lab's pfn_bench module times pfn_to_online_page() over four pfn
# classes: plain RAM, the RAM of section 14 ([1792, 1856) MiB), which it
# shares with a devdax namespace on legacy pmem ([1856, 1920) MiB), that
# namespace's device pfns, and the pfns of the cold-plugged DIMM, which
# stays offline; and, on the series, pfn_to_device_page() over the device
# and the RAM pfns.  Then /proc/kpageflags and /proc/kpagecount are read
# whole, namespace present, and the module reports the size of a
# section's usage (which holds the series' record) and how many sections
# are present.  Five samples of each; lab/bench.py compares the kernels.
# shellcheck source=../lib.sh
. /lab/lib.sh
# shellcheck source=../benchlib.sh
. /lab/benchlib.sh

tap_plan 10
check "ndctl: devdax --map=mem on the legacy pmem" \
	ndctl create-namespace -f -e namespace0.0 -m devdax --map=mem
check "insmod pfn_bench" insmod /lab/pfn_bench.ko
read -r dev_pfn dev_nr <<EOF2
$(holder_pfns namespace0.0)
EOF2
off_block=$(blocks_in_state offline | head -1)
loops=64
runs=5

# lookup FN CLASS START NR EXPECT_FOUND(all|none): RUNS samples of FN's
# cost per call over [START, START + NR).
lookup() {
	_found=
	for _ in $(seq $runs); do
		echo "$3 $4 $loops $1" >/sys/module/pfn_bench/parameters/run || break
		read -r _ps _found _calls </sys/module/pfn_bench/parameters/result
		sample "$1:$2" guest-ps/call "$_ps"
	done
	_want=0
	[ "$5" = all ] && _want=$(($4 * loops))
	check_eq "$1 $2: $runs runs of $4 pfns x $loops, every call found $5" "$_found" "$_want"
}

lookup online ram $((256 << 8)) 16384 all
lookup online shared_ram $((1792 << 8)) 16384 all
lookup online device "$dev_pfn" "$dev_nr" none
lookup online offline "$(block_pfn "$off_block")" 16384 none
if grep -q 'series=1' /sys/module/pfn_bench/parameters/memmap; then
	lookup device device "$dev_pfn" "$dev_nr" all
	lookup device ram $((256 << 8)) 16384 none
else
	skip "device device: pfn_to_device_page()" "the base has no pfn_to_device_page()"
	skip "device ram: pfn_to_device_page()" "the base has no pfn_to_device_page()"
fi

# The scan a pfn walker like page-types makes: every pfn, 8 bytes each.
pfns=$(($(wc -c </proc/kpageflags) / 8))
ok=0
for _ in $(seq $runs); do
	t=$(now)
	dd if=/proc/kpageflags of=/dev/null bs=65536 2>/dev/null || break
	dd if=/proc/kpagecount of=/dev/null bs=65536 2>/dev/null || break
	sample_since kpage_scan "$t"
	ok=$((ok + 1))
done
check_eq "/proc/kpageflags + /proc/kpagecount read whole $runs times" "$ok" $runs
diag "the scan reads $pfns pfns"

# memmap: "usage=B usemap=B alloc=B present=N section=B series=0|1"
m=$(cat /sys/module/pfn_bench/parameters/memmap)
for k in usage usemap alloc present section; do
	sample "memmap_$k" count "$(pfield "$m" "$k")"
done
check "pfn_bench reports the section usage size and the present sections ($m)" \
	test "$(pfield "$m" present)" -gt 0
tap_done
