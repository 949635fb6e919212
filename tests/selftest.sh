#!/usr/bin/env bash
# Self-tests of the lab's tooling: bad input is refused with a one-line
# cause and leaves the pristine base untouched; the series lint catches
# fuzz, rejects, style and format problems; results are counted right.
#
#   tests/selftest.sh [TAP-FILE]    (needs the expanded base: lab/expand.sh --base)
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/lab/lib.sh"
FIX=$ROOT/tests/fixtures
tapfile=${1:-/dev/stdout}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

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
		lines+=("not ok $n - $desc")
		while IFS= read -r l; do lines+=("# $l"); done < <(tail -15 "$tmp/out")
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

PRISTINE=$(pristine_dir)
[ -e "$PRISTINE/.lab-stamp" ] || die "selftest: expand the base first (lab/expand.sh --base)"
pristine_sum() { sha256sum "$PRISTINE/mm/sparse.c" "$PRISTINE/.lab-stamp" | sha256sum; }
sum0=$(pristine_sum)
# Root may write anything, so look at the mode bits rather than test -w.
pristine_untouched() {
	[ "$(pristine_sum)" = "$sum0" ] && [ -z "$(find "$PRISTINE/mm" -perm /222 -print -quit)" ]
}

# --- bad input to expand ---------------------------------------------------
t "expand: unknown option is refused" refuses "unknown option" "$ROOT/lab/expand.sh" --bogus
sed 's/^BASE_PACKAGE=.*/BASE_PACKAGE=linux-source-0.0/' "$ROOT/BASE" >"$tmp/BASE.nopkg"
t "expand: a base package that is not installed is refused" \
	refuses "not installed" env LAB_BASE_FILE="$tmp/BASE.nopkg" LAB_NO_INSTALL=1 "$ROOT/lab/expand.sh" --base
sed 's/^BASE_DEBIAN_VERSION=.*/BASE_DEBIAN_VERSION=6.12.0-0~lab1/' "$ROOT/BASE" >"$tmp/BASE.otherver"
t "expand: STRICT_BASE=1 refuses a base other than the pin" \
	refuses "differs from the pin" env LAB_BASE_FILE="$tmp/BASE.otherver" LAB_NO_INSTALL=1 STRICT_BASE=1 \
	"$ROOT/lab/expand.sh" --base
t "expand: a base other than the pin warns loudly and allows fuzz" \
	sh -c "env LAB_BASE_FILE='$tmp/BASE.otherver' LAB_NO_INSTALL=1 OUT='$tmp/out-other' \
		'$ROOT/lab/expand.sh' --base >'$tmp/other.log' 2>&1 && grep -q 'NOT the pinned' '$tmp/other.log' &&
		test -s '$tmp/out-other/base-mismatch'"
sed 's/^BASE_TARBALL_SHA256=.*/BASE_TARBALL_SHA256=0000/' "$ROOT/BASE" >"$tmp/BASE.badsha"
t "expand: a tarball whose sha256 differs from the pin is refused" \
	refuses "does not match the pin" env LAB_BASE_FILE="$tmp/BASE.badsha" LAB_NO_INSTALL=1 "$ROOT/lab/expand.sh" --base
t "expand: a series naming a missing patch is refused" \
	refuses "does not exist" sh -c "printf 'nope.patch\n' >'$tmp/series' && LAB_SERIES='$tmp/series' LAB_TREE='$tmp/tree' '$ROOT/lab/expand.sh'"

# --- applying fixture series ----------------------------------------------
x() { LAB_SERIES="$FIX/$1/series" LAB_TREE="$tmp/tree-$1" "$ROOT/lab/expand.sh"; }
t "expand: a clean patch applies with zero fuzz" x good
t "expand: the applied change is in the series tree" contains "$tmp/tree-good/mm/sparse.c" "See mem_section below"
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
	LAB_CHECKPATCH_ALLOW="$tmp/allow-none" LAB_SERIES="$FIX/$1/series" \
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
	env LAB_CHECKPATCH_ALLOW="$tmp/allow/ok" LAB_SERIES="$FIX/style/series" LAB_TREE="$tmp/tree-style" \
	"$ROOT/lab/lint.sh" "$tmp/lint-allow.tap"
printf '%s\n' "0001-*-style.patch TRAILING_WHITESPACE" "0001-*-style.patch EMAIL_SUBJECT x" >"$tmp/allow/noreason"
t "lint: an allow-list entry without a reason fails" refuses "" \
	env LAB_CHECKPATCH_ALLOW="$tmp/allow/noreason" LAB_SERIES="$FIX/style/series" LAB_TREE="$tmp/tree-style" \
	"$ROOT/lab/lint.sh" "$tmp/lint-noreason.tap"
printf '%s\n' "0009-*.patch SPACING no longer needed" >"$tmp/allow/stale"
t "lint: a stale allow-list entry fails" refuses "" \
	env LAB_CHECKPATCH_ALLOW="$tmp/allow/stale" LAB_SERIES="$FIX/good/series" LAB_TREE="$tmp/tree-good" \
	"$ROOT/lab/lint.sh" "$tmp/lint-stale.tap"
mkdir -p "$tmp/nosob/patches"
cp "$FIX/good/series" "$tmp/nosob/"
grep -v '^Signed-off-by' "$FIX/good/patches/"*.patch >"$tmp/nosob/patches/$(cat "$FIX/good/series")"
cp "$FIX/style/patches/"*.patch "$tmp/nosob/patches/"
t "lint: a patch without Signed-off-by, and an unlisted patch, fail" refuses "" \
	env LAB_SERIES="$tmp/nosob/series" LAB_TREE="$tmp/tree-nosob" "$ROOT/lab/lint.sh" "$tmp/lint-nosob.tap"
t "lint: ... both named" sh -c "grep -q 'no Signed-off-by' '$tmp/lint-nosob.tap' && grep -q 'unlisted: 0001-mm-sparse-fixture-style.patch' '$tmp/lint-nosob.tap'"
t "lint: the pristine base is still untouched" pristine_untouched

# --- the runner and the summary ---------------------------------------------
t "run.py: an unknown scenario is refused" refuses "unknown scenario" \
	python3 "$ROOT/lab/run.py" --kernel /dev/null --initrd /dev/null --label series --results "$tmp/r" no-such
t "run.py: every scenario header parses" python3 "$ROOT/lab/run.py" --kernel x --initrd x --label x --results x --list
mkdir -p "$tmp/sum/a" "$tmp/sum/b"
printf 'TAP version 13\n1..4\nok 1 - a\nnot ok 2 - b\nok 3 - c # SKIP no device\nok 4 - d\n' >"$tmp/sum/a/x.tap"
printf 'TAP version 13\n1..1\nok 1 - e\n' >"$tmp/sum/b/y.tap"
t "summary: counts pass, fail and skip apart and fails the run" \
	sh -c "! python3 '$ROOT/lab/summary.py' '$tmp/sum' >'$tmp/sum.out' && tail -1 '$tmp/sum.out' | grep -qx '3 passed, 1 failed, 1 skipped'"
rm "$tmp/sum/a/x.tap"
t "summary: an all-pass run exits 0" sh -c "python3 '$ROOT/lab/summary.py' '$tmp/sum' | tail -1 | grep -qx '1 passed, 0 failed'"
printf 'TAP version 13\n1..2\nok 1 - a # SKIP x\nok 2 - b # SKIP y\n' >"$tmp/sum/b/y.tap"
t "summary: a run of skips alone is not a pass" \
	sh -c "! python3 '$ROOT/lab/summary.py' '$tmp/sum' >/dev/null"
printf 'TAP version 13\n1..3\nok 1 - a\n' >"$tmp/sum/b/y.tap"
t "summary: results missing against the plan count as a failure" \
	sh -c "! python3 '$ROOT/lab/summary.py' '$tmp/sum' >/dev/null"
t "qmp client against a fake QMP server" python3 "$ROOT/tests/test_qmp.py"

# --- the Makefile ---------------------------------------------------------------
t "make: an unknown target fails" refuses "No rule to make target" make -C "$ROOT" no-such-target
t "make: BASELINE other than 0/1 is refused" refuses "BASELINE must be 0 or 1" env BASELINE=2 "$ROOT/lab/build.sh"

{
	echo "TAP version 13"
	echo "1..$n"
	printf '%s\n' "${lines[@]}"
} >"$tapfile"
log "tooling self-tests: $((n - failed))/$n passed"
[ "$failed" = 0 ]
