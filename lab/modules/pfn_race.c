// SPDX-License-Identifier: GPL-2.0
/*
 * pfn_race: a pfn walker that follows the series' lifetime rule, for the
 * race scenario.
 *
 * Kept in the lab, not in the series: it builds against the base and the
 * patched kernel alike, so one lab run shows how the two differ.  Its
 * thread does what every pfn walker does, on purpose slowly:
 *
 *	rcu_read_lock();
 *	page = pfn_to_online_page(pfn);
 *	if (page)
 *		(wait DELAY_US, as a walker that an interrupt or a busy
 *		 hypervisor holds up would) and read page->flags;
 *	rcu_read_unlock();
 *
 * With the series, offlining clears the record and waits for such readers
 * before it poisons the memmap, so the read never sees the poison.  The
 * base poisons a memmap that a reader was handed a moment earlier: the
 * delay only makes the window wide enough to hit in a short run.  The
 * flags are read with a plain load and compared with the DEBUG_VM poison
 * pattern, never through the PF_* helpers, which would BUG on the spot.
 *
 *   insmod pfn_race.ko start=PFN nr=N delay_us=D   (starts the walker)
 *   cat /sys/module/pfn_race/parameters/result
 *     -> "reads=N found=N poisoned=N"
 *   rmmod pfn_race                                 (stops it)
 *
 * reads:    pfns looked up
 * found:    lookups that returned a page (and waited DELAY_US)
 * poisoned: of those, pages whose flags were the poison pattern when read
 *
 * contig=N adds a second thread that asks alloc_contig_pages() for N
 * movable pages over and over while a pfn of the range is online, and
 * frees what it gets.  Its only movable memory is the range, so it scans
 * and isolates the blocks that offlining takes away; the result gains
 * "contig=TRIES/GOT/IN_RANGE".  What it checks is the kernel's: a read
 * of a poisoned memmap BUGs under DEBUG_VM_PGFLAGS, and an offline that
 * it makes spin times the scenario out.
 */
#include <linux/delay.h>
#include <linux/gfp.h>
#include <linux/kthread.h>
#include <linux/log2.h>
#include <linux/memory_hotplug.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/version.h>

static unsigned long start;
module_param(start, ulong, 0444);
MODULE_PARM_DESC(start, "first pfn to walk");
static unsigned long nr;
module_param(nr, ulong, 0444);
MODULE_PARM_DESC(nr, "number of pfns to walk");
static unsigned int delay_us = 2000;
module_param(delay_us, uint, 0444);
MODULE_PARM_DESC(delay_us, "wait between lookup and read (us, at most 10000)");

static unsigned long contig;
module_param(contig, ulong, 0444);
MODULE_PARM_DESC(contig, "pages per alloc_contig_pages() call (0: no such thread)");

static atomic_long_t reads, found, poisoned;
static atomic_long_t contig_tries, contig_got, contig_in;
static struct task_struct *walker, *allocator;

/* page->flags became a memdesc_flags_t in 6.18. */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 18, 0)
#define race_flags(page)	READ_ONCE((page)->flags)
#else
#define race_flags(page)	READ_ONCE((page)->flags.f)
#endif

static int walk(void *unused)
{
	/* A stride prime to any block size visits every pfn, out of order. */
	const unsigned long stride = 4099;
	unsigned long i = 0;

	while (!kthread_should_stop()) {
		unsigned long pfn = start + i;
		struct page *page;

		rcu_read_lock();
		page = pfn_to_online_page(pfn);
		if (page) {
			atomic_long_inc(&found);
			udelay(delay_us);
			if (race_flags(page) == PAGE_POISON_PATTERN) {
				atomic_long_inc(&poisoned);
				pr_err_ratelimited("pfn_race: pfn %#lx: poisoned memmap read after pfn_to_online_page() returned it\n",
						   pfn);
			}
		}
		rcu_read_unlock();
		atomic_long_inc(&reads);
		i = (i + stride) % nr;
		cond_resched();
	}
	return 0;
}

/*
 * alloc_contig_pages() is exported by the 7.3 base, not by 6.12: there
 * contig=N starts no thread, and the result says nothing of it.
 */
#define HAVE_CONTIG	(LINUX_VERSION_CODE >= KERNEL_VERSION(7, 3, 0))

#if HAVE_CONTIG
/* Is some pfn of the range online?  One per block is enough. */
static bool range_online(void)
{
	unsigned long pfn;
	bool online = false;

	rcu_read_lock();
	for (pfn = start; pfn < start + nr && !online; pfn += PAGES_PER_SECTION)
		online = pfn_to_online_page(pfn);
	rcu_read_unlock();
	return online;
}

static int allocate(void *unused)
{
	while (!kthread_should_stop()) {
		struct page *page;
		unsigned long pfn;

		if (!range_online()) {
			msleep(1);
			continue;
		}
		atomic_long_inc(&contig_tries);
		page = alloc_contig_pages(contig, GFP_HIGHUSER_MOVABLE | __GFP_NOWARN,
					  numa_node_id(), NULL);
		if (page) {
			pfn = page_to_pfn(page);
			atomic_long_inc(&contig_got);
			if (pfn >= start && pfn + contig <= start + nr)
				atomic_long_inc(&contig_in);
			free_contig_range(pfn, contig);
		}
		/*
		 * Pause between calls.  A failed call moves on to the next
		 * range, so while offlining isolates a block pageblock by
		 * pageblock, back-to-back calls run ahead of it, isolate a
		 * pageblock it has yet to reach, and make it fail with -EBUSY
		 * nearly every time.  10 ms leaves it room and still makes a
		 * hundred calls a second.
		 */
		usleep_range(10000, 11000);
	}
	return 0;
}
#endif

static int result_get(char *buf, const struct kernel_param *kp)
{
	int n = sysfs_emit(buf, "reads=%ld found=%ld poisoned=%ld",
			   atomic_long_read(&reads), atomic_long_read(&found),
			   atomic_long_read(&poisoned));

	if (HAVE_CONTIG && contig)
		n += sysfs_emit_at(buf, n, " contig=%ld/%ld/%ld",
				   atomic_long_read(&contig_tries),
				   atomic_long_read(&contig_got),
				   atomic_long_read(&contig_in));
	return n + sysfs_emit_at(buf, n, "\n");
}

static const struct kernel_param_ops result_ops = {
	.get = result_get,
};
module_param_cb(result, &result_ops, NULL, 0444);
MODULE_PARM_DESC(result, "counts so far: reads, pages found, poisoned reads");

static int __init pfn_race_init(void)
{
	if (!nr || start + nr < start || delay_us > 10000 ||
	    (contig && (!is_power_of_2(contig) || contig > nr))) {
		pr_err("pfn_race: want start=PFN nr=N (N > 0) delay_us=D (D <= 10000) [contig=C (a power of 2, C <= N)]\n");
		return -EINVAL;
	}
	walker = kthread_run(walk, NULL, "pfn_race");
	if (IS_ERR(walker))
		return PTR_ERR(walker);
#if HAVE_CONTIG
	if (contig) {
		allocator = kthread_run(allocate, NULL, "pfn_race_contig");
		if (IS_ERR(allocator)) {
			kthread_stop(walker);
			return PTR_ERR(allocator);
		}
	}
#else
	if (contig)
		pr_info("pfn_race: contig: this kernel does not export alloc_contig_pages()\n");
#endif
	return 0;
}

static void __exit pfn_race_exit(void)
{
	if (!IS_ERR_OR_NULL(allocator))
		kthread_stop(allocator);
	kthread_stop(walker);
	pr_info("pfn_race: reads=%ld found=%ld poisoned=%ld\n",
		atomic_long_read(&reads), atomic_long_read(&found),
		atomic_long_read(&poisoned));
}

module_init(pfn_race_init);
module_exit(pfn_race_exit);
MODULE_DESCRIPTION("pfn walker racing memory offlining, for the lab");
MODULE_LICENSE("GPL");
