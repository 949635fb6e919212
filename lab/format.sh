#!/usr/bin/env bash
# Patches of a base's series, ready to post, in the poster's own name.
#
#   lab/format.sh            (make format [KERNEL=<K>] [POSTER="Name <mail>"])
#   lab/format.sh --cover    (make cover-letter) the same with the repo's own
#                            identity, and its cover letter copied to
#                            kernels/<K>/patches/0000-cover-letter.patch
#
# Applies kernels/<K>/patches to the base with 'git am' (lab/devtree.sh's
# tree), then writes 'git format-patch --cover-letter' of the result to
# out/<K>/format/, where:
#  - every commit's author and the Signed-off-by: of the repo's configured
#    identity become the poster's: POSTER, or else the poster's own global
#    git identity (git config --global user.name / user.email).  The DCO
#    needs a real person; the repo keeps its configured identity;
#  - the cover letter takes its subject and text from kernels/<K>/cover-letter
#    (the first line is the subject; "# version: N" sets [PATCH vN]);
#  - after the text, the cover letter lists what the tree's
#    scripts/get_maintainer.pl says for each patch (--no-git).
# Nothing in kernels/ is changed, but for --cover's cover letter.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

lab_series
to_repo=0
case "${1:-}" in
"") ;;
--cover) to_repo=1 ;;
*) die "format: unknown argument '$1' (only --cover; KERNEL= and POSTER= are variables)" ;;
esac
[ $# -le 1 ] || die "format: too many arguments"
cover=$KDIR/cover-letter
[ -r "$cover" ] || die "format: $cover is missing (the cover letter's subject and text)"

repo_id="$(git -C "$LAB_ROOT" config user.name) <$(git -C "$LAB_ROOT" config user.email)>"
if [ "$to_repo" = 1 ]; then
	poster=$repo_id
elif [ -n "${POSTER:-}" ]; then
	poster=$POSTER
else
	name=$(git config --global user.name || true)
	email=$(git config --global user.email || true)
	if [ -z "$name" ] || [ -z "$email" ]; then
		die "format: no poster identity: set POSTER=\"Name <mail>\" or git config --global user.name/user.email"
	fi
	poster="$name <$email>"
fi
[[ $poster =~ ^([^\<\>]*[^\<\>\ ])\ \<([^\<\>@\ ]+@[^\<\>\ ]+)\>$ ]] ||
	die "format: POSTER '$poster' is not 'Name <user@host>'"
pname=${BASH_REMATCH[1]}
pmail=${BASH_REMATCH[2]}
version=$(sed -n 's/^# version: *\([0-9][0-9]*\)$/\1/p' "$cover" | head -1)
subject=$(grep -v '^#' "$cover" | sed -n 1p)
[ -n "$subject" ] || die "format: $cover has no subject line"

"$LAB_ROOT/lab/devtree.sh" am-tree
tree=$SRC_DIR/format.git
out=$OUT/format
rm -rf "$out"
mkdir -p "$out"

# The poster's commits: author reset to the poster, the repo identity's
# sign-off replaced by the poster's (committer too, for format-patch's From:).
export GIT_AUTHOR_NAME=$pname GIT_AUTHOR_EMAIL=$pmail
export GIT_COMMITTER_NAME=$pname GIT_COMMITTER_EMAIL=$pmail
export LAB_REPO_ID=$repo_id LAB_POSTER="$pname <$pmail>"
# The per-commit rewrite, as a script: git rebase --exec takes one line.
fix=$out/.rewrite.sh
cat >"$fix" <<'SH'
#!/bin/sh
set -e
git log -1 --format=%B | awk -v old="Signed-off-by: $LAB_REPO_ID" \
	-v new="Signed-off-by: $LAB_POSTER" '$0 == old { $0 = new } { print }' >"$LAB_MSG"
git commit -q --amend --reset-author -F "$LAB_MSG"
SH
chmod +x "$fix"
export LAB_MSG=$out/.msg
git -C "$tree" rebase -q base --exec "$fix" >"$out/rebase.log" 2>&1 ||
	die "format: rewriting the identity failed (see $out/rebase.log)"
rm -f "$fix" "$LAB_MSG"
if git -C "$tree" log --format='%an <%ae>%n%B' base..HEAD | grep -qF "$repo_id" &&
	[ "$repo_id" != "$pname <$pmail>" ]; then
	die "format: the repo's identity $repo_id is still in a commit of $tree"
fi

git -C "$tree" format-patch -q --cover-letter ${version:+-v "$version"} -o "$out" base..HEAD
cl=$(ls "$out"/*0000-cover-letter.patch)
notes=$out/.maintainers
: >"$notes"
for p in "$out"/*.patch; do
	[ "$p" = "$cl" ] && continue
	{
		echo "${p##*/}:"
		(cd "$tree" && PATH=/usr/bin:$PATH ./scripts/get_maintainer.pl --no-git \
			--no-git-fallback --no-rolestats "$p" 2>/dev/null) | sed 's/^/  /'
	} >>"$notes"
done
python3 - "$cl" "$cover" "$notes" "$subject" <<'PY'
import sys
cl, cover, notes, subject = sys.argv[1:]
text = [l for l in open(cover).read().split("\n") if not l.startswith("#")]
blurb = "\n".join(text[1:]).strip("\n")
blurb += "\n\nget_maintainer.pl --no-git, per patch:\n" + open(notes).read().rstrip("\n")
s = open(cl).read()
for old, new in (("*** SUBJECT HERE ***", subject), ("*** BLURB HERE ***", blurb)):
    if old not in s:
        raise SystemExit(f"format: {cl} has no '{old}'")
    s = s.replace(old, new)
open(cl, "w").write(s)
PY
rm -f "$notes"
if [ "$to_repo" = 1 ]; then
	# The date and the base commit's hash change from run to run: zero them,
	# so that the file changes only with its content.
	sed -e '1s/^From [0-9a-f]* /From 0000000000000000000000000000000000000000 /' \
		-e '/^Date: /d' "$cl" >"$PATCH_DIR/0000-cover-letter.patch"
	log "format: cover letter written to $PATCH_DIR/0000-cover-letter.patch"
fi
n=$(find "$out" -name '*.patch' | wc -l)
log "format: $n files in $out, From: and Signed-off-by: $pname <$pmail>"
