#!/bin/sh
# lab-title: KUnit suites built into the kernel, run at boot
# lab-cmdline: kunit.enable=1
# lab-timeout: 120
#
# The suites ran before /init.  Their results are read from debugfs (one
# KTAP document per suite, which does not depend on the console log level)
# and passed to the host as nested subtests, where the kernel's kunit_parser
# checks every plan and every case.
# shellcheck source=../lib.sh
. /lab/lib.sh

suites=$(ls -d /sys/kernel/debug/kunit/*/ 2>/dev/null)
tap_plan $(($(echo "$suites" | grep -c .) + 1))
# Ran: its results hold case lines, not just the header a suite that never
# ran has (7.3's kunit.autorun=0, say).
check "the series' pfn_active suite ran" \
	grep -Eq '^    (not )?ok [0-9]+ ' /sys/kernel/debug/kunit/pfn_active/results
for d in $suites; do
	name=$(basename "$d")
	kunit_suite "$d/results" >/tmp/kunit-"$name".ktap
	st=$(kunit_status "$d/results")
	nest "$name" /tmp/kunit-"$name".ktap "$st"
done
tap_done
