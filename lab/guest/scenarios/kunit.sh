#!/bin/sh
# lab-title: KUnit suites built into the kernel, run at boot
# lab-kunit: yes
# lab-timeout: 300
#
# The suites ran before /init; the host parses their KTAP from the console
# with the kernel's kunit_parser.  Here we check that debugfs agrees that
# they ran, the series' own suite among them.
. /lab/lib.sh

tap_plan 2
check "KUnit results are in debugfs" sh -c 'ls /sys/kernel/debug/kunit/*/results'
check "the series' pfn_active suite ran" test -r /sys/kernel/debug/kunit/pfn_active/results
tap_done
