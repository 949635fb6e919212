// SPDX-License-Identifier: GPL-2.0
/*
 * kpageflags: summarise /proc/kpageflags over a pfn range and check it.
 *
 *   kpageflags [-q] [--none FLAG]... [--all FLAG]... [--some FLAG]... START_PFN NR_PFNS
 *
 * Prints how many pfns carry each flag.  --none FLAG fails (exit 1) if any
 * pfn has FLAG, --all FLAG fails unless every pfn has it, --some FLAG
 * unless at least one has it.  Exit 2 on bad usage or when
 * /proc/kpageflags cannot be read.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const flag_names[64] = {
	[0] = "LOCKED", [1] = "ERROR", [2] = "REFERENCED", [3] = "UPTODATE",
	[4] = "DIRTY", [5] = "LRU", [6] = "ACTIVE", [7] = "SLAB",
	[8] = "WRITEBACK", [9] = "RECLAIM", [10] = "BUDDY", [11] = "MMAP",
	[12] = "ANON", [13] = "SWAPCACHE", [14] = "SWAPBACKED",
	[15] = "COMPOUND_HEAD", [16] = "COMPOUND_TAIL", [17] = "HUGE",
	[18] = "UNEVICTABLE", [19] = "HWPOISON", [20] = "NOPAGE", [21] = "KSM",
	[22] = "THP", [23] = "OFFLINE", [24] = "ZERO_PAGE", [25] = "IDLE",
	[26] = "PGTABLE", [27] = "ZONE_DEVICE",
	/* Only exported with CONFIG_... "kernel hacking" bits, always on. */
	[32] = "RESERVED", [33] = "MLOCKED", [34] = "MAPPEDTODISK",
	[35] = "PRIVATE", [36] = "PRIVATE_2", [37] = "OWNER_PRIVATE",
	[38] = "ARCH", [39] = "UNCACHED", [40] = "SOFTDIRTY", [41] = "ARCH_2",
};

static int flag_bit(const char *name)
{
	for (int i = 0; i < 64; i++)
		if (flag_names[i] && !strcmp(flag_names[i], name))
			return i;
	fprintf(stderr, "kpageflags: unknown flag '%s'\n", name);
	exit(2);
}

static void usage(void)
{
	fprintf(stderr, "usage: kpageflags [-q] [--none FLAG]... [--all FLAG]... [--some FLAG]... START_PFN NR_PFNS\n");
	exit(2);
}

static unsigned long long number(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || end == s)
		usage();
	return v;
}

int main(int argc, char **argv)
{
	uint64_t none = 0, all = 0, some = 0, buf[4096];
	unsigned long long start, nr, done = 0, count[64] = { 0 };
	int quiet = 0, fd, i, bad = 0;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-q"))
			quiet = 1;
		else if (!strcmp(argv[i], "--none") && i + 1 < argc)
			none |= 1ULL << flag_bit(argv[++i]);
		else if (!strcmp(argv[i], "--all") && i + 1 < argc)
			all |= 1ULL << flag_bit(argv[++i]);
		else if (!strcmp(argv[i], "--some") && i + 1 < argc)
			some |= 1ULL << flag_bit(argv[++i]);
		else
			usage();
	}
	if (argc - i != 2)
		usage();
	start = number(argv[i]);
	nr = number(argv[i + 1]);

	fd = open("/proc/kpageflags", O_RDONLY);
	if (fd < 0) {
		perror("kpageflags: /proc/kpageflags");
		return 2;
	}
	while (done < nr) {
		size_t want = nr - done < 4096 ? nr - done : 4096;
		ssize_t got = pread(fd, buf, want * 8, (start + done) * 8);

		if (got <= 0 || got % 8) {
			fprintf(stderr, "kpageflags: short read at pfn %#llx\n", start + done);
			return 2;
		}
		for (size_t j = 0; j < (size_t)got / 8; j++) {
			for (int b = 0; b < 64; b++)
				if (buf[j] & (1ULL << b))
					count[b]++;
			if ((buf[j] & none) || (buf[j] & all) != all) {
				if (bad++ < 5)
					fprintf(stderr, "pfn %#llx: flags %#llx\n",
						start + done + j, (unsigned long long)buf[j]);
			}
		}
		done += got / 8;
	}
	for (int b = 0; b < 64; b++) {
		if ((some & (1ULL << b)) && !count[b]) {
			fprintf(stderr, "no pfn has %s\n", flag_names[b]);
			bad++;
		}
	}
	if (!quiet || bad) {
		printf("pfns %#llx-%#llx (%llu):", start, start + nr - 1, nr);
		for (int b = 0; b < 64; b++)
			if (count[b])
				printf(" %s=%llu", flag_names[b] ? flag_names[b] : "?", count[b]);
		printf("\n");
	}
	if (bad)
		fprintf(stderr, "kpageflags: %d pfns fail the check\n", bad);
	return bad ? 1 : 0;
}
