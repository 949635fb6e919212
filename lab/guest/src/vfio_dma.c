// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_dma: measure what VFIO type1 DMA mapping does to page pins and to
 * the process's locked memory.
 *
 *   vfio_dma [--size BYTES] [--memlock-limit KIB] GROUP BACKING
 *
 * GROUP is an IOMMU group number (/dev/vfio/GROUP is opened), BACKING is
 * either "anon" (private anonymous memory) or the path of a devdax char
 * device such as /dev/dax0.0 (mapped shared at a 2 MiB aligned address).
 * --size defaults to 2 MiB and must be a non-zero multiple of 2 MiB.
 * --memlock-limit KIB sets RLIMIT_MEMLOCK (soft and hard) to KIB * 1024 and
 * drops CAP_IPC_LOCK before mapping, so vfio's locked memory limit applies
 * even though we run as root.
 *
 * The buffer is mapped with VFIO_IOMMU_MAP_DMA at iova 0x10000000 and then
 * unmapped with VFIO_IOMMU_UNMAP_DMA.  /proc/vmstat nr_foll_pin_acquired,
 * nr_foll_pin_released and the VmLck: line of /proc/self/status
 * (mm->locked_vm) are read before the map, after the map and after the
 * unmap.  The pin counters are global, so other activity adds noise.
 *
 * Output, one key=value per line:
 *   backing=<anon|path>
 *   size=<bytes>
 *   map_errno=<0 or errno of VFIO_IOMMU_MAP_DMA>
 *   map_error=<strerror text or "none">
 *   pin_acquired_map=<acquired(mapped) - acquired(before)>
 *   pin_released_map=<released(mapped) - released(before)>
 *   pin_acquired_total=<acquired(unmapped) - acquired(before)>
 *   pin_released_total=<released(unmapped) - released(before)>
 *   locked_kb_map=<VmLck(mapped) - VmLck(before)>
 *   locked_kb_total=<VmLck(unmapped) - VmLck(before)>
 *   balanced=<1 if both pin totals are equal and locked_kb_total is 0>
 *
 * If VFIO_IOMMU_MAP_DMA fails its errno is reported, the unmap is skipped
 * and the counters are still printed.
 *
 * Exit 0 when the measurement ran (whatever the counters say, MAP_DMA
 * failure included), 2 on bad usage or on any setup error, with a one line
 * message on stderr naming the failing step.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/vfio.h>

#define PROG		"vfio_dma"
#define SZ_4K		4096ULL
#define SZ_2M		(2ULL * 1024 * 1024)
#define DMA_IOVA	0x10000000ULL
#define PROC_BUF_SIZE	(64 * 1024)

#define USAGE	"usage: " PROG " [--size BYTES] [--memlock-limit KIB] GROUP BACKING"

struct counters {
	long long pin_acquired;
	long long pin_released;
	long long locked_kb;
};

static char proc_buf[PROC_BUF_SIZE];

static void usage_error(const char *msg, const char *arg)
{
	if (arg)
		fprintf(stderr, PROG ": %s '%s' (" USAGE ")\n", msg, arg);
	else
		fprintf(stderr, PROG ": %s (" USAGE ")\n", msg);
	exit(2);
}

/* Setup failure: name the step and the current errno, then exit 2. */
static void fail(const char *step)
{
	fprintf(stderr, PROG ": %s: %s\n", step, strerror(errno));
	exit(2);
}

static void fail_msg(const char *step, const char *msg)
{
	fprintf(stderr, PROG ": %s: %s\n", step, msg);
	exit(2);
}

/* Strict decimal parse: digits only, no sign, no whitespace, no overflow. */
static int parse_u64(const char *s, unsigned long long *out)
{
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

/*
 * Read a whole proc file into proc_buf with a freshly opened fd, without
 * stdio, so every call sees a new snapshot.
 */
static size_t read_proc(const char *path)
{
	size_t len = 0;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fail(path);
	for (;;) {
		if (len >= sizeof(proc_buf) - 1) {
			close(fd);
			fail_msg(path, "file too large");
		}
		n = read(fd, proc_buf + len, sizeof(proc_buf) - 1 - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fail(path);
		}
		if (n == 0)
			break;
		len += n;
	}
	close(fd);
	proc_buf[len] = '\0';
	return len;
}

/*
 * Find the line starting with key (key includes its separator, e.g.
 * "nr_foll_pin_acquired " or "VmLck:") and parse the number after it.
 */
static long long find_value(const char *path, const char *key)
{
	size_t klen = strlen(key);
	const char *line = proc_buf;
	unsigned long long v;
	char *end;

	while (line && *line) {
		if (!strncmp(line, key, klen)) {
			const char *p = line + klen;

			while (*p == ' ' || *p == '\t')
				p++;
			if (*p < '0' || *p > '9')
				break;
			errno = 0;
			v = strtoull(p, &end, 10);
			if (errno || v > LLONG_MAX)
				break;
			return (long long)v;
		}
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	fprintf(stderr, PROG ": %s: no parsable '%s' line\n", path, key);
	exit(2);
}

/*
 * /proc/vmstat lags behind by what each CPU has not yet folded into the
 * global counters (a few pages per CPU for the pin counters): a write to
 * vm.stat_refresh folds them first.  It may fail with EINVAL when some
 * unrelated counter is transiently negative; the fold happened anyway.
 */
static void refresh_vmstat(void)
{
	int fd = open("/proc/sys/vm/stat_refresh", O_WRONLY);

	if (fd < 0) {
		fprintf(stderr, PROG ": /proc/sys/vm/stat_refresh: %s\n",
			strerror(errno));
		exit(2);
	}
	if (write(fd, "1", 1) < 0 && errno != EINVAL) {
		fprintf(stderr, PROG ": write /proc/sys/vm/stat_refresh: %s\n",
			strerror(errno));
		exit(2);
	}
	close(fd);
}

static void read_counters(struct counters *c)
{
	refresh_vmstat();
	read_proc("/proc/vmstat");
	c->pin_acquired = find_value("/proc/vmstat", "nr_foll_pin_acquired ");
	c->pin_released = find_value("/proc/vmstat", "nr_foll_pin_released ");
	read_proc("/proc/self/status");
	c->locked_kb = find_value("/proc/self/status", "VmLck:");
}

/* RLIMIT_MEMLOCK = limit_kib KiB and drop CAP_IPC_LOCK from E, P and I. */
static void apply_memlock_limit(unsigned long long limit_kib)
{
	struct __user_cap_header_struct hdr;
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	unsigned int idx = CAP_TO_INDEX(CAP_IPC_LOCK);
	__u32 mask = CAP_TO_MASK(CAP_IPC_LOCK);
	struct rlimit rl;

	rl.rlim_cur = limit_kib * 1024;
	rl.rlim_max = limit_kib * 1024;
	if (setrlimit(RLIMIT_MEMLOCK, &rl))
		fail("setrlimit(RLIMIT_MEMLOCK)");

	memset(&hdr, 0, sizeof(hdr));
	memset(data, 0, sizeof(data));
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	hdr.pid = 0;
	if (syscall(SYS_capget, &hdr, data))
		fail("capget");
	data[idx].effective &= ~mask;
	data[idx].permitted &= ~mask;
	data[idx].inheritable &= ~mask;
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	hdr.pid = 0;
	if (syscall(SYS_capset, &hdr, data))
		fail("capset (drop CAP_IPC_LOCK)");

	/* Make sure the drop really took effect. */
	memset(data, 0, sizeof(data));
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	hdr.pid = 0;
	if (syscall(SYS_capget, &hdr, data))
		fail("capget");
	if ((data[idx].effective | data[idx].permitted) & mask)
		fail_msg("capset", "CAP_IPC_LOCK still present");
}

/* Refuse to map past the end of a devdax device (that would SIGBUS). */
static void check_dax_size(const struct stat *st, const char *path,
			   unsigned long long size)
{
	char sysfs[128];
	unsigned long long devsize;
	size_t len;
	char *nl;
	ssize_t n;
	int fd;

	snprintf(sysfs, sizeof(sysfs), "/sys/dev/char/%u:%u/size",
		 major(st->st_rdev), minor(st->st_rdev));
	fd = open(sysfs, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;	/* not exported: let mmap/fault decide */
	n = read(fd, proc_buf, sizeof(proc_buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	len = n;
	proc_buf[len] = '\0';
	nl = strchr(proc_buf, '\n');
	if (nl)
		*nl = '\0';
	if (parse_u64(proc_buf, &devsize))
		return;
	if (size > devsize) {
		fprintf(stderr,
			PROG ": %s: size %llu exceeds device size %llu\n",
			path, size, devsize);
		exit(2);
	}
}

/*
 * Write one byte per 4 KiB page.  buf came from mmap() and is handed to
 * ioctl() and munmap() later, so the stores cannot be optimised away.
 */
static void touch_pages(char *buf, unsigned long long size)
{
	unsigned long long off;

	for (off = 0; off < size; off += SZ_4K)
		buf[off] = (char)(off / SZ_4K);
}

int main(int argc, char **argv)
{
	unsigned long long size = SZ_2M, limit_kib = 0, group;
	struct vfio_iommu_type1_dma_unmap unmap;
	struct vfio_iommu_type1_dma_map map;
	struct vfio_group_status status;
	struct counters before, mapped, unmapped;
	const char *backing, *group_arg;
	char group_path[64];
	void *region, *buf;
	size_t region_size;
	int container, group_fd, dax_fd = -1;
	int have_limit = 0, is_anon;
	int map_errno = 0;
	long long acq_total, rel_total, locked_total;
	static const struct option opts[] = {
		{ "size", required_argument, NULL, 's' },
		{ "memlock-limit", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct stat st;
	int c, i;

	/* 1. Arguments: validate everything before opening anything. */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			printf("%s\n", USAGE);
			return 0;
		case 's':
			if (parse_u64(optarg, &size))
				usage_error("invalid --size", optarg);
			if (size == 0 || size % SZ_2M)
				usage_error("--size must be a nonzero multiple of 2 MiB, got",
					    optarg);
			if (size > SIZE_MAX / 2)
				usage_error("--size too large", optarg);
			break;
		case 'm':
			if (parse_u64(optarg, &limit_kib) ||
			    limit_kib > (unsigned long long)RLIM_INFINITY / 1024 - 1)
				usage_error("invalid --memlock-limit", optarg);
			have_limit = 1;
			break;
		case ':':
			usage_error("missing value for", argv[optind - 1]);
			break;
		default:
			usage_error("unknown option", argv[optind - 1]);
		}
	}
	i = optind;
	if (argc - i != 2)
		usage_error("expected exactly two arguments, GROUP and BACKING",
			    NULL);
	group_arg = argv[i];
	backing = argv[i + 1];

	if (parse_u64(group_arg, &group) || group > INT_MAX)
		usage_error("GROUP must be an IOMMU group number, got",
			    group_arg);
	is_anon = !strcmp(backing, "anon");
	if (!is_anon) {
		if (stat(backing, &st)) {
			fprintf(stderr, PROG ": BACKING '%s': %s (want anon or devdax)\n",
				backing, strerror(errno));
			return 2;
		}
		if (!S_ISCHR(st.st_mode)) {
			fprintf(stderr, PROG ": BACKING '%s': not a char device\n",
				backing);
			return 2;
		}
	}
	snprintf(group_path, sizeof(group_path), "/dev/vfio/%llu", group);

	/*
	 * 2. VFIO group and container.  The group is opened first so that a
	 * missing or wrong group is what gets reported; the order of the two
	 * opens does not matter to VFIO.
	 */
	group_fd = open(group_path, O_RDWR | O_CLOEXEC);
	if (group_fd < 0) {
		fprintf(stderr, PROG ": open %s: %s\n", group_path,
			strerror(errno));
		return 2;
	}
	container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (container < 0)
		fail("open /dev/vfio/vfio");
	if (ioctl(container, VFIO_GET_API_VERSION) != VFIO_API_VERSION) {
		fprintf(stderr, PROG ": VFIO_GET_API_VERSION: unexpected API version\n");
		return 2;
	}
	if (ioctl(container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) <= 0) {
		fprintf(stderr, PROG ": VFIO_CHECK_EXTENSION(VFIO_TYPE1v2_IOMMU): not supported\n");
		return 2;
	}

	memset(&status, 0, sizeof(status));
	status.argsz = sizeof(status);
	if (ioctl(group_fd, VFIO_GROUP_GET_STATUS, &status))
		fail("VFIO_GROUP_GET_STATUS");
	if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		fprintf(stderr, PROG ": VFIO_GROUP_GET_STATUS: %s not viable\n",
			group_path);
		return 2;
	}
	if (ioctl(group_fd, VFIO_GROUP_SET_CONTAINER, &container))
		fail("VFIO_GROUP_SET_CONTAINER");
	if (ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		fail("VFIO_SET_IOMMU(VFIO_TYPE1v2_IOMMU)");

	/* 3. Backing memory, every 4 KiB page touched. */
	if (is_anon) {
		region_size = size;
		region = mmap(NULL, region_size, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (region == MAP_FAILED)
			fail("mmap anonymous buffer");
		buf = region;
	} else {
		uintptr_t aligned;

		dax_fd = open(backing, O_RDWR | O_CLOEXEC);
		if (dax_fd < 0) {
			fprintf(stderr, PROG ": open %s: %s\n", backing,
				strerror(errno));
			return 2;
		}
		check_dax_size(&st, backing, size);
		region_size = size + SZ_2M;
		region = mmap(NULL, region_size, PROT_NONE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
			      -1, 0);
		if (region == MAP_FAILED)
			fail("mmap address reservation");
		aligned = ((uintptr_t)region + SZ_2M - 1) & ~(uintptr_t)(SZ_2M - 1);
		buf = mmap((void *)aligned, size, PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_FIXED, dax_fd, 0);
		if (buf == MAP_FAILED) {
			fprintf(stderr, PROG ": mmap %s: %s\n", backing,
				strerror(errno));
			return 2;
		}
	}
	touch_pages(buf, size);

	if (have_limit)
		apply_memlock_limit(limit_kib);

	/* 4. Measure around MAP_DMA / UNMAP_DMA. */
	read_counters(&before);

	memset(&map, 0, sizeof(map));
	map.argsz = sizeof(map);
	map.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	map.vaddr = (uintptr_t)buf;
	map.iova = DMA_IOVA;
	map.size = size;
	if (ioctl(container, VFIO_IOMMU_MAP_DMA, &map))
		map_errno = errno;

	read_counters(&mapped);

	if (!map_errno) {
		memset(&unmap, 0, sizeof(unmap));
		unmap.argsz = sizeof(unmap);
		unmap.flags = 0;
		unmap.iova = DMA_IOVA;
		unmap.size = size;
		if (ioctl(container, VFIO_IOMMU_UNMAP_DMA, &unmap))
			fail("VFIO_IOMMU_UNMAP_DMA");
		if (unmap.size != size) {
			fprintf(stderr, PROG ": VFIO_IOMMU_UNMAP_DMA: size %llu, want %llu\n",
				(unsigned long long)unmap.size, size);
			return 2;
		}
	}

	read_counters(&unmapped);

	/* 5. Tear down. */
	if (munmap(region, region_size))
		fail("munmap buffer");
	if (dax_fd >= 0 && close(dax_fd))
		fail("close devdax fd");
	if (close(group_fd))
		fail("close group");
	if (close(container))
		fail("close container");

	/* 6. Report. */
	acq_total = unmapped.pin_acquired - before.pin_acquired;
	rel_total = unmapped.pin_released - before.pin_released;
	locked_total = unmapped.locked_kb - before.locked_kb;

	printf("backing=%s\n", backing);
	printf("size=%llu\n", size);
	printf("map_errno=%d\n", map_errno);
	printf("map_error=%s\n", map_errno ? strerror(map_errno) : "none");
	printf("pin_acquired_map=%lld\n",
	       mapped.pin_acquired - before.pin_acquired);
	printf("pin_released_map=%lld\n",
	       mapped.pin_released - before.pin_released);
	printf("pin_acquired_total=%lld\n", acq_total);
	printf("pin_released_total=%lld\n", rel_total);
	printf("locked_kb_map=%lld\n", mapped.locked_kb - before.locked_kb);
	printf("locked_kb_total=%lld\n", locked_total);
	printf("balanced=%d\n",
	       acq_total == rel_total && locked_total == 0 ? 1 : 0);
	if (fflush(stdout))
		fail("write output");
	return 0;
}
