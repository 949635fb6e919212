#!/bin/sh
# lab-title: vfio type1 DMA mapping of devdax memory: pins, locked_vm and RLIMIT_MEMLOCK against anonymous memory
# lab-machine: q35
# lab-devices: iommu edu nvdimm:nv0:1G
# lab-cmdline: intel_iommu=on vfio_iommu_type1.allow_unsafe_interrupts=1
# lab-timeout: 120
#
# QEMU's edu PCI device behind the emulated Intel IOMMU, bound to vfio-pci.
# lab/guest/src/vfio_dma.c maps 2 MiB for DMA with VFIO_IOMMU_MAP_DMA,
# unmaps it, and prints what that did to /proc/vmstat nr_foll_pin_* and to
# the process's locked_vm.  Anonymous memory is the reference; devdax
# memory must behave the same: every pin dropped, locked_vm charged while
# mapped and back afterwards, RLIMIT_MEMLOCK enforced; and the namespace
# must still go away.  QEMU's intel-iommu has no interrupt remapping under
# TCG, so type1 needs allow_unsafe_interrupts (no MSI is used here).
# shellcheck source=../lib.sh
. /lab/lib.sh

tap_plan 21
mib2=2048

edu=
for d in /sys/bus/pci/devices/*; do
	if [ "$(cat "$d/vendor")" = 0x1234 ] && [ "$(cat "$d/device")" = 0x11e8 ]; then
		edu=${d##*/}
	fi
done
check "the edu device is on the PCI bus" test -n "$edu"
group=$(basename "$(readlink "/sys/bus/pci/devices/$edu/iommu_group")")
check "edu is in an IOMMU group" test -n "$group" -a "$group" != .
check "bind edu to vfio-pci" sh -c \
	"echo vfio-pci >/sys/bus/pci/devices/$edu/driver_override && echo $edu >/sys/bus/pci/drivers_probe && test -c /dev/vfio/$group"

# dma WHAT [ARGS]: run vfio_dma on $backing, show its output; dma_rc is its
# exit status (0: it measured, MAP_DMA refused or not; 2: it could not
# measure).
dma() {
	what=$1
	shift
	out=$(/lab/bin/vfio_dma "$@" "$group" "$backing" 2>&1)
	dma_rc=$?
	echo "$out" | while read -r l; do diag "$what: $l"; done
	check_eq "$what: vfio_dma ran and measured" "$dma_rc" 0
}

backing=anon
dma "anonymous"
check_eq "anonymous: MAP_DMA succeeds" "$(kv "$out" map_errno)" 0
check_eq "anonymous: locked_vm charged while mapped" "$(kv "$out" locked_kb_map)" "$mib2"
check_eq "anonymous: pins and locked_vm balance after UNMAP_DMA" "$(kv "$out" balanced)" 1
dma "anonymous, RLIMIT_MEMLOCK 1 MiB" --memlock-limit 1024
anon_limited=$(kv "$out" map_errno)
# A number above 0: a run that never got to MAP_DMA has no map_errno.
check "anonymous: RLIMIT_MEMLOCK below the size refuses MAP_DMA" test "$anon_limited" -gt 0

check "ndctl: devdax --map=dev" ndctl create-namespace -f -e namespace0.0 -m devdax --map=dev
backing=/dev/dax0.0
dma "devdax"
check_eq "devdax: MAP_DMA succeeds" "$(kv "$out" map_errno)" 0
check "devdax: MAP_DMA pins the pages" test "$(kv "$out" pin_acquired_map)" -gt 0
check_eq "devdax: locked_vm charged while mapped, as for anonymous memory" \
	"$(kv "$out" locked_kb_map)" "$mib2"
check_eq "devdax: every pin is released after UNMAP_DMA" \
	"$(kv "$out" pin_released_total)" "$(kv "$out" pin_acquired_total)"
check_eq "devdax: locked_vm back where it started" "$(kv "$out" locked_kb_total)" 0
dma "devdax, RLIMIT_MEMLOCK 1 MiB" --memlock-limit 1024
check_eq "devdax: RLIMIT_MEMLOCK applies as for anonymous memory" \
	"$(kv "$out" map_errno)" "$anon_limited"
check_eq "devdax: pins balance after the refused map too" \
	"$(kv "$out" pin_released_total)" "$(kv "$out" pin_acquired_total)"

check "ndctl disable-namespace completes" timeout 60 ndctl disable-namespace namespace0.0
check "ndctl destroy-namespace" ndctl destroy-namespace -f namespace0.0
tap_done
