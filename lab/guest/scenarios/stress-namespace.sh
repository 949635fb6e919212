#!/bin/sh
# lab-title: NVDIMM namespace reconfigured through every mode, repeated, walkers running; nothing leaks
# lab-machine: pc
# lab-devices: nvdimm:nv0:1G
# lab-cmdline: memhp_default_state=offline
# lab-timeout: 1500
#
# A 1 GiB namespace goes raw -> devdax --map=dev -> devdax --map=mem ->
# fsdax (a DAX-mounted ext4 written to) -> devdax -> system-ram (dax/kmem,
# onlined) -> devdax -> destroyed, ns_cycles times (default 5, make stress
# 100), while kpageflags, kpagecount, the page_idle bitmap and kcore
# walkers read the region's pfns.  Every step runs under a 120 s timeout;
# each cycle ends with the namespace destroyed (a leaked pgmap reference
# would hang its memunmap_pages()) and the snapshot (lib.sh: blocks,
# zones, MemTotal, memmap pages, pins, records, namespaces) as before the
# first cycle.
# shellcheck source=../lib.sh
. /lab/lib.sh

cycles=$(kernel_arg ns_cycles 5)
tap_plan 8
ns=namespace0.0
check "nmem0's labels initialized (a namespace can be destroyed)" \
	sh -c 'ndctl disable-region region0 && ndctl init-labels -f nmem0 && ndctl enable-region region0'
rpfn=$(($(cat /sys/bus/nd/devices/region0/resource) / 4096))
rpages=$(($(cat /sys/bus/nd/devices/region0/size) / 4096))
snapshot >/tmp/state.start
rm -f /tmp/race.*
walkers="kpageflags kpagecount idle-read kcore"
# shellcheck disable=SC2086 # the walkers' names are words
walkers_start "$rpfn" "$rpages" $walkers

# st DESC CMD...: one step, under a 120 s timeout; the first failure is
# kept for the results.
failed_step=
st() {
	_d=$1
	shift
	timeout -s KILL 120 "$@" >/tmp/ns.out 2>&1 && return 0
	_rc=$?
	[ -n "$failed_step" ] || failed_step="cycle $i, $_d (exit $_rc): $(tail -2 /tmp/ns.out | tr '\n' ' ')"
	return 1
}
# ns_mode MODE MAP: the namespace, the region's only one, reconfigured
# in place.
ns_mode() {
	st "$1 --map=$2" ndctl create-namespace -f -e "$ns" -m "$1" --map="$2"
}
# A devdax device of the namespace to system-ram, onlined, and back.
kmem_cycle() {
	st system-ram daxctl reconfigure-device -m system-ram dax0.0 &&
		st offline-memory daxctl offline-memory dax0.0 &&
		st "back to devdax" daxctl reconfigure-device -m devdax dax0.0
}
fsdax_cycle() {
	ns_mode fsdax dev &&
		st mkfs mkfs.ext4 -q -F -b 4096 /dev/pmem0 &&
		st mount mount -t ext4 -o dax /dev/pmem0 /mnt &&
		st write sh -c 'dd if=/dev/urandom of=/mnt/f bs=1M count=4 && sync' &&
		st umount umount /mnt
}

done_cycles=0
i=0
while [ $i -lt "$cycles" ]; do
	i=$((i + 1))
	st "raw namespace" ndctl create-namespace -r region0 -m raw || break
	ns=$(ndctl list -N | json_field dev)
	ns_mode devdax dev && ns_mode devdax mem && fsdax_cycle &&
		ns_mode devdax dev && kmem_cycle &&
		st destroy ndctl destroy-namespace -f "$ns" || break
	cycle_state "$i"
	done_cycles=$i
	step "cycle $i done"
done
walkers_stop
[ -z "$failed_step" ] || diag "$failed_step"
check_eq "$cycles cycles through every mode, each step within 120 s" "$done_cycles" "$cycles"
[ -z "$FIRST_DIFF" ] || diag "$FIRST_DIFF"
check_eq "the state after every cycle is the state before the first" "$DRIFT" 0
for w in $walkers; do
	# shellcheck disable=SC2046
	set -- $(cat "/tmp/race.$w")
	check "$w: no read failed ($1 runs, $2 errors, $3 with nothing to read)" test "$2" = 0
done
check_state "at the end: no namespace, and the state at the start" /tmp/state.start
tap_done
