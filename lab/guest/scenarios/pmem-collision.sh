#!/bin/sh
# lab-title: legacy pmem sharing a section with RAM (memmap=64M!1856M): devdax, fsdax, disable
# lab-machine: pc
# lab-cmdline: memmap=64M!1856M memhp_default_state=offline
# lab-timeout: 120
#
# With 2 GiB of RAM, memmap=64M!1856M turns [1856 MiB, 1920 MiB) into
# legacy pmem.  Section 14 ([1792 MiB, 1920 MiB)) then holds RAM in its
# first half and ZONE_DEVICE memory in its second: the layout in which
# pfn_to_online_page() used to need get_dev_pagemap().  The RAM part must
# stay active and online whatever the device part does.
# shellcheck source=../lib.sh
. /lab/lib.sh

tap_plan 17
ns=namespace0.0
ram_pfn=$((1792 << 8))
ram_nr=$((64 << 8))
dev_pfn=$((1856 << 8))
dev_nr=$((64 << 8))
step "section 14: RAM pfns $ram_pfn+$ram_nr, legacy pmem pfns $dev_pfn+$dev_nr"

check_eq "legacy pmem region of 64 MiB" "$(ndctl list -R | json_field size)" $((64 << 20))
check_active "boot RAM of the shared section is active" $ram_pfn $ram_nr all
# Legacy (e820) pmem regions map pages even in raw mode (ND_REGION_PAGEMAP).
check_active "raw legacy pmem: its memmap (in RAM) is active" $dev_pfn $dev_nr all
check "kpageflags: the RAM of the shared section is online" \
	kpageflags -q --none NOPAGE --some BUDDY $ram_pfn $ram_nr


step "devdax --map=mem on the legacy pmem"
check "ndctl: devdax --map=mem" ndctl create-namespace -f -e $ns -m devdax --map=mem
# shellcheck disable=SC2046
check_active "devdax: the device memmap is active" $(holder_pfns "$ns") all
check_active "devdax: the RAM half of the section is still active" $ram_pfn $ram_nr all
check "kpageflags: ... and still online" kpageflags -q --none NOPAGE --some BUDDY $ram_pfn $ram_nr

step "fsdax --map=dev with a DAX-mounted ext4"
check "ndctl: fsdax --map=dev" ndctl create-namespace -f -e $ns -m fsdax --map=dev
# shellcheck disable=SC2046
check_active "fsdax: the device memmap is active" $(holder_pfns "$ns") all
check_active "fsdax: the altmap reserve and the memmap it hosts are active" $dev_pfn 512 all
check "mkfs.ext4 and mount -o dax" \
	sh -c 'mkfs.ext4 -q -F -b 4096 /dev/pmem0 && mount -t ext4 -o dax /dev/pmem0 /mnt'
check "write through DAX, read back" \
	sh -c 'grep -q " /mnt ext4 " /proc/mounts && dd if=/dev/urandom of=/tmp/p bs=1M count=2 2>/dev/null && cp /tmp/p /mnt/p && sync && cmp /tmp/p /mnt/p'
check "umount" umount /mnt

step "disable the namespace: the device half goes, the RAM half stays"
check "ndctl disable-namespace" ndctl disable-namespace $ns
check_active "disabled: no device memmap is active" $dev_pfn $dev_nr none
check_active "disabled: the RAM half of the section is still active" $ram_pfn $ram_nr all
step "$(mem_summary)"
tap_done
