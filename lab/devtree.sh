#!/usr/bin/env bash
# Git trees of the base for development and for the 'git am' check.
#
#   lab/devtree.sh create     out/<K>/src/git: the base commit (tag 'base') and
#                             one commit per patch on branch 'series'
#   lab/devtree.sh export     write out/<K>/src/git's base..series back to
#                             kernels/<K>/patches/ (git format-patch) and series
#   lab/devtree.sh am-check   apply the series with 'git am' onto the base in
#                             a scratch worktree, then drop it
#   lab/devtree.sh am-tree    out/<K>/src/format.git: a scratch worktree of the
#                             base with the series applied (branch 'format'),
#                             for lab/format.sh; recreated every time
#
# The round trip: 'make dev-tree', edit and commit in out/<K>/src/git (rebase -i,
# commit --amend, ...), 'make export', review 'git diff', commit kernels/<K>/.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

lab_series
BASE_GIT=$SRC_DIR/base.git
DEV=$SRC_DIR/git
cmd=${1:-}
[ $# -le 1 ] || die "devtree: too many arguments"

# The base commit is made from the read-only pristine tree with a fixed date,
# so its hash depends only on the tree and the committer identity.
ensure_base_git() {
	"$LAB_ROOT/lab/expand.sh" --base
	local stamp
	stamp=$(cat "$(pristine_dir)/.lab-stamp")
	if [ "$(cat "$BASE_GIT/lab-stamp" 2>/dev/null)" = "$stamp" ]; then
		return
	fi
	log "making a git repository of the base (once per base tarball)"
	rm -rf "$BASE_GIT"
	git init -q --bare "$BASE_GIT"
	local name email
	name=$(git config user.name || echo "lab")
	email=$(git config user.email || echo "lab@localhost")
	(
		GIT_WORK_TREE=$(pristine_dir)
		export GIT_DIR=$BASE_GIT GIT_WORK_TREE
		export GIT_AUTHOR_NAME=$name GIT_AUTHOR_EMAIL=$email
		export GIT_COMMITTER_NAME=$name GIT_COMMITTER_EMAIL=$email
		export GIT_AUTHOR_DATE="2000-01-01T00:00:00Z" GIT_COMMITTER_DATE="2000-01-01T00:00:00Z"
		git add -A -f . ':!.lab-stamp'
		git commit -q -m "Linux $BASE_UPSTREAM_VERSION ($BASE_PACKAGE $BASE_DEBIAN_VERSION)"
		git tag base
	)
	echo "$stamp" >"$BASE_GIT/lab-stamp"
}

# am_onto DIR: git am every patch of the series in DIR (on branch 'series').
am_onto() {
	local dir=$1 p i=0 n
	mapfile -t ps < <(series_patches "$SERIES")
	n=${#ps[@]}
	for p in "${ps[@]}"; do
		i=$((i + 1))
		[ -r "$PATCH_DIR/$p" ] || die "devtree: $PATCH_DIR/$p does not exist"
		if ! git -C "$dir" am -q --keep-cr "$PATCH_DIR/$p"; then
			git -C "$dir" am --show-current-patch=diff | head -40 >&2 || true
			git -C "$dir" am --abort || true
			die "devtree: git am failed on patch $i/$n '$p'"
		fi
	done
	log "git am: $n patches applied in $dir"
}

# new_worktree DIR BRANCH: DIR a new worktree of the base on a new BRANCH,
# whatever was there before.
new_worktree() {
	git -C "$BASE_GIT" worktree remove --force "$1" 2>/dev/null || rm -rf "$1"
	git -C "$BASE_GIT" worktree prune
	git -C "$BASE_GIT" branch -D "$2" >/dev/null 2>&1 || true
	git -C "$BASE_GIT" worktree add -q -b "$2" "$1" base
}

case "$cmd" in
create)
	ensure_base_git
	if [ -e "$DEV" ] && [ "${FORCE:-0}" != 1 ]; then
		die "devtree: $DEV exists (it may hold unexported work); FORCE=1 recreates it"
	fi
	new_worktree "$DEV" series
	am_onto "$DEV"
	log "development tree: $DEV (branch 'series' on tag 'base')"
	;;
export)
	[ -d "$DEV" ] || die "devtree: no $DEV: run 'make dev-tree' first"
	[ -z "$(git -C "$DEV" status --porcelain --untracked-files=no)" ] ||
		die "devtree: $DEV has uncommitted changes: commit them first"
	tmp=$(mktemp -d)
	git -C "$DEV" format-patch -q --zero-commit --no-signature --no-renames \
		-o "$tmp" base..HEAD
	mapfile -t old < <(series_patches "$SERIES")
	mapfile -t new < <(cd "$tmp" && ls)
	find "$PATCH_DIR" -name '*.patch' ! -name 0000-cover-letter.patch -delete
	mkdir -p "$PATCH_DIR"
	[ ${#new[@]} = 0 ] || cp "$tmp"/* "$PATCH_DIR/"
	rm -rf "$tmp"
	# Keep the series file's comments and sections: the i-th patch line
	# becomes the i-th exported patch; extra ones go at the end.
	python3 - "$SERIES" "${#old[@]}" "${old[@]}" "${new[@]}" <<'PY'
import sys
path, nold = sys.argv[1], int(sys.argv[2])
old, new = sys.argv[3:3 + nold], sys.argv[3 + nold:]
out, i = [], 0
for line in open(path).read().splitlines():
    name = line.split("#", 1)[0].strip()
    if name:
        if i < len(new):
            out.append(new[i])
        i += 1
        continue
    out.append(line)
out += new[i:]
open(path, "w").write("\n".join(out) + "\n")
PY
	log "exported ${#new[@]} patches to $PATCH_DIR (was ${#old[@]}); review with git diff"
	;;
am-check)
	ensure_base_git
	chk=$SRC_DIR/am-check
	git -C "$BASE_GIT" worktree remove --force "$chk" 2>/dev/null || rm -rf "$chk"
	git -C "$BASE_GIT" worktree prune
	# Only the files the series touches are checked out: git am needs an
	# index that matches HEAD and clean copies of what it patches, not the
	# other 80000 files.
	git -C "$BASE_GIT" worktree add -q --detach --no-checkout "$chk" base
	git -C "$chk" reset -q
	mapfile -t touched < <(series_patches "$SERIES" | while read -r p; do
		[ -r "$PATCH_DIR/$p" ] && sed -n 's|^diff --git a/\([^ ]*\) b/.*|\1|p' "$PATCH_DIR/$p"
	done | sort -u)
	if [ ${#touched[@]} -gt 0 ]; then
		mapfile -t existing < <(git -C "$chk" ls-files -- "${touched[@]}")
		[ ${#existing[@]} = 0 ] || git -C "$chk" checkout -- "${existing[@]}"
	fi
	am_onto "$chk"
	git -C "$BASE_GIT" worktree remove --force "$chk"
	;;
am-tree)
	ensure_base_git
	new_worktree "$SRC_DIR/format.git" format
	am_onto "$SRC_DIR/format.git"
	;;
*)
	die "devtree: unknown command '${cmd}' (want create, export, am-check or am-tree)"
	;;
esac
