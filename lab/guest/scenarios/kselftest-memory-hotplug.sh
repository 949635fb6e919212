#!/bin/sh
# lab-title: kselftest memory-hotplug (mem-on-off-test.sh, memmap-state.sh) on a movable memmap_on_memory DIMM and a devdax namespace
# lab-machine: pc
# lab-devices: dimm:dimm0:512M nvdimm:nv0:1G
# lab-cmdline: memhp_default_state=online_movable memory_hotplug.memmap_on_memory=1
# lab-timeout: 120
#
# The selftests, installed with the kernel's kselftest install and run by
# its own runner; its TAP is a nested subtest, checked on the host.  The
# namespace is made a devdax device first, and the DIMM's blocks host their
# own memmap (memmap_on_memory), for memmap-state.sh.
# shellcheck source=../lib.sh
. /lab/lib.sh

tap_plan 2
check "ndctl: devdax namespace for memmap-state.sh" \
	ndctl create-namespace -f -e namespace0.0 -m devdax
cd /kselftest || exit 1
./run_kselftest.sh -c memory-hotplug >/tmp/ksft.tap 2>&1
nest kselftest-memory-hotplug /tmp/ksft.tap $?
tap_done
