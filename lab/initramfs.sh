#!/usr/bin/env bash
# Build the guest initramfs for one kernel flavour:
#   busybox-static, ndctl/daxctl/mke2fs with their shared libraries, the
#   installed kselftests we run, the lab's guest scripts and static test
#   programs (lab/guest/src/*.c), and the kernel's modules tree (with
#   modules.builtin, which daxctl needs to find built-in drivers).
#
#   lab/initramfs.sh [series|base|custom]  ->  out/<K>/initramfs/<flavour>.cpio.gz (DEBUG=1: initramfs-debug/)
#
# The kselftests and hmm-tests come from the series tree for series and base
# (the same tests on both kernels: the base is the negative control), from
# the user's tree for custom.  lab/run.py appends lab/guest/ afresh at every
# boot, so a scenario edited since is what runs.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ $# -le 1 ] || die "initramfs: too many arguments"
flavour=${1:-$(lab_flavour)}
check_flavour "$flavour"
need_cmd busybox ndctl daxctl mke2fs cpio gzip gcc
obj=$(build_for "$flavour")
[ -d "$obj/modroot/lib/modules" ] || die "initramfs: $obj/modroot missing: run lab/build.sh $flavour first"
if [ "$flavour" = custom ]; then
	tree=$(src_for custom)
else
	# The base's boots run the series' tests: make sure that tree exists.
	"$LAB_ROOT/lab/expand.sh" >/dev/null ||
		die "initramfs: the series tree (for the tests both kernels run) cannot be made: see lab/expand.sh"
	tree=$(series_dir)
fi

dir=$INITRAMFS_DIR
stage=$dir/stage-$flavour
rm -rf "$stage" && mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,etc,lab/bin,lib64}
busybox_bin=$(command -v busybox)
if ldd "$busybox_bin" >/dev/null 2>&1; then
	die "initramfs: $busybox_bin is not static: install busybox-static"
fi
cp "$busybox_bin" "$stage/bin/busybox"

# Dynamic programs keep their own paths, libraries included.
copy_with_libs() {
	local bin=$1 lib
	install -D "$bin" "$stage$bin"
	for lib in $(ldd "$bin" | grep -o '/[^ ]*'); do
		[ -e "$stage$lib" ] || install -D "$(readlink -f "$lib")" "$stage$lib"
	done
}
# coreutils' timeout: the kselftest runner needs --foreground, which
# busybox's lacks (busybox --install leaves existing files alone); getconf
# (libc-bin), which busybox does not have, for kselftests' page size.
for p in ndctl daxctl mke2fs bash timeout getconf; do copy_with_libs "$(command -v $p)"; done
ln -sf "$(command -v mke2fs)" "$stage/sbin/mkfs.ext4"
# Scripts say #!/bin/bash; Debian keeps it in /usr/bin.
[ -e "$stage/bin/bash" ] || ln -s "$(command -v bash)" "$stage/bin/bash"

# The lab's own guest side.
install -m 0755 "$LAB_ROOT/lab/guest/init" "$stage/init"
install -m 0644 "$LAB_ROOT/lab/guest/lib.sh" "$stage/lab/lib.sh"
cp -r "$LAB_ROOT/lab/guest/scenarios" "$stage/lab/"
for c in "$LAB_ROOT"/lab/guest/src/*.c; do
	[ -e "$c" ] || continue
	gcc -static -O2 -Wall -Wextra -Werror -o "$stage/lab/bin/$(basename "$c" .c)" "$c" ||
		die "initramfs: cannot build $c"
done

# Installed kselftests.
ksft=$OUT/build/kselftest-$([ "$flavour" = custom ] && echo custom || echo series)
if [ ! -x "$ksft/install/run_kselftest.sh" ] ||
	[ -n "$(find "$tree/tools/testing/selftests/memory-hotplug" -newer "$ksft/install/run_kselftest.sh")" ]; then
	log "installing kselftests (memory-hotplug)"
	rm -rf "$ksft"
	make -C "$tree/tools/testing/selftests" O="$ksft/obj" TARGETS="memory-hotplug" \
		INSTALL_PATH="$ksft/install" install >"$OUT/kselftest-install.log" 2>&1 ||
		die "initramfs: kselftest install failed (see $OUT/kselftest-install.log)"
fi
cp -a "$ksft/install" "$stage/kselftest"
# selftests/mm's hmm-tests alone: building all of selftests/mm needs more
# than this machine has (32-bit toolchains, liburing), and hmm-tests needs
# only the tree's uapi headers for test_hmm and gup_test.
# Newer trees (7.x) build it with the harness from selftests/ and with the
# helpers selftests/mm's Makefile links into its programs
# ("$(TEST_GEN_FILES): vm_util.c ..."), once hmm-tests.c uses one of them.
mkdir -p "$stage/kselftest/mm"
mmst=$tree/tools/testing/selftests/mm
helpers=()
read -r -a listed < <(sed -n 's/^\$(TEST_GEN_FILES): *//p' "$mmst/Makefile")
for h in "${listed[@]}"; do
	if grep -q "^#include \"${h%.c}.h\"" "$mmst/hmm-tests.c"; then
		helpers=("${listed[@]/#/$mmst/}")
		break
	fi
done
gcc -static -O2 -Wall -D_GNU_SOURCE= -I"$tree" -I"$tree/tools/testing/selftests" -I"$mmst" \
	-isystem "$tree/tools/include/uapi" -o "$stage/kselftest/mm/hmm-tests" \
	"$mmst/hmm-tests.c" "${helpers[@]}" -lpthread -lrt -lm ||
	die "initramfs: selftests/mm/hmm-tests failed to build"

# tools/mm/page-types, the tree's reader of /proc/kpageflags, static: its
# Makefile links it against tools/lib/api, built here out of the tree.
libapi=$OUT/build/libapi-$([ "$flavour" = custom ] && echo custom || echo series)/
mkdir -p "$libapi"
make -C "$tree/tools/lib/api" OUTPUT="$libapi" >"$OUT/libapi.log" 2>&1 ||
	die "initramfs: tools/lib/api failed to build (see $OUT/libapi.log)"
gcc -static -O2 -Wall -I"$tree/tools/lib" -o "$stage/usr/bin/page-types" \
	"$tree/tools/mm/page-types.c" "${libapi}libapi.a" -pthread ||
	die "initramfs: tools/mm/page-types failed to build"

(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) | gzip -1 >"$dir/common-$flavour.cpio.gz"

# Modules differ per kernel; the kernel unpacks concatenated archives in turn.
(cd "$obj/modroot" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) | gzip -1 >"$dir/modules-$flavour.cpio.gz"
cat "$dir/common-$flavour.cpio.gz" "$dir/modules-$flavour.cpio.gz" >"$dir/$flavour.cpio.gz"
log "initramfs $dir/$flavour.cpio.gz: $(du -h "$dir/$flavour.cpio.gz" | cut -f1)"
