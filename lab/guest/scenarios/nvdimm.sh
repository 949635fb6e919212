#!/bin/sh
# lab-title: NVDIMM namespace raw -> devdax (map=dev, map=mem) -> fsdax -> system-ram and back
# lab-machine: pc
# lab-devices: nvdimm:nv0:1G
# lab-cmdline: memhp_default_state=offline
# lab-timeout: 120
#
# One 1 GiB ACPI NFIT NVDIMM with a label area.  The namespace goes through
# every mode; each mode is checked from userspace: namespace mode and size,
# the device node, a DAX-mounted ext4 with data written and read back, and
# dax/kmem memory blocks, zones and MemTotal.
# shellcheck source=../lib.sh
. /lab/lib.sh

tap_plan 34
ns=namespace0.0
region_size=$(ndctl list -R | json_field size)
diag "region0 size $region_size"
check_eq "region0 is 1 GiB" "$region_size" $((1 << 30))

ns_field() { ndctl list -n "$ns" | json_field "$1"; }
# reconfigure MODE [ARGS]: (re)create the namespace in MODE.
reconfigure() {
	mode=$1
	shift
	if ndctl list -n "$ns" | grep -q '"dev"'; then
		ndctl create-namespace -f -e "$ns" -m "$mode" "$@"
	else
		ndctl create-namespace -r region0 -m "$mode" "$@"
	fi
}

step "create raw namespace"
check "ndctl: raw namespace created" reconfigure raw
check_eq "namespace mode raw" "$(ns_field mode)" raw
check_eq "raw namespace spans the region" "$(ns_field size)" "$region_size"
check "raw namespace has a block device" test -b /dev/pmem0

step "devdax, memmap in the namespace (--map=dev, altmap)"
check "ndctl: devdax --map=dev" reconfigure devdax --map=dev
check_eq "namespace mode devdax" "$(ns_field mode)" devdax
size_dev=$(ns_field size)
check "/dev/dax0.0 exists" test -c /dev/dax0.0
# 64 bytes of struct page per 4 KiB page live in the namespace itself.
memmap=$((region_size / 4096 * 64))
check "map=dev reserves at least the memmap ($((memmap >> 20)) MiB)" \
	test $((region_size - size_dev)) -ge "$memmap"
ns_pfn=$(($(cat /sys/bus/nd/devices/$ns/resource) / 4096))
# shellcheck disable=SC2046
check_active "map=dev: the memmap of the data is active" $(holder_pfns "$ns") all
check_active "map=dev: the altmap reserve and the memmap it hosts are active" "$ns_pfn" 512 all
step "devdax map=dev: size $size_dev ($(((region_size - size_dev) >> 20)) MiB for metadata)"

step "devdax, memmap in RAM (--map=mem)"
check "ndctl: devdax --map=mem" reconfigure devdax --map=mem
check_eq "namespace mode devdax" "$(ns_field mode)" devdax
size_mem=$(ns_field size)
check "map=mem keeps more capacity than map=dev" test "$size_mem" -gt "$size_dev"
# shellcheck disable=SC2046
check_active "map=mem: the memmap of the data is active" $(holder_pfns "$ns") all
step "devdax map=mem: size $size_mem"

step "fsdax with a DAX-mounted ext4"
check "ndctl: fsdax" reconfigure fsdax --map=dev
check_eq "namespace mode fsdax" "$(ns_field mode)" fsdax
# shellcheck disable=SC2046
check_active "fsdax: the memmap of the data is active" $(holder_pfns "$ns") all
check "mkfs.ext4 on /dev/pmem0" mkfs.ext4 -q -F -b 4096 /dev/pmem0
check "mount -o dax" mount -t ext4 -o dax /dev/pmem0 /mnt
check "mount reports dax" grep -q '/mnt ext4 .*dax' /proc/mounts
dd if=/dev/urandom of=/tmp/pattern bs=1M count=4 2>/dev/null
check "write 4 MiB through DAX and read it back" \
	sh -c 'grep -q " /mnt ext4 " /proc/mounts && cp /tmp/pattern /mnt/f && sync && echo 3 >/proc/sys/vm/drop_caches && cmp /tmp/pattern /mnt/f'
check "umount" umount /mnt

step "devdax -> system-ram (dax/kmem)"
check "ndctl: devdax for kmem" reconfigure devdax --map=dev
before=$(blocks)
mt0=$(memtotal_kb)
check "daxctl reconfigure-device -m system-ram" \
	daxctl reconfigure-device -m system-ram dax0.0
added=$(new_blocks "$before" | wc -l)
bs=$(block_size)
check "dax/kmem added memory blocks" test "$added" -gt 0
online=0
for b in $(new_blocks "$before"); do
	[ "$(block_state "$b")" = online ] && online=$((online + 1))
done
check_eq "daxctl onlined every added block" "$online" "$added"
check_eq "MemTotal grew by the added blocks" "$(($(memtotal_kb) - mt0))" "$((added * bs / 1024))"
step "system-ram: $added blocks of $((bs >> 20)) MiB: $(mem_summary)"

step "system-ram -> devdax"
check "daxctl offline-memory" daxctl offline-memory dax0.0
check "daxctl reconfigure-device -m devdax" daxctl reconfigure-device -m devdax dax0.0
check_eq "blocks removed again" "$(new_blocks "$before" | wc -l)" 0
check_eq "MemTotal back" "$(memtotal_kb)" "$mt0"
step "back to devdax: $(mem_summary)"

range=$(holder_pfns "$ns")
check "ndctl disable-namespace" ndctl disable-namespace "$ns"
# shellcheck disable=SC2086
check_active "after disable-namespace the memmap is not active" $range none
tap_done
