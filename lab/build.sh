#!/usr/bin/env bash
# Build a lab kernel: configs/*.config, kernels/<K>/configs/*.config and
# (series, custom) configs/series/*.config merged onto allnoconfig with the
# tree's own scripts/kconfig/merge_config.sh, built with ccache.
#
#   lab/build.sh [series|base|custom]   (default: series; base with
#                                        BASELINE=1; custom with KSRC=DIR)
#
# Output: out/<K>/build/<flavour>/arch/x86/boot/bzImage, modules (with the
# lab's own, lab/modules/) installed under out/<K>/build/<flavour>/modroot,
# build log in out/<K>/build/<flavour>/build.log.
#   LAB_CONFIGS       replaces the list of fragments (space separated)
#   KCONFIG_ADD       options added on top, kunit.py's --kconfig_add:
#                     "CONFIG_X=y CONFIG_Y=n" (a value Kconfig drops fails)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ $# -le 1 ] || die "build: too many arguments (usage: lab/build.sh [series|base|custom])"
flavour=${1:-$(lab_flavour)}
check_flavour "$flavour"
need_cmd make gcc ccache flex bison bc

case "$flavour" in
base) "$LAB_ROOT/lab/expand.sh" --base ;;
series) "$LAB_ROOT/lab/expand.sh" ;;
custom) log "[custom] the tree at $KSRC, used as it is (read-only; output in $(build_for custom))" ;;
esac

obj=$(build_for "$flavour")
mkdir -p "$obj"
if [ -n "${LAB_CONFIGS:-}" ]; then
	read -r -a frags <<<"$LAB_CONFIGS"
else
	# Common, then the base's own (kernels/<K>/configs), then the options
	# that exist only with the series applied (a custom tree is expected to
	# carry the series).
	mapfile -t frags < <(lab_fragments "$flavour")
fi
# The release suffix (the series' with its content hash) goes in through
# LOCALVERSION, not CONFIG_LOCALVERSION: that lands in utsrelease.h alone,
# not in autoconf.h, so a new series hash rebuilds a handful of files rather
# than every one.
printf 'CONFIG_LOCALVERSION="-lab"\n' >"$obj/lab-release.config"
suffix=$(release_suffix "$flavour")
export LOCALVERSION=${suffix#-lab}
: >"$obj/lab-kconfig-add.config"
for o in ${KCONFIG_ADD:-}; do
	[[ $o =~ ^CONFIG_[A-Za-z0-9_]+=.+$ ]] || die "build: KCONFIG_ADD entry '$o' is not CONFIG_NAME=value"
	echo "$o" >>"$obj/lab-kconfig-add.config"
done

log "[$flavour] configuring: ${frags[*]##*/}${KCONFIG_ADD:+ + $KCONFIG_ADD}"
if ! kconfig_merge "$flavour" "${frags[@]}" "$obj/lab-kconfig-add.config" \
	"$obj/lab-release.config" >"$obj/config.log" 2>&1; then
	tail -20 "$obj/config.log" >&2
	die "build: merge_config.sh failed (see $obj/config.log)"
fi
# merge_config.sh only warns when Kconfig drops a requested value (a missing
# dependency); for the lab that means a device or test would silently vanish.
if grep -A2 '^Value requested for' "$obj/config.log" >&2; then
	die "build: a config fragment asks for values Kconfig did not keep (see above)"
fi

jobs=${JOBS:-$(nproc)}
log "[$flavour] building bzImage and modules with $jobs jobs (log: $obj/build.log)"
start=$(date +%s)
set +e
kmake "$flavour" -j"$jobs" CC="ccache gcc" bzImage modules 2>&1 |
	tee "$obj/build.log" |
	awk -v fl="$flavour" -v t0="$start" '
		/^  CC / { n++; if (n % 400 == 0) { printf "[%4ds] [%s] %d objects compiled (%s)\n", systime() - t0 + 0, fl, n, $2; fflush() } }
		/ error: |^make.*Error / { print; fflush() }'
rc=${PIPESTATUS[0]}
set -e
[ "$rc" = 0 ] || { tail -30 "$obj/build.log" >&2; die "build: kernel build failed (see $obj/build.log)"; }
rm -rf "$obj/modroot"
kmake "$flavour" INSTALL_MOD_PATH="$obj/modroot" INSTALL_MOD_STRIP=1 \
	modules_install >"$obj/modules_install.log" 2>&1 ||
	die "build: modules_install failed (see $obj/modules_install.log)"
# The lab's own out-of-tree modules, built against this kernel and shipped
# with its modules (lab/initramfs.sh packs modroot as it is).
mods=$obj/lab-modules
rm -rf "$mods" && cp -r "$LAB_ROOT/lab/modules" "$mods"
kmake "$flavour" M="$mods" modules >"$mods/build.log" 2>&1 ||
	die "build: the lab's modules (lab/modules) failed to build against $flavour (see $mods/build.log)"
mkdir -p "$obj/modroot/lab"
cp "$mods"/*.ko "$obj/modroot/lab/"
kmake "$flavour" -s kernelrelease >"$obj/kernelrelease"
log "[$flavour] built $(cat "$obj/kernelrelease") in $(($(date +%s) - start))s"
