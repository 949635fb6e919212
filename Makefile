# The lab.  `make demo` and `make test` are the two commands; README.md
# explains the rest.  KERNEL=7.3 or KERNEL=6.12 picks the base (kernels/<K>/;
# without it: kernels/default, and for `make test` every base in kernels/ci).
# BASELINE=1 works on the unpatched base instead of the series, KSRC=DIR on a
# kernel tree of your own; the scripts check all three (a KERNEL without
# kernels/<K>/BASE, or a BASELINE other than 0 or 1, is an error).
SHELL := /bin/bash
export KERNEL POSTER BASELINE KSRC STEPS KCONFIG_ADD LAB_BUDGET OUT DEBUG
export LAB_KERNEL_ARGS = $(KERNEL_ARGS)
export LAB_QEMU_ARGS = $(QEMU_ARGS)
export LAB_RAW_OUTPUT = $(filter-out 0,$(RAW_OUTPUT))
export LAB_JSON = $(JSON)
S ?=

.PHONY: help demo test deps expand build initramfs scenarios list shell dry-run \
	compare lint selftest check-bisect check-configs check-ppc kunit-py bench stress dev-tree export format cover-letter clean

help:
	@sed -n 's/^## //p' $(MAKEFILE_LIST)
	@echo "KERNEL=<K> for every target: $$(cd kernels && ls */BASE | sed 's,/BASE,,' | tr '\n' ' ')(default: $$(cat kernels/default))"

## demo          install, expand, build, boot and walk through every kind of hotplug
demo:
	lab/demo.sh $(S)

## test          lint + tooling self-tests + build + all scenarios; N passed, N failed
##               (without KERNEL=: each base of kernels/ci, then one line summing them)
test:
	lab/test.sh $(S)

## deps          install the Debian packages the lab needs
deps:
	lab/deps.sh

## expand        fetch the base, pristine tree + series applied with zero fuzz (out/<K>/src)
expand:
	lab/expand.sh

## build         build the kernel (BASELINE=1: the base; KSRC=DIR: your tree)
build:
	lab/build.sh

## initramfs     build the guest initramfs
initramfs:
	lab/initramfs.sh

## scenarios     boot the scenarios only, on what is built (S="name ..." picks some)
scenarios:
	lab/scenarios.sh $(S)

## list          the scenarios, their group, timeout and title
list:
	@bash -c '. lab/lib.sh && exec python3 lab/run.py --list'

## dry-run       print the QEMU command of each scenario (S=...), boot nothing
dry-run:
	lab/scenarios.sh --dry-run $(S)

## shell         boot scenario S's machine with a shell on this terminal (QMP up)
shell:
	lab/scenarios.sh --shell $(S)

## compare       base vs series case by case, from the last make test of each (one KERNEL)
compare:
	@bash -c '. lab/lib.sh && exec python3 lab/compare.py "$$OUT/results/test-base" "$$OUT/results/test-series"'

## lint          series lint of the base's series, and the lab's own code (TAP on stdout)
lint:
	lab/lint.sh

## selftest      the tooling's self-tests only
selftest:
	lab/expand.sh --base && tests/selftest.sh

## bench         lookup, hotplug-path, scan, boot and memory cost, base vs series
##               in one run: ratio tables, bench.json, PNG charts (not in CI)
bench:
	lab/bench.sh $(S)

## stress        the stress scenarios at full length on debug kernels, series and
##               base, kernel reports counted (not in CI; make test runs them short)
stress:
	lab/stress.sh $(S)

## check-bisect  build every prefix of the series, W=1 and sparse on touched files
check-bisect:
	lab/check-bisect.sh

## check-configs build the series without memory hotplug, ZONE_DEVICE, vmemmap, and for i386
check-configs:
	lab/check-configs.sh

## kunit-py      the KUnit suite through the tree's kunit.py --kunitconfig mm/tests (not in CI)
kunit-py:
	lab/kunit-py.sh

## check-ppc     compile-check the series and the powerpc callers for ppc64le (cross gcc)
check-ppc:
	lab/check-ppc.sh

## dev-tree      git tree of base + series in out/<K>/src/git for development
dev-tree:
	lab/devtree.sh create

## export        write out/<K>/src/git back to kernels/<K>/patches/ and series
export:
	lab/devtree.sh export

## format        the series ready to post in out/<K>/format/: From: and Signed-off-by:
##               of POSTER="Name <mail>" or of your global git identity, cover letter
##               from kernels/<K>/cover-letter with get_maintainer.pl per patch
format:
	lab/format.sh

## cover-letter  regenerate kernels/<K>/patches/0000-cover-letter.patch (repo identity)
cover-letter:
	lab/format.sh --cover

## clean         remove out/, every base's (the ccache stays)
clean:
	chmod -R u+w out 2>/dev/null; rm -rf out
