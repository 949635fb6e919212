#!/bin/sh
# lab-title: memory_failure() on NVDIMM metadata pfns (altmap reserve, hosted memmap) is refused cleanly
# lab-machine: pc
# lab-devices: nvdimm:nv0:1G
# lab-timeout: 120
#
# memory_failure() sends a pfn without an online page to its pgmap, and
# pgmap_pfn_valid() refuses the metadata in front of the data (the altmap
# reserve, then the memmap the altmap hosts) as not recoverable.  Without
# the fix it then reads the node of the pfn from its memmap for the per-node
# statistics: the reserve's memmap is poisoned, and the machine dies.  A
# separate boot, because that is what happens on a kernel without it.
# shellcheck source=../lib.sh
. /lab/lib.sh

tap_plan 8
ns=namespace0.0
inject=/sys/kernel/debug/hwpoison/corrupt-pfn
check "ndctl: devdax --map=dev" ndctl create-namespace -f -e "$ns" -m devdax --map=dev
ns_pfn=$(($(cat /sys/bus/nd/devices/$ns/resource) / 4096))
data_pfn=$(holder_pfns "$ns" | cut -d' ' -f1)
diag "namespace pfn $ns_pfn, data from pfn $data_pfn"
check "modprobe hwpoison-inject" sh -c "modprobe hwpoison-inject && test -w $inject"
mf0=$(cat /sys/devices/system/node/node0/memory_failure/total 2>/dev/null)

# refused PFN: the injector exists and memory_failure() turns PFN down with
# ENXIO, not with any write error (a missing file fails here).
refused() {
	test -w "$inject" || { echo "$inject is missing"; return 1; }
	if echo "$1" 2>/tmp/inject.err >"$inject"; then
		echo "accepted"
		return 1
	fi
	cat /tmp/inject.err
	grep -q "No such device or address" /tmp/inject.err
}

step "memory_failure() on the altmap reserve (namespace info block)"
check "memory_failure() refuses the altmap reserve pfn (ENXIO)" refused "$ns_pfn"
step "memory_failure() on a pfn that hosts the memmap"
check "memory_failure() refuses a pfn of the hosted memmap (ENXIO)" refused $((data_pfn - 1))
# Metadata has no usable struct page: memory_failure() logs each refusal as
# a failed recovery (as a pfn without a struct page upstream, as a DAX page
# on 6.12, which has no such message type) and does not account it to a
# node, whose id it would read from the memmap.
failed_logged() {
	for p in "$@"; do
		dmesg | grep -q "$(printf '%#x' "$p"): recovery action for .*: Failed" ||
			{ echo "no failed recovery logged for pfn $p"; return 1; }
	done
}
check "both refusals are logged as failed recoveries" failed_logged "$ns_pfn" $((data_pfn - 1))
check "neither refusal is counted on a node" \
	test "$(cat /sys/devices/system/node/node0/memory_failure/total 2>/dev/null)" = "$mf0"
check "the device still works: /dev/dax0.0 maps and holds data" \
	sh -c 'timeout 60 /lab/bin/kvm_dax /dev/dax0.0'
check "ndctl disable-namespace completes" timeout 60 ndctl disable-namespace "$ns"
tap_done
