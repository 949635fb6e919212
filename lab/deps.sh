#!/usr/bin/env bash
# Install what the lab needs on a Debian 12 machine (as root).  Cheap when
# everything is already there: apt is only called for what is missing.
# The kernel base package is not installed: lab/expand.sh downloads its .deb
# (from the machine's apt sources when the pin's BASE_SUITE is empty, which
# needs their package lists: apt-get update, once, here).
#
#   lab/deps.sh [PACKAGE...]     the lab's packages, and these too (make
#                                bench: gnuplot-nox)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

PKGS=(
	make gcc libc6-dev bc bison flex libelf-dev libssl-dev cpio xz-utils gzip
	ccache patch perl python3 python3-ply python3-git git kmod util-linux sparse rsync
	shellcheck pyflakes3
	qemu-system-x86 busybox-static ndctl daxctl e2fsprogs bash
	"$@"
)
missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
# The machine's lists know the base package (or its pin has a suite of its
# own, which lab/expand.sh updates privately).
lists_ok() {
	[ -n "${BASE_SUITE:-}" ] || apt-cache show "$BASE_PACKAGE" >/dev/null 2>&1
}
if [ ${#missing[@]} = 0 ] && lists_ok; then
	exit 0
fi
[ "$(id -u)" = 0 ] || die "deps: missing packages (${missing[*]}); run as root or install them"
command -v apt-get >/dev/null || die "deps: apt-get not found: this lab expects Debian 12"
log "installing: ${missing[*]:-none} (apt-get update first)"
export DEBIAN_FRONTEND=noninteractive
mkdir -p "$OUT"
apt-get update -q >"$OUT/apt-update.log" 2>&1 || {
	die "deps: apt-get update failed (see $OUT/apt-update.log)"
}
if [ ${#missing[@]} -gt 0 ]; then
	apt-get install -y -q --no-install-recommends "${missing[@]}" >"$OUT/apt-install.log" 2>&1 ||
		die "deps: apt-get install failed (see $OUT/apt-install.log)"
fi
log "dependencies installed"
