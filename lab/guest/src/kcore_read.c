// SPDX-License-Identifier: GPL-2.0
/*
 * kcore_read: read a physical range of RAM through /proc/kcore.
 *
 *   kcore_read PHYS_START LENGTH
 *
 * Finds the PT_LOAD segment of /proc/kcore whose physical addresses hold
 * [PHYS_START, PHYS_START + LENGTH) and reads that part of it in 64 KiB
 * reads.  For every page, the kernel looks the pfn up with
 * pfn_to_online_page() and zero-fills what it does not copy (offline
 * memory, PageOffline(), hardware-poisoned pages), so a read of offline
 * memory succeeds.  Exit 0 when every byte was read, 1 on a failed or
 * short read, 2 on bad usage, 3 when no segment holds the range: the list
 * of RAM ranges ends at the highest node_end_pfn(), so memory at the top
 * is left out while it is offline.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHUNK (64 * 1024)

static int parse(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || !*s || *end;
}

int main(int argc, char **argv)
{
	static char buf[CHUNK];
	uint64_t start, len, off = 0;
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	int fd, i, found = 0;

	if (argc != 3 || parse(argv[1], &start) || parse(argv[2], &len) || !len) {
		fprintf(stderr, "usage: kcore_read PHYS_START LENGTH\n");
		return 2;
	}
	fd = open("/proc/kcore", O_RDONLY);
	if (fd < 0 || pread(fd, &eh, sizeof(eh), 0) != sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) || eh.e_ident[EI_CLASS] != ELFCLASS64) {
		fprintf(stderr, "kcore_read: /proc/kcore: not a readable ELF64 file: %s\n",
			strerror(errno));
		return 2;
	}
	for (i = 0; i < eh.e_phnum && !found; i++) {
		if (pread(fd, &ph, sizeof(ph), eh.e_phoff + (uint64_t)i * eh.e_phentsize) !=
		    sizeof(ph)) {
			fprintf(stderr, "kcore_read: program header %d: %s\n", i, strerror(errno));
			return 2;
		}
		if (ph.p_type == PT_LOAD && ph.p_paddr != (Elf64_Addr)-1 &&
		    start >= ph.p_paddr && start + len <= ph.p_paddr + ph.p_memsz)
			found = 1;
	}
	if (!found) {
		fprintf(stderr, "kcore_read: no segment holds [%#llx, +%#llx)\n",
			(unsigned long long)start, (unsigned long long)len);
		return 3;
	}
	while (off < len) {
		size_t n = len - off < CHUNK ? len - off : CHUNK;
		ssize_t r = pread(fd, buf, n, ph.p_offset + (start - ph.p_paddr) + off);

		if (r != (ssize_t)n) {
			fprintf(stderr, "kcore_read: read at %#llx: %s\n",
				(unsigned long long)(start + off),
				r < 0 ? strerror(errno) : "short read");
			return 1;
		}
		off += n;
	}
	close(fd);
	return 0;
}
