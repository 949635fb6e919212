#!/bin/sh
# lab-title: pfn_to_online_page() cost on plain RAM, a RAM/device shared section, device and offline pfns
# lab-group: bench
# lab-machine: pc
# lab-devices: dimm:dimm0:256M
# lab-cmdline: memmap=64M!1856M memhp_default_state=offline
# lab-timeout: 600
# lab-qemu: -icount shift=0
#
# With -icount shift=0 the guest clock advances one nanosecond per executed
# instruction: guest ns per call are instructions per call, deterministic and free of
# the host's noise and of TCG's code-layout effects, so that two kernels can
# be compared.
# Times pfn_to_online_page() with the lab's pfn_bench module.  Section 14
# holds RAM ([1792, 1856) MiB) and a devdax namespace on legacy pmem
# ([1856, 1920) MiB); the cold-plugged DIMM stays offline.  Each class is
# timed five times; min, median and max go into a "bench-result" line that
# lab/bench.py turns into a base-vs-series table.
# Then the paths where the series waits for an RCU grace period are timed
# whole, nine runs each on the same clock (instructions, plus the virtual
# time the guest sleeps): onlining and offlining the DIMM's offline block,
# and disabling and enabling the namespace (memunmap_pages() and
# memremap_pages()); they go into "bench-op" lines in guest ns.
# shellcheck source=../lib.sh
. /lab/lib.sh

classes=4
ops=2
tap_plan $((classes + ops + 2))
check "ndctl: devdax --map=mem on the legacy pmem" \
	ndctl create-namespace -f -e namespace0.0 -m devdax --map=mem
check "insmod pfn_bench" insmod /lab/pfn_bench.ko
read -r dev_pfn dev_nr <<EOF
$(holder_pfns namespace0.0)
EOF
off_block=$(blocks_in_state offline | head -1)
loops=64

# bench NAME START NR EXPECT_FOUND(all|none)
bench() {
	runs=
	nr=$3
	for _ in 1 2 3 4 5; do
		echo "$2 $nr $loops" >/sys/module/pfn_bench/parameters/run || return 1
		# shellcheck disable=SC2046 # "NS FOUND": two words, on purpose
		set -- "$1" "$2" "$3" "$4" $(cat /sys/module/pfn_bench/parameters/result)
		runs="$runs $5"
		found=$6
	done
	sorted=$(echo $runs | tr ' ' '\n' | sort -n)
	lo=$(echo "$sorted" | sed -n 1p)
	median=$(echo "$sorted" | sed -n 3p)
	hi=$(echo "$sorted" | sed -n 5p)
	want=0
	[ "$4" = all ] && want=$((nr * loops))
	# Thousandths of a guest ns per call: instructions per call x 1000.
	diag "bench-result $1 $lo $median $hi"
	check_eq "bench $1: $((median / 1000)).$((median % 1000 / 100)) instructions/call (min-max $((lo / 1000)).$((lo % 1000 / 100))-$((hi / 1000)).$((hi % 1000 / 100))), pfn_to_online_page() found $found" \
		"$found" "$want"
}

bench ram $((256 << 8)) 16384 all
bench shared_ram $((1792 << 8)) 16384 all
bench device "$dev_pfn" "$dev_nr" none
bench offline "$(block_pfn "$off_block")" 16384 none

# op NAME CMD...: CMD timed nine times with /lab/bin/optime.
op() {
	_name=$1
	shift
	if ! _t=$(/lab/bin/optime 9 "$@"); then
		check "op $_name: timed" false
		return
	fi
	# shellcheck disable=SC2086 # "LO MEDIAN HI": three words, on purpose
	set -- $_t
	diag "bench-op $_name $1 $2 $3"
	check "op $_name: $(($2 / 1000)) us median (min-max $(($1 / 1000))-$(($3 / 1000)) us, guest clock)" \
		test "$2" -gt 0
}
blk=/sys/devices/system/memory/$off_block/state
op online_offline sh -c "echo online_movable >$blk && echo offline >$blk"
op memunmap_memremap sh -c "ndctl disable-namespace namespace0.0 >/dev/null 2>&1 &&
	ndctl enable-namespace namespace0.0 >/dev/null 2>&1"
tap_done
