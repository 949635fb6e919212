// SPDX-License-Identifier: GPL-2.0
/*
 * pfn_bench: time the pfn lookups of the memmap record over a PFN range,
 * and report what the record costs in memory, from a guest.
 *
 * Kept in the lab, not in the series: it uses only exported and inline API
 * and builds against the base and the patched kernel alike, so that one
 * lab run can compare the two.
 *
 *   echo "START NR LOOPS [online|device]" > /sys/module/pfn_bench/parameters/run
 *   cat /sys/module/pfn_bench/parameters/result
 *     -> "<picoseconds per call> <calls that returned a page> <calls>"
 *   cat /sys/module/pfn_bench/parameters/memmap
 *     -> "usage=B usemap=B alloc=B present=N section=B series=0|1"
 *
 * "online" times pfn_to_online_page(), "device" the series'
 * pfn_to_device_page() (the series only: -EOPNOTSUPP on the base).
 * "memmap": the size of struct mem_section_usage, of the pageblock bitmap
 * that follows it, the slab object a hot-added section's usage is
 * allocated in, the number of present sections and a section's size.
 */
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/memory_hotplug.h>
#include <linux/memremap.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>

/* The series defines it with the record, in mmzone.h. */
#ifdef MEMMAP_ACTIVE_PER_SECTION
#define SERIES 1
/*
 * pfn_to_device_page() is not exported (its callers are built in): this is
 * its body, from the inline API it is made of, so that the module times
 * the same code without a call.
 */
static struct page *device_page(unsigned long pfn)
{
	struct page *page;

	if (!pfn_active(pfn))
		return NULL;
	page = pfn_to_page(pfn);
	return is_zone_device_page(page) ? page : NULL;
}
#else
#define SERIES 0
#endif

static char result[80] = "none";
module_param_string(result, result, sizeof(result), 0444);
MODULE_PARM_DESC(result, "ps/call, pages found, calls of the last run");

static int run_set(const char *val, const struct kernel_param *kp)
{
	unsigned long start, nr, loops, i, l, found = 0;
	char fn[8] = "online";
	u64 t0, ns;
	int n;

	n = sscanf(val, "%lu %lu %lu %7s", &start, &nr, &loops, fn);
	if (n < 3 || !nr || !loops || nr > (1UL << 30) / loops)
		return -EINVAL;
	if (strcmp(fn, "online") && strcmp(fn, "device"))
		return -EINVAL;
	if (!SERIES && !strcmp(fn, "device"))
		return -EOPNOTSUPP;
	t0 = ktime_get_ns();
	for (l = 0; l < loops; l++) {
		if (fn[0] == 'o') {
			for (i = 0; i < nr; i++)
				found += pfn_to_online_page(start + i) != NULL;
		}
#if SERIES
		else {
			/* The caller's side of its contract: RCU held. */
			rcu_read_lock();
			for (i = 0; i < nr; i++)
				found += device_page(start + i) != NULL;
			rcu_read_unlock();
		}
#endif
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
MODULE_PARM_DESC(run, "\"START NR LOOPS [online|device]\": time a lookup");

static int memmap_get(char *buf, const struct kernel_param *kp)
{
	size_t usage = sizeof(struct mem_section_usage);
	size_t usemap = BITS_TO_LONGS(SECTION_BLOCKFLAGS_BITS) *
			sizeof(unsigned long);
	unsigned long nr, present = 0;

	for (nr = 0; nr < NR_MEM_SECTIONS; nr++) {
		present += present_section_nr(nr);
		if (!(nr % 4096))
			cond_resched();
	}
	return sysfs_emit(buf, "usage=%zu usemap=%zu alloc=%zu present=%lu section=%lu series=%d\n",
			  usage, usemap, kmalloc_size_roundup(usage + usemap),
			  present, PAGES_PER_SECTION << PAGE_SHIFT, SERIES);
}

static const struct kernel_param_ops memmap_ops = {
	.get = memmap_get,
};
module_param_cb(memmap, &memmap_ops, NULL, 0444);
MODULE_PARM_DESC(memmap, "bytes of a section's usage, its pageblock bitmap, its slab object; present sections");

MODULE_DESCRIPTION("pfn lookup micro-benchmark and memmap record size for the lab");
MODULE_LICENSE("GPL");
