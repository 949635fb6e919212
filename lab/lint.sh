#!/usr/bin/env bash
# Lint the series and write TAP:
#   - the series file and patches/ agree (no missing, no unlisted patch)
#   - every patch is a git format-patch mail: From, Subject with an upstream
#     style "prefix: summary" of at most 75 characters, Signed-off-by
#   - the series applies to the pristine base with zero fuzz (lab/expand.sh)
#   - the series applies with 'git am' onto a git tree of the base
#   - checkpatch.pl --strict on every patch, apart from the findings that
#     lab/checkpatch-allow lists, each with a reason
#   - shellcheck and pyflakes on the lab's own code, and no file of the repo
#     names a Debian mirror host (the lab derives its apt sources from the
#     machine's own)
#   - a backport series (kernels/<K>/backport-of) corresponds to its upstream:
#     same subjects in the same order, or a reason in kernels/<K>/backport.map
# The series is the base's (KERNEL=<K>: kernels/<K>/series, its patches/ and
# checkpatch-allow).  An empty series is reported as SKIP, never as a pass.
#
#   lab/lint.sh [TAP-FILE]      (default: stdout)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

lab_series
ALLOW=${LAB_CHECKPATCH_ALLOW:-$KDIR/checkpatch-allow}
[ -r "$ALLOW" ] || ALLOW=/dev/null
tapfile=${1:-/dev/stdout}
[ $# -le 1 ] || die "lint: too many arguments"

n=0
failed=0
results=()
res() { # res OK|FAIL|SKIP DESC [DIAG...]   (SKIP: the first DIAG is the reason)
	local st=$1 desc=$2
	shift 2
	n=$((n + 1))
	if [ "$st" = OK ]; then
		results+=("ok $n - $desc")
	elif [ "$st" = SKIP ]; then
		results+=("ok $n - $desc # SKIP $1")
		shift
	else
		failed=$((failed + 1))
		results+=("not ok $n - $desc")
		log "lint FAILED: $desc"
	fi
	local d
	for d in "$@"; do
		while IFS= read -r l; do results+=("# $l"); done <<<"$d"
	done
}

mapfile -t patches < <(series_patches "$SERIES")

# 1. series file vs patches/
missing=()
for p in "${patches[@]}"; do [ -r "$PATCH_DIR/$p" ] || missing+=("$p"); done
unlisted=()
for f in "$PATCH_DIR"/*.patch; do
	[ -e "$f" ] || continue
	b=$(basename "$f")
	[[ $b == 0000-cover-letter.patch ]] && continue
	printf '%s\n' "${patches[@]}" | grep -qxF "$b" || unlisted+=("$b")
done
empty=
[ ${#patches[@]} -gt 0 ] || empty="the series is empty ($(basename "$(dirname "$SERIES")")/$(basename "$SERIES") lists no patch yet)"
if [ ${#missing[@]} = 0 ] && [ ${#unlisted[@]} = 0 ] && [ -n "$empty" ]; then
	res SKIP "series lists every patch in patches/ and nothing else" "$empty"
elif [ ${#missing[@]} = 0 ] && [ ${#unlisted[@]} = 0 ]; then
	res OK "series lists every patch in patches/ and nothing else (${#patches[@]} patches)"
else
	res FAIL "series and patches/ agree" "missing: ${missing[*]:-none}" "unlisted: ${unlisted[*]:-none}"
fi

# 2. mail format of each patch
for p in "${patches[@]}"; do
	f=$PATCH_DIR/$p
	[ -r "$f" ] || continue
	# The mail header, with folded (continued) lines joined.
	hdr=$(awk 'NR == 1 && /^From [0-9a-f]+ / { next }
		/^$/ { exit }
		/^[ \t]/ { sub(/^[ \t]+/, " "); h = h $0; next }
		{ if (h != "") print h; h = $0 }
		END { if (h != "") print h }' "$f")
	subj=$(sed -n 's/^Subject: \(\[PATCH[^]]*\] \)\{0,1\}//p' <<<"$hdr" | head -1)
	probs=()
	grep -q '^From: .*<.*@.*>' <<<"$hdr" || probs+=("no From: line with an address")
	[ -n "$subj" ] || probs+=("no Subject:")
	[[ $subj =~ ^[A-Za-z0-9][A-Za-z0-9_./,\ -]*:\ [^\ ] ]] || probs+=("subject '$subj' lacks an upstream 'prefix: summary' form")
	[ "${#subj}" -le 75 ] || probs+=("subject longer than 75 characters (${#subj})")
	grep -q '^Signed-off-by: .*<.*@.*>' "$f" || probs+=("no Signed-off-by:")
	grep -q '^diff --git ' "$f" || probs+=("no diff")
	if [ ${#probs[@]} = 0 ]; then
		res OK "format: $p"
	else
		res FAIL "format: $p" "${probs[@]}"
	fi
done

# 3. zero-fuzz application to the pristine base
if out=$("$LAB_ROOT/lab/expand.sh" 2>&1); then
	if [ -n "$empty" ]; then
		res SKIP "series applies to the pinned base with zero fuzz (patch -F0)" "$empty"
	elif grep -qx 'pinned=no' "$OUT/base.env" 2>/dev/null; then
		res OK "series applies to the base # SKIP the base is not the pinned one, so fuzz was allowed" "$out"
	elif grep -q 'applied with offset/fuzz' <<<"$out"; then
		res FAIL "series applies to the pinned base with zero fuzz and no offset" "$out"
	else
		res OK "series applies to the pinned base with zero fuzz (patch -F0)"
	fi
else
	res FAIL "series applies to the pinned base with zero fuzz (patch -F0)" "$out"
fi

# 4. git am onto a git tree of the base
if [ -n "$empty" ]; then
	res SKIP "series applies with git am onto the base commit" "$empty"
elif out=$("$LAB_ROOT/lab/devtree.sh" am-check 2>&1); then
	res OK "series applies with git am onto the base commit"
else
	res FAIL "series applies with git am onto the base commit" "$(tail -20 <<<"$out")"
fi

# 5. checkpatch --strict, with the allow-list
declare -A used=()
allow_ok=1
while read -r pat typ reason; do
	[ -z "$pat" ] || [[ $pat == \#* ]] && continue
	if [ -z "$reason" ]; then
		res FAIL "checkpatch allow-list entry '$pat $typ' has a reason"
		allow_ok=0
	fi
done <"$ALLOW"
checkpatch=$(pristine_dir)/scripts/checkpatch.pl
[ -z "$empty" ] || res SKIP "checkpatch --strict on every patch" "$empty"
for p in "${patches[@]}"; do
	f=$PATCH_DIR/$p
	[ -r "$f" ] || continue
	# Debian's python3 (with python3-ply) for scripts/spdxcheck.py, whatever
	# python3 comes first in PATH.
	out=$(cd "$(pristine_dir)" && PATH=/usr/bin:$PATH perl "$checkpatch" --strict --show-types --no-summary --terse \
		--root="$(pristine_dir)" "$f" 2>&1 || true)
	bad=()
	while IFS= read -r line; do
		[ -n "$line" ] || continue
		typ=$(sed -n 's/^[^:]*:[0-9]*: \(ERROR\|WARNING\|CHECK\):\([A-Z_0-9]*\):.*/\2/p' <<<"$line")
		if [ -z "$typ" ]; then
			bad+=("$line")
			continue
		fi
		hit=
		while read -r pat atyp reason; do
			[ -z "$pat" ] || [[ $pat == \#* ]] && continue
			# shellcheck disable=SC2053
			if [[ $p == $pat ]] && [ "$typ" = "$atyp" ]; then
				hit=1
				used["$pat $atyp"]=1
			fi
		done <"$ALLOW"
		[ -n "$hit" ] || bad+=("$line")
	done <<<"$out"
	if [ ${#bad[@]} = 0 ]; then
		res OK "checkpatch --strict: $p"
	else
		res FAIL "checkpatch --strict: $p" "${bad[@]}"
	fi
done
while read -r pat typ reason; do
	[ -z "$pat" ] || [[ $pat == \#* ]] && continue
	[ -n "${used["$pat $typ"]:-}" ] ||
		res FAIL "checkpatch allow-list entry '$pat $typ' still matches a finding"
done <"$ALLOW"
[ "$allow_ok" = 1 ] && res OK "checkpatch allow-list entries all give a reason"

# 6. The lab's own code: shellcheck (warnings and errors; .shellcheckrc) and
# pyflakes.  Not for fixture series (LAB_LINT_SELF=0): their lab is this one.
if [ "${LAB_LINT_SELF:-1}" = 1 ]; then
	need_cmd shellcheck pyflakes3
	mapfile -t host_sh < <(cd "$LAB_ROOT" && ls lab/*.sh tests/*.sh .ci/run)
	mapfile -t guest_sh < <(cd "$LAB_ROOT" && ls lab/guest/init lab/guest/lib.sh lab/guest/scenarios/*.sh)
	if out=$(cd "$LAB_ROOT" && shellcheck -S warning "${host_sh[@]}" 2>&1 &&
		shellcheck -S warning -s sh "${guest_sh[@]}" 2>&1); then
		res OK "shellcheck: the lab's ${#host_sh[@]} host and ${#guest_sh[@]} guest shell files"
	else
		res FAIL "shellcheck: the lab's shell files" "$out"
	fi
	if out=$(cd "$LAB_ROOT" && pyflakes3 lab/*.py tests/*.py tests/fake/qemu-system-x86_64 2>&1); then
		res OK "pyflakes: the lab's Python"
	else
		res FAIL "pyflakes: the lab's Python" "$out"
	fi
	# Mirror host names (LAB_MIRROR_RE, lib.sh): the apt sources come from
	# the machine (expand.sh), never from a host written here.
	# The tracked files; in a tree without git (an export), every file
	# but out/.
	files() {
		if git -C "$LAB_ROOT" rev-parse --git-dir >/dev/null 2>&1; then
			git -C "$LAB_ROOT" ls-files -z
		else
			find . -path ./out -prune -o -type f -print0
		fi
	}
	out=$(cd "$LAB_ROOT" && files | xargs -0 -r grep -nIE "$LAB_MIRROR_RE" -- 2>/dev/null || true)
	if [ -n "$out" ]; then
		res FAIL "no file names a Debian mirror host (the lab uses the machine's apt sources)" "$out"
	else
		res OK "no file names a Debian mirror host ($(cd "$LAB_ROOT" && files | tr -cd '\0' | wc -c) files)"
	fi
fi

# 7. A backport corresponds to its upstream series: kernels/<K>/backport-of
# names the upstream base, kernels/<K>/backport.map gives the reason for
# every patch that differs by subject, is missing or was added
# (lab/correspond.py).  Repo-wide, whichever KERNEL this lint is for.
if [ "${LAB_LINT_SELF:-1}" = 1 ]; then
	for of in "$LAB_ROOT"/kernels/*/backport-of; do
		[ -e "$of" ] || continue
		kb=$(basename "$(dirname "$of")")
		ku=$(kernels_list "$of" | head -1)
		if [ ! -r "$LAB_ROOT/kernels/$ku/series" ]; then
			res FAIL "the $kb series is the backport of the $ku series" "kernels/$kb/backport-of names '$ku', which has no series"
		elif out=$(python3 "$LAB_ROOT/lab/correspond.py" "$LAB_ROOT/kernels/$ku/series" \
			"$LAB_ROOT/kernels/$kb/series" "$LAB_ROOT/kernels/$kb/backport.map" 2>&1); then
			res OK "the $kb series is the backport of the $ku series: $out"
		else
			res FAIL "the $kb series is the backport of the $ku series" "$out"
		fi
	done
fi

{
	echo "TAP version 13"
	echo "1..$n"
	printf '%s\n' "${results[@]}"
} >"$tapfile"
[ "$failed" = 0 ]
