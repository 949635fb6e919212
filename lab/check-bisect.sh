#!/usr/bin/env bash
# Build every prefix of the series (the base plus patches 1..i, for each i),
# then rebuild the C files each patch touches with W=1 and sparse (C=1), run
# kernel-doc on the files it touches and build the top-level Documentation/
# directories whose .rst files it touches with the tree's Sphinx setup
# (Debian's python3-sphinx, installed here if missing); a finding counts
# only if the patch adds it (the tree one patch earlier is the reference).  Not part of
# `make test`: with N patches it costs N incremental builds.
#
#   lab/check-bisect.sh [FIRST [LAST]]   (patch numbers, 1-based)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

lab_series
mapfile -t patches < <(series_patches "$SERIES")
total=${#patches[@]}
first=${1:-1}
last=${2:-$total}
[[ $first =~ ^[0-9]+$ && $last =~ ^[0-9]+$ ]] || die "check-bisect: patch numbers must be integers"
[ "$total" -gt 0 ] || { log "check-bisect: the series is empty: nothing to check"; exit 0; }
[ "$first" -ge 1 ] && [ "$last" -le "$total" ] && [ "$first" -le "$last" ] ||
	die "check-bisect: range $first..$last outside 1..$total"
need_cmd sparse

"$LAB_ROOT/lab/expand.sh" --base
export LAB_TREE=$SRC_DIR/bisect
# A prefix tree and its own build directory, reused from one prefix to the
# next so that each step is an incremental build.
src_for() { case "$1" in bisect) echo "$LAB_TREE" ;; *) die "bad flavour $1" ;; esac; }
build_for() { echo "$BUILD_DIR/bisect"; }

rm -rf "$LAB_TREE"
cp -a --reflink=auto "$(pristine_dir)" "$LAB_TREE"
chmod -R u+w "$LAB_TREE"
obj=$(build_for bisect)
mkdir -p "$obj"
# The lab configuration, series-only options included; a prefix that does
# not have an option yet just drops it, so no strict check here.
mapfile -t frags < <(lab_fragments series)
printf 'CONFIG_LOCALVERSION="-lab"\n' >"$obj/lab-release.config"
suffix=$(release_suffix series)
export LOCALVERSION=${suffix#-lab}-bisect

# kernel-doc warnings of a file that the base version of it did not have.
new_kdoc_warnings() {
	local f=$1
	diff <( [ -e "$(pristine_dir)/$f" ] && (cd "$(pristine_dir)" &&
		scripts/kernel-doc -v -none "$f" 2>&1) | sed 's/:[0-9]*:/:/' | sort) \
		<( (cd "$LAB_TREE" && scripts/kernel-doc -v -none "$f" 2>&1) |
		sed 's/:[0-9]*:/:/' | sort) | sed -n 's/^> //p'
}

# W=1 and sparse findings in C file $1 at the tree's current state, without
# line numbers, one a line.
w1_findings() {
	local c=$1
	rm -f "$obj/${c%.c}.o"
	kmake bisect W=1 C=1 CC="ccache gcc" "${c%.c}.o" >"$obj/w1-one.log" 2>&1 ||
		echo "$c: build failed"
	ktree_strip "$LAB_TREE" <"$obj/w1-one.log" |
		grep -E "^$c:[0-9]+:[0-9]+: (warning|error)" | sed -E 's/:[0-9]+:[0-9]+:/:/' | sort ||
		true
}

# Sphinx warnings that name Documentation file $2, from building the
# top-level directory $1 of it (make htmldocs SPHINXDIRS=$1), without line
# numbers, one a line.  Debian's Sphinx runs on Debian's python3.
docs_findings() {
	local top=$1 f=$2
	PATH=/usr/bin:$PATH kmake bisect O="$obj/docs" SPHINXDIRS="$top" htmldocs \
		>"$obj/docs-one.log" 2>&1 || echo "$f: htmldocs SPHINXDIRS=$top failed"
	ktree_strip "$LAB_TREE" <"$obj/docs-one.log" | grep -F "$f:" |
		grep -E 'WARNING|ERROR|CRITICAL' | sed -E 's/:[0-9]+:/:/' | sort -u || true
}
# before_patch P FILE OUT CMD...: what CMD prints on the tree without patch
# P, in OUT (empty where P creates FILE); P is applied again after.
before_patch() {
	local p=$1 f=$2 out=$3
	shift 3
	: >"$out"
	patch -d "$LAB_TREE" -R -p1 -s --no-backup-if-mismatch <"$PATCH_DIR/$p" ||
		die "check-bisect: $p does not revert"
	[ ! -e "$LAB_TREE/$f" ] || "$@" >"$out"
	patch -d "$LAB_TREE" -p1 -F0 -N -f -s --no-backup-if-mismatch <"$PATCH_DIR/$p" ||
		die "check-bisect: $p does not apply again"
}
if [ "$(id -u)" = 0 ] && ! [ -x /usr/bin/sphinx-build ]; then
	log "check-bisect: installing Debian's python3-sphinx for the documentation builds"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-sphinx \
		python3-sphinx-rtd-theme python3-yaml >"$OUT/apt-sphinx.log" 2>&1 ||
		log "check-bisect: python3-sphinx did not install (see $OUT/apt-sphinx.log)"
fi

failed=0
for i in $(seq 1 "$last"); do
	p=${patches[$((i - 1))]}
	patch -d "$LAB_TREE" -p1 -F0 -N -f -s --no-backup-if-mismatch <"$PATCH_DIR/$p" ||
		die "check-bisect: $p does not apply"
	[ "$i" -ge "$first" ] || continue
	kconfig_merge bisect "${frags[@]}" "$obj/lab-release.config" >"$obj/config.log" 2>&1 ||
		die "check-bisect: config failed (see $obj/config.log)"
	log "[$i/$total] $p: build"
	if ! kmake bisect -j"$(nproc)" CC="ccache gcc" bzImage modules >"$obj/build-$i.log" 2>&1; then
		log "[$i/$total] FAILED to build (see $obj/build-$i.log)"
		grep -m10 -E 'error|Error' "$obj/build-$i.log" >&2 || true
		failed=$((failed + 1))
		continue
	fi
	mapfile -t cfiles < <(sed -n 's|^+++ b/\(.*\.c\)$|\1|p' "$PATCH_DIR/$p" | sort -u)
	mapfile -t docfiles < <(sed -n 's|^+++ b/\(.*\.[ch]\)$|\1|p' "$PATCH_DIR/$p" | sort -u)
	for c in "${cfiles[@]}"; do
		o=${c%.c}.o
		[ -e "$obj/$o" ] || { log "[$i/$total] $c is not built in this config: skipped"; continue; }
		w1_findings "$c" >"$obj/w1-$i.after"
		cp "$obj/w1-one.log" "$obj/w1-$i.log"
		[ -s "$obj/w1-$i.after" ] || continue
		# Only what this patch adds counts: the same file one patch
		# earlier is the reference (sparse's lock-context noise, say).
		before_patch "$p" "$c" "$obj/w1-$i.before" w1_findings "$c"
		if comm -13 "$obj/w1-$i.before" "$obj/w1-$i.after" | grep . >&2; then
			log "[$i/$total] new W=1/sparse findings in $c (see $obj/w1-$i.log)"
			failed=$((failed + 1))
		else
			log "[$i/$total] $c: $(wc -l <"$obj/w1-$i.after") W=1/sparse finding(s), all there before this patch"
		fi
	done
	for f in "${docfiles[@]}"; do
		[ -e "$LAB_TREE/$f" ] || continue
		if new_kdoc_warnings "$f" | grep -E 'warning|error' >&2; then
			log "[$i/$total] kernel-doc warnings in $f"
			failed=$((failed + 1))
		fi
	done
	mapfile -t rstfiles < <(sed -n 's|^+++ b/\(Documentation/.*\.rst\)$|\1|p' "$PATCH_DIR/$p" | sort -u)
	if [ ${#rstfiles[@]} -gt 0 ] && ! [ -x /usr/bin/sphinx-build ]; then
		log "[$i/$total] SKIP documentation build: /usr/bin/sphinx-build missing (python3-sphinx)"
		rstfiles=()
	fi
	for f in "${rstfiles[@]}"; do
		top=$(echo "$f" | cut -d/ -f2)
		log "[$i/$total] $f: htmldocs SPHINXDIRS=$top"
		docs_findings "$top" "$f" >"$obj/docs-$i.after"
		[ -s "$obj/docs-$i.after" ] || continue
		before_patch "$p" "$f" "$obj/docs-$i.before" docs_findings "$top" "$f"
		if comm -13 "$obj/docs-$i.before" "$obj/docs-$i.after" | grep . >&2; then
			log "[$i/$total] new Sphinx warnings in $f (see $obj/docs-one.log)"
			failed=$((failed + 1))
		fi
	done
	log "[$i/$total] ok"
done
[ "$failed" = 0 ] || die "check-bisect: $failed problem(s)"
log "check-bisect: patches $first..$last build, W=1, sparse, kernel-doc and Sphinx clean"
