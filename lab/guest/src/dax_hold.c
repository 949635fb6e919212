// SPDX-License-Identifier: GPL-2.0
/*
 * dax_hold: map a DAX device or a file of a DAX file system and keep it
 * mapped, so that the pages can be looked at from outside.
 *
 *   dax_hold PATH BYTES
 *
 * Maps BYTES of PATH shared, writes one byte to every page so that each is
 * faulted in, prints "mapped BYTES" and waits until it is killed (SIGTERM:
 * the mapping goes away with the process).  Exit 1 if the mapping or a
 * write fails, 2 on bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	unsigned long long bytes;
	long page = sysconf(_SC_PAGESIZE);
	char *end, *p;
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: dax_hold PATH BYTES\n");
		return 2;
	}
	errno = 0;
	bytes = strtoull(argv[2], &end, 0);
	if (errno || *end || !bytes || bytes % page) {
		fprintf(stderr, "dax_hold: BYTES must be a positive multiple of %ld\n", page);
		return 2;
	}
	fd = open(argv[1], O_RDWR);
	if (fd < 0) {
		fprintf(stderr, "dax_hold: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		fprintf(stderr, "dax_hold: mmap %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	for (unsigned long long off = 0; off < bytes; off += page)
		p[off] = (char)off;
	printf("mapped %llu\n", bytes);
	fflush(stdout);
	for (;;)
		pause();
}
