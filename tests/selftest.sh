#!/usr/bin/env bash
# Self-tests of the lab's tooling, in seconds and without a kernel build:
#   - expand and lint against a small fake base (a tarball of a few files
#     shaped like a kernel tree, "installed" by a fake dpkg-query/apt-get):
#     bad input is refused with a one-line cause and changes nothing, the
#     fallback to an unpinned base warns, the lint catches fuzz, rejects,
#     style and format problems;
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
BASE_TARBALL=$tmp/fake.tar.xz
BASE_TARBALL_SHA256=$fake_sha
BASE_TARBALL_TOPDIR=linux-source-6.12
BASE_UPSTREAM_VERSION=6.12.117
EOF
# A fake dpkg-query and apt-get: the "installed" version is in a file, and
# apt-get can install the newest ($FAKE_NEWEST) but not the pin.
mkdir -p "$tmp/bin"
echo 6.12.117-1~deb12u1 >"$tmp/installed"
cat >"$tmp/bin/dpkg-query" <<EOF
#!/bin/sh
v=\$(cat "$tmp/installed")
[ -n "\$v" ] || exit 1
echo "install ok installed \$v"
EOF
cat >"$tmp/bin/apt-get" <<EOF
#!/bin/sh
case "\$*" in
*=*) echo "E: Version not found"; exit 100 ;;
*) echo "\${FAKE_NEWEST:-6.12.119-1~deb12u1}" >"$tmp/installed" ;;
esac
EOF
chmod +x "$tmp/bin/"*
export PATH="$tmp/bin:$PATH" LAB_BASE_FILE="$tmp/BASE" OUT="$tmp/o"
FPRISTINE=$tmp/o/src/base
pristine_sum() { sha256sum "$FPRISTINE/mm/sparse.c" "$FPRISTINE/.lab-stamp" | sha256sum; }
pristine_untouched() {
	[ "$(pristine_sum)" = "$sum0" ] && [ -z "$(find "$FPRISTINE/mm" -perm /222 -print -quit)" ]
}
expand() { "$ROOT/lab/expand.sh" "$@"; }

# --- expand ------------------------------------------------------------------
t "expand: the pinned fake base unpacks read-only" expand --base
sum0=$(pristine_sum)
t "expand: base.env names the pinned base" sh -c "grep -qx pinned=yes '$OUT/base.env'"
t "expand: unknown option is refused" refuses "unknown option" expand --bogus
sed 's/^BASE_PACKAGE=.*/BASE_PACKAGE=linux-source-0.0/' "$tmp/BASE" >"$tmp/BASE.nopkg"
echo >"$tmp/installed.none"
t "expand: a base package that is not installed is refused" \
	refuses "not installed" sh -c "cp '$tmp/installed' '$tmp/installed.keep'; : >'$tmp/installed'
		LAB_NO_INSTALL=1 '$ROOT/lab/expand.sh' --base; rc=\$?; cp '$tmp/installed.keep' '$tmp/installed'; exit \$rc"
sed 's/^BASE_DEBIAN_VERSION=.*/BASE_DEBIAN_VERSION=6.12.0-0~lab1/' "$tmp/BASE" >"$tmp/BASE.otherver"
t "expand: STRICT_BASE=1 refuses a base other than the pin" \
	refuses "differs from the pin" env LAB_BASE_FILE="$tmp/BASE.otherver" LAB_NO_INSTALL=1 STRICT_BASE=1 \
	"$ROOT/lab/expand.sh" --base
t "expand: a base other than the pin warns loudly and says so in base.env" \
	sh -c "env LAB_BASE_FILE='$tmp/BASE.otherver' LAB_NO_INSTALL=1 OUT='$tmp/out-other' \
		'$ROOT/lab/expand.sh' --base >'$tmp/other.log' 2>&1 && grep -q 'NOT the pinned' '$tmp/other.log' &&
		grep -qx pinned=no '$tmp/out-other/base.env'"
t "expand: a pin the registry no longer serves falls back to the newest, with a warning" \
	sh -c ": >'$tmp/installed'; env LAB_BASE_FILE='$tmp/BASE.otherver' OUT='$tmp/out-fallback' FAKE_NEWEST=6.12.117-1~deb12u1 \
		'$ROOT/lab/expand.sh' --base >'$tmp/fb.log' 2>&1; rc=\$?; echo 6.12.117-1~deb12u1 >'$tmp/installed'
		[ \$rc = 0 ] && grep -q 'NOT the pinned' '$tmp/fb.log' && grep -qx 'used=6.12.117-1~deb12u1' '$tmp/out-fallback/base.env'"
sed 's/^BASE_TARBALL_SHA256=.*/BASE_TARBALL_SHA256=0000/' "$tmp/BASE" >"$tmp/BASE.badsha"
t "expand: a tarball whose sha256 differs from the pin is refused" \
	refuses "does not match the pin" env LAB_BASE_FILE="$tmp/BASE.badsha" LAB_NO_INSTALL=1 "$ROOT/lab/expand.sh" --base
grep -v '^BASE_TARBALL_TOPDIR' "$tmp/BASE" >"$tmp/BASE.partial"
t "expand: a pin file that lacks a key is refused by name (L24)" \
	refuses "does not set BASE_TARBALL_TOPDIR" env LAB_BASE_FILE="$tmp/BASE.partial" "$ROOT/lab/expand.sh" --base
t "expand: a series naming a missing patch is refused" \
	refuses "does not exist" sh -c "printf 'nope.patch\n' >'$tmp/series' && LAB_SERIES='$tmp/series' LAB_TREE='$tmp/tree' '$ROOT/lab/expand.sh'"
mkdir -p "$tmp/usertree/.git"
echo mine >"$tmp/usertree/mywork.c"
t "expand: LAB_TREE at a tree expand.sh did not make is refused, and left alone (L9)" \
	sh -c "! LAB_SERIES='$FIX/good/series' LAB_TREE='$tmp/usertree' '$ROOT/lab/expand.sh' >'$tmp/ut.log' 2>&1 &&
		grep -q 'refusing to write into' '$tmp/ut.log' && test -d '$tmp/usertree/.git' &&
		grep -qx mine '$tmp/usertree/mywork.c'"

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
t "lint: the pristine base is still untouched" pristine_untouched

# --- small pieces ------------------------------------------------------------
t "check-bisect: diagnostics lose the tree's path, bind-mounted or not (L10)" bash -c "
	. '$ROOT/lab/lib.sh'; printf '%s\n' '/tmp/lab-kernel/src/mm/a.c:1:2: warning: x' \
		'$tmp/bisect/mm/b.c:3:4: warning: y' | ktree_strip '$tmp/bisect' |
		grep -c '^mm/[ab].c:' | grep -qx 2"
t "make: an unknown target fails" refuses "No rule to make target" make -C "$ROOT" no-such-target
t "build: BASELINE other than 0/1 is refused" refuses "BASELINE must be 0 or 1" env BASELINE=2 "$ROOT/lab/build.sh"
t "build: KSRC that is not a kernel tree is refused" refuses "is not a kernel source tree" \
	env KSRC="$tmp/usertree" "$ROOT/lab/build.sh"
t "build: a malformed KCONFIG_ADD entry is refused" refuses "is not CONFIG_NAME=value" \
	env KSRC="$REAL" KCONFIG_ADD="KASAN=y" "$ROOT/lab/build.sh"
t "test.sh: an unknown step is refused" refuses "unknown step 'boot'" env STEPS=boot "$ROOT/lab/test.sh"

unset OUT LAB_BASE_FILE
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
