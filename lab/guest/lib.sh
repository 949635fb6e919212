# Guest-side helpers for scenarios: TAP output on the control port (fd 3)
# and the console, host requests, waits and memory observations.
# shellcheck shell=sh

TAP_N=0
TAP_FAILED=0

# Results go to the host on the control port; the console gets a copy for
# people reading console.log, marked "[lab]" (the host's trouble scan skips
# those) and without the version line, so that nothing on the console can
# start a KTAP document but the kernel's own.
_emit() {
	case "$*" in
	*"TAP version"*) ;;
	*) echo "[lab] $*" ;;
	esac
	echo "@TAP $*" >&3
}

tap_plan() { _emit "KTAP version 1"; _emit "1..$1"; }
diag() { _emit "# $*"; }
pass() { TAP_N=$((TAP_N + 1)); _emit "ok $TAP_N - $*"; }
fail() { TAP_N=$((TAP_N + 1)); TAP_FAILED=$((TAP_FAILED + 1)); _emit "not ok $TAP_N - $*"; }
skip() { TAP_N=$((TAP_N + 1)); _emit "ok $TAP_N - $1 # SKIP $2"; }

# nest NAME FILE STATUS: the KTAP (or kselftest TAP) document in FILE as
# subtest NAME of this scenario; its result line follows the producer's
# exit STATUS: 0 passes, 4 (kselftest's KSFT_SKIP) skips, anything else
# fails.  The host's parser checks the nested plan, so a producer that died
# half-way fails even when it exited 0; a document with a failed case of
# its own fails whatever the exit status (6.12's run_kselftest.sh exits 0
# when a test fails).
nest() {
	TAP_N=$((TAP_N + 1))
	if grep -q '^not ok ' "$2"; then
		set -- "$1" "$2" 1
	fi
	_emit "    KTAP version 1"
	_emit "    # Subtest: $1"
	grep -v -E '^K?TAP version' "$2" | while IFS= read -r _l; do
		_emit "    $_l"
	done
	case "$3" in
	0) _emit "ok $TAP_N $1" ;;
	4) _emit "ok $TAP_N $1 # SKIP the producer skipped every case" ;;
	*)
		TAP_FAILED=$((TAP_FAILED + 1))
		_emit "not ok $TAP_N $1"
		;;
	esac
}

# check DESC CMD...: pass if CMD succeeds.
check() {
	_d=$1
	shift
	if "$@" >/tmp/check.out 2>&1; then
		pass "$_d"
	else
		# KTAP: a case's diagnostics come before its result line.
		sed 's/^/# /' /tmp/check.out | tail -20 | while read -r l; do _emit "$l"; done
		fail "$_d"
	fi
}

# check_eq DESC ACTUAL EXPECTED
check_eq() {
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		diag "got '$2', expected '$3'"
		fail "$1"
	fi
}

# step TEXT: a human-readable milestone; the host prints it with a time stamp.
step() {
	echo "== $*"
	echo "@STEP $*" >&3
}

# Exit status of a scenario: 0 all passed, 1 something failed.
tap_done() {
	[ "$TAP_FAILED" = 0 ]
	exit $?
}

# req CMD ARGS...: ask the host to act (QMP), wait for its answer (at most
# 300 s: the host's own waits end before).  Prints the answer's text; fails
# if the host reports an error or never answers.
req() {
	echo "@REQ $*" >&3
	# shellcheck disable=SC3045 # busybox ash has read -t
	read -r -t 300 _rsp _st _txt <&3 || { echo "no answer from the host"; return 1; }
	[ "$_rsp" = "@RSP" ] || { echo "bad reply: $_rsp $_st $_txt"; return 1; }
	echo "$_txt"
	[ "$_st" = ok ]
}

# wait_for TIMEOUT_S CMD...: poll CMD every 100 ms until it succeeds.
wait_for() {
	_t=$(($1 * 10))
	shift
	while ! "$@" >/dev/null 2>&1; do
		_t=$((_t - 1))
		[ "$_t" -gt 0 ] || return 1
		usleep 100000
	done
}

# --- observations ---------------------------------------------------------

MEMDIR=/sys/devices/system/memory

block_size() { printf '%d' "0x$(cat $MEMDIR/block_size_bytes)"; }
meminfo() { awk -v k="$1:" '$1 == k { print $2 }' /proc/meminfo; }
memtotal_kb() { meminfo MemTotal; }

# Blocks as "memoryN" names, sorted numerically.
blocks() { ls -d $MEMDIR/memory* 2>/dev/null | sed 's|.*/||' | sort -t y -k2 -n; }
nr_blocks() { blocks | wc -l; }
# nr_blocks_is OP N: e.g. nr_blocks_is -ge 20 (for wait_for)
nr_blocks_is() { test "$(nr_blocks)" "$1" "$2"; }
block_state() { cat "$MEMDIR/$1/state"; }
blocks_in_state() {
	for b in $(blocks); do
		[ "$(block_state "$b")" = "$1" ] && echo "$b"
	done
}

# zone_pages ZONE FIELD: sum of FIELD (present, managed, spanned) over nodes.
zone_pages() {
	awk -v z="$1" -v f="$2" '
		$1 == "Node" { inz = ($4 == z) }
		inz && $1 == f { s += $2 }
		END { print s + 0 }' /proc/zoneinfo
}

# One line for humans: block counts, per-zone present/managed, MemTotal.
mem_summary() {
	printf 'blocks online=%s offline=%s | ' \
		"$(blocks_in_state online | wc -l)" "$(blocks_in_state offline | wc -l)"
	for z in DMA32 Normal Movable Device; do
		printf '%s %s/%s ' "$z" "$(zone_pages "$z" present)" "$(zone_pages "$z" managed)"
	done
	printf '| MemTotal %s kB\n' "$(memtotal_kb)"
}

# json_field FIELD: first value of "FIELD" in JSON on stdin (ndctl, daxctl).
json_field() {
	sed -n "s/.*\"$1\":\"\{0,1\}\([^\",}]*\).*/\1/p" | head -1
}

# Blocks added since a snapshot: new_blocks "$(blocks)".
new_blocks() {
	blocks | grep -v -x -F "$1"
}

# holder_pfns NAMESPACE: "FIRST_PFN NR_PFNS" of the data of NAMESPACE's
# holder (its pfn or dax device), the pages behind the metadata in front.
holder_pfns() {
	_h=$(cat "/sys/bus/nd/devices/$1/holder")
	echo "$(($(cat "/sys/bus/nd/devices/$_h/resource") / 4096))" \
		"$(($(cat "/sys/bus/nd/devices/$_h/size") / 4096))"
}

# --- memmap records (the series' /sys/kernel/debug/memmap_active) ---------

MEMMAP_ACTIVE=/sys/kernel/debug/memmap_active

# memmap_active_state START NR: "all", "none" or "some" of the PFNs
# [START, START + NR) are active; "unknown" without the debugfs file.
memmap_active_state() {
	[ -r "$MEMMAP_ACTIVE" ] || { echo unknown; return; }
	awk -v s="$(($1))" -v n="$(($2))" '
		{ split($1, r, "-"); a = r[1] + 0; b = r[2] + 0
		  lo = (a > s) ? a : s; hi = (b < s + n) ? b : s + n
		  if (hi > lo) covered += hi - lo }
		END { print (covered == n) ? "all" : (covered == 0 ? "none" : "some") }' \
		"$MEMMAP_ACTIVE"
}

# check_active DESC START NR all|none|some
check_active() {
	check_eq "$1" "$(memmap_active_state "$2" "$3")" "$4"
}

# Memory blocks as PFN ranges: block_pfn BLOCK -> first PFN.
block_pfn() { echo $(($(echo "$1" | tr -dc 0-9) * $(block_size) / 4096)); }
block_pages() { echo $(($(block_size) / 4096)); }

# --- ZONE_DEVICE memmaps (the lab's memmap_probe module) -------------------

PROBE=/sys/module/memmap_probe/parameters

# probe START NR: one line "pfns=N poisoned=N not_device=N reserved=N ..."
# describing the memmap of [START, START + NR); fails if the module refuses
# the range (not one pgmap's).
probe() {
	[ -d "$PROBE" ] || insmod /lab/memmap_probe.ko || return 1
	echo "$1 $2" >"$PROBE/probe" || return 1
	cat "$PROBE/result"
}

# kv OUTPUT KEY: the value of a "KEY=value" line of OUTPUT, or, when there is
# none, "missing:KEY:N:R" with a fresh N and a random R: two values that a
# failed program never printed can never compare equal, nor pass a numeric
# test.
kv_n=0
kv() {
	_v=$(echo "$1" | sed -n "s/^$2=//p")
	kv_n=$((kv_n + 1))
	echo "${_v:-missing:$2:$kv_n:$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}"
}

# kunit_suite SUITE-RESULTS-FILE: the suite's block of a KUnit debugfs
# results file (itself a whole KTAP document, "1..1" and "ok 1 SUITE"
# around it), unindented once, for nest().
kunit_suite() {
	sed -e '1,2d' -e '$d' -e 's/^    //' "$1" | grep -v -e '^# Subtest:' -e '^KTAP version'
}
# kunit_status SUITE-RESULTS-FILE: 0 if the suite's own result line is ok.
kunit_status() {
	tail -1 "$1" | awk '{ print ($1 == "ok") ? 0 : 1 }'
}

# pfield LINE KEY: the value of KEY=... in a probe line.
pfield() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

# vmstat KEY
vmstat() { awk -v k="$1" '$1 == k { print $2 }' /proc/vmstat; }

# pins: "ACQUIRED RELEASED" from /proc/vmstat, which lags by what each CPU
# has not folded in yet: vm.stat_refresh folds that first.
pins() {
	echo 1 >/proc/sys/vm/stat_refresh 2>/dev/null
	echo "$(vmstat nr_foll_pin_acquired) $(vmstat nr_foll_pin_released)"
}

# psum LINE KEY...: the sum of the KEYs of a probe line, "invalid" if one
# is missing (a failed probe must never add up to 0).
psum() {
	_l=$1
	shift
	_s=0
	for _k; do
		_v=$(pfield "$_l" "$_k")
		[ -n "$_v" ] || { echo invalid; return; }
		_s=$((_s + _v))
	done
	echo "$_s"
}

# --- walkers racing memory offlining (race-* scenarios) --------------------

RACE_STOP=/tmp/race.stop

# walker NAME CMD...: run CMD until $RACE_STOP exists, then write "RUNS
# ERRORS ABSENT" (how often it succeeded, failed, and exited 3: found
# nothing to read, which is neither) to /tmp/race.NAME.  Started in the
# background; touch $RACE_STOP and wait to end it.
walker() {
	_name=$1
	shift
	_n=0
	_e=0
	_a=0
	while [ ! -e "$RACE_STOP" ]; do
		"$@" >/dev/null 2>&1
		case $? in
		0) _n=$((_n + 1)) ;;
		3) _a=$((_a + 1)) ;;
		*) _e=$((_e + 1)) ;;
		esac
	done
	echo "$_n $_e $_a" >"/tmp/race.$_name"
}

# walkers_start PFN PAGES NAME...: the userspace pfn walkers NAME... over
# [PFN, PFN + PAGES) in the background, PAGES a multiple of 32768; names:
# kpageflags, kpagecount (read /proc/kpage*), idle-read, idle-write (the
# page_idle bitmap), kcore (the memory through /proc/kcore), compact
# (/proc/sys/vm/compact_memory: both scanners walk every zone).  Others
# are ignored.  walkers_stop ends them; /tmp/race.NAME has their counts.
walkers_start() {
	_p=$1 _n=$2
	shift 2
	rm -f "$RACE_STOP"
	for _w; do
		case $_w in
		kpageflags) walker kpageflags dd if=/proc/kpageflags bs=32768 skip=$((_p / 4096)) count=$((_n / 4096)) & ;;
		kpagecount) walker kpagecount dd if=/proc/kpagecount bs=32768 skip=$((_p / 4096)) count=$((_n / 4096)) & ;;
		idle-read) walker idle-read dd if=/sys/kernel/mm/page_idle/bitmap bs=1024 skip=$((_p / 8192)) count=$((_n / 8192)) & ;;
		idle-write)
			# 8 pfns a byte in the bitmap.
			tr '\0' '\377' </dev/zero | dd of=/tmp/ones bs=$((_n / 8)) count=1 2>/dev/null
			walker idle-write dd if=/tmp/ones of=/sys/kernel/mm/page_idle/bitmap bs=1024 \
				seek=$((_p / 8192)) count=$((_n / 8192)) conv=notrunc &
			;;
		kcore) walker kcore /lab/bin/kcore_read $((_p * 4096)) $((_n * 4096)) & ;;
		compact) walker compact sh -c 'echo 1 >/proc/sys/vm/compact_memory' & ;;
		esac
	done
}

# offline_retry BLOCK TRIES: offline BLOCK, each try killed after 20 s,
# retried 20 ms apart while it is refused, at most TRIES tries in all;
# fails if it never went offline.  Counts the refused tries in
# OFF_REFUSED and the killed ones in OFF_HUNG; their errors go to
# /tmp/offline.errs.
OFF_REFUSED=0
OFF_HUNG=0
offline_retry() {
	_tries=0
	until timeout -s KILL 20 sh -c "echo offline >$MEMDIR/$1/state" 2>/tmp/offline.err; do
		[ $? = 137 ] && OFF_HUNG=$((OFF_HUNG + 1))
		sed 's/.*: //' /tmp/offline.err >>/tmp/offline.errs
		OFF_REFUSED=$((OFF_REFUSED + 1))
		_tries=$((_tries + 1))
		[ "$_tries" -lt "$2" ] || return 1
		usleep 20000
	done
}

# cycle_state CYCLE: after a stress cycle, count in DRIFT a snapshot that
# is not /tmp/state.start; FIRST_DIFF keeps the first difference.
DRIFT=0
FIRST_DIFF=
cycle_state() {
	same_state /tmp/state.start && return 0
	DRIFT=$((DRIFT + 1))
	[ -n "$FIRST_DIFF" ] || FIRST_DIFF="cycle $1: $(tr '\n' ';' </tmp/state.diff)"
}

walkers_stop() {
	touch "$RACE_STOP"
	wait
}

# --- stress scenarios: the state nothing may change ------------------------

# snapshot: what no completed cycle, failed operation or refused input may
# change: every block's state, each zone's present, managed and spanned
# pages, MemTotal, the memmap pages the kernel accounts (vmstat), pins
# taken and not released, the memmap records (the series' debugfs file),
# the namespaces.
snapshot() {
	printf 'blocks'
	for _b in $(blocks); do printf ' %s=%s' "${_b#memory}" "$(block_state "$_b")"; done
	echo
	for _z in DMA DMA32 Normal Movable; do
		echo "zone $_z $(zone_pages "$_z" present) $(zone_pages "$_z" managed) $(zone_pages "$_z" spanned)"
	done
	# ZONE_DEVICE's span grows with the first pgmap and never shrinks:
	# remove_pfn_range_from_zone() leaves it alone, by design.
	echo "zone Device $(zone_pages Device present) $(zone_pages Device managed)"
	echo "MemTotal $(memtotal_kb)"
	# shellcheck disable=SC2046 # "ACQUIRED RELEASED"
	set -- $(pins)
	echo "memmap $(vmstat nr_memmap_pages) $(vmstat nr_memmap_boot_pages) pins $(($1 - $2))"
	[ ! -r "$MEMMAP_ACTIVE" ] || echo "active $(tr '\n' ' ' <"$MEMMAP_ACTIVE")"
	echo "namespaces $(ndctl list -N 2>/dev/null | tr -d ' \n')"
}

# same_state FILE: the snapshot is FILE's; on a difference, the two
# snapshots' differing lines go to /tmp/state.diff.
same_state() {
	snapshot >/tmp/state.now
	cmp -s "$1" /tmp/state.now && return 0
	# busybox diff: unified; the changed lines, without the file names.
	diff "$1" /tmp/state.now | grep -v '^[-+][-+][-+] ' | grep '^[-+]' >/tmp/state.diff
	return 1
}

# check_state DESC FILE: pass if the snapshot is FILE's.
check_state() {
	if same_state "$2"; then
		pass "$1"
	else
		sed 's/^/# /' /tmp/state.diff | head -20 | while read -r _l; do _emit "$_l"; done
		fail "$1"
	fi
}

# kernel_arg NAME DEFAULT: the value of NAME=VALUE on the kernel command
# line (a positive number), or DEFAULT.
kernel_arg() {
	_v=$(tr ' ' '\n' </proc/cmdline | sed -n "s/^$1=\([1-9][0-9]*\)\$/\1/p")
	echo "${_v:-$2}"
}
