#!/usr/bin/env bash
# Self-tests of the lab's tooling, in seconds and without a kernel build:
#   - expand and lint against a small fake base (a tarball of a few files
#     shaped like a kernel tree, in real .debs that a fake apt-get downloads
#     and apt-cache lists): bad input is refused with a one-line cause and
#     changes nothing, the fallback to an unpinned base warns (up to the
#     summary's last line), the private sources list of a BASE_SUITE comes
#     from a fake machine's apt configuration, KERNEL= picks a base and a
#     bad one is refused, bases keep apart under OUT, the lint catches fuzz,
#     rejects, style and format problems and reports an empty series;
#   - tests/test_lab.py: run.py, scenarios.sh, test.sh and summary.py
#     against a fake QEMU that speaks the guest protocol;
#   - tests/test_qmp.py: the QMP client against a fake QMP server.
# The result is one KTAP document with a subtest for each part.
#
#   tests/selftest.sh [KTAP-FILE]   (default: stdout; needs lab/expand.sh
#                                   --base once, for the tree's checkpatch.pl
#                                   and kunit_parser)
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/lab/lib.sh"
FIX=$ROOT/tests/fixtures
ktapfile=${1:-/dev/stdout}
REAL=$(pristine_dir)
# The base's own OUT (lib.sh's OUT/<K>), restored for the Python tests: the
# fake base's below is not theirs.
REAL_OUT=$OUT
[ -e "$REAL/.lab-stamp" ] || "$ROOT/lab/expand.sh" --base >&2 ||
	die "selftest: the base (for its checkpatch.pl and kunit_parser) cannot be expanded"
tmp=$(mktemp -d)
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT

n=0
failed=0
lines=()
t() { # t DESC CMD...: the command must succeed
	local desc=$1
	shift
	n=$((n + 1))
	if "$@" >"$tmp/out" 2>&1; then
		lines+=("ok $n - $desc")
	else
		failed=$((failed + 1))
		while IFS= read -r l; do lines+=("# $l"); done < <(tail -15 "$tmp/out")
		lines+=("not ok $n - $desc")
		log "selftest FAILED: $desc"
	fi
}
# refuses PATTERN CMD...: CMD must fail, and say PATTERN on stderr/stdout
refuses() {
	local pat=$1
	shift
	local rc=0
	"$@" >"$tmp/r.out" 2>&1 || rc=$?
	if [ "$rc" = 0 ]; then
		echo "exit 0, expected a failure"
		cat "$tmp/r.out"
		return 1
	fi
	grep -q -- "$pat" "$tmp/r.out" || {
		echo "exit $rc but no '$pat' in:"
		cat "$tmp/r.out"
		return 1
	}
}
# contains FILE PATTERN
contains() { grep -q -- "$2" "$1" || { echo "no '$2' in $1:"; tail -20 "$1"; return 1; }; }

# --- the fake base -----------------------------------------------------------
# What checkpatch --root, expand and the fixture patches look at, and no more.
fake=$tmp/fake/linux-source-6.12
mkdir -p "$fake/mm" "$fake/scripts"
for d in Documentation arch include drivers fs init ipc kernel lib; do mkdir -p "$fake/$d"; done
for f in COPYING CREDITS Kbuild MAINTAINERS README; do : >"$fake/$f"; done
printf 'kernelversion:\n\t@echo 6.12.117\n' >"$fake/Makefile"
cp "$REAL/mm/sparse.c" "$fake/mm/"
cp "$REAL/scripts/checkpatch.pl" "$REAL/scripts/spelling.txt" "$REAL/scripts/const_structs.checkpatch" \
	"$fake/scripts/"
tar -cJf "$tmp/fake.tar.xz" -C "$tmp/fake" linux-source-6.12
fake_sha=$(sha256sum "$tmp/fake.tar.xz" | cut -d' ' -f1)
cat >"$tmp/BASE" <<EOF
BASE_PACKAGE=linux-source-fake
BASE_DEBIAN_VERSION=6.12.117-1~deb12u1
BASE_SUITE=
BASE_TARBALL=usr/src/linux-source-6.12.tar.xz
BASE_TARBALL_SHA256=$fake_sha
BASE_TARBALL_TOPDIR=linux-source-6.12
BASE_UPSTREAM_VERSION=6.12.117
EOF
# The fake archive: real .debs of linux-source-fake (the pin and a newer
# one) holding the fake tarball.  A fake apt-get downloads what FAKE_SERVED
# lists (a backports or security suite keeps only its newest), a fake
# apt-cache names the newest of it as the candidate; both log their
# arguments.
repo=$tmp/repo
mkdir -p "$repo"
for v in 6.12.117-1~deb12u1 6.12.119-1~deb12u1; do
	st=$tmp/deb-stage
	rm -rf "$st" && mkdir -p "$st/DEBIAN" "$st/usr/src"
	printf '%s\n' "Package: linux-source-fake" "Version: $v" "Architecture: all" \
		"Maintainer: lab <lab@localhost>" "Description: a fake kernel source" >"$st/DEBIAN/control"
	cp "$tmp/fake.tar.xz" "$st/usr/src/linux-source-6.12.tar.xz"
	dpkg-deb --root-owner-group -Znone --build "$st" "$repo/linux-source-fake_${v}_all.deb" >/dev/null ||
		die "selftest: dpkg-deb --build failed"
done
rm -rf "$tmp/deb-stage"
mkdir -p "$tmp/bin"
cat >"$tmp/bin/apt-get" <<'EOF'
#!/bin/sh
echo "apt-get $*" >>"$FAKE_APT_LOG"
parts=
while [ $# -gt 0 ]; do
	case "$1" in
	-o) case "$2" in Dir::Etc::SourceParts=*) parts=${2#*=} ;; esac; shift 2 ;;
	-*) shift ;;
	*) break ;;
	esac
done
case "$1" in
update)
	[ -z "$parts" ] || ls "$parts"/*.sources >/dev/null 2>&1 || { echo "E: no sources in $parts"; exit 100; }
	echo "Reading package lists..." ;;
download)
	pkg=${2%%=*} ver=${2#*=}
	for v in $FAKE_SERVED; do
		if [ "$v" = "$ver" ] && [ -e "$FAKE_REPO/${pkg}_${v}_all.deb" ]; then
			cp "$FAKE_REPO/${pkg}_${v}_all.deb" . && exit 0
		fi
	done
	echo "E: Version '$ver' for '$pkg' was not found"
	exit 100 ;;
*) echo "E: fake apt-get: $1?"; exit 100 ;;
esac
EOF
cat >"$tmp/bin/apt-cache" <<'EOF'
#!/bin/sh
echo "apt-cache $*" >>"$FAKE_APT_LOG"
for pkg; do :; done
new=$(for v in $FAKE_SERVED; do [ -e "$FAKE_REPO/${pkg}_${v}_all.deb" ] && echo "$v"; done | sort -V | tail -1)
[ -z "$new" ] || printf '%s:\n  Installed: (none)\n  Candidate: %s\n' "$pkg" "$new"
EOF
chmod +x "$tmp/bin/"*
export PATH="$tmp/bin:$PATH" LAB_BASE_FILE="$tmp/BASE" OUT="$tmp/o" FAKE_REPO="$repo" \
	FAKE_APT_LOG="$tmp/apt.log" FAKE_SERVED="6.12.117-1~deb12u1 6.12.119-1~deb12u1"
# Each base writes under OUT/<K>: the fake base goes where KERNEL's would.
K=$KERNEL
FO=$tmp/o/$K
FPRISTINE=$FO/src/base
pristine_sum() { sha256sum "$FPRISTINE/mm/sparse.c" "$FPRISTINE/.lab-stamp" | sha256sum; }
pristine_untouched() {
	[ "$(pristine_sum)" = "$sum0" ] && [ -z "$(find "$FPRISTINE/mm" -perm /222 -print -quit)" ]
}
expand() { "$ROOT/lab/expand.sh" "$@"; }
# fresh NAME: a new, empty OUT for one case (its base under NAME/<K>)
fresh() { rm -rf "${tmp:?}/$1"; echo "$tmp/$1"; }

# --- expand: fetching the base -------------------------------------------------
t "expand: the pinned fake base is downloaded (apt-get download), unpacked (dpkg-deb -x), read-only" \
	sh -c "'$ROOT/lab/expand.sh' --base && grep -q 'download linux-source-fake=6.12.117-1~deb12u1' '$tmp/apt.log' &&
		test -s '$FO/deb/linux-source-fake_6.12.117-1~deb12u1/usr/src/linux-source-6.12.tar.xz'"
sum0=$(pristine_sum)
t "expand: base.env names the pinned base and the KERNEL" \
	sh -c "grep -qx pinned=yes '$FO/base.env' && grep -qx 'used=6.12.117-1~deb12u1' '$FO/base.env' &&
		grep -qx 'kernel=$K' '$FO/base.env'"
t "expand: a second run downloads nothing (the .deb and its files are cached, stamped)" \
	sh -c ": >'$tmp/apt.log'; '$ROOT/lab/expand.sh' --base && ! grep -q download '$tmp/apt.log'"
t "expand: unknown option is refused" refuses "unknown option" expand --bogus
sed 's/^BASE_PACKAGE=.*/BASE_PACKAGE=linux-source-0.0/' "$tmp/BASE" >"$tmp/BASE.nopkg"
t "expand: a package the archive does not have at all is refused" \
	refuses "package linux-source-0.0 not found" env LAB_BASE_FILE="$tmp/BASE.nopkg" OUT="$(fresh o-nopkg)" \
	"$ROOT/lab/expand.sh" --base
t "expand: LAB_NO_FETCH=1 without a downloaded .deb is refused" \
	refuses "is not downloaded" env LAB_NO_FETCH=1 OUT="$(fresh o-nofetch)" "$ROOT/lab/expand.sh" --base
sed 's/^BASE_DEBIAN_VERSION=.*/BASE_DEBIAN_VERSION=6.12.0-0~lab1/' "$tmp/BASE" >"$tmp/BASE.otherver"
t "expand: STRICT_BASE=1 refuses a base other than the pin" \
	refuses "differs from the pin" env LAB_BASE_FILE="$tmp/BASE.otherver" STRICT_BASE=1 OUT="$(fresh o-strict)" \
	"$ROOT/lab/expand.sh" --base
fb=$(fresh o-fallback)
t "expand: a pin the archive no longer serves falls back to its newest, with a warning" \
	sh -c "env LAB_BASE_FILE='$tmp/BASE.otherver' OUT='$fb' '$ROOT/lab/expand.sh' --base >'$tmp/fb.log' 2>&1 &&
		grep -q 'NOT the pinned' '$tmp/fb.log' && grep -qx pinned=no '$fb/$K/base.env' &&
		grep -qx 'used=6.12.119-1~deb12u1' '$fb/$K/base.env'"
mkdir -p "$tmp/fbres"
cp "$fb/$K/base.env" "$tmp/fbres/"
printf 'lint\n' >"$tmp/fbres/expected"
printf 'KTAP version 1\n1..1\nok 1 - fine\n' >"$tmp/fbres/lint.ktap"
t "expand: ... and the fallback's warning is on the summary's last line" \
	sh -c "LAB_KUNIT_DIR='$REAL/tools/testing/kunit' python3 '$ROOT/lab/summary.py' '$tmp/fbres' | tail -1 |
		grep -qx '1 passed, 0 failed, 0 skipped; WARNING: UNPINNED BASE linux-source-fake 6.12.119-1~deb12u1 (pin: 6.12.0-0~lab1)'"
mis=$(fresh o-mislabel)
mkdir -p "$mis/$K/deb"
cp "$repo/linux-source-fake_6.12.119-1~deb12u1_all.deb" "$mis/$K/deb/linux-source-fake_6.12.117-1~deb12u1_all.deb"
t "expand: a cached .deb of another version is never taken for the pin, whatever its name" \
	sh -c ": >'$tmp/apt.log'; OUT='$mis' '$ROOT/lab/expand.sh' --base &&
		grep -q 'download linux-source-fake=6.12.117-1~deb12u1' '$tmp/apt.log' && grep -qx pinned=yes '$mis/$K/base.env'"
sed 's/^BASE_TARBALL_SHA256=.*/BASE_TARBALL_SHA256=0000/' "$tmp/BASE" >"$tmp/BASE.badsha"
t "expand: a tarball whose sha256 differs from the pin is refused" \
	refuses "does not match the pin" env LAB_BASE_FILE="$tmp/BASE.badsha" "$ROOT/lab/expand.sh" --base
grep -v '^BASE_TARBALL_TOPDIR' "$tmp/BASE" >"$tmp/BASE.partial"
t "expand: a pin file that lacks a key is refused by name (L24)" \
	refuses "does not set BASE_TARBALL_TOPDIR" env LAB_BASE_FILE="$tmp/BASE.partial" "$ROOT/lab/expand.sh" --base

# --- expand: the private sources list of a BASE_SUITE --------------------------
# A fake machine: its Debian archive in deb822 (with -updates and -security
# beside it) and in one-line form, and a third-party repository.
mkdir -p "$tmp/etc-apt/sources.list.d"
cat >"$tmp/etc-apt/sources.list.d/debian.sources" <<'EOF'
Types: deb
# a comment inside the stanza
URIs: http://mirror.example.test/debian
Suites: fakecode fakecode-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.example.test/debian-security
Suites: fakecode-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
printf '%s\n' "Types: deb" "URIs: https://third-party.example.test/repo" "Suites: nodistro" \
	"Components: main" >"$tmp/etc-apt/sources.list.d/other.sources"
printf '%s\n' "# one-line form" "deb [arch=amd64 signed-by=/etc/apt/keyrings/two.gpg] http://mirror2.example.test/debian fakecode main" \
	"deb http://mirror2.example.test/debian-security fakecode-security main" >"$tmp/etc-apt/sources.list"
printf 'ID=debian\nVERSION_CODENAME=fakecode\n' >"$tmp/os-release"
sed 's/^BASE_SUITE=.*/BASE_SUITE=fakecode-backports/' "$tmp/BASE" >"$tmp/BASE.suite"
ps=$(fresh o-suite)
parts=$ps/$K/apt/fakecode-backports/parts
t "expand: BASE_SUITE: the base comes through a private sources list" \
	sh -c ": >'$tmp/apt.log'; env LAB_BASE_FILE='$tmp/BASE.suite' OUT='$ps' LAB_APT_ETC='$tmp/etc-apt' \
		LAB_OS_RELEASE='$tmp/os-release' '$ROOT/lab/expand.sh' --base && grep -qx pinned=yes '$ps/$K/base.env'"
t "expand: ... that has the machine's archive URIs, the pinned suite, main and their keyrings" \
	sh -c "grep -qx 'URIs: http://mirror.example.test/debian' '$parts/lab-fakecode-backports.sources' &&
		grep -qx 'URIs: http://mirror2.example.test/debian' '$parts/lab-fakecode-backports.sources' &&
		grep -qx 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg' '$parts/lab-fakecode-backports.sources' &&
		grep -qx 'Signed-By: /etc/apt/keyrings/two.gpg' '$parts/lab-fakecode-backports.sources' &&
		[ \$(grep -c '^Suites: fakecode-backports\$' '$parts/lab-fakecode-backports.sources') = 2 ] &&
		[ \$(grep -c '^Components: main\$' '$parts/lab-fakecode-backports.sources') = 2 ]"
t "expand: ... and nothing else: no -security or third-party entry, no host of its own" \
	sh -c "! grep -E 'security|third-party|nodistro' '$parts/lab-fakecode-backports.sources' &&
		! grep -qE '$LAB_MIRROR_RE' '$parts/lab-fakecode-backports.sources' &&
		[ \$(sed -n 's/^URIs: //p' '$parts/lab-fakecode-backports.sources' | grep -cv '^http://mirror2\\{0,1\\}[.]example[.]test/debian\$') = 0 ]"
t "expand: ... and update, policy and download all use it, never the machine's lists" \
	sh -c "grep -q '^apt-get .*Dir::Etc::SourceList=/dev/null .*Dir::Etc::SourceParts=$parts .*Dir::State::Lists=$ps/$K/apt/fakecode-backports/lists .*update\$' '$tmp/apt.log' &&
		grep -q '^apt-get .*Dir::Etc::SourceParts=$parts .*download linux-source-fake=6.12.117-1~deb12u1\$' '$tmp/apt.log' &&
		[ \$(grep -c download '$tmp/apt.log') = \$(grep download '$tmp/apt.log' | grep -c 'SourceParts=$parts') ]"
ps2=$(fresh o-suite-fb)
t "expand: BASE_SUITE: a pin the suite no longer serves falls back to its newest (apt-cache policy)" \
	sh -c ": >'$tmp/apt.log'; env LAB_BASE_FILE='$tmp/BASE.suite' OUT='$ps2' LAB_APT_ETC='$tmp/etc-apt' \
		LAB_OS_RELEASE='$tmp/os-release' FAKE_SERVED=6.12.119-1~deb12u1 '$ROOT/lab/expand.sh' --base >'$tmp/sfb.log' 2>&1 &&
		grep -q 'NOT the pinned' '$tmp/sfb.log' && grep -qx 'used=6.12.119-1~deb12u1' '$ps2/$K/base.env' &&
		grep -q '^apt-cache .*SourceParts=$ps2/$K/apt/fakecode-backports/parts .*policy linux-source-fake\$' '$tmp/apt.log'"
printf 'ID=debian\nVERSION_CODENAME=othercode\n' >"$tmp/os-release.other"
t "expand: BASE_SUITE on a machine with no apt entry for its own codename is refused" \
	refuses "no apt entry for suite 'othercode'" env LAB_BASE_FILE="$tmp/BASE.suite" OUT="$(fresh o-suite-no)" \
	LAB_APT_ETC="$tmp/etc-apt" LAB_OS_RELEASE="$tmp/os-release.other" "$ROOT/lab/expand.sh" --base

# --- KERNEL= and the bases' places under OUT -----------------------------------
t "KERNEL: a base without kernels/<K>/BASE is refused, naming the valid ones" \
	refuses "KERNEL=9.9: no such base (no kernels/9.9/BASE); valid: .*6.12" env KERNEL=9.9 "$ROOT/lab/expand.sh" --base
t "KERNEL: ... by make too" refuses "KERNEL=9.9: no such base" make -s -C "$ROOT" expand KERNEL=9.9
t "KERNEL: every base of the repo has a pin, a series and a patches/ beside it" \
	bash -c "for k in \$(. '$ROOT/lab/lib.sh'; lab_kernels); do test -r '$ROOT/kernels/'\$k/BASE -a -r '$ROOT/kernels/'\$k/series -a -d '$ROOT/kernels/'\$k/patches || exit 1; done
		grep -qx \"\$(head -1 '$ROOT/kernels/default')\" <(. '$ROOT/lab/lib.sh'; lab_kernels)"
cat >"$tmp/outof.sh" <<EOF
#!/usr/bin/env bash
# outof.sh [K...]: this OUT, then that of a child with KERNEL=K, and so on.
. "$ROOT/lab/lib.sh"
echo "\$OUT"
[ \$# = 0 ] || KERNEL=\$1 "\$0" "\${@:2}"
EOF
chmod +x "$tmp/outof.sh"
t "KERNEL: OUT is OUT/<K>, derived once: a child (any KERNEL) never appends twice" \
	sh -c "[ \"\$(env KERNEL=7.3 OUT='$tmp/oo' '$tmp/outof.sh' 7.3 6.12 | tr '\n' ' ')\" = '$tmp/oo/7.3 $tmp/oo/7.3 $tmp/oo/6.12 ' ]"
t "KERNEL: two bases expand side by side under OUT, neither overwriting the other" \
	sh -c "env KERNEL=6.12 OUT='$tmp/two' '$ROOT/lab/expand.sh' --base && env KERNEL=7.3 OUT='$tmp/two' '$ROOT/lab/expand.sh' --base &&
		grep -qx kernel=6.12 '$tmp/two/6.12/base.env' && grep -qx kernel=7.3 '$tmp/two/7.3/base.env' &&
		test -e '$tmp/two/6.12/src/base/.lab-stamp' -a -e '$tmp/two/7.3/src/base/.lab-stamp'"
t "KERNEL: the series' release suffix differs between the bases, even with the same series file" \
	bash -c "a=\$(KERNEL=6.12 bash -c '. $ROOT/lab/lib.sh; unset LAB_BASE_FILE; release_suffix series')
		b=\$(KERNEL=7.3 bash -c '. $ROOT/lab/lib.sh; unset LAB_BASE_FILE; release_suffix series')
		c=\$(KERNEL=7.3 LAB_SERIES='$ROOT/kernels/6.12/series' bash -c '. $ROOT/lab/lib.sh; unset LAB_BASE_FILE; series_id \$LAB_SERIES')
		d=\$(KERNEL=6.12 bash -c '. $ROOT/lab/lib.sh; unset LAB_BASE_FILE; series_id')
		[ \"\$a\" != \"\$b\" ] && [ \"\$c\" != \"\$d\" ] && [[ \$a == -lab-series-* ]]"
cat >"$tmp/frags.sh" <<EOF
#!/usr/bin/env bash
# frags.sh: each base's fragments, in order, for series and for base, checked
# against common < the base's own < the series' (the last only with patches).
. "$ROOT/lab/lib.sh"
for k in \$(lab_kernels); do
	want=\$(ls "$ROOT"/configs/*.config "$ROOT"/kernels/\$k/configs/*.config)
	KERNEL=\$k bash -c '. "$ROOT/lab/lib.sh"; lab_fragments base' | diff - <(echo "\$want") || exit 1
	[ -z "\$(series_patches "$ROOT/kernels/\$k/series")" ] || want=\$(echo "\$want"; ls "$ROOT"/configs/series/*.config)
	KERNEL=\$k bash -c '. "$ROOT/lab/lib.sh"; lab_fragments series' | diff - <(echo "\$want") || exit 1
	ls "$ROOT"/kernels/\$k/configs/*.config >/dev/null || exit 1
done
EOF
chmod +x "$tmp/frags.sh"
t "KERNEL: the base's own kconfig fragments are merged after the common ones, before the series'" "$tmp/frags.sh"

# --- expand: applying the series -----------------------------------------------
t "expand: a series naming a missing patch is refused" \
	refuses "does not exist" sh -c "printf 'nope.patch\n' >'$tmp/series' && LAB_SERIES='$tmp/series' LAB_TREE='$tmp/tree' '$ROOT/lab/expand.sh'"
mkdir -p "$tmp/usertree/.git"
echo mine >"$tmp/usertree/mywork.c"
t "expand: LAB_TREE at a tree expand.sh did not make is refused, and left alone (L9)" \
	sh -c "! LAB_SERIES='$FIX/good/series' LAB_TREE='$tmp/usertree' '$ROOT/lab/expand.sh' >'$tmp/ut.log' 2>&1 &&
		grep -q 'refusing to write into' '$tmp/ut.log' && test -d '$tmp/usertree/.git' &&
		grep -qx mine '$tmp/usertree/mywork.c'"
mkdir -p "$tmp/empty/patches"
printf '# nothing yet\n\n# --- a section -----\n' >"$tmp/empty/series"
t "expand: an empty series gives a tree identical to the base" \
	sh -c "LAB_SERIES='$tmp/empty/series' LAB_TREE='$tmp/tree-empty' '$ROOT/lab/expand.sh' &&
		diff -r -x .lab-stamp '$FPRISTINE' '$tmp/tree-empty'"

x() { LAB_SERIES="$FIX/$1/series" LAB_TREE="$tmp/tree-$1" "$ROOT/lab/expand.sh"; }
t "expand: a clean patch applies with zero fuzz" x good
t "expand: the applied change is in the series tree" contains "$tmp/tree-good/mm/sparse.c" "See mem_section below"
t "expand: a second run reuses the stamped tree" sh -c "LAB_SERIES='$FIX/good/series' LAB_TREE='$tmp/tree-good' \
	'$ROOT/lab/expand.sh' 2>&1 | grep -q 'up to date'"
t "expand: a patch that needs fuzz is refused at -F0 and named" \
	refuses "0001-mm-sparse-fixture-fuzz.patch' does not apply (fuzz 0)" x fuzz
t "expand: a patch that does not apply is named, with its rejects" \
	refuses "rejects of 0001-mm-sparse-fixture-reject.patch" x reject
t "expand: the pristine base is untouched and read-only after all that" pristine_untouched

# --- the series lint ---------------------------------------------------------
# Fixture series are linted against an empty allow list: the project's own
# lab/checkpatch-allow names the project's patches, not the fixtures.
: >"$tmp/allow-none"
lint() {
	LAB_LINT_SELF=0 LAB_CHECKPATCH_ALLOW="$tmp/allow-none" LAB_SERIES="$FIX/$1/series" \
		LAB_TREE="$tmp/tree-$1" "$ROOT/lab/lint.sh" "$tmp/lint-$1.tap"
}
t "lint: a clean fixture series passes every check" lint good
t "lint: a clean series also applies with git am" contains "$tmp/lint-good.tap" "^ok .* git am"
t "lint: the fuzz fixture fails the zero-fuzz check" refuses "" lint fuzz
t "lint: ... and the git am check" contains "$tmp/lint-fuzz.tap" "^not ok .* git am"
t "lint: checkpatch --strict findings fail the lint" refuses "" lint style
t "lint: ... naming the finding" contains "$tmp/lint-style.tap" "TRAILING_WHITESPACE"
mkdir -p "$tmp/allow"
printf '%s\n' "0001-*-style.patch TRAILING_WHITESPACE fixture keeps it on purpose" \
	"0001-*-style.patch EMAIL_SUBJECT the fixture names checkpatch" >"$tmp/allow/ok"
t "lint: allow-listed findings with reasons pass" \
	env LAB_LINT_SELF=0 LAB_CHECKPATCH_ALLOW="$tmp/allow/ok" LAB_SERIES="$FIX/style/series" \
	LAB_TREE="$tmp/tree-style" "$ROOT/lab/lint.sh" "$tmp/lint-allow.tap"
printf '%s\n' "0001-*-style.patch TRAILING_WHITESPACE" "0001-*-style.patch EMAIL_SUBJECT x" >"$tmp/allow/noreason"
t "lint: an allow-list entry without a reason fails" refuses "" \
	env LAB_LINT_SELF=0 LAB_CHECKPATCH_ALLOW="$tmp/allow/noreason" LAB_SERIES="$FIX/style/series" \
	LAB_TREE="$tmp/tree-style" "$ROOT/lab/lint.sh" "$tmp/lint-noreason.tap"
printf '%s\n' "0009-*.patch SPACING no longer needed" >"$tmp/allow/stale"
t "lint: a stale allow-list entry fails" refuses "" \
	env LAB_LINT_SELF=0 LAB_CHECKPATCH_ALLOW="$tmp/allow/stale" LAB_SERIES="$FIX/good/series" \
	LAB_TREE="$tmp/tree-good" "$ROOT/lab/lint.sh" "$tmp/lint-stale.tap"
mkdir -p "$tmp/nosob/patches"
cp "$FIX/good/series" "$tmp/nosob/"
grep -v '^Signed-off-by' "$FIX/good/patches/"*.patch >"$tmp/nosob/patches/$(cat "$FIX/good/series")"
cp "$FIX/style/patches/"*.patch "$tmp/nosob/patches/"
t "lint: a patch without Signed-off-by, and an unlisted patch, fail" refuses "" \
	env LAB_LINT_SELF=0 LAB_SERIES="$tmp/nosob/series" LAB_TREE="$tmp/tree-nosob" "$ROOT/lab/lint.sh" "$tmp/lint-nosob.tap"
t "lint: ... both named" sh -c "grep -q 'no Signed-off-by' '$tmp/lint-nosob.tap' && grep -q 'unlisted: 0001-mm-sparse-fixture-style.patch' '$tmp/lint-nosob.tap'"
t "lint: an empty series is reported as SKIP, with the reason, not as a pass" \
	sh -c "LAB_LINT_SELF=0 LAB_CHECKPATCH_ALLOW='$tmp/allow-none' LAB_SERIES='$tmp/empty/series' \
		LAB_TREE='$tmp/tree-empty' '$ROOT/lab/lint.sh' '$tmp/lint-empty.tap' &&
		grep -q '^ok 1 - series lists every patch .* # SKIP the series is empty' '$tmp/lint-empty.tap' &&
		[ \$(grep -c '# SKIP the series is empty' '$tmp/lint-empty.tap') = 4 ] && ! grep -q '^not ok' '$tmp/lint-empty.tap'"
t "lint: the mirror host pattern finds mirror hosts, and not itself" \
	bash -c "for h in deb ftp.de security; do echo \"http://\$h.debian.\"org/debian | grep -qE '$LAB_MIRROR_RE' || exit 1; done
		! grep -qE '$LAB_MIRROR_RE' '$ROOT/lab/lib.sh' '$ROOT/lab/lint.sh' &&
		! echo http://mirror.example.test/debian | grep -qE '$LAB_MIRROR_RE'"
t "lint: the pristine base is still untouched" pristine_untouched

# --- small pieces ------------------------------------------------------------
# timeout_scaled: nvdimm's timeout in 'run.py --list', times 4 with
# LAB_TIMEOUT_SCALE=4.
timeout_scaled() {
	local a b
	a=$(python3 "$ROOT/lab/run.py" --list | awk '$1 == "nvdimm" { print $3 }')
	b=$(LAB_TIMEOUT_SCALE=4 python3 "$ROOT/lab/run.py" --list | awk '$1 == "nvdimm" { print $3 }')
	if [ -z "$a" ] || [ "${b%s}" != $((${a%s} * 4)) ]; then
		echo "timeout $a, scaled $b"
		return 1
	fi
}
# debug_apart: with DEBUG=1 the build and initramfs directories and the
# results label get -debug, and only then do configs/debug/ fragments join.
debug_apart() {
	# shellcheck disable=SC2016 # expanded by the inner shell
	local q='. "$1"; echo "$BUILD_DIR $INITRAMFS_DIR $(flavour_label series) $(lab_fragments base | grep -c /configs/debug/)"'
	local normal debug
	normal=$(bash -c "$q" _ "$ROOT/lab/lib.sh")
	debug=$(DEBUG=1 bash -c "$q" _ "$ROOT/lab/lib.sh")
	# shellcheck disable=SC2086 # four words each
	set -- $normal $debug
	if ! { [ "$5" = "$1-debug" ] && [ "$6" = "$2-debug" ] && [ "$3" = series ] &&
		[ "$7" = series-debug ] && [ "$4" = 0 ] && [ "$8" -ge 1 ]; }; then
		echo "normal: $normal; DEBUG=1: $debug"
		return 1
	fi
}
t "check-bisect: diagnostics lose the tree's path, bind-mounted or not (L10)" bash -c "
	. '$ROOT/lab/lib.sh'; printf '%s\n' '/tmp/lab-kernel/src/mm/a.c:1:2: warning: x' \
		'$tmp/bisect/mm/b.c:3:4: warning: y' | ktree_strip '$tmp/bisect' |
		grep -c '^mm/[ab].c:' | grep -qx 2"
t "make: an unknown target fails" refuses "No rule to make target" make -C "$ROOT" no-such-target
t "build: BASELINE other than 0/1 is refused" refuses "BASELINE must be 0 or 1" env BASELINE=2 "$ROOT/lab/build.sh"
t "build: DEBUG other than 0/1 is refused" refuses "DEBUG must be 0 or 1" env DEBUG=yes "$ROOT/lab/build.sh"
t "run.py: a bad LAB_TIMEOUT_SCALE is refused" refuses "LAB_TIMEOUT_SCALE must be a number" \
	env LAB_TIMEOUT_SCALE=fast python3 "$ROOT/lab/run.py" --list
t "run.py: LAB_TIMEOUT_SCALE scales every scenario's timeout" timeout_scaled
t "lib.sh: DEBUG=1 builds, boots and reports apart from the normal kernels" debug_apart
t "build: KSRC that is not a kernel tree is refused" refuses "is not a kernel source tree" \
	env KSRC="$tmp/usertree" "$ROOT/lab/build.sh"
t "build: a malformed KCONFIG_ADD entry is refused" refuses "is not CONFIG_NAME=value" \
	env KSRC="$REAL" KCONFIG_ADD="KASAN=y" "$ROOT/lab/build.sh"
t "test.sh: an unknown step is refused" refuses "unknown step 'boot'" env STEPS=boot "$ROOT/lab/test.sh"

unset LAB_BASE_FILE FAKE_REPO FAKE_APT_LOG FAKE_SERVED
export OUT=$REAL_OUT
export PATH=${PATH#"$tmp/bin:"}
sub() { # sub NAME CMD...: CMD's KTAP as a nested subtest
	local name=$1 rc=0
	shift
	"$@" >"$tmp/$name.ktap" 2>"$tmp/$name.err" || rc=$?
	n=$((n + 1))
	lines+=("    KTAP version 1" "    # Subtest: $name")
	while IFS= read -r l; do
		[[ $l == *"TAP version"* ]] || lines+=("    $l")
	done <"$tmp/$name.ktap"
	if [ "$rc" = 0 ]; then
		lines+=("ok $n $name")
	else
		failed=$((failed + 1))
		while IFS= read -r l; do lines+=("# $l"); done < <(tail -5 "$tmp/$name.err")
		lines+=("not ok $n $name")
		log "selftest FAILED: $name (exit $rc)"
	fi
}
sub runner python3 "$ROOT/tests/test_lab.py"
sub qmp python3 "$ROOT/tests/test_qmp.py"

{
	echo "KTAP version 1"
	echo "1..$n"
	printf '%s\n' "${lines[@]}"
} >"$ktapfile"
log "tooling self-tests: $((n - failed))/$n passed"
[ "$failed" = 0 ]
