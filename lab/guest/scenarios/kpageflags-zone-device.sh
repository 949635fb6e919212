#!/bin/sh
# lab-title: /proc/kpageflags and page-types show the pages of devdax and fsdax namespaces (KPF_ZONE_DEVICE)
# lab-machine: pc
# lab-devices: nvdimm:nv0:1G
# lab-timeout: 150
#
# One 1 GiB NVDIMM namespace as devdax (--map=dev, --map=mem) and as fsdax
# with a DAX-mounted ext4.  For each, every pfn of the namespace that has a
# memmap (the metadata in front of the data, and the data) must be in
# /proc/kpageflags as ZONE_DEVICE and not RESERVED, the altmap reserve as
# OFFLINE; pages a process maps (lab/guest/src/dax_hold.c) must show MMAP
# and a mapcount in /proc/kpagecount while mapped, and go back to 0 when the
# process is gone; tools/mm/page-types must name them.  Once the namespace
# is disabled, nothing is reported for its pfns.  Kernels before 6.15 map
# DAX pages without the rmap, so there the five mapping checks are SKIPs.
# The base kernel reports 0 for every device pfn: its checks fail there.
# shellcheck source=../lib.sh
. /lab/lib.sh

tap_plan 36
ns=namespace0.0
ns_pfn=$(($(cat /sys/bus/nd/devices/$ns/resource) / 4096))
hold_bytes=$((4 << 20))
hold_pages=$((hold_bytes / 4096))

reconfigure() {
	ndctl create-namespace -f -e "$ns" -m "$@"
}

# kpf_count OUTPUT FLAG: the count of FLAG in a kpageflags summary line.
kpf_count() {
	_c=$(echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p")
	echo "${_c:-0}"
}

# mapcount_sum START NR: the sum of /proc/kpagecount over the pfns.
mapcount_sum() {
	dd if=/proc/kpagecount bs=8 skip="$1" count="$2" 2>/dev/null |
		od -An -v -tu8 | awk '{ for (i = 1; i <= NF; i++) s += $i } END { print s + 0 }'
}

# check_namespace MODE [altmap]: the pfns of the namespace with a memmap.
check_namespace() {
	# shellcheck disable=SC2046
	set -- "$1" "${2:-}" $(holder_pfns "$ns")
	end=$(($3 + $4))
	nr=$((end - ns_pfn))
	r=$(kpageflags "$ns_pfn" "$nr") || r="kpageflags failed"
	diag "$1 [$ns_pfn, +$nr): $r"
	check "$1: every pfn of the namespace is ZONE_DEVICE in kpageflags" \
		kpageflags -q --all ZONE_DEVICE "$ns_pfn" "$nr"
	check "$1: no pfn of the namespace is RESERVED" \
		kpageflags -q --none RESERVED "$ns_pfn" "$nr"
	page-types -a "$ns_pfn+$nr" -b zone_device >/tmp/pt.out 2>&1
	check_eq "$1: page-types -b zone_device counts every pfn of the namespace" \
		"$(awk '$1 == "total" { print $2 }' /tmp/pt.out)" "$nr"
	if [ "$2" = altmap ]; then
		check "$1: the altmap reserve shows OFFLINE" \
			test "$(kpf_count "$r" OFFLINE)" -gt 0
	fi
	data_pfn=$3
}

# dax_rmap: true if the kernel maps DAX pages through the rmap, so that a
# mapped device DAX or fsdax page has a mapcount (since 6.15).
dax_rmap() {
	# shellcheck disable=SC2046
	set -- $(uname -r | sed 's/[^0-9]/ /g')
	[ "$1" -gt 6 ] || { [ "$1" -eq 6 ] && [ "$2" -ge 15 ]; }
}

# hold MODE PATH: map the first pages of PATH in a process; they show up
# mapped while it lives and unmapped once it is gone.
hold() {
	/lab/bin/dax_hold "$2" "$hold_bytes" >/tmp/hold.out 2>&1 &
	pid=$!
	if ! wait_for 30 grep -q mapped /tmp/hold.out; then
		fail "$1: a process maps $hold_pages pages of $2"
		sed 's/^/# /' /tmp/hold.out
		kill "$pid" 2>/dev/null
		return
	fi
	pass "$1: a process maps $hold_pages pages of $2"
	if ! dax_rmap; then
		for c in "as many ZONE_DEVICE pages show MMAP as the process maps" \
			"kpagecount counts one mapping per mapped page" \
			"page-types counts the mapped device pages" \
			"no page is MMAP once the process is gone" "kpagecount back to 0"; do
			skip "$1: $c" "$(uname -r) maps DAX pages without the rmap (pte_devmap, before 6.15): they never count as mapped"
		done
		kill "$pid"
		wait "$pid" 2>/dev/null
		return
	fi
	r=$(kpageflags "$data_pfn" "$(($(holder_pfns "$ns" | cut -d' ' -f2)))")
	diag "$1 data while mapped: $r"
	check_eq "$1: as many ZONE_DEVICE pages show MMAP as the process maps" \
		"$(kpf_count "$r" MMAP)" "$hold_pages"
	# The file of an fsdax namespace need not start at the data's first
	# pfn: sum the mapcounts over the whole data.
	# shellcheck disable=SC2046
	check_eq "$1: kpagecount counts one mapping per mapped page" \
		"$(mapcount_sum $(holder_pfns "$ns"))" "$hold_pages"
	# shellcheck disable=SC2046
	set -- "$1" $(holder_pfns "$ns")
	page-types -a "$2+$3" -b zone_device,mmap=zone_device,mmap >/tmp/pt.out 2>&1
	sed 's/^/# page-types: /' /tmp/pt.out
	check_eq "$1: page-types counts the mapped device pages" \
		"$(awk '$1 == "total" { print $2 }' /tmp/pt.out)" "$hold_pages"
	kill "$pid"
	wait "$pid" 2>/dev/null
	r=$(kpageflags "$2" "$3")
	check_eq "$1: no page is MMAP once the process is gone" "$(kpf_count "$r" MMAP)" 0
	check_eq "$1: kpagecount back to 0" "$(mapcount_sum "$2" "$3")" 0
}

step "devdax --map=dev: the memmap lives in the namespace (altmap)"
check "ndctl: devdax --map=dev" reconfigure devdax --map=dev
check_namespace "devdax map=dev" altmap
page-types -a "$ns_pfn+$((data_pfn - ns_pfn + 1024))" -l >/tmp/pt.out 2>&1
sed 's/^/# page-types -l: /' /tmp/pt.out | head -20
hold "devdax map=dev" /dev/dax0.0

step "devdax --map=mem: the memmap lives in RAM"
check "ndctl: devdax --map=mem" reconfigure devdax --map=mem
check_namespace "devdax map=mem"
hold "devdax map=mem" /dev/dax0.0

step "fsdax --map=dev with a DAX-mounted ext4"
check "ndctl: fsdax --map=dev" reconfigure fsdax --map=dev
check_namespace "fsdax map=dev" altmap
check "mkfs.ext4, mount -o dax and a 4 MiB file" \
	sh -c "mkfs.ext4 -q -F -b 4096 /dev/pmem0 && mount -t ext4 -o dax /dev/pmem0 /mnt &&
		dd if=/dev/zero of=/mnt/f bs=1M count=4 conv=fsync 2>/dev/null"
hold "fsdax map=dev" /mnt/f
check "umount the DAX file system" umount /mnt

step "disable the namespace"
# shellcheck disable=SC2046
set -- $(holder_pfns "$ns")
check "ndctl disable-namespace completes" timeout 60 ndctl disable-namespace "$ns"
# Above max_pfn the file answers only for present sections: once the
# namespace is gone, a read there ends at once.  Below it, the entries
# would be 0.  Either way no entry may say anything.
nz=$(dd if=/proc/kpageflags bs=8 skip="$ns_pfn" count=$(($1 + $2 - ns_pfn)) 2>/dev/null |
	od -An -v -tu8 | awk '{ for (i = 1; i <= NF; i++) if ($i != 0) n++ } END { print n + 0 }')
check_eq "kpageflags: no pfn of the disabled namespace reports anything" "$nz" 0
tap_done
