# Guest-side helpers of the bench scenarios: samples for lab/bench.py and
# the hotplug paths they time.  Each measurement is one line
#   # bench-sample METRIC UNIT VALUE
# (METRIC "path@SIZE" for a path at one size); lab/bench.py collects them
# over every boot of a run and gives each metric's median and spread.
# Time is the guest clock (/lab/bin/optime): under -icount shift=0 one
# nanosecond per instruction executed, plus the time the guest sleeps or
# waits for the host.
# shellcheck shell=sh

now() { /lab/bin/optime now; }

# bytes SIZE: SIZE (N, NM or NG) in bytes.
bytes() {
	case "$1" in
	*G) echo $((${1%G} << 30)) ;;
	*M) echo $((${1%M} << 20)) ;;
	*) echo "$1" ;;
	esac
}

# sample METRIC UNIT VALUE (METRIC gets $BENCH_PREFIX in front)
sample() { diag "bench-sample ${BENCH_PREFIX:-}$1 $2 $3"; }

# bench_runs DEFAULT: the samples per metric and boot, bench_runs=N on the
# kernel command line or DEFAULT.
bench_runs() { kernel_arg bench_runs "$1"; }

# bench_boot SIZE: the kernel's own time stamp of "Run /init as init
# process" as sample boot_init@SIZE; the check that it was there.
bench_boot() {
	# "[    1.234567] Run /init as init process": seconds, to microseconds.
	_us=$(dmesg | awk '/Run \/init as init process/ {
		s = $0; sub(/^\[ */, "", s); sub(/\].*/, "", s); printf "%.0f\n", s * 1000000; exit }')
	[ -z "$_us" ] || sample "boot_init@$1" guest-us "$_us"
	check "the kernel logged when it ran /init (${_us:-no such line} us)" test -n "$_us"
}

# quiet CMD...: run CMD, its output to /tmp/bench.out; on failure that
# output goes to the results as diagnostics.
quiet() {
	"$@" >/tmp/bench.out 2>&1 && return 0
	tail -5 /tmp/bench.out | while read -r _l; do diag "$*: $_l"; done
	return 1
}

# sample_since METRIC T0: guest ns since T0, as microseconds.
sample_since() { sample "$1" guest-us $((($(now) - $2) / 1000)); }

# wait_blocks OP N: poll every 10 ms, at most 120 s, until the number of
# memory blocks is OP (-eq, -ge) N.  Finer than wait_for's 100 ms: the
# time a poll sleeps past the event counts in the sample.
wait_blocks() {
	_w=12000
	while ! nr_blocks_is "$1" "$2"; do
		_w=$((_w - 1))
		[ "$_w" -gt 0 ] || return 1
		usleep 10000
	done
}

# blocks_set STATE BLOCK...: write STATE to each block, in order.
blocks_set() {
	_s=$1
	shift
	for _b in "$@"; do
		echo "$_s" >"$MEMDIR/$_b/state" || return 1
	done
}

# bench_dimm SIZE RUNS: hot-add a DIMM of SIZE over QMP and online it
# (movable), RUNS times; each run also offlines and onlines it once more,
# and unplugs it.  Samples: hotadd_online@SIZE (request to the last block
# online), online_offline@SIZE (every block online, then offline again)
# and offline_unplug@SIZE (offline, request, the blocks gone).
bench_dimm() {
	_size=$1 _runs=$2 _ok=0
	_nb=$(($(bytes "$_size") / $(block_size)))
	_b0=$(blocks)
	_n0=$(nr_blocks)
	for _r in $(seq "$_runs"); do
		_t=$(now)
		req dimm-add bdimm "$_size" >/dev/null || break
		wait_blocks -ge $((_n0 + _nb)) || break
		# shellcheck disable=SC2046 # block names are words
		blocks_set online_movable $(new_blocks "$_b0") || break
		sample_since "hotadd_online@$_size" "$_t"
		_t=$(now)
		# shellcheck disable=SC2046
		blocks_set offline $(new_blocks "$_b0") || break
		# shellcheck disable=SC2046
		blocks_set online_movable $(new_blocks "$_b0") || break
		sample_since "offline_online@$_size" "$_t"
		_t=$(now)
		# shellcheck disable=SC2046
		blocks_set offline $(new_blocks "$_b0") || break
		req dimm-del bdimm >/dev/null || break
		wait_blocks -eq "$_n0" || break
		sample_since "offline_unplug@$_size" "$_t"
		_ok=$((_ok + 1))
	done
	check_eq "DIMM $_size ($_nb blocks): $_runs hot-add/online/offline/unplug runs timed" "$_ok" "$_runs"
}

# bench_ns SIZE RUNS: a devdax namespace of SIZE on region0, with its
# memmap in RAM (--map=mem) and in the namespace (--map=dev); each is
# disabled and enabled again RUNS times (memunmap_pages() and
# memremap_pages()): memunmap_memremap_mem@SIZE, ..._dev@SIZE.  Then a
# namespace of SIZE + one block goes to system-ram and back
# (dax_kmem: add_memory_driver_managed(), online, offline, remove):
# kmem_roundtrip@SIZE.
bench_ns() {
	_size=$1 _runs=$2
	for _map in mem dev; do
		_ok=0
		if quiet ndctl create-namespace -r region0 -m devdax --map=$_map -s "$_size"; then
			_ns=$(ndctl list -N | json_field dev)
			for _r in $(seq "$_runs"); do
				_t=$(now)
				quiet ndctl disable-namespace "$_ns" || break
				quiet ndctl enable-namespace "$_ns" || break
				sample_since "memunmap_memremap_$_map@$_size" "$_t"
				_ok=$((_ok + 1))
			done
			quiet ndctl destroy-namespace -f "$_ns" || _ok=-1
		fi
		check_eq "devdax --map=$_map $_size: $_runs disable/enable runs timed" "$_ok" "$_runs"
	done
	# dax_kmem adds the whole memory blocks inside the namespace's data,
	# which starts behind a 2 MiB info block: one block more holds SIZE.
	_ok=0
	_kb=$(($(bytes "$_size") + $(block_size)))
	if quiet ndctl create-namespace -r region0 -m devdax --map=mem -a 2M -s "$_kb"; then
		_ns=$(ndctl list -N | json_field dev)
		_dax=$(ndctl list -N -X | json_field chardev)
		for _r in $(seq "$_runs"); do
			_t=$(now)
			quiet daxctl reconfigure-device -m system-ram "$_dax" || break
			quiet daxctl reconfigure-device -m devdax -f "$_dax" || break
			sample_since "kmem_roundtrip@$_size" "$_t"
			_ok=$((_ok + 1))
		done
		quiet ndctl destroy-namespace -f "$_ns" || _ok=-1
	fi
	check_eq "devdax $_size to system-ram and back: $_runs runs timed" "$_ok" "$_runs"
}
