// SPDX-License-Identifier: GPL-2.0
/*
 * memmap_probe: describe the memmap of a ZONE_DEVICE PFN range, from a guest.
 *
 * Kept in the lab, not in the series: it builds against the base and the
 * patched kernel alike, so one lab run can show how the two differ.  It
 * reads struct pages the way a PFN walker would, but never trusts them: a
 * memmap that was never initialized holds the DEBUG_VM poison pattern (or
 * whatever the altmap's memory held), so the poison is checked first and
 * flags are read with plain bit tests, never with the PF_* policy helpers
 * that BUG on a poisoned page.
 *
 *   echo "START NR" > /sys/module/memmap_probe/parameters/probe
 *   cat /sys/module/memmap_probe/parameters/result
 *     -> "pfns=N poisoned=N not_device=N reserved=N offline=N
 *         selfhosted=N foreign_pgmap=N"   (one line)
 *
 * poisoned:      memmap never initialized (DEBUG_VM poison pattern)
 * not_device:    not poisoned, but not ZONE_DEVICE either
 * reserved:      PG_reserved set
 * offline:       PageOffline()
 * selfhosted:    PageVmemmapSelfHosted() (PG_owner_priv_1 on ZONE_DEVICE)
 * foreign_pgmap: ZONE_DEVICE, but the page's pgmap (its compound head's
 *                for a tail) is not the one get_dev_pagemap() finds
 *
 * Writing a range that has no pgmap, or bad input, fails with -EINVAL and
 * leaves the last result alone.
 */
#include <linux/memremap.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/page-flags.h>
#include <linux/version.h>

static char result[160] = "none";
module_param_string(result, result, sizeof(result), 0444);
MODULE_PARM_DESC(result, "classification of the last probed range");

struct probe_counts {
	unsigned long poisoned, not_device, reserved, offline, selfhosted;
	unsigned long foreign;
};

/*
 * The pgmap of a ZONE_DEVICE page, as the page itself records it: on the
 * lab's 6.12 base in page->pgmap, where a compound tail holds compound_head
 * instead and the head's is meant; from 6.15 on in the folio.  The head must
 * lie between the first pfn of the range and @page, or the memmap is garbage
 * and is not followed.
 */
static struct dev_pagemap *page_pgmap_of(struct page *page,
					 unsigned long first_pfn)
{
	unsigned long head;

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 15, 0)
	head = READ_ONCE(page->compound_head);
	if (!(head & 1))
		return page->pgmap;
	head--;
#else
	head = (unsigned long)page_folio(page);
	if (head == (unsigned long)page)
		return page_folio(page)->pgmap;
#endif
	if (head < (unsigned long)pfn_to_page(first_pfn) ||
	    head >= (unsigned long)page)
		return NULL;
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 15, 0)
	return ((struct page *)head)->pgmap;
#else
	return ((struct folio *)head)->pgmap;
#endif
}

/* page->flags became a memdesc_flags_t in 6.18. */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 18, 0)
#define probe_flags(page)	(&(page)->flags)
#else
#define probe_flags(page)	(&(page)->flags.f)
#endif

static void probe_one(unsigned long pfn, unsigned long first_pfn,
		      struct dev_pagemap *pgmap, struct probe_counts *c)
{
	struct page *page = pfn_to_page(pfn);

	if (*probe_flags(page) == PAGE_POISON_PATTERN) {
		c->poisoned++;
		return;
	}
	if (page_zonenum(page) != ZONE_DEVICE) {
		c->not_device++;
		return;
	}
	if (test_bit(PG_reserved, probe_flags(page)))
		c->reserved++;
	if (test_bit(PG_owner_priv_1, probe_flags(page)))
		c->selfhosted++;
	if ((READ_ONCE(page->page_type) >> 24) == PGTY_offline)
		c->offline++;
	if (page_pgmap_of(page, first_pfn) != pgmap)
		c->foreign++;
}

/* The pgmap range that holds @pfn, or NULL. */
static const struct range *pgmap_range_of(struct dev_pagemap *pgmap,
					  unsigned long pfn)
{
	int i;

	for (i = 0; i < pgmap->nr_range; i++) {
		const struct range *r = &pgmap->ranges[i];

		if (pfn >= PHYS_PFN(r->start) && pfn <= PHYS_PFN(r->end))
			return r;
	}
	return NULL;
}

static int probe_set(const char *val, const struct kernel_param *kp)
{
	struct probe_counts c = { 0 };
	struct dev_pagemap *pgmap;
	unsigned long start, nr, i, range_first;
	const struct range *r;
	int ret = -EINVAL;

	if (sscanf(val, "%lu %lu", &start, &nr) != 2 || !nr ||
	    start + nr < start)
		return -EINVAL;
	/* The reference keeps the memmap of the whole pgmap range alive. */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 16, 0)
	pgmap = get_dev_pagemap(start, NULL);
#else
	pgmap = get_dev_pagemap(start);
#endif
	if (!pgmap)
		return -EINVAL;
	r = pgmap_range_of(pgmap, start);
	if (!r || start + nr - 1 > PHYS_PFN(r->end))
		goto out;
	range_first = PHYS_PFN(r->start);
	for (i = 0; i < nr; i++) {
		if (!pfn_valid(start + i))
			goto out;
		probe_one(start + i, range_first, pgmap, &c);
		if (!(i & 4095))
			cond_resched();
	}
	snprintf(result, sizeof(result),
		 "pfns=%lu poisoned=%lu not_device=%lu reserved=%lu offline=%lu selfhosted=%lu foreign_pgmap=%lu",
		 nr, c.poisoned, c.not_device, c.reserved, c.offline,
		 c.selfhosted, c.foreign);
	ret = 0;
out:
	put_dev_pagemap(pgmap);
	return ret;
}

static const struct kernel_param_ops probe_ops = {
	.set = probe_set,
};
module_param_cb(probe, &probe_ops, NULL, 0200);
MODULE_PARM_DESC(probe, "\"START NR\": classify the memmap of a device range");

MODULE_DESCRIPTION("ZONE_DEVICE memmap probe for the lab");
MODULE_LICENSE("GPL");
