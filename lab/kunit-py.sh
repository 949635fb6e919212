#!/usr/bin/env bash
# Run the series' KUnit suite the way upstream runs KUnit: the tree's own
# tools/testing/kunit/kunit.py, with the series' mm/tests/.kunitconfig, for
# x86_64 under QEMU.  kunit.py builds its own small kernel in
# out/<K>/build/kunit-py, boots it, and parses the KTAP itself; the lab only
# reads kunit.py's JSON back to print one summary line.  Not part of
# `make test` (the lab's kunit scenario runs the same suite in the lab
# kernel); it costs one more kernel build per base.
#
#   lab/kunit-py.sh          KERNEL=<K> picks the base, BASELINE=1 the base
#                            kernel (which has no mm/tests/.kunitconfig)
#
# kunit.py starts QEMU with "-accel kvm -accel hvf -accel tcg", and nested
# KVM can hang instead of failing (it does on the lab's hosts).  Unless
# LAB_ACCEL=kvm, QEMU gets a private mount namespace in which /dev/kvm is
# /dev/null: opening KVM fails at once and QEMU falls back to TCG.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

need_cmd python3 qemu-system-x86_64 unshare timeout
flavour=$(lab_flavour)
"$LAB_ROOT/lab/expand.sh"
tree=$(src_for "$flavour")
kunitconfig=mm/tests/.kunitconfig
[ -r "$tree/$kunitconfig" ] ||
	die "kunit-py: $tree has no $kunitconfig (flavour $flavour: the suite comes with the series)"
obj=$BUILD_DIR/kunit-py-$flavour
json=$OUT/kunit-py-$flavour.json
mkdir -p "$obj"
rm -f "$json"

cmd=(python3 tools/testing/kunit/kunit.py run --arch=x86_64
	--kunitconfig="$kunitconfig" --build_dir="$obj" --jobs="$(nproc)"
	--make_options="CC=ccache gcc" --timeout=600 --json="$json")
if [ -e /dev/kvm ] && [ "${LAB_ACCEL:-tcg}" != kvm ]; then
	# shellcheck disable=SC2016 # expanded by the inner shell
	cmd=(unshare --mount --propagation private sh -c
		'mount --bind /dev/null /dev/kvm && exec "$@"' kunit-py "${cmd[@]}")
fi
log "kunit-py: KERNEL=$KERNEL ($flavour): ${cmd[*]}"
rc=0
(cd "$tree" && timeout --kill-after=30 2400 "${cmd[@]}") >"$obj/kunit-py.log" 2>&1 || rc=$?
tail -n 25 "$obj/kunit-py.log" >&2
[ "$rc" != 124 ] && [ "$rc" != 137 ] || die "kunit-py: timed out after 2400 s (see $obj/kunit-py.log)"
[ -s "$json" ] || die "kunit-py: kunit.py exited $rc and wrote no results (see $obj/kunit-py.log)"

# kunit.py's JSON: nested test groups, each with test_cases of a status.
read -r pass fail skip < <(python3 - "$json" <<'EOF'
import json, sys
counts = {"PASS": 0, "FAIL": 0, "SKIP": 0}
def walk(group):
    for case in group.get("test_cases", []):
        status = case.get("status", "FAIL")
        counts["PASS" if status == "PASS" else "SKIP" if status == "SKIP" else "FAIL"] += 1
    for sub in group.get("sub_groups", []):
        walk(sub)
walk(json.load(open(sys.argv[1])))
print(counts["PASS"], counts["FAIL"], counts["SKIP"])
EOF
)
summary="kunit-py (KERNEL=$KERNEL, $flavour): $pass passed, $fail failed, $skip skipped"
echo "$summary"
[ "$rc" = 0 ] && [ "$fail" = 0 ] && [ "$pass" -gt 0 ] ||
	die "kunit-py: kunit.py exited $rc (see $obj/kunit-py.log)"
