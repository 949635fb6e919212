#!/usr/bin/env bash
# Compile-check the series for ppc64le (book3s64: ZONE_DEVICE, KVM HV/PR
# with the radix and hash MMUs) with Debian's cross compiler: the files the
# series touches, all of arch/powerpc/kvm, and the powerpc PageReserved()
# callers that ZONE_DEVICE pages can reach.  W=1; any compiler warning in
# those files fails.  Nothing links or boots.  Not part of `make test`.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

cross=powerpc64le-linux-gnu-
if ! command -v ${cross}gcc >/dev/null; then
	log "check-ppc: installing gcc-powerpc64le-linux-gnu"
	apt-get install -y -q gcc-powerpc64le-linux-gnu >/dev/null ||
		die "check-ppc: cannot install gcc-powerpc64le-linux-gnu"
fi
"$LAB_ROOT/lab/expand.sh"
src=$(series_dir)
obj=$BUILD_DIR/ppc64le
mkdir -p "$obj"
mk() { make -C "$src" O="$obj" ARCH=powerpc CROSS_COMPILE=$cross -j"$(nproc)" "$@"; }
mk ppc64le_defconfig >"$obj/config.log" 2>&1
"$src/scripts/config" --file "$obj/.config" -e MEMORY_HOTPLUG -e MEMORY_HOTREMOVE \
	-e ZONE_DEVICE -e DEVICE_PRIVATE -e VFIO -e VIRTUALIZATION -e KVM_BOOK3S_64 \
	-e KVM_BOOK3S_64_HV -e KVM_BOOK3S_64_PR -e LIBNVDIMM -e DEV_DAX -e FS_DAX
mk olddefconfig >>"$obj/config.log" 2>&1
for c in ZONE_DEVICE MEMORY_HOTPLUG KVM_BOOK3S_64_HV DEVICE_PRIVATE SPARSEMEM_VMEMMAP; do
	grep -q "^CONFIG_$c=y" "$obj/.config" || die "check-ppc: CONFIG_$c did not stick"
done
mk prepare >"$obj/prepare.log" 2>&1 || die "check-ppc: prepare failed (see $obj/prepare.log)"
log "check-ppc: building the touched files and arch/powerpc/kvm with W=1"
if ! mk W=1 mm/mm_init.o mm/memremap.o mm/memory_hotplug.o mm/sparse.o \
	mm/sparse-vmemmap.o fs/proc/task_mmu.o fs/proc/page.o drivers/vfio/vfio_iommu_type1.o \
	arch/powerpc/mm/book3s64/hash_utils.o arch/powerpc/mm/pgtable.o \
	arch/powerpc/kvm/ >"$obj/build.log" 2>&1; then
	die "check-ppc: build failed (see $obj/build.log)"
fi
if grep -E '(warning|error):' "$obj/build.log" | grep -v 'scripts/genksyms/parse.y'; then
	die "check-ppc: compiler warnings (see $obj/build.log)"
fi
log "check-ppc: ok ($(grep -c '^  CC' "$obj/build.log") files compiled, no warning)"
