#!/bin/sh
# lab-title: failed offline, online and hot-add roll back: unmovable pages, a failing notifier, failed allocations, a refused unplug
# lab-machine: pc
# lab-devices: dimm:dimm0:256M nvdimm:nv0:1G
# lab-cmdline: memhp_default_state=offline
# lab-timeout: 1200
#
# Operations that must fail, and fail cleanly: the snapshot (lib.sh:
# blocks, zones, MemTotal, memmap pages, pins, memmap records,
# namespaces) after each is the one before.
# - Offlining the last boot block, which holds memblock allocations
#   (unmovable pages).
# - A failing memory notifier (memory-notifier-error-inject): online with
#   MEM_GOING_ONLINE failing, offline with MEM_GOING_OFFLINE failing; the
#   memmap record must follow the block's state.
# - Failed allocations (fault injection, /proc/self/fail-nth): the 1st,
#   2nd, ... slab or page allocation of onlining a DIMM block, and of
#   binding a devdax device to dax_kmem (add_memory_driver_managed():
#   memmap, section usage, memory block devices), each fails in its turn
#   until one run needs fewer allocations than the one failed; for
#   dax_kmem only slab allocations up to arch_add_memory(): x86's direct
#   mapping of new memory does not handle a failed page-table allocation
#   (an oops), and add_pages() WARNs when __add_pages() fails.
# - An unplug request the guest refuses (offlining fails in the notifier):
#   the DIMM stays, online and usable, and unplugs once the notifier
#   passes again.
# shellcheck source=../lib.sh
. /lab/lib.sh

tap_plan 15
FI=/sys/kernel/debug/notifier-error-inject/memory/actions
# refused DESC CMD...: pass if CMD fails, with its error in the result.
refused() {
	_d=$1
	shift
	if "$@" 2>/tmp/refused.err; then
		fail "$_d"
	else
		pass "$_d: $(sed 's/.*: //' /tmp/refused.err | tail -1)"
	fi
}
# inject ACTION ERRNO: the memory notifier returns -ERRNO on ACTION (0: passes).
inject() { echo "-$2" >"$FI/$1/error"; }
# The cold-plugged DIMM's two blocks, the only offline ones at boot.
dimm_blocks=$(blocks_in_state offline)

step "offline a boot block holding unmovable pages"
boot_last=$(blocks_in_state online | tail -1)
snapshot >/tmp/state.0
refused "offlining $boot_last (memblock allocations) is refused" \
	sh -c "echo offline >$MEMDIR/$boot_last/state"
check_state "the refused offline changed nothing" /tmp/state.0

step "a failing memory notifier"
check "modprobe memory-notifier-error-inject" sh -c "modprobe memory-notifier-error-inject && test -w $FI/MEM_GOING_ONLINE/error"
blk=$(echo "$dimm_blocks" | head -1)
inject MEM_GOING_ONLINE 12
refused "online refused by MEM_GOING_ONLINE (-ENOMEM)" \
	sh -c "echo online_movable >$MEMDIR/$blk/state"
inject MEM_GOING_ONLINE 0
check_state "the refused online changed nothing (the block offline, its memmap not recorded)" /tmp/state.0
echo online_movable >"$MEMDIR/$blk/state"
snapshot >/tmp/state.on
inject MEM_GOING_OFFLINE 16
refused "offline refused by MEM_GOING_OFFLINE (-EBUSY)" \
	sh -c "echo offline >$MEMDIR/$blk/state"
inject MEM_GOING_OFFLINE 0
check_state "the refused offline changed nothing (the block online, its memmap recorded)" /tmp/state.on
echo offline >"$MEMDIR/$blk/state"

# nth_runs DESC UNDO CMD [PAGES [LAST]]: CMD with its Nth fault-injection
# site failing, N = 1, 2, ... until CMD runs without reaching the Nth (at
# most 300), or until a run fails with the message LAST;
# after a failed run the snapshot must be /tmp/state.0; after a run that
# succeeded UNDO runs first.  "FAILED/SUCCEEDED/DRIFTED/N" in /tmp/nth.
# Slab allocations fail; page allocations too unless PAGES is "slab-only"
# (fail_page_alloc's min-order above any order: no page allocation is a
# site).  Quiet: a failure injected is logged in one line, not a trace.
nth_runs() {
	_f=0 _s=0 _d=0 _n=0
	_fi=/sys/kernel/debug
	echo N >$_fi/failslab/ignore-gfp-wait
	echo N >$_fi/fail_page_alloc/ignore-gfp-wait
	echo N >$_fi/fail_page_alloc/ignore-gfp-highmem
	if [ "${4:-}" = slab-only ]; then
		echo 11 >$_fi/fail_page_alloc/min-order
	else
		echo 0 >$_fi/fail_page_alloc/min-order
	fi
	echo 1 >$_fi/failslab/verbose
	echo 1 >$_fi/fail_page_alloc/verbose
	while [ $_n -lt 300 ]; do
		_n=$((_n + 1))
		# The shell that writes is the task whose allocations fail;
		# fail-nth reads back non-zero if it never reached the Nth.
		# "RC LEFT": the command's exit status, what is left of N.
		_left=$(sh -c "echo $_n >/proc/self/fail-nth; $3 2>/tmp/nth.err; _r=\$?; read l </proc/self/fail-nth; echo \$_r \${l:-none}")
		set -- "$1" "$2" "$3" "${4:-all}" "${5:-}" $_left
		if [ "$6" = 0 ]; then
			_s=$((_s + 1))
			sh -c "$2" >/dev/null 2>&1
		else
			_f=$((_f + 1))
		fi
		same_state /tmp/state.0 || {
			_d=$((_d + 1))
			diag "$1, allocation $_n failed: $(tr '\n' ';' </tmp/state.diff)"
			sh -c "$2" >/dev/null 2>&1
		}
		[ "$7" = 0 ] || break
		[ -z "$5" ] || ! grep -q "$5" /tmp/nth.err || break
	done
	echo "$_f/$_s/$_d/$_n" >/tmp/nth
}

step "onlining a block with its Nth allocation failing"
nth_runs "online $blk" "echo offline >$MEMDIR/$blk/state" "echo online_movable >$MEMDIR/$blk/state"
r=$(cat /tmp/nth)
check_eq "online $blk with allocation 1, 2, ... failing: every run rolled back or succeeded, the last reached no failure (failed/ok/drifted/runs $r)" \
	"${r#*/*/}" "0/${r##*/}"

step "binding a devdax device to dax_kmem with its Nth allocation failing"
check "nmem0's labels, a devdax namespace" sh -c 'ndctl disable-region region0 && ndctl init-labels -f nmem0 &&
	ndctl enable-region region0 && ndctl create-namespace -r region0 -m devdax --map=mem'
D=/sys/bus/dax/drivers
check "dax0.0 may bind to kmem (new_id), and is unbound" \
	sh -c "echo dax0.0 >$D/kmem/new_id && echo dax0.0 >$D/device_dax/unbind"
snapshot >/tmp/state.0
# Slab allocations only: x86's direct map of hot-added memory
# (phys_pud_init()) does not check its page-table allocations.  And up to
# the failure of register_memory_resource(), the last allocation before
# arch_add_memory() (its error: EEXIST), because x86's add_pages() WARNs
# on any failure of __add_pages().
nth_runs "dax_kmem bind" "echo dax0.0 >$D/kmem/unbind" "echo dax0.0 >$D/kmem/bind" slab-only "File exists"
r=$(cat /tmp/nth)
check "dax_kmem bind with slab allocation 1, 2, ... failing up to register_memory_resource(): every run rolled back or succeeded (failed/ok/drifted/runs $r)" \
	test "${r#*/*/}" = "0/${r##*/}" -a "${r%%/*}" -gt 0
echo dax0.0 >$D/device_dax/bind 2>/dev/null

step "an unplug request the guest refuses"
for b in $dimm_blocks; do echo online_movable >"$MEMDIR/$b/state"; done
snapshot >/tmp/state.on
inject MEM_GOING_OFFLINE 16
check_eq "QMP: device_del of dimm0, refused by the guest (offline fails)" "$(req dimm-del-try dimm0 20)" "dimm0 present"
inject MEM_GOING_OFFLINE 0
check_state "the refused unplug changed nothing: the DIMM online" /tmp/state.on
check "the DIMM is usable: its blocks offline and online again" \
	sh -c "for b in $(echo $dimm_blocks); do echo offline >$MEMDIR/\$b/state && echo online_movable >$MEMDIR/\$b/state || exit 1; done"
for b in $dimm_blocks; do echo offline >"$MEMDIR/$b/state"; done
check_eq "QMP: device_del of dimm0 once the notifier passes" "$(req dimm-del-try dimm0 60)" "dimm0 removed"
tap_done
