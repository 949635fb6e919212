#!/bin/sh
# lab-title: ZONE_DEVICE memmaps: no PG_reserved, initialized altmap metadata, KVM on devdax and fsdax
# lab-machine: pc
# lab-devices: nvdimm:nv0:1G
# lab-timeout: 120
#
# One 1 GiB NVDIMM namespace in devdax and fsdax modes, each with
# --map=dev and --map=mem.  For each, the lab's memmap_probe module reads the struct pages of
# the data and of the metadata in front of it (the altmap reserve and the
# memmap it hosts) without trusting them: never initialized (DEBUG_VM
# poison), PG_reserved, PageOffline, PageVmemmapSelfHosted, page->pgmap.
# Then a KVM guest runs on devdax memory and on a file of a DAX-mounted
# ext4 (lab/guest/src/kvm_dax.c); the pin counters must balance and the
# namespace must still go away.
# shellcheck source=../lib.sh
. /lab/lib.sh

tap_plan 42
ns=namespace0.0
ns_pfn=$(($(cat /sys/bus/nd/devices/$ns/resource) / 4096))

reconfigure() {
	ndctl create-namespace -f -e "$ns" -m "$@"
}

# check_data MODE: every device page of the namespace is initialized, points
# to its pgmap and is not PG_reserved.
check_data() {
	# shellcheck disable=SC2046
	set -- "$1" $(holder_pfns "$ns")
	r=$(probe "$2" "$3") || r=failed
	diag "$1 data [$2, +$3): $r"
	check_eq "$1: no device page is PG_reserved" "$(pfield "$r" reserved)" 0
	check_eq "$1: every device page is initialized ZONE_DEVICE" \
		"$(psum "$r" poisoned not_device)" 0
	check_eq "$1: every device page points to its pgmap" "$(pfield "$r" foreign_pgmap)" 0
}

# check_meta MODE altmap|none: the pfns in front of the data (info block,
# and with an altmap the memmap it hosts).
check_meta() {
	# shellcheck disable=SC2046
	set -- "$1" "$2" $(holder_pfns "$ns")
	nr=$(($3 - ns_pfn))
	r=$(probe "$ns_pfn" "$nr") || r=failed
	diag "$1 metadata [$ns_pfn, +$nr): $r"
	check_eq "$1: metadata pfns have an initialized ZONE_DEVICE memmap" \
		"$(psum "$r" poisoned not_device)" 0
	check_eq "$1: no metadata pfn is PG_reserved" "$(pfield "$r" reserved)" 0
	check_eq "$1: metadata pfns point to the pgmap" "$(pfield "$r" foreign_pgmap)" 0
	if [ "$2" = altmap ]; then
		off=$(pfield "$r" offline)
		check "$1: the altmap reserve is PageOffline" test "${off:-0}" -gt 0
		check_eq "$1: every metadata pfn is the reserve or self-hosted memmap" \
			"$(psum "$r" offline selfhosted)" "$nr"
		hosted=$(pfield "$r" selfhosted)
	fi
}

# kvm_run WHAT PATH: a KVM guest on PATH; pins must balance.
kvm_run() {
	p0=$(pins)
	check "$1: KVM guest writes and reads DAX memory" timeout 60 /lab/bin/kvm_dax "$2"
	# shellcheck disable=SC2086,SC2046 # "ACQUIRED RELEASED": two words each
	set -- "$1" $p0 $(pins)
	diag "$1: nr_foll_pin_acquired +$(($4 - $2)), nr_foll_pin_released +$(($5 - $3))"
	check_eq "$1: pin counters balance after the VM is gone" "$(($4 - $2))" "$(($5 - $3))"
}

step "raw namespace"
check "ndctl: raw namespace" reconfigure raw
memmap0=$(vmstat nr_memmap_pages)

step "devdax --map=dev: the memmap lives in the namespace (altmap)"
check "ndctl: devdax --map=dev" reconfigure devdax --map=dev
mm_dev=$(($(vmstat nr_memmap_pages) - memmap0))
check_data "devdax map=dev"
check_meta "devdax map=dev" altmap
kvm_run "devdax" /dev/dax0.0

step "devdax --map=mem: the memmap lives in RAM"
check "ndctl: devdax --map=mem" reconfigure devdax --map=mem
mm_mem=$(($(vmstat nr_memmap_pages) - memmap0))
check_data "devdax map=mem"
check_meta "devdax map=mem" none
diag "nr_memmap_pages: +$mm_dev with map=dev (altmap, $hosted self-hosted pages), +$mm_mem with map=mem (vmemmap-optimized)"
check "map=dev: nr_memmap_pages counts the memmap hosted in the namespace, no more than its self-hosted pages" \
	test "$mm_dev" -gt 0 -a "$mm_dev" -le "${hosted:-0}"

step "fsdax --map=mem"
check "ndctl: fsdax --map=mem" reconfigure fsdax --map=mem
check_data "fsdax map=mem"
check_meta "fsdax map=mem" none

step "fsdax --map=dev with a DAX-mounted ext4"
check "ndctl: fsdax --map=dev" reconfigure fsdax --map=dev
check_data "fsdax map=dev"
check_meta "fsdax map=dev" altmap
check "mkfs.ext4 and mount -o dax" \
	sh -c 'mkfs.ext4 -q -F -b 4096 /dev/pmem0 && mount -t ext4 -o dax /dev/pmem0 /mnt && grep -q "/mnt ext4 .*dax" /proc/mounts'
kvm_run "fsdax" /mnt/guest.img
check "umount the DAX file system" umount /mnt

step "disable the namespace"
check "ndctl disable-namespace completes" timeout 60 ndctl disable-namespace "$ns"
check_eq "nr_memmap_pages back where it started" "$(vmstat nr_memmap_pages)" "$memmap0"
tap_done
