// SPDX-License-Identifier: GPL-2.0
/*
 * optime: time a command on the guest clock.
 *
 *   optime RUNS CMD [ARG...]
 *     -> "LO MEDIAN HI" (nanoseconds per run, CLOCK_MONOTONIC)
 *   optime now
 *     -> the clock itself, in nanoseconds: for a path that a script times in
 *        parts (a request to the host, then a wait), one reading on each side
 *
 * Runs CMD RUNS times (1 to 99) in a row, each to completion; any run that
 * fails ends optime with exit status 1 and prints nothing on stdout.  Under
 * QEMU's -icount shift=0 the guest clock advances one nanosecond per
 * instruction and skips idle time, so what it measures is work plus
 * virtual sleeping (a grace period's timer ticks), not the host's time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	unsigned long long x = *(const unsigned long long *)a;
	unsigned long long y = *(const unsigned long long *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	unsigned long long t[99];
	int runs, i, st;

	if (argc == 2 && !strcmp(argv[1], "now")) {
		printf("%llu\n", now_ns());
		return 0;
	}
	runs = argc > 2 ? atoi(argv[1]) : 0;
	if (runs < 1 || runs > 99) {
		fprintf(stderr, "usage: optime RUNS(1-99) CMD [ARG...] | optime now\n");
		return 2;
	}
	for (i = 0; i < runs; i++) {
		unsigned long long t0 = now_ns();
		pid_t pid = fork();

		if (pid < 0)
			return 1;
		if (pid == 0) {
			execvp(argv[2], argv + 2);
			_exit(127);
		}
		if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st)) {
			fprintf(stderr, "optime: run %d of %s failed\n", i + 1, argv[2]);
			return 1;
		}
		t[i] = now_ns() - t0;
	}
	qsort(t, runs, sizeof(t[0]), cmp);
	printf("%llu %llu %llu\n", t[0], t[runs / 2], t[runs - 1]);
	return 0;
}
