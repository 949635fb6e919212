# Shared helpers for the lab's shell tools.  Source it; do not run it.
# shellcheck shell=bash

LAB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

LAB_T0=${LAB_T0:-$(date +%s)}
export LAB_T0

log() { printf '[%4ss] %s\n' "$(($(date +%s) - LAB_T0))" "$*" >&2; }
warn() { printf '[%4ss] WARNING: %s\n' "$(($(date +%s) - LAB_T0))" "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# --- the base: KERNEL=<K> picks kernels/<K>/ ---------------------------------
# kernels/<K>/ holds one base: BASE (the pin), series, patches/, configs/ (its
# own kconfig fragments) and checkpatch-allow.  kernels/default names the base
# of a command without KERNEL=, kernels/ci the bases a plain 'make test' runs.

# lab_kernels: the valid values of KERNEL, one a line.
lab_kernels() {
	local b
	for b in "$LAB_ROOT"/kernels/*/BASE; do
		[ -e "$b" ] && basename "$(dirname "$b")"
	done
	return 0
}
# kernels_list FILE: the kernels FILE names, one a line (comments dropped).
kernels_list() {
	sed -e 's/#.*//' -e 's/[[:space:]]\+/\n/g' "$1" | sed '/^$/d'
}
# check_kernel K: K is a base of kernels/, or a one-line error naming them.
check_kernel() {
	[[ $1 =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]] && [ -r "$LAB_ROOT/kernels/$1/BASE" ] ||
		die "KERNEL=$1: no such base (no kernels/$1/BASE); valid: $(lab_kernels | tr '\n' ' ' | sed 's/ $//')"
}
if [ -z "${KERNEL:-}" ]; then
	KERNEL=$(kernels_list "$LAB_ROOT/kernels/default" 2>/dev/null | head -1)
	[ -n "$KERNEL" ] || die "kernels/default names no base (want one of: $(lab_kernels | tr '\n' ' '))"
fi
check_kernel "$KERNEL"
export KERNEL
KDIR=$LAB_ROOT/kernels/$KERNEL

# Everything a base writes goes under OUT=$LAB_OUT_ROOT/$KERNEL, so two bases
# never overwrite each other.  LAB_OUT_ROOT is the user's OUT (default out/).
# A child that inherits an OUT this made (LAB_OUT_ROOT/<a base>) derives its
# own from LAB_OUT_ROOT again, for its own KERNEL: it never appends twice.
if [ -n "${LAB_OUT_ROOT:-}" ] && [[ ${OUT:-} == "$LAB_OUT_ROOT"/* ]] &&
	[ -r "$LAB_ROOT/kernels/${OUT#"$LAB_OUT_ROOT"/}/BASE" ]; then
	:
else
	LAB_OUT_ROOT=${OUT:-$LAB_ROOT/out}
fi
OUT=$LAB_OUT_ROOT/$KERNEL
export LAB_OUT_ROOT OUT
SRC_DIR=$OUT/src

# DEBUG=1: the debug kernels.  configs/debug/*.config (KASAN, lockdep, RCU and
# sleep-in-atomic checks) go on top of every fragment, and builds, initramfs
# and results have paths and labels of their own (out/<K>/build-debug,
# initramfs-debug, results/scenarios-series-debug), so a debug run never
# mixes with the normal kernels it is compared to.  Under TCG these kernels
# run several times slower: scenario timeouts are scaled by
# LAB_TIMEOUT_SCALE (default 4 with DEBUG=1).
case "${DEBUG:-0}" in
0 | "") DEBUG_SFX= ;;
1) DEBUG_SFX=-debug
	export LAB_TIMEOUT_SCALE=${LAB_TIMEOUT_SCALE:-4} ;;
*) die "DEBUG must be 0 or 1, not '$DEBUG'" ;;
esac
BUILD_DIR=$OUT/build$DEBUG_SFX
INITRAMFS_DIR=$OUT/initramfs$DEBUG_SFX

# shellcheck source=../kernels/6.12/BASE
. "$KDIR/BASE"

# Which kernel a command works on: the patched series (default), the
# unpatched base (BASELINE=1), or a kernel tree of the user's (KSRC=DIR,
# flavour 'custom': built with O= only, never written to).
lab_flavour() {
	case "${BASELINE:-0}" in
	0 | "") ;;
	1) [ -z "${KSRC:-}" ] || die "BASELINE=1 and KSRC= exclude each other"
		echo base
		return ;;
	*) die "BASELINE must be 0 or 1, not '$BASELINE'" ;;
	esac
	if [ -n "${KSRC:-}" ]; then
		check_ksrc
		echo custom
	else
		echo series
	fi
}
check_flavour() {
	case "$1" in
	series | base) ;;
	custom) check_ksrc ;;
	*) die "unknown kernel flavour '$1' (want series, base or custom)" ;;
	esac
}
check_ksrc() {
	[ -n "${KSRC:-}" ] || die "flavour 'custom' needs KSRC=/path/to/kernel/tree"
	[ -f "$KSRC/Makefile" ] && [ -d "$KSRC/mm" ] && [ -d "$KSRC/tools/testing/kunit" ] ||
		die "KSRC=$KSRC is not a kernel source tree (no Makefile, mm/ or tools/testing/kunit)"
}

# The pristine, read-only base tree and the tree with the series applied.
pristine_dir() { echo "$SRC_DIR/base"; }
series_dir() { echo "${LAB_TREE:-$SRC_DIR/series}"; }
src_for() {
	case "$1" in
	base) pristine_dir ;;
	series) series_dir ;;
	custom) check_ksrc && readlink -f "$KSRC" ;;
	*) die "unknown kernel flavour '$1' (want series, base or custom)" ;;
	esac
}
build_for() { echo "$BUILD_DIR/$1"; }
# flavour_label FLAVOUR: the name a flavour's results and summary lines carry.
flavour_label() { echo "$1$DEBUG_SFX"; }

# A content hash of the series (the base's pin, the series file and every
# patch), the series' identity in kernel release strings and summaries: the
# same patches on another base, or an empty series on two bases, differ.
# shellcheck disable=SC2120 # series_id [SERIES-FILE]; most callers mean ours
series_id() {
	local file=${1:-$KDIR/series} dir p
	dir=$(dirname "$(readlink -f "$file")")/patches
	{
		cat "${LAB_BASE_FILE:-$KDIR/BASE}"
		cat "$file"
		for p in $(series_patches "$file"); do cat "$dir/$p" 2>/dev/null; done
	} | sha256sum | cut -c1-12
}

# The kernel release suffix of a flavour: the series' carries its hash, so
# a stale kernel can never pass for the current series.
release_suffix() {
	case "$1" in
	series) echo "-lab-series-$(series_id)$DEBUG_SFX" ;;
	*) echo "-lab-$1$DEBUG_SFX" ;;
	esac
}

# lab_series: SERIES (the series file, LAB_SERIES or the base's,
# kernels/<K>/series) and PATCH_DIR (its patches/ beside it).
# shellcheck disable=SC2034 # both are for the caller
lab_series() {
	SERIES=$(readlink -f "${LAB_SERIES:-$KDIR/series}")
	PATCH_DIR=$(dirname "$SERIES")/patches
}

# Patches named by the series file, in order, comments and blanks dropped.
series_patches() {
	local file=${1:-$KDIR/series}
	sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' "$file"
}

# lab_fragments FLAVOUR: the kconfig fragments of a FLAVOUR kernel, in merge
# order: the common configs/*.config, the base's own kernels/<K>/configs/,
# then, for a kernel with the series applied, configs/series/*.config
# (options that exist only with the series: none while the series is empty).
lab_fragments() {
	local f
	for f in "$LAB_ROOT"/configs/*.config "$KDIR"/configs/*.config; do
		[ -e "$f" ] && echo "$f"
	done
	if [ "$1" != base ] && { [ "$1" = custom ] || [ -n "$(series_patches "${LAB_SERIES:-$KDIR/series}")" ]; }; then
		for f in "$LAB_ROOT"/configs/series/*.config; do
			[ -e "$f" ] && echo "$f"
		done
	fi
	if [ -n "$DEBUG_SFX" ]; then
		for f in "$LAB_ROOT"/configs/debug/*.config; do
			[ -e "$f" ] && echo "$f"
		done
	fi
	return 0
}

# Debian and Ubuntu mirror host names, which no file of the lab may name
# (lab/lint.sh): apt sources come from the machine's own configuration.
# Written so that the pattern does not match itself.
# shellcheck disable=SC2034 # for lint.sh and the self-tests
LAB_MIRROR_RE='(deb|ftp|ftp[.][a-z0-9]+|security|httpredir|cdn-fastly|snapshot)[.]debian[.]org|(archive|security)[.]ubuntu[.]com'

need_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 ||
			die "'$c' not found: run 'make deps' (or lab/deps.sh) first"
	done
}

# ktree_strip: kbuild diagnostics with the source tree's path removed, whichever
# path the tree had (the bind mount's or, without it, its real one).
ktree_strip() {
	sed -E "s#^($KTREE_SRC|$1)/##"
}

# ktree_run FLAVOUR CMD...: run CMD in FLAVOUR's source tree, where $KSRC and
# $KOBJ (exported) name the source and build directories.
#
# Both are bind-mounted at the same fixed paths in a private mount namespace,
# so every compiler command line is the same whichever tree and whichever
# checkout it comes from, and ccache reuses objects across base, series and
# clean clones.  Without the privilege for that, paths are the real ones.
KTREE_SRC=/tmp/lab-kernel/src
KTREE_OBJ=/tmp/lab-kernel/obj
ktree_run() {
	local flavour=$1 src obj
	shift
	src=$(src_for "$flavour")
	obj=$(build_for "$flavour")
	mkdir -p "$obj"
	# A user's tree (custom) is bind-mounted read-only: kbuild writes to O=.
	local ro=
	[ "$flavour" = custom ] && ro=1
	if [ "${LAB_NO_BIND:-0}" != 1 ] && mkdir -p "$KTREE_SRC" "$KTREE_OBJ" 2>/dev/null &&
		unshare -m true 2>/dev/null; then
		unshare -m bash -c 'mount --bind "$1" "$3" && mount --bind "$2" "$4" &&
			{ [ -z "$5" ] || mount -o remount,bind,ro "$3"; } &&
			cd "$3" && export KSRC=$3 KOBJ=$4 && shift 5 && exec "$@"' \
			ktree_run "$src" "$obj" "$KTREE_SRC" "$KTREE_OBJ" "$ro" "$@"
	else
		(cd "$src" && export KSRC=$src KOBJ=$obj && exec "$@")
	fi
}

# kmake FLAVOUR MAKE-ARGS...: make with O= in FLAVOUR's tree (see ktree_run).
# shellcheck disable=SC2016
kmake() {
	local flavour=$1
	shift
	ktree_run "$flavour" sh -c 'exec make -C "$KSRC" O="$KOBJ" "$@"' kmake "$@"
}

# kconfig_merge FLAVOUR FRAGMENT...: FLAVOUR's .config from allnoconfig and
# the fragments, by the tree's own merge_config.sh.  It keeps temporary
# files in the current directory and runs make there, so it runs in the
# build directory, through the one-line Makefile kbuild itself puts in an O=
# directory: the source tree (read-only for KSRC=) is never written.
# shellcheck disable=SC2016
kconfig_merge() {
	local flavour=$1
	shift
	ktree_run "$flavour" sh -c 'cd "$KOBJ" && printf "include %s/Makefile\n" "$KSRC" >Makefile &&
		exec "$KSRC/scripts/kconfig/merge_config.sh" -n -O "$KOBJ" "$@"' merge "$@"
}

# --- results ----------------------------------------------------------------

# ktap_group RESULTS NAME OK|FAIL|SKIP DESC [DIAG...]: a one-case KTAP
# document RESULTS/NAME.ktap, for a step that is one verdict.
ktap_group() {
	local dir=$1 name=$2 st=$3 desc=$4 line
	shift 4
	mkdir -p "$(dirname "$dir/$name")"
	{
		echo "KTAP version 1"
		echo "1..1"
		for line in "$@"; do printf '%s\n' "$line" | sed 's/^/# /'; done
		case "$st" in
		OK) echo "ok 1 - $desc" ;;
		SKIP) echo "ok 1 - $desc # SKIP ${*:-no reason given}" ;;
		*) echo "not ok 1 - $desc" ;;
		esac
	} >"$dir/$name.ktap"
}

# name_base FLAVOUR RESULTS: RESULTS/base.env, what the summary names as the
# base: expand.sh's record of the Debian base, or the user's tree.
name_base() {
	if [ "$1" = custom ]; then
		printf 'custom=%s\nupstream=%s\n' "$(readlink -f "$KSRC")" \
			"$(make -s -C "$KSRC" kernelversion 2>/dev/null)" >"$2/base.env"
	else
		cp "$OUT/base.env" "$2/" 2>/dev/null || true
	fi
}

# expect RESULTS GROUP...: the run will have results for GROUP; the summary
# fails any group listed here that left none.
expect() {
	local dir=$1
	shift
	mkdir -p "$dir"
	printf '%s\n' "$@" >>"$dir/expected"
}

# results_dir DIR: DIR emptied for a run's results.  Only the lab's own
# $OUT/results/*, a directory a run made (it has .lab-results) or an empty
# one is ever cleared: RESULTS_DIR=out must not wipe the builds.
results_dir() {
	local dir=$1
	if [[ $(readlink -f "$dir") != "$(readlink -f "$OUT")/results/"?* ]] && [ -e "$dir" ] &&
		[ ! -e "$dir/.lab-results" ] && [ -n "$(ls -A "$dir" 2>/dev/null)" ]; then
		die "refusing to clear $dir for results: it is not a results directory of the lab (no .lab-results)"
	fi
	rm -rf "$dir"
	mkdir -p "$dir"
	: >"$dir/.lab-results"
}

# check_scenario_args ARG...: the user's scenario names; an option here
# (--list, --dry-run) would make the runner boot nothing and pass.
check_scenario_args() {
	local a
	for a in "$@"; do
		[[ $a =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]] ||
			die "'$a' is not a scenario name (see 'make list'; options go in KERNEL_ARGS=, QEMU_ARGS=, RAW_OUTPUT=1)"
	done
}

# boot_scenarios FLAVOUR RESULTS [run.py ARGS...]: boot scenarios on the
# built kernel and initramfs of FLAVOUR, results in RESULTS.  run.py's own
# exit status is the FLAVOUR/runner group: a runner that refuses its
# arguments, dies half-way or boots nothing fails the run even where no
# scenario left a file.  A kernel built for another series than the
# current one is refused.  The run's time budget (LAB_BUDGET seconds from
# LAB_T0) bounds every boot.
boot_scenarios() {
	local flavour=$1 dir=$2 rc=0 err release before after
	shift 2
	expect "$dir" "$(flavour_label "$flavour")/runner"
	release=$(cat "$(build_for "$flavour")/kernelrelease" 2>/dev/null)
	if [ -n "$release" ] && [[ $release != *"$(release_suffix "$flavour")" ]]; then
		ktap_group "$dir" "$(flavour_label "$flavour")/runner" FAIL "scenarios booted on the current $flavour kernel" \
			"the built kernel is $release, not one of the series as it is now ($(release_suffix "$flavour")): make build"
		return 1
	fi
	err=$(mktemp)
	before=$(wc -l <"$dir/expected")
	python3 "$LAB_ROOT/lab/run.py" --label "$(flavour_label "$flavour")" --results "$dir" \
		--kernel "$(build_for "$flavour")/arch/x86/boot/bzImage" \
		--initrd "$INITRAMFS_DIR/$flavour.cpio.gz" ${release:+--release "$release"} \
		--deadline "$((LAB_T0 + ${LAB_BUDGET:-3600}))" \
		${LAB_KERNEL_ARGS:+--kernel_args="$LAB_KERNEL_ARGS"} \
		${LAB_QEMU_ARGS:+--qemu_args="$LAB_QEMU_ARGS"} \
		${LAB_RAW_OUTPUT:+--raw_output} "$@" 2>"$err" || rc=$?
	cat "$err" >&2
	after=$(wc -l <"$dir/expected")
	case "$rc" in
	0 | 1)
		if [ "$after" -gt "$before" ]; then
			ktap_group "$dir" "$(flavour_label "$flavour")/runner" OK "run.py booted every scenario it was asked for" \
				"run.py exit status $rc$([ "$rc" = 0 ] || echo ": some scenarios failed, see them")"
		else
			ktap_group "$dir" "$(flavour_label "$flavour")/runner" FAIL "run.py booted every scenario it was asked for" \
				"run.py exit status $rc, but it booted nothing"
			rc=1
		fi
		;;
	*) ktap_group "$dir" "$(flavour_label "$flavour")/runner" FAIL "run.py booted every scenario it was asked for" \
		"run.py exit status $rc" "$(tail -3 "$err")" ;;
	esac
	rm -f "$err"
	return "$rc"
}
