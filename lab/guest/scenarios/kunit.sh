#!/bin/sh
# lab-title: KUnit suites built into the kernel, run at boot
# lab-kunit: yes
# lab-timeout: 300
#
# The suites ran before /init; the host parses their KTAP from the console
# with the kernel's kunit_parser.  Here we only check that debugfs agrees
# that they ran.
. /lab/lib.sh

tap_plan 1
check "KUnit results are in debugfs" sh -c 'ls /sys/kernel/debug/kunit/*/results'
tap_done
