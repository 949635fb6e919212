#!/bin/sh
# lab-title: bad input to memory hotplug, hwpoison injection, ndctl and daxctl: an error each, nothing changed
# lab-machine: pc
# lab-devices: dimm:dimm0:256M nvdimm:nv0:1G
# lab-cmdline: memhp_default_state=offline
# lab-timeout: 300
#
# Each case writes a malformed or out-of-range value, or asks ndctl or
# daxctl for something impossible, and must get an error; after each, the
# snapshot (lib.sh: block states, zones, MemTotal, memmap pages, pins,
# memmap records, namespaces) must be the one before the first.  The
# console check of every boot fails the scenario on a kernel warning.
# Targets: a block's state (offline and online blocks), the default
# online type (auto_online_blocks), the probe interface, the read-only
# memmap_on_memory parameter, hwpoison injection and unpoisoning on RAM,
# offline, device and absent pfns, namespace and dax device requests.
# shellcheck source=../lib.sh
. /lab/lib.sh

OFF=$MEMDIR/$(blocks_in_state offline | head -1)/state
ON=$MEMDIR/$(blocks_in_state online | tail -1)/state
off_pfn=$(block_pfn "$(blocks_in_state offline | head -1)")
AUTO=$MEMDIR/auto_online_blocks
PROBE_IF=$MEMDIR/probe
MOM=/sys/module/memory_hotplug/parameters/memmap_on_memory
HW=/sys/kernel/debug/hwpoison
ram_pfn=$((512 << 8))
# Between the end of boot RAM (2 GiB) and the PCI hole: no memory.
hole_pfn=$(((2048 + 512) << 8))
long=$(head -c 5000 /dev/zero | tr '\0' a)

# The cases, one a line: "DESC|FILE|VALUE" writes VALUE to FILE (must
# fail), "DESC|!|COMMAND" runs COMMAND (must fail).
cat >/tmp/cases <<EOF2
state of an offline block: empty line|$OFF|
state of an offline block: foo|$OFF|foo
state of an offline block: onlin|$OFF|onlin
state of an offline block: online_movablex|$OFF|online_movablex
state of an offline block: "online movable"|$OFF|online movable
state of an offline block: 1|$OFF|1
state of an offline block: 5000 bytes|$OFF|$long
state of an offline block: offline again|$OFF|offline
state of an online block: online_movable again|$ON|online_movable
state of an online block: online_foo|$ON|online_foo
auto_online_blocks: foo|$AUTO|foo
auto_online_blocks: empty line|$AUTO|
auto_online_blocks: online_kernelx|$AUTO|online_kernelx
auto_online_blocks: 0|$AUTO|0
auto_online_blocks: 5000 bytes|$AUTO|$long
probe: foo|$PROBE_IF|foo
probe: -1|$PROBE_IF|-1
probe: an address inside a block (0x100001000)|$PROBE_IF|0x100001000
probe: boot RAM (0x0)|$PROBE_IF|0x0
probe: the cold-plugged DIMM's block|$PROBE_IF|$((off_pfn * 4096))
probe: beyond physical addresses (0xfff0000000000000)|$PROBE_IF|0xfff0000000000000
memmap_on_memory (read-only): Y|$MOM|Y
memmap_on_memory (read-only): force|$MOM|force
hwpoison corrupt-pfn: foo|$HW/corrupt-pfn|foo
hwpoison corrupt-pfn: a hole|$HW/corrupt-pfn|$hole_pfn
hwpoison corrupt-pfn: beyond physical memory (2^40)|$HW/corrupt-pfn|$((1 << 40))
hwpoison corrupt-pfn: the offline DIMM|$HW/corrupt-pfn|$off_pfn
hwpoison unpoison-pfn: foo|$HW/unpoison-pfn|foo
hwpoison unpoison-pfn: RAM that is not poisoned|$HW/unpoison-pfn|$ram_pfn
hwpoison unpoison-pfn: the offline DIMM|$HW/unpoison-pfn|$off_pfn
hwpoison unpoison-pfn: a hole|$HW/unpoison-pfn|$hole_pfn
hwpoison unpoison-pfn: a device pfn|$HW/unpoison-pfn|@DEV@
ndctl: a 1 MiB namespace|!|ndctl create-namespace -r region0 -m devdax -s 1M
ndctl: a namespace larger than the region|!|ndctl create-namespace -r region0 -m devdax -s 4G
ndctl: alignment 3M|!|ndctl create-namespace -r region0 -m devdax -a 3M -s 256M
ndctl: --map=foo|!|ndctl create-namespace -r region0 -m devdax --map=foo -s 256M
ndctl: mode bogus|!|ndctl create-namespace -r region0 -m bogus -s 256M
ndctl: region9|!|ndctl create-namespace -r region9 -m devdax -s 256M
ndctl: size 3 bytes|!|ndctl create-namespace -r region0 -m devdax -s 3
daxctl: system-ram of no device (dax9.9)|!|daxctl reconfigure-device -m system-ram dax9.9
daxctl: mode bogus|!|daxctl reconfigure-device -m bogus dax0.0
EOF2
n=$(wc -l </tmp/cases)
tap_plan $((n + 3))
check "modprobe hwpoison-inject" sh -c "modprobe hwpoison-inject && test -w $HW/corrupt-pfn"
check "nmem0's labels, a 256 MiB devdax namespace" sh -c 'ndctl disable-region region0 && ndctl init-labels -f nmem0 &&
	ndctl enable-region region0 && ndctl create-namespace -r region0 -m devdax --map=mem -s 256M'
read -r dev_pfn _ <<EOF2
$(holder_pfns namespace0.0)
EOF2
mom0=$(cat $MOM)
snapshot >/tmp/state.0
while IFS='|' read -r desc file value; do
	[ "$value" = @DEV@ ] && value=$dev_pfn
	if [ "$file" = "!" ]; then
		sh -c "$value" >/tmp/bad.err 2>&1
	else
		[ -e "$file" ] || { skip "$desc" "no $file on this kernel"; continue; }
		echo "$value" 2>/tmp/bad.err >"$file"
	fi
	rc=$?
	err=$(tail -1 /tmp/bad.err | sed 's/.*: //')
	if [ $rc = 0 ]; then
		fail "$desc: refused (it was accepted)"
	elif ! same_state /tmp/state.0; then
		sed 's/^/# /' /tmp/state.diff | head -10 | while read -r l; do _emit "$l"; done
		fail "$desc: refused ($err), but the state changed"
	else
		pass "$desc: refused ($err), nothing changed"
	fi
done </tmp/cases
check_eq "memmap_on_memory still reads $mom0" "$(cat $MOM)" "$mom0"
tap_done
