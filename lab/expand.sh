#!/usr/bin/env bash
# Expand the pinned Debian base and apply the series.
#
#   lab/expand.sh            pristine base (read-only) + series tree (patch -F0)
#   lab/expand.sh --base     only the pristine base
#
# Environment:
#   LAB_BASE_FILE   file pinning the base (default: BASE)
#   LAB_SERIES      series file (default: series); patches are read beside it
#                   from patches/
#   LAB_NO_INSTALL  1: never call apt-get; fail if the base is missing
#   STRICT_BASE     1: a base other than the pinned one is an error, not a
#                   warning
set -euo pipefail
. "$(dirname "$0")/lib.sh"

BASE_FILE=${LAB_BASE_FILE:-$LAB_ROOT/BASE}
SERIES=$(readlink -f "${LAB_SERIES:-$LAB_ROOT/series}")
PATCH_DIR=$(dirname "$SERIES")/patches
only_base=0

for arg in "$@"; do
	case "$arg" in
	--base) only_base=1 ;;
	-h | --help) sed -n '2,16p' "$0"; exit 0 ;;
	*) die "expand: unknown option '$arg' (see --help)" ;;
	esac
done

[ -r "$BASE_FILE" ] || die "expand: base pin file '$BASE_FILE' is missing"
# shellcheck disable=SC1090
. "$BASE_FILE"
for v in BASE_PACKAGE BASE_DEBIAN_VERSION BASE_TARBALL BASE_TARBALL_SHA256 \
	BASE_TARBALL_TOPDIR BASE_UPSTREAM_VERSION; do
	[ -n "${!v:-}" ] || die "expand: $BASE_FILE does not set $v"
done

installed_version() {
	dpkg-query -W -f='${Status} ${Version}\n' "$BASE_PACKAGE" 2>/dev/null |
		awk '$3 == "installed" { print $4 }' || true
}

# Make sure the pinned package is installed.  A registry that no longer
# serves the pin is not our fault: fall back to its newest 6.12 with a loud
# warning and let the series apply with fuzz (reported), unless STRICT_BASE.
FUZZ=0
ensure_base_package() {
	local have
	have=$(installed_version)
	if [ "$have" = "$BASE_DEBIAN_VERSION" ]; then
		return
	fi
	if [ "${LAB_NO_INSTALL:-0}" != 1 ] && command -v apt-get >/dev/null; then
		log "installing $BASE_PACKAGE=$BASE_DEBIAN_VERSION"
		if apt-get install -y -q --no-install-recommends \
			"$BASE_PACKAGE=$BASE_DEBIAN_VERSION" >"$OUT/apt-base.log" 2>&1; then
			return
		fi
		have=$(installed_version)
		if [ -z "$have" ]; then
			log "pinned version not installable; trying the newest $BASE_PACKAGE"
			apt-get install -y -q --no-install-recommends "$BASE_PACKAGE" \
				>>"$OUT/apt-base.log" 2>&1 ||
				die "expand: cannot install $BASE_PACKAGE (see $OUT/apt-base.log)"
			have=$(installed_version)
		fi
	fi
	[ -n "$have" ] || die "expand: base package $BASE_PACKAGE is not installed (LAB_NO_INSTALL=1)"
	[ "${STRICT_BASE:-0}" = 1 ] &&
		die "expand: installed $BASE_PACKAGE $have differs from the pin $BASE_DEBIAN_VERSION (STRICT_BASE=1)"
	warn "*****************************************************************"
	warn "base is $BASE_PACKAGE $have, NOT the pinned $BASE_DEBIAN_VERSION."
	warn "The series will be applied with fuzz; results are not comparable."
	warn "*****************************************************************"
	FUZZ=2
	echo "$have" >"$OUT/base-mismatch"
}

mkdir -p "$OUT" "$SRC_DIR"
rm -f "$OUT/base-mismatch"
ensure_base_package
[ -r "$BASE_TARBALL" ] || die "expand: $BASE_TARBALL missing although $BASE_PACKAGE is installed"

# The stamp ties the unpacked tree to the tarball's checksum, so a new
# package version is never mistaken for the old tree.
PRISTINE=$(pristine_dir)
sha=$(sha256sum "$BASE_TARBALL" | cut -d' ' -f1)
if [ "$FUZZ" = 0 ] && [ "$sha" != "$BASE_TARBALL_SHA256" ]; then
	die "expand: $BASE_TARBALL sha256 $sha does not match the pin $BASE_TARBALL_SHA256"
fi
if [ "$(cat "$PRISTINE/.lab-stamp" 2>/dev/null)" != "$sha" ]; then
	log "unpacking $BASE_TARBALL into $PRISTINE (read-only)"
	[ -d "$PRISTINE" ] && chmod -R u+w "$PRISTINE" && rm -rf "$PRISTINE"
	tmp=$SRC_DIR/.unpack.$$
	rm -rf "$tmp" && mkdir -p "$tmp"
	tar -xJf "$BASE_TARBALL" -C "$tmp"
	mv "$tmp/$BASE_TARBALL_TOPDIR" "$PRISTINE"
	rmdir "$tmp"
	echo "$sha" >"$PRISTINE/.lab-stamp"
	chmod -R a-w "$PRISTINE"
fi
log "base: $(make -s -C "$PRISTINE" kernelversion 2>/dev/null) ($BASE_PACKAGE $(installed_version), sha256 ${sha:0:12})"
[ "$only_base" = 1 ] && exit 0

# Apply the series to a copy.  The copy is rebuilt whenever the base or any
# patch changes; the stamp records what it was made from.
[ -r "$SERIES" ] || die "expand: series file '$SERIES' is missing"
mapfile -t patches < <(series_patches "$SERIES")
for p in "${patches[@]}"; do
	[ -r "$PATCH_DIR/$p" ] || die "expand: series names '$p' but $PATCH_DIR/$p does not exist"
done
want=$( {
	echo "$sha fuzz=$FUZZ"
	for p in "${patches[@]}"; do echo "$p $(sha256sum <"$PATCH_DIR/$p")"; done
} | sha256sum | cut -d' ' -f1)
TREE=$(series_dir)
if [ "$(cat "$TREE/.lab-stamp" 2>/dev/null)" = "$want" ]; then
	log "series tree up to date (${#patches[@]} patches)"
	exit 0
fi
# A new series is applied to a fresh copy of the base; an existing tree is
# then brought in line file by file, so that files the change leaves alone
# keep their time stamps and an incremental build stays incremental.
FINAL=$TREE
if [ -d "$TREE" ] && command -v rsync >/dev/null; then
	TREE=$FINAL.new
fi
log "copying the base to $TREE"
rm -rf "$TREE" "$FINAL.rej"
cp -a --reflink=auto "$PRISTINE" "$TREE"
chmod -R u+w "$TREE"
rm -f "$TREE/.lab-stamp"
mkdir -p "$FINAL.rej"
fuzzed=0
n=0
for p in "${patches[@]}"; do
	n=$((n + 1))
	rej=$FINAL.rej/$p.rej
	if ! out=$(patch -d "$TREE" -p1 -F"$FUZZ" -N -f --no-backup-if-mismatch \
		-r "$rej" <"$PATCH_DIR/$p" 2>&1); then
		echo "$out" >&2
		[ -s "$rej" ] && { echo "--- rejects of $p:" >&2; cat "$rej" >&2; }
		die "expand: patch $n/${#patches[@]} '$p' does not apply (fuzz $FUZZ)"
	fi
	if grep -qE 'with fuzz|offset' <<<"$out"; then
		fuzzed=$((fuzzed + 1))
		warn "$p applied with offset/fuzz:"
		echo "$out" | sed 's/^/    /' >&2
	fi
done
rm -rf "$FINAL.rej"
if [ "$TREE" != "$FINAL" ]; then
	rm -f "$FINAL/.lab-stamp"
	# No -t: files whose content is unchanged keep their time stamps.
	rsync -rlpgoD --checksum --delete "$TREE/" "$FINAL/"
	rm -rf "$TREE"
	TREE=$FINAL
fi
echo "$want" >"$TREE/.lab-stamp"
log "applied ${#patches[@]} patches ($fuzzed with offset or fuzz) to $TREE"
