// SPDX-License-Identifier: GPL-2.0
/*
 * pfn_bench: time pfn_to_online_page() over a PFN range, from a guest.
 *
 * Kept in the lab, not in the series: it uses only exported API and builds
 * against the base and the patched kernel alike, so that one lab run can
 * compare the two.
 *
 *   echo "START NR LOOPS" > /sys/module/pfn_bench/parameters/run
 *   cat /sys/module/pfn_bench/parameters/result
 *     -> "<picoseconds per call> <calls that returned a page> <calls>"
 */
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/memory_hotplug.h>
#include <linux/module.h>
#include <linux/moduleparam.h>

static char result[80] = "none";
module_param_string(result, result, sizeof(result), 0444);
MODULE_PARM_DESC(result, "ps/call, pages found, calls of the last run");

static int run_set(const char *val, const struct kernel_param *kp)
{
	unsigned long start, nr, loops, i, l, found = 0;
	u64 t0, ns;

	if (sscanf(val, "%lu %lu %lu", &start, &nr, &loops) != 3 || !nr ||
	    !loops || nr > (1UL << 30) / loops)
		return -EINVAL;
	t0 = ktime_get_ns();
	for (l = 0; l < loops; l++) {
		for (i = 0; i < nr; i++)
			found += pfn_to_online_page(start + i) != NULL;
		cond_resched();
	}
	ns = ktime_get_ns() - t0;
	snprintf(result, sizeof(result), "%llu %lu %lu",
		 div64_u64(ns * 1000, (u64)nr * loops), found, nr * loops);
	return 0;
}

static const struct kernel_param_ops run_ops = {
	.set = run_set,
};
module_param_cb(run, &run_ops, NULL, 0200);
MODULE_PARM_DESC(run, "\"START NR LOOPS\": time pfn_to_online_page()");

MODULE_DESCRIPTION("pfn_to_online_page() micro-benchmark for the lab");
MODULE_LICENSE("GPL");
