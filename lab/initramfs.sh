#!/usr/bin/env bash
# Build the guest initramfs for one kernel flavour:
#   busybox-static, ndctl/daxctl/mke2fs with their shared libraries, the
#   installed kselftests we run, the lab's guest scripts and static test
#   programs (lab/guest/src/*.c), and the kernel's modules tree (with
#   modules.builtin, which daxctl needs to find built-in drivers).
#
#   lab/initramfs.sh [series|base]  ->  out/initramfs/<flavour>.cpio.gz
set -euo pipefail
. "$(dirname "$0")/lib.sh"

flavour=${1:-$(lab_flavour)}
case "$flavour" in
series | base) ;;
*) die "initramfs: unknown kernel '$flavour' (want series or base)" ;;
esac
need_cmd busybox ndctl daxctl mke2fs cpio gzip gcc
obj=$(build_for "$flavour")
[ -d "$obj/modroot/lib/modules" ] || die "initramfs: $obj/modroot missing: run lab/build.sh $flavour first"

dir=$OUT/initramfs
stage=$dir/stage-common
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
# busybox's lacks (busybox --install leaves existing files alone).
for p in ndctl daxctl mke2fs bash timeout; do copy_with_libs "$(command -v $p)"; done
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

# Installed kselftests, from the series tree (the same tests run on both
# kernels).
tree=$(series_dir)
ksft=$OUT/build/kselftest
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
mkdir -p "$stage/kselftest/mm"
gcc -static -O2 -Wall -I"$tree" -o "$stage/kselftest/mm/hmm-tests" \
	"$tree/tools/testing/selftests/mm/hmm-tests.c" -lpthread -lrt -lm ||
	die "initramfs: selftests/mm/hmm-tests failed to build"

(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) | gzip -1 >"$dir/common.cpio.gz"

# The lab's own out-of-tree modules (benchmarks), built against this kernel.
bench=$OUT/build/modules-$flavour
rm -rf "$bench" && cp -r "$LAB_ROOT/lab/modules" "$bench"
kmake "$flavour" M="$bench" modules >"$bench/build.log" 2>&1 ||
	die "initramfs: lab modules failed to build (see $bench/build.log)"
mkdir -p "$obj/modroot/lab"
cp "$bench"/*.ko "$obj/modroot/lab/"

# Modules differ per kernel; the kernel unpacks concatenated archives in turn.
(cd "$obj/modroot" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) | gzip -1 >"$dir/modules-$flavour.cpio.gz"
cat "$dir/common.cpio.gz" "$dir/modules-$flavour.cpio.gz" >"$dir/$flavour.cpio.gz"
log "initramfs $dir/$flavour.cpio.gz: $(du -h "$dir/$flavour.cpio.gz" | cut -f1)"
