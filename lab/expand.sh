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
lab_series
only_base=0

for arg in "$@"; do
	case "$arg" in
	--base) only_base=1 ;;
	-h | --help) sed -n '2,16p' "$0"; exit 0 ;;
	*) die "expand: unknown option '$arg' (see --help)" ;;
	esac
done

[ -r "$BASE_FILE" ] || die "expand: base pin file '$BASE_FILE' is missing"
# lib.sh read the repo's BASE; a pin file of the user's must stand alone.
unset BASE_PACKAGE BASE_DEBIAN_VERSION BASE_TARBALL BASE_TARBALL_SHA256 \
	BASE_TARBALL_TOPDIR BASE_UPSTREAM_VERSION
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
}

# base.env: what the summary names as the base (lab/summary.py).
write_base_env() {
	{
		echo "package=$BASE_PACKAGE"
		echo "pin=$BASE_DEBIAN_VERSION"
		echo "used=$(installed_version)"
		echo "upstream=$BASE_UPSTREAM_VERSION"
		echo "sha256=$sha"
		echo "pinned=$([ "$FUZZ" = 0 ] && echo yes || echo no)"
		echo "series=$(series_id "$SERIES") ($(series_patches "$SERIES" | wc -l) patches)"
	} >"$OUT/base.env"
}

mkdir -p "$OUT" "$SRC_DIR"
rm -f "$OUT/base.env"
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
	trap 'rm -rf "$tmp"' EXIT
	tar -xJf "$BASE_TARBALL" -C "$tmp"
	[ -d "$tmp/$BASE_TARBALL_TOPDIR" ] ||
		die "expand: $BASE_TARBALL has no top directory '$BASE_TARBALL_TOPDIR' (BASE_TARBALL_TOPDIR in $BASE_FILE)"
	mv "$tmp/$BASE_TARBALL_TOPDIR" "$PRISTINE"
	rmdir "$tmp"
	trap - EXIT
	echo "$sha" >"$PRISTINE/.lab-stamp"
	chmod -R a-w "$PRISTINE"
fi
log "base: $(make -s -C "$PRISTINE" kernelversion 2>/dev/null) ($BASE_PACKAGE $(installed_version), sha256 ${sha:0:12})"
write_base_env
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
# Only a tree this script made (it has a stamp) is ever replaced: LAB_TREE
# pointing at someone's own tree must not wipe it.
if [ -e "$TREE" ] && [ ! -e "$TREE/.lab-stamp" ] && [ -n "$(ls -A "$TREE" 2>/dev/null)" ]; then
	die "expand: refusing to write into $TREE: it is not a tree lab/expand.sh made (no .lab-stamp); to test your own tree use KSRC=$TREE"
fi
if [ "$(cat "$TREE/.lab-stamp" 2>/dev/null)" = "$want" ]; then
	log "series tree up to date (${#patches[@]} patches)"
	exit 0
fi
# A new series is applied to a fresh copy of the base; an existing tree is
# then brought in line file by file, so that files the change leaves alone
# keep their time stamps and an incremental build stays incremental.  The
# copy (NEW) and the tree (SERIES_TREE) stay apart until the rsync.
SERIES_TREE=$TREE
NEW=$SERIES_TREE
if [ -d "$SERIES_TREE" ] && command -v rsync >/dev/null; then
	NEW=$SERIES_TREE.new
fi
log "copying the base to $NEW"
rm -rf "$NEW" "$SERIES_TREE.rej"
cp -a --reflink=auto "$PRISTINE" "$NEW"
chmod -R u+w "$NEW"
# Until the last line, the tree is a stamped but incomplete one of ours.
echo incomplete >"$NEW/.lab-stamp"
mkdir -p "$SERIES_TREE.rej"
fuzzed=0
n=0
for p in "${patches[@]}"; do
	n=$((n + 1))
	rej=$SERIES_TREE.rej/$p.rej
	if ! out=$(patch -d "$NEW" -p1 -F"$FUZZ" -N -f --no-backup-if-mismatch \
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
rm -rf "$SERIES_TREE.rej"
if [ "$NEW" != "$SERIES_TREE" ]; then
	# No -t: files whose content is unchanged keep their time stamps.
	rsync -rlpgoD --checksum --delete "$NEW/" "$SERIES_TREE/"
	rm -rf "$NEW"
fi
echo "$want" >"$SERIES_TREE/.lab-stamp"
log "applied ${#patches[@]} patches ($fuzzed with offset or fuzz) to $SERIES_TREE"
