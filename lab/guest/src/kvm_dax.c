// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_dax: back a KVM guest memory slot with DAX memory and exercise it.
 *
 *   kvm_dax [--size BYTES] PATH
 *
 * PATH is a device-dax character device (/dev/daxX.Y) or a regular file,
 * normally on an ext4 filesystem mounted with -o dax.  A regular file is
 * created if missing and grown to BYTES if smaller; a device is used as is.
 * BYTES (default 2M) must be a multiple of 2 MiB (or of the device's align);
 * a K, M or G suffix is accepted.  The mapping is placed at an address
 * aligned to 2 MiB so that huge page mappings are possible.
 *
 * The program mmaps PATH (MAP_SHARED), registers the whole mapping as KVM
 * memory slot 0 at guest physical address 0 and runs a small real-mode
 * guest at 0x1000.  The host puts a seed dword at 0x8000.  For each 4 KiB
 * page i = 0..143 from 0x10000 to 0x9ffff the guest stores seed ^ i at the
 * start of the page and reads it back, then stores seed + 1 at 0x8004 and
 * the page count at 0x8008 (0xbad at 0x8004 on a readback mismatch) and
 * halts.  The host checks all of this through its own mapping (and, for a
 * regular file, with pread() after msync()), then closes the vcpu, the VM
 * and /dev/kvm and unmaps PATH so that no page references are left behind.
 *
 * Output: one line "kvm_dax: PATH: ok: guest wrote N pages, host verified"
 * or "kvm_dax: PATH: FAIL: <why>" on stdout (details go to stderr).
 *
 * Exit status: 0 all checks passed; 1 a check failed (data mismatch,
 * unexpected VM exit, KVM_RUN error, 60 s timeout); 2 usage or setup error
 * (bad arguments, cannot open /dev/kvm or PATH, a setup ioctl or mmap
 * failed), reported as one line on stderr.  Bad arguments change nothing.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define SZ_4K		0x1000UL
#define SZ_2M		0x200000UL
#define MAX_SIZE	(1ULL << 40)	/* sanity limit: 1 TiB */

#define CODE_GPA	0x1000UL	/* guest entry point */
#define SEED_GPA	0x8000UL	/* host -> guest: seed */
#define RESULT_GPA	0x8004UL	/* guest -> host: seed + 1 or 0xbad */
#define COUNT_GPA	0x8008UL	/* guest -> host: pages written */
#define PAGES_GPA	0x10000UL	/* first page the guest writes */
#define PAGES_END	0xa0000UL	/* end of the pages the guest writes */
#define NR_PAGES	((PAGES_END - PAGES_GPA) / SZ_4K)	/* 144 */
#define GUEST_BAD	0xbadU
#define TSS_GPA		0xfffbd000UL
#define TIMEOUT_S	60
#define MAX_REPORTS	8	/* mismatches printed in detail */

/*
 * Real-mode guest code, loaded at 0x1000 with CS = 0, IP = 0x1000.
 * Assembled with "as --32" (.code16, Intel syntax); the page loop steps ES
 * by 0x100 paragraphs (4 KiB) so that every access uses offset 0.
 */
static const uint8_t guest_code[] = {
	0xfa,				/* 00: cli                          */
	0x31, 0xc0,			/* 01: xor   ax, ax                 */
	0x8e, 0xd8,			/* 03: mov   ds, ax                 */
	0x66, 0xa1, 0x00, 0x80,		/* 05: mov   eax, ds:[0x8000]  seed */
	0x66, 0x31, 0xc9,		/* 09: xor   ecx, ecx       index   */
	0xbb, 0x00, 0x10,		/* 0c: mov   bx, 0x1000     segment */
					/* loop:                            */
	0x8e, 0xc3,			/* 0f: mov   es, bx                 */
	0x66, 0x89, 0xca,		/* 11: mov   edx, ecx               */
	0x66, 0x31, 0xc2,		/* 14: xor   edx, eax               */
	0x26, 0x66, 0x89, 0x16,		/* 17: mov   es:[0], edx            */
	0x00, 0x00,
	0x26, 0x66, 0x39, 0x16,		/* 1d: cmp   es:[0], edx            */
	0x00, 0x00,
	0x75, 0x1a,			/* 23: jne   bad (0x3f)             */
	0x66, 0x41,			/* 25: inc   ecx                    */
	0x81, 0xc3, 0x00, 0x01,		/* 27: add   bx, 0x100              */
	0x81, 0xfb, 0x00, 0xa0,		/* 2b: cmp   bx, 0xa000             */
	0x72, 0xde,			/* 2f: jb    loop (0x0f)            */
	0x66, 0x40,			/* 31: inc   eax                    */
	0x66, 0xa3, 0x04, 0x80,		/* 33: mov   ds:[0x8004], eax       */
	0x66, 0x89, 0x0e, 0x08, 0x80,	/* 37: mov   ds:[0x8008], ecx       */
					/* done:                            */
	0xf4,				/* 3c: hlt                          */
	0xeb, 0xfd,			/* 3d: jmp   done (0x3c)            */
					/* bad:                             */
	0x66, 0xc7, 0x06, 0x04, 0x80,	/* 3f: mov   dword ds:[0x8004],     */
	0xad, 0x0b, 0x00, 0x00,		/*           0xbad                  */
	0xeb, 0xf2,			/* 48: jmp   done (0x3c)            */
};

struct ctx {
	const char *path;
	uint64_t size;
	uint64_t align;
	int is_dev;
	int kvm_fd;
	int vm_fd;
	int vcpu_fd;
	int fd;
	struct kvm_run *run;
	size_t run_size;
	uint8_t *mem;
	uint32_t seed;
};

static struct ctx ctx = {
	.kvm_fd = -1, .vm_fd = -1, .vcpu_fd = -1, .fd = -1,
};

static volatile sig_atomic_t timed_out;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: kvm_dax [--size BYTES] PATH\n"
		"  PATH   device-dax device (/dev/daxX.Y) or regular file (fsdax)\n"
		"  BYTES  guest memory size, multiple of 2M (default 2M; K/M/G suffix ok)\n");
}

static void bad_usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "kvm_dax: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	usage(stderr);
	exit(2);
}

/* Release everything in reverse order of acquisition; safe to call twice. */
static void teardown(void)
{
	if (ctx.run) {
		munmap(ctx.run, ctx.run_size);
		ctx.run = NULL;
	}
	if (ctx.vcpu_fd >= 0) {
		close(ctx.vcpu_fd);
		ctx.vcpu_fd = -1;
	}
	if (ctx.vm_fd >= 0) {
		close(ctx.vm_fd);
		ctx.vm_fd = -1;
	}
	if (ctx.kvm_fd >= 0) {
		close(ctx.kvm_fd);
		ctx.kvm_fd = -1;
	}
	if (ctx.mem) {
		munmap(ctx.mem, ctx.size);
		ctx.mem = NULL;
	}
	if (ctx.fd >= 0) {
		close(ctx.fd);
		ctx.fd = -1;
	}
}

/* A setup step failed: name it with strerror(errno), clean up, exit 2. */
static void setup_fail(const char *call)
{
	int err = errno;

	fprintf(stderr, "kvm_dax: %s: %s: %s\n", ctx.path, call, strerror(err));
	teardown();
	exit(2);
}

static void setup_fail_msg(const char *msg)
{
	fprintf(stderr, "kvm_dax: %s: %s\n", ctx.path, msg);
	teardown();
	exit(2);
}

static uint64_t parse_size(const char *s)
{
	unsigned long long v;
	uint64_t mult = 1;
	char *end;

	if (!isdigit((unsigned char)s[0]))
		bad_usage("invalid size '%s'", s);
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		bad_usage("invalid size '%s'", s);
	switch (*end) {
	case 'k': case 'K':
		mult = 1ULL << 10;
		end++;
		break;
	case 'm': case 'M':
		mult = 1ULL << 20;
		end++;
		break;
	case 'g': case 'G':
		mult = 1ULL << 30;
		end++;
		break;
	}
	if (*end)
		bad_usage("invalid size '%s'", s);
	if (v == 0 || v > MAX_SIZE / mult)
		bad_usage("size '%s' out of range (2M..1T)", s);
	v *= mult;
	if (v % SZ_2M)
		bad_usage("size '%s' is not a multiple of 2 MiB", s);
	return v;
}

/* Read a number from /sys/dev/char/MAJ:MIN/NAME; 0 on success. */
static int read_dev_attr(dev_t rdev, const char *name, uint64_t *val)
{
	char path[128], buf[64], *end;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/dev/char/%u:%u/%s",
		 major(rdev), minor(rdev), name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	errno = 0;
	*val = strtoull(buf, &end, 0);
	if (errno || end == buf)
		return -1;
	return 0;
}

static void open_kvm(void)
{
	int ver;

	ctx.kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (ctx.kvm_fd < 0)
		setup_fail("open(/dev/kvm)");
	ver = ioctl(ctx.kvm_fd, KVM_GET_API_VERSION, 0);
	if (ver < 0)
		setup_fail("ioctl(KVM_GET_API_VERSION)");
	if (ver != KVM_API_VERSION) {
		fprintf(stderr, "kvm_dax: %s: KVM API version %d, expected %d\n",
			ctx.path, ver, KVM_API_VERSION);
		teardown();
		exit(2);
	}
}

/* Open (or create) PATH and make sure it can back ctx.size bytes. */
static void open_backing(void)
{
	struct statx stx;
	struct stat st;
	uint64_t val;

	if (stat(ctx.path, &st) == 0) {
		if (!S_ISCHR(st.st_mode) && !S_ISREG(st.st_mode))
			setup_fail_msg("not a character device or regular file");
		ctx.fd = open(ctx.path, O_RDWR | O_CLOEXEC);
	} else if (errno == ENOENT) {
		/* Never turn a mistyped /dev/daxX.Y into a file in /dev. */
		if (!strncmp(ctx.path, "/dev/", 5))
			setup_fail("stat");
		ctx.fd = open(ctx.path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
			      0644);
	} else {
		setup_fail("stat");
	}
	if (ctx.fd < 0)
		setup_fail("open");
	if (fstat(ctx.fd, &st))
		setup_fail("fstat");

	if (S_ISCHR(st.st_mode)) {
		ctx.is_dev = 1;
		/* Honour a device-dax align larger than 2 MiB (e.g. 1G). */
		if (!read_dev_attr(st.st_rdev, "align", &val) && val > SZ_2M &&
		    !(val & (val - 1)))
			ctx.align = val;
		if (ctx.size % ctx.align)
			setup_fail_msg("size is not a multiple of the device align");
		if (!read_dev_attr(st.st_rdev, "size", &val) && val < ctx.size)
			setup_fail_msg("size is larger than the device");
		return;
	}
	if (!S_ISREG(st.st_mode))
		setup_fail_msg("not a character device or regular file");

	if ((uint64_t)st.st_size < ctx.size) {
		if (fallocate(ctx.fd, 0, 0, (off_t)ctx.size)) {
			if (errno != EOPNOTSUPP && errno != ENOSYS)
				setup_fail("fallocate");
			if (ftruncate(ctx.fd, (off_t)ctx.size))
				setup_fail("ftruncate");
		}
	}

	/* Informational only: the check itself works on any file. */
	if (!statx(ctx.fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx) &&
	    (stx.stx_attributes_mask & STATX_ATTR_DAX) &&
	    !(stx.stx_attributes & STATX_ATTR_DAX))
		fprintf(stderr,
			"kvm_dax: %s: note: file is not in DAX mode (page cache)\n",
			ctx.path);
}

/* Map PATH at an address aligned to ctx.align inside a PROT_NONE hole. */
static void map_backing(void)
{
	size_t len = ctx.size + ctx.align;
	uintptr_t base, aligned;
	void *hole, *p;

	hole = mmap(NULL, len, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (hole == MAP_FAILED)
		setup_fail("mmap(reserve)");
	base = (uintptr_t)hole;
	aligned = (base + ctx.align - 1) & ~(uintptr_t)(ctx.align - 1);

	p = mmap((void *)aligned, ctx.size, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_FIXED, ctx.fd, 0);
	if (p == MAP_FAILED) {
		int err = errno;

		munmap(hole, len);
		errno = err;
		setup_fail("mmap");
	}
	ctx.mem = p;

	/* Drop the unused parts of the reservation. */
	if (aligned > base)
		munmap(hole, aligned - base);
	if (base + len > aligned + ctx.size)
		munmap((void *)(aligned + ctx.size),
		       base + len - (aligned + ctx.size));
}

static uint32_t rd32(uint64_t off)
{
	return *(volatile uint32_t *)(ctx.mem + off);
}

static void wr32(uint64_t off, uint32_t v)
{
	*(volatile uint32_t *)(ctx.mem + off) = v;
}

static uint64_t page_off(unsigned int i)
{
	return PAGES_GPA + (uint64_t)i * SZ_4K;
}

static void prepare_memory(void)
{
	unsigned int i;

	ctx.seed = 0x5eed0000U | ((uint32_t)getpid() & 0xffff);
	memcpy(ctx.mem + CODE_GPA, guest_code, sizeof(guest_code));
	wr32(SEED_GPA, ctx.seed);
	/* Poison the result words so that stale contents cannot pass. */
	wr32(RESULT_GPA, 0);
	wr32(COUNT_GPA, 0);
	for (i = 0; i < NR_PAGES; i++)
		wr32(page_off(i), ~(ctx.seed ^ i));
}

static void setup_vm(void)
{
	struct kvm_userspace_memory_region region = {
		.slot = 0,
		.flags = 0,
		.guest_phys_addr = 0,
		.memory_size = ctx.size,
		.userspace_addr = (uintptr_t)ctx.mem,
	};
	struct kvm_segment *segs[6];
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	int mmap_size, i;
	void *p;

	ctx.vm_fd = ioctl(ctx.kvm_fd, KVM_CREATE_VM, 0);
	if (ctx.vm_fd < 0)
		setup_fail("ioctl(KVM_CREATE_VM)");
	/* Needed on VMX for real mode, a harmless no-op on SVM. */
	(void)ioctl(ctx.vm_fd, KVM_SET_TSS_ADDR, TSS_GPA);
	if (ioctl(ctx.vm_fd, KVM_SET_USER_MEMORY_REGION, &region))
		setup_fail("ioctl(KVM_SET_USER_MEMORY_REGION)");

	ctx.vcpu_fd = ioctl(ctx.vm_fd, KVM_CREATE_VCPU, 0);
	if (ctx.vcpu_fd < 0)
		setup_fail("ioctl(KVM_CREATE_VCPU)");
	mmap_size = ioctl(ctx.kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (mmap_size < 0)
		setup_fail("ioctl(KVM_GET_VCPU_MMAP_SIZE)");
	if ((size_t)mmap_size < sizeof(struct kvm_run)) {
		errno = EINVAL;
		setup_fail("ioctl(KVM_GET_VCPU_MMAP_SIZE)");
	}
	p = mmap(NULL, mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		 ctx.vcpu_fd, 0);
	if (p == MAP_FAILED)
		setup_fail("mmap(kvm_run)");
	ctx.run = p;
	ctx.run_size = mmap_size;

	/* Real mode, all segments at base 0 (the reset state keeps limits). */
	if (ioctl(ctx.vcpu_fd, KVM_GET_SREGS, &sregs))
		setup_fail("ioctl(KVM_GET_SREGS)");
	segs[0] = &sregs.cs;
	segs[1] = &sregs.ds;
	segs[2] = &sregs.es;
	segs[3] = &sregs.fs;
	segs[4] = &sregs.gs;
	segs[5] = &sregs.ss;
	for (i = 0; i < 6; i++) {
		segs[i]->base = 0;
		segs[i]->selector = 0;
	}
	if (ioctl(ctx.vcpu_fd, KVM_SET_SREGS, &sregs))
		setup_fail("ioctl(KVM_SET_SREGS)");

	memset(&regs, 0, sizeof(regs));
	regs.rip = CODE_GPA;
	regs.rflags = 0x2;
	if (ioctl(ctx.vcpu_fd, KVM_SET_REGS, &regs))
		setup_fail("ioctl(KVM_SET_REGS)");
}

static const char *exit_name(uint32_t reason)
{
	static const char *const names[] = {
		[KVM_EXIT_UNKNOWN] = "KVM_EXIT_UNKNOWN",
		[KVM_EXIT_EXCEPTION] = "KVM_EXIT_EXCEPTION",
		[KVM_EXIT_IO] = "KVM_EXIT_IO",
		[KVM_EXIT_HYPERCALL] = "KVM_EXIT_HYPERCALL",
		[KVM_EXIT_DEBUG] = "KVM_EXIT_DEBUG",
		[KVM_EXIT_HLT] = "KVM_EXIT_HLT",
		[KVM_EXIT_MMIO] = "KVM_EXIT_MMIO",
		[KVM_EXIT_IRQ_WINDOW_OPEN] = "KVM_EXIT_IRQ_WINDOW_OPEN",
		[KVM_EXIT_SHUTDOWN] = "KVM_EXIT_SHUTDOWN",
		[KVM_EXIT_FAIL_ENTRY] = "KVM_EXIT_FAIL_ENTRY",
		[KVM_EXIT_INTR] = "KVM_EXIT_INTR",
		[KVM_EXIT_SET_TPR] = "KVM_EXIT_SET_TPR",
		[KVM_EXIT_TPR_ACCESS] = "KVM_EXIT_TPR_ACCESS",
		[KVM_EXIT_NMI] = "KVM_EXIT_NMI",
		[KVM_EXIT_INTERNAL_ERROR] = "KVM_EXIT_INTERNAL_ERROR",
		[KVM_EXIT_SYSTEM_EVENT] = "KVM_EXIT_SYSTEM_EVENT",
	};

	if (reason < sizeof(names) / sizeof(names[0]) && names[reason])
		return names[reason];
	return "unknown";
}

static void alarm_handler(int sig)
{
	(void)sig;
	timed_out = 1;
}

/* Print the details of an unexpected exit to stderr. */
static void report_exit(void)
{
	struct kvm_run *run = ctx.run;
	unsigned long long reason;
	struct kvm_regs regs;
	uint32_t i;

	if (!ioctl(ctx.vcpu_fd, KVM_GET_REGS, &regs))
		fprintf(stderr, "kvm_dax: %s: guest rip 0x%llx\n", ctx.path,
			(unsigned long long)regs.rip);
	switch (run->exit_reason) {
	case KVM_EXIT_FAIL_ENTRY:
		reason = run->fail_entry.hardware_entry_failure_reason;
		fprintf(stderr,
			"kvm_dax: %s: hardware_entry_failure_reason 0x%llx cpu %u\n",
			ctx.path, reason, run->fail_entry.cpu);
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		fprintf(stderr, "kvm_dax: %s: internal error suberror %u ndata %u",
			ctx.path, run->internal.suberror, run->internal.ndata);
		for (i = 0; i < run->internal.ndata && i < 16; i++)
			fprintf(stderr, " 0x%llx",
				(unsigned long long)run->internal.data[i]);
		fputc('\n', stderr);
		break;
	case KVM_EXIT_IO:
		fprintf(stderr, "kvm_dax: %s: io %s port 0x%x size %u\n",
			ctx.path,
			run->io.direction == KVM_EXIT_IO_OUT ? "out" : "in",
			run->io.port, run->io.size);
		break;
	case KVM_EXIT_MMIO:
		fprintf(stderr, "kvm_dax: %s: mmio %s gpa 0x%llx len %u\n",
			ctx.path, run->mmio.is_write ? "write" : "read",
			(unsigned long long)run->mmio.phys_addr, run->mmio.len);
		break;
	}
}

/* Run the vcpu until it halts; 0 on HLT, else fill @why and return -1. */
static int run_guest(char *why, size_t len)
{
	struct sigaction sa;
	int ret = -1;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = alarm_handler;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, NULL))
		setup_fail("sigaction");
	alarm(TIMEOUT_S);

	for (;;) {
		if (timed_out) {
			snprintf(why, len, "timeout");
			break;
		}
		if (ioctl(ctx.vcpu_fd, KVM_RUN, 0)) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			snprintf(why, len, "ioctl(KVM_RUN): %s",
				 strerror(errno));
			break;
		}
		if (ctx.run->exit_reason == KVM_EXIT_HLT) {
			ret = 0;
			break;
		}
		if (ctx.run->exit_reason == KVM_EXIT_INTR)
			continue;
		report_exit();
		snprintf(why, len, "unexpected exit %s (%u)",
			 exit_name(ctx.run->exit_reason),
			 ctx.run->exit_reason);
		break;
	}
	alarm(0);
	return ret;
}

/*
 * Compare the result words and page dwords with what the guest should have
 * written.  @get reads a dword at an offset; returns the number of errors.
 */
static unsigned int check_data(const char *where,
			       int (*get)(uint64_t off, uint32_t *val),
			       char *why, size_t len)
{
	unsigned int i, errors = 0;
	uint32_t v, want;

	if (get(RESULT_GPA, &v) || v != ctx.seed + 1) {
		if (!errors++)
			snprintf(why, len, "%s: result 0x%08x, expected 0x%08x%s",
				 where, v, ctx.seed + 1,
				 v == GUEST_BAD ? " (guest readback mismatch)" :
				 "");
	}
	if (get(COUNT_GPA, &v) || v != NR_PAGES) {
		if (!errors++)
			snprintf(why, len, "%s: page count %u, expected %lu",
				 where, v, NR_PAGES);
	}
	for (i = 0; i < NR_PAGES; i++) {
		want = ctx.seed ^ i;
		if (!get(page_off(i), &v) && v == want)
			continue;
		if (errors < MAX_REPORTS)
			fprintf(stderr,
				"kvm_dax: %s: %s: gpa 0x%" PRIx64 ": 0x%08x, expected 0x%08x\n",
				ctx.path, where, page_off(i), v, want);
		if (!errors++)
			snprintf(why, len,
				 "%s: page %u at 0x%" PRIx64 " holds 0x%08x, expected 0x%08x",
				 where, i, page_off(i), v, want);
	}
	return errors;
}

static int get_mem(uint64_t off, uint32_t *val)
{
	*val = rd32(off);
	return 0;
}

static int get_file(uint64_t off, uint32_t *val)
{
	*val = 0;
	if (pread(ctx.fd, val, sizeof(*val), (off_t)off) != sizeof(*val))
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "size", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned int errors;
	char why[256] = "";
	int c;

	ctx.size = SZ_2M;
	ctx.align = SZ_2M;
	while ((c = getopt_long(argc, argv, "+s:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			ctx.size = parse_size(optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1 || !argv[optind][0]) {
		fprintf(stderr, "kvm_dax: expected exactly one PATH\n");
		usage(stderr);
		return 2;
	}
	ctx.path = argv[optind];

	/* Fail on a missing /dev/kvm before PATH is created or grown. */
	open_kvm();
	open_backing();
	map_backing();
	prepare_memory();
	setup_vm();

	if (run_guest(why, sizeof(why)))
		goto fail;

	errors = check_data("mapping", get_mem, why, sizeof(why));
	if (!errors && !ctx.is_dev) {
		if (msync(ctx.mem, ctx.size, MS_SYNC)) {
			snprintf(why, sizeof(why), "msync: %s",
				 strerror(errno));
			goto fail;
		}
		errors = check_data("file", get_file, why, sizeof(why));
	}
	if (errors)
		goto fail;

	teardown();
	printf("kvm_dax: %s: ok: guest wrote %lu pages, host verified\n",
	       ctx.path, NR_PAGES);
	return 0;

fail:
	teardown();
	printf("kvm_dax: %s: FAIL: %s\n", ctx.path, why);
	return 1;
}
