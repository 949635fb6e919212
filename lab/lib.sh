# Shared helpers for the lab's shell tools.  Source it; do not run it.
# shellcheck shell=bash

LAB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${OUT:-$LAB_ROOT/out}
SRC_DIR=$OUT/src
BUILD_DIR=$OUT/build

# shellcheck source=../BASE
. "$LAB_ROOT/BASE"

LAB_T0=${LAB_T0:-$(date +%s)}
export LAB_T0

log() { printf '[%4ss] %s\n' "$(($(date +%s) - LAB_T0))" "$*" >&2; }
warn() { printf '[%4ss] WARNING: %s\n' "$(($(date +%s) - LAB_T0))" "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Which kernel a command works on: the patched series (default) or the
# unpatched base.  BASELINE=1 selects the base everywhere.
lab_flavour() {
	case "${BASELINE:-0}" in
	0 | "") echo series ;;
	1) echo base ;;
	*) die "BASELINE must be 0 or 1, not '$BASELINE'" ;;
	esac
}

# The pristine, read-only base tree and the tree with the series applied.
pristine_dir() { echo "$SRC_DIR/base"; }
series_dir() { echo "${LAB_TREE:-$SRC_DIR/series}"; }
src_for() {
	case "$1" in
	base) pristine_dir ;;
	series) series_dir ;;
	*) die "unknown kernel flavour '$1' (want base or series)" ;;
	esac
}
build_for() { echo "$BUILD_DIR/$1"; }

# Patches named by the series file, in order, comments and blanks dropped.
series_patches() {
	local file=${1:-$LAB_ROOT/series}
	sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' "$file"
}

need_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 ||
			die "'$c' not found: run 'make deps' (or lab/deps.sh) first"
	done
}

# kns FLAVOUR CMD...: run CMD in FLAVOUR's source tree, where $KSRC and
# $KOBJ (exported) name the source and build directories.
#
# Both are bind-mounted at the same fixed paths in a private mount namespace,
# so every compiler command line is the same whichever tree and whichever
# checkout it comes from, and ccache reuses objects across base, series and
# clean clones.  Without the privilege for that, paths are the real ones.
KNS_SRC=/tmp/lab-kernel/src
KNS_OBJ=/tmp/lab-kernel/obj
kns() {
	local flavour=$1 src obj
	shift
	src=$(src_for "$flavour")
	obj=$(build_for "$flavour")
	mkdir -p "$obj"
	if [ "${LAB_NO_BIND:-0}" != 1 ] && mkdir -p "$KNS_SRC" "$KNS_OBJ" 2>/dev/null &&
		unshare -m true 2>/dev/null; then
		unshare -m bash -c 'mount --bind "$1" "$3" && mount --bind "$2" "$4" &&
			cd "$3" && export KSRC=$3 KOBJ=$4 && shift 4 && exec "$@"' \
			kns "$src" "$obj" "$KNS_SRC" "$KNS_OBJ" "$@"
	else
		(cd "$src" && export KSRC=$src KOBJ=$obj && exec "$@")
	fi
}

# kmake FLAVOUR MAKE-ARGS...: make with O= in FLAVOUR's tree (see kns).
# shellcheck disable=SC2016
kmake() {
	local flavour=$1
	shift
	kns "$flavour" sh -c 'exec make -C "$KSRC" O="$KOBJ" "$@"' kmake "$@"
}
