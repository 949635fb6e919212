#!/usr/bin/env bash
# Build the series in the configurations the lab kernel does not cover:
# configs/variants/*.config, each merged onto allnoconfig with
# configs/00-base.config, the debug fragment and the base's own fragments
# (kernels/<K>/configs/*.config, as for every lab kernel).  Only the
# build is checked; nothing boots.  Not part of `make test`.
#
#   lab/check-configs.sh [VARIANT...]     (default: all of them)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

"$LAB_ROOT/lab/expand.sh"
mapfile -t variants < <(if [ $# -gt 0 ]; then printf '%s\n' "$@"; else
	ls "$LAB_ROOT/configs/variants" | sed 's/\.config$//'; fi)
failed=0
for v in "${variants[@]}"; do
	frag=$LAB_ROOT/configs/variants/$v.config
	[ -r "$frag" ] || die "check-configs: no variant '$v' (see configs/variants/)"
	obj=$BUILD_DIR/variant-$v
	mkdir -p "$obj"
	arch=x86_64
	[ "$v" = i386 ] && arch=i386
	frags=("$LAB_ROOT/configs/00-base.config" "$LAB_ROOT/configs/30-debug.config")
	for f in "$KDIR"/configs/*.config; do [ -e "$f" ] && frags+=("$f"); done
	frags+=("$frag")
	log "[$v] configuring ($arch)"
	# The variant drops options the base fragment asks for: no strict check.
	(cd "$(series_dir)" && ARCH=$arch ./scripts/kconfig/merge_config.sh -n -O "$obj" \
		"${frags[@]}") >"$obj/config.log" 2>&1 ||
		die "check-configs: [$v] config failed (see $obj/config.log)"
	grep -E '^(CONFIG_MEMORY_HOTPLUG|CONFIG_ZONE_DEVICE|CONFIG_SPARSEMEM_VMEMMAP|CONFIG_SPARSEMEM|CONFIG_FLATMEM|CONFIG_64BIT)=' \
		"$obj/.config" | tr '\n' ' ' | sed "s/^/[$v] /;s/\$/\n/" >&2
	log "[$v] building"
	if make -C "$(series_dir)" O="$obj" ARCH=$arch -j"$(nproc)" CC="ccache gcc" \
		>"$obj/build.log" 2>&1; then
		log "[$v] ok"
	else
		grep -m10 -E 'error|Error' "$obj/build.log" >&2 || true
		log "[$v] FAILED (see $obj/build.log)"
		failed=$((failed + 1))
	fi
done
[ "$failed" = 0 ] || die "check-configs: $failed variant(s) failed to build"
log "check-configs: ${variants[*]} build"
