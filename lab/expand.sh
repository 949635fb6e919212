#!/usr/bin/env bash
# Fetch the pinned Debian base, expand it and apply the series.
#
#   lab/expand.sh            pristine base (read-only) + series tree (patch -F0)
#   lab/expand.sh --base     only the pristine base
#
# The base (kernels/<K>/BASE, KERNEL=<K>) is a Debian linux-source package:
# 'apt-get download' fetches its .deb into out/<K>/deb/ and 'dpkg-deb -x'
# unpacks it there (nothing is installed, /usr/src is not used); the tarball
# inside it (BASE_TARBALL) is checked against the pin and expanded.  With
# BASE_SUITE empty the machine's own apt sources serve it; with BASE_SUITE set
# a private sources list for that suite, made from the machine's own Debian
# archive entries (out/<K>/apt/<suite>/), does, without touching the
# machine's apt state.  A pin the archive no longer serves falls back to the
# newest version there, loudly, with fuzz allowed.
#
# Environment:
#   LAB_BASE_FILE   file pinning the base (default: kernels/<K>/BASE)
#   LAB_SERIES      series file (default: kernels/<K>/series); patches are
#                   read beside it from patches/
#   LAB_NO_FETCH    1: never call apt: only a .deb already in out/<K>/deb
#                   (LAB_NO_INSTALL=1, its old name, works too)
#   LAB_APT_ETC     the machine's apt configuration (default: /etc/apt)
#   LAB_OS_RELEASE  the machine's os-release (default: /etc/os-release)
#   STRICT_BASE     1: a base other than the pinned one is an error, not a
#                   warning
set -euo pipefail
. "$(dirname "$0")/lib.sh"

BASE_FILE=${LAB_BASE_FILE:-$KDIR/BASE}
APT_ETC=${LAB_APT_ETC:-/etc/apt}
OS_RELEASE=${LAB_OS_RELEASE:-/etc/os-release}
NO_FETCH=${LAB_NO_FETCH:-${LAB_NO_INSTALL:-0}}
lab_series
only_base=0

for arg in "$@"; do
	case "$arg" in
	--base) only_base=1 ;;
	-h | --help) sed -n '2,27p' "$0"; exit 0 ;;
	*) die "expand: unknown option '$arg' (see --help)" ;;
	esac
done

[ -r "$BASE_FILE" ] || die "expand: base pin file '$BASE_FILE' is missing"
# lib.sh read the base's BASE; a pin file of the user's must stand alone.
unset BASE_PACKAGE BASE_DEBIAN_VERSION BASE_SUITE BASE_TARBALL BASE_TARBALL_SHA256 \
	BASE_TARBALL_TOPDIR BASE_UPSTREAM_VERSION
# shellcheck disable=SC1090
. "$BASE_FILE"
for v in BASE_PACKAGE BASE_DEBIAN_VERSION BASE_TARBALL BASE_TARBALL_SHA256 \
	BASE_TARBALL_TOPDIR BASE_UPSTREAM_VERSION; do
	[ -n "${!v:-}" ] || die "expand: $BASE_FILE does not set $v"
done
BASE_SUITE=${BASE_SUITE:-}
[[ $BASE_SUITE =~ ^[A-Za-z0-9._-]*$ ]] || die "expand: BASE_SUITE '$BASE_SUITE' in $BASE_FILE is not a suite name"
# The tarball's path inside the package (an old pin's /usr/src/... works).
BASE_TARBALL=${BASE_TARBALL#/}

DEB_DIR=$OUT/deb
APT_LOG=$OUT/apt-base.log
APT_OPTS=()
WHERE="the machine's apt sources"

# --- the private sources list of BASE_SUITE -----------------------------------

# machine_archive CODENAME: "URI SIGNED-BY" of each of the machine's apt
# entries for suite CODENAME itself (not CODENAME-security, -updates, ...),
# from deb822 .sources files and one-line .list files.  SIGNED-BY is '-'
# where the entry names no keyring file (none, a fingerprint or an inline
# key).
machine_archive() {
	local code=$1 f
	for f in "$APT_ETC"/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		awk -v code="$code" '
			function flush(   i, n, u, x, ok) {
				if (types ~ /(^|[ \t])deb([ \t]|$)/ && tolower(enabled) != "no") {
					n = split(suites, x, " ")
					for (i = 1; i <= n; i++) if (x[i] == code) ok = 1
					if (signed !~ /^\// || multi) signed = "-"
					n = split(uris, u, " ")
					if (ok) for (i = 1; i <= n; i++) print u[i], signed
				}
				types = uris = suites = signed = enabled = key = ""; multi = 0
			}
			/^#/ { next }
			/^[ \t]*$/ { flush(); next }
			/^[ \t]/ {
				if (key == "types") types = types " " $0
				else if (key == "uris") uris = uris " " $0
				else if (key == "suites") suites = suites " " $0
				else if (key == "signed-by") multi = 1
				next
			}
			{
				key = tolower($1); sub(/:$/, "", key)
				v = $0; sub(/^[^:]*:[ \t]*/, "", v)
				if (key == "types") types = v
				else if (key == "uris") uris = v
				else if (key == "suites") suites = v
				else if (key == "signed-by") signed = v
				else if (key == "enabled") enabled = v
			}
			END { flush() }' "$f"
	done
	for f in "$APT_ETC/sources.list" "$APT_ETC"/sources.list.d/*.list; do
		[ -r "$f" ] || continue
		awk -v code="$code" '
			{ sub(/#.*/, "") }
			$1 != "deb" { next }
			{
				i = 2; signed = "-"
				if ($2 ~ /^\[/) {
					for (; i <= NF; i++) {
						o = $i; gsub(/[][]/, "", o)
						if (o ~ /^signed-by=\//) { signed = o; sub(/^signed-by=/, "", signed) }
						if ($i ~ /\]$/) break
					}
					i++
				}
				if ($(i + 1) == code) print $i, signed
			}' "$f"
	done
}

# apt_private: APT_OPTS for a private sources list of BASE_SUITE, from the
# machine's own Debian archive entries (their URIs and keyring, suite
# BASE_SUITE, component main), with its own package lists; then an update.
apt_private() {
	local dir=$OUT/apt/$BASE_SUITE code entries
	code=$(sed -n 's/^VERSION_CODENAME=//p' "$OS_RELEASE" 2>/dev/null | tr -d '"' | head -1)
	[ -n "$code" ] || die "expand: no VERSION_CODENAME in $OS_RELEASE: cannot tell which apt entries are the machine's Debian archive (for BASE_SUITE=$BASE_SUITE)"
	entries=$(machine_archive "$code" | awk '!seen[$1]++')
	[ -n "$entries" ] || die "expand: no apt entry for suite '$code' in $APT_ETC/sources.list{,.d/} to derive BASE_SUITE=$BASE_SUITE's sources from"
	mkdir -p "$dir/parts" "$dir/lists/partial"
	rm -f "$dir/parts/"*
	awk -v suite="$BASE_SUITE" -v code="$code" '
		{ if ($2 == "-") $2 = "/usr/share/keyrings/debian-archive-keyring.gpg"
		  if (!($2 in uris)) order[n++] = $2
		  uris[$2] = uris[$2] (uris[$2] == "" ? "" : " ") $1 }
		END {
			print "# Made by lab/expand.sh from the machine'"'"'s apt entries for " code ": suite " suite "."
			for (i = 0; i < n; i++) {
				if (i) print ""
				print "Types: deb"
				print "URIs: " uris[order[i]]
				print "Suites: " suite
				print "Components: main"
				print "Signed-By: " order[i]
			}
		}' <<<"$entries" >"$dir/parts/lab-$BASE_SUITE.sources"
	APT_OPTS=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$dir/parts"
		-o "Dir::State::Lists=$dir/lists" -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache=)
	WHERE="$BASE_SUITE ($dir/parts)"
	log "apt: $BASE_SUITE from $(awk '{ print $1 }' <<<"$entries" | tr '\n' ' ')(private lists in $dir)"
	echo "== apt-get update ($BASE_SUITE)" >>"$APT_LOG"
	apt-get "${APT_OPTS[@]}" update >>"$APT_LOG" 2>&1 ||
		warn "apt-get update of $BASE_SUITE failed (see $APT_LOG); using its lists as they are"
}

# --- the package ----------------------------------------------------------------

# cached_deb VERSION: the .deb of BASE_PACKAGE VERSION in DEB_DIR, if any.
# Each is named by what it says it is (dpkg-deb -f), never by its file name.
cached_deb() {
	local f
	for f in "$DEB_DIR"/*.deb; do
		[ -e "$f" ] || continue
		if [ "$(dpkg-deb -f "$f" Package 2>/dev/null)" = "$BASE_PACKAGE" ] &&
			[ "$(dpkg-deb -f "$f" Version 2>/dev/null)" = "$1" ]; then
			echo "$f"
			return 0
		fi
	done
	return 1
}

# download_deb VERSION: apt-get download BASE_PACKAGE=VERSION into DEB_DIR.
download_deb() {
	local ver=$1 dl=$DEB_DIR/.download f
	rm -rf "$dl" && mkdir -p "$dl"
	echo "== apt-get download $BASE_PACKAGE=$ver" >>"$APT_LOG"
	(cd "$dl" && apt-get "${APT_OPTS[@]}" download "$BASE_PACKAGE=$ver") >>"$APT_LOG" 2>&1 ||
		{ rm -rf "$dl"; return 1; }
	for f in "$dl"/*.deb; do
		[ -e "$f" ] || continue
		if [ "$(dpkg-deb -f "$f" Package 2>/dev/null)" = "$BASE_PACKAGE" ] &&
			[ "$(dpkg-deb -f "$f" Version 2>/dev/null)" = "$ver" ]; then
			mv "$f" "$DEB_DIR/"
			rm -rf "$dl"
			cached_deb "$ver"
			return 0
		fi
	done
	rm -rf "$dl"
	echo "lab/expand.sh: apt-get download gave no .deb of $BASE_PACKAGE $ver" >>"$APT_LOG"
	return 1
}

# candidate: the newest BASE_PACKAGE the sources offer (apt-cache policy).
candidate() {
	apt-cache "${APT_OPTS[@]}" policy "$BASE_PACKAGE" 2>>"$APT_LOG" |
		awk '$1 == "Candidate:" && $2 != "(none)" { print $2 }' || true
}

# The pinned .deb, cached or downloaded.  An archive that no longer serves
# the pin (backports and security suites keep only their newest) is not our
# fault: fall back to the newest there with a loud warning and let the
# series apply with fuzz (reported), unless STRICT_BASE.
FUZZ=0
DEB=
USED=
fetch_base() {
	if DEB=$(cached_deb "$BASE_DEBIAN_VERSION"); then
		USED=$BASE_DEBIAN_VERSION
		return
	fi
	local cand=
	if [ "$NO_FETCH" = 1 ]; then
		# No apt: the newest other version already here, if any.
		local f v
		for f in "$DEB_DIR"/*.deb; do
			[ -e "$f" ] && [ "$(dpkg-deb -f "$f" Package 2>/dev/null)" = "$BASE_PACKAGE" ] || continue
			v=$(dpkg-deb -f "$f" Version)
			if [ -z "$cand" ] || dpkg --compare-versions "$v" gt "$cand"; then cand=$v; fi
		done
		[ -n "$cand" ] || die "expand: base package $BASE_PACKAGE is not downloaded (no .deb in $DEB_DIR; LAB_NO_FETCH=1)"
	else
		need_cmd apt-get apt-cache dpkg-deb
		[ -z "$BASE_SUITE" ] || apt_private
		log "downloading $BASE_PACKAGE=$BASE_DEBIAN_VERSION from $WHERE"
		if DEB=$(download_deb "$BASE_DEBIAN_VERSION"); then
			USED=$BASE_DEBIAN_VERSION
			return
		fi
		cand=$(candidate)
		[ -n "$cand" ] || die "expand: package $BASE_PACKAGE not found in $WHERE (see $APT_LOG; 'make deps' runs apt-get update)"
		[ "$cand" != "$BASE_DEBIAN_VERSION" ] ||
			die "expand: cannot download $BASE_PACKAGE=$BASE_DEBIAN_VERSION from $WHERE although it is listed there (see $APT_LOG)"
	fi
	[ "${STRICT_BASE:-0}" = 1 ] &&
		die "expand: the pinned $BASE_PACKAGE $BASE_DEBIAN_VERSION is not available; $cand differs from the pin (STRICT_BASE=1)"
	if ! DEB=$(cached_deb "$cand"); then
		log "pinned version not downloadable; downloading the newest there, $BASE_PACKAGE=$cand"
		DEB=$(download_deb "$cand") || die "expand: cannot download $BASE_PACKAGE=$cand from $WHERE (see $APT_LOG)"
	fi
	USED=$cand
	warn "*****************************************************************"
	warn "base is $BASE_PACKAGE $USED, NOT the pinned $BASE_DEBIAN_VERSION."
	warn "The series will be applied with fuzz; results are not comparable."
	warn "*****************************************************************"
	FUZZ=2
}

# unpack_deb: the .deb's files in DEB_DIR/<package>_<version>/, stamped with
# the .deb's sha256, so a second run reuses them and another .deb never
# passes for this one.
unpack_deb() {
	local dsha dir=$DEB_DIR/${BASE_PACKAGE}_${USED//:/%3a}
	dsha=$(sha256sum "$DEB" | cut -d' ' -f1)
	if [ "$(cat "$dir/.lab-stamp" 2>/dev/null)" != "$dsha" ]; then
		log "unpacking $(basename "$DEB") (dpkg-deb -x)"
		rm -rf "$dir" "$dir.new"
		dpkg-deb -x "$DEB" "$dir.new" || die "expand: dpkg-deb -x $DEB failed"
		echo "$dsha" >"$dir.new/.lab-stamp"
		mv "$dir.new" "$dir"
	fi
	TARBALL=$dir/$BASE_TARBALL
	[ -r "$TARBALL" ] || die "expand: $DEB has no $BASE_TARBALL (BASE_TARBALL in $BASE_FILE)"
}

# base.env: what the summary names as the base (lab/summary.py).
write_base_env() {
	{
		echo "kernel=$KERNEL"
		echo "package=$BASE_PACKAGE"
		echo "pin=$BASE_DEBIAN_VERSION"
		echo "used=$USED"
		echo "suite=${BASE_SUITE:-$WHERE}"
		echo "upstream=$BASE_UPSTREAM_VERSION"
		echo "sha256=$sha"
		echo "pinned=$([ "$FUZZ" = 0 ] && echo yes || echo no)"
		echo "series=$(series_id "$SERIES") ($(series_patches "$SERIES" | wc -l) patches)"
	} >"$OUT/base.env"
}

mkdir -p "$OUT" "$SRC_DIR" "$DEB_DIR"
rm -f "$OUT/base.env"
fetch_base
unpack_deb

# The stamp ties the unpacked tree to the tarball's checksum, so a new
# package version is never mistaken for the old tree.
PRISTINE=$(pristine_dir)
sha=$(sha256sum "$TARBALL" | cut -d' ' -f1)
if [ "$FUZZ" = 0 ] && [ "$sha" != "$BASE_TARBALL_SHA256" ]; then
	die "expand: $TARBALL sha256 $sha does not match the pin $BASE_TARBALL_SHA256"
fi
if [ "$(cat "$PRISTINE/.lab-stamp" 2>/dev/null)" != "$sha" ]; then
	log "unpacking $BASE_TARBALL into $PRISTINE (read-only)"
	[ -d "$PRISTINE" ] && chmod -R u+w "$PRISTINE" && rm -rf "$PRISTINE"
	tmp=$SRC_DIR/.unpack.$$
	rm -rf "$tmp" && mkdir -p "$tmp"
	trap 'rm -rf "$tmp"' EXIT
	tar -xJf "$TARBALL" -C "$tmp"
	[ -d "$tmp/$BASE_TARBALL_TOPDIR" ] ||
		die "expand: $BASE_TARBALL has no top directory '$BASE_TARBALL_TOPDIR' (BASE_TARBALL_TOPDIR in $BASE_FILE)"
	mv "$tmp/$BASE_TARBALL_TOPDIR" "$PRISTINE"
	rmdir "$tmp"
	trap - EXIT
	echo "$sha" >"$PRISTINE/.lab-stamp"
	chmod -R a-w "$PRISTINE"
fi
log "base: $(make -s -C "$PRISTINE" kernelversion 2>/dev/null) ($BASE_PACKAGE $USED, sha256 ${sha:0:12})"
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
