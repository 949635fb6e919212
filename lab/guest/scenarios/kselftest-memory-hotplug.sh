#!/bin/sh
# lab-title: kselftest memory-hotplug (mem-on-off-test.sh) on a movable DIMM
# lab-machine: pc
# lab-devices: dimm:dimm0:512M
# lab-cmdline: memhp_default_state=online_movable
# lab-timeout: 120
#
# The upstream selftest, installed with the kernel's kselftest install and
# run by its own runner; its TAP is a nested subtest, checked on the host.
# shellcheck source=../lib.sh
. /lab/lib.sh

tap_plan 1
cd /kselftest || exit 1
./run_kselftest.sh -c memory-hotplug >/tmp/ksft.tap 2>&1
nest kselftest-memory-hotplug /tmp/ksft.tap $?
tap_done
