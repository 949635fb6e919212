#!/usr/bin/env python3
"""Self-tests of the lab's runner, summary and compare step, without a kernel.

A fake qemu-system-x86_64 (tests/fake/) on PATH speaks the guest protocol:
it replays scripted '@TAP'/'@REQ'/'@END' lines, hangs, dies, prints garbage
or exits at start, so run.py, lab/scenarios.sh's and lab/test.sh's exit
status and summary.py are checked in seconds.  Recorded guest output lives
in tests/fixtures/guest/.  Each test names the review finding (Ln) whose fix
it holds in place.

    tests/test_lab.py [-v]          KTAP on stdout
"""

import inspect
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LAB = os.path.join(ROOT, "lab")
FAKE = os.path.join(ROOT, "tests", "fake")
FIX = os.path.join(ROOT, "tests", "fixtures", "guest")
sys.path.insert(0, LAB)
import ktap  # noqa: E402

# The kernel tree's kunit tool, found before the tests point OUT elsewhere.
KUNIT_DIR = ktap._kunit_dir()

OK_SCRIPT = """@BEGIN nvdimm 6.12.117-lab-series-0123456789ab
@TAP KTAP version 1
@TAP 1..2
@TAP ok 1 - the namespace is there
@TAP ok 2 - fsdax # SKIP no fsdax in this fake
@END 0
"""


# The bases: kernels/<K>/ with a pin.  The tests run on KERNEL, whatever
# kernels/default says; a second base shows that they keep apart.
KERNELS = sorted(d for d in os.listdir(os.path.join(ROOT, "kernels"))
                 if os.path.exists(os.path.join(ROOT, "kernels", d, "BASE")))
KERNEL = "6.12"
OTHER = next(k for k in KERNELS if k != KERNEL)


class Lab(unittest.TestCase):
    """A scratch OUT (the root: each base has OUT/<K>) with a fake kernel,
    initrd and QEMU for KERNEL and OTHER."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="lab-test-")
        self.out = os.path.join(self.tmp, "out")
        self.kout = os.path.join(self.out, KERNEL)
        for k in (KERNEL, OTHER):
            for f in ("build/series/arch/x86/boot/bzImage", "initramfs/series.cpio.gz",
                      "build/base/arch/x86/boot/bzImage", "initramfs/base.cpio.gz"):
                path = os.path.join(self.out, k, f)
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "wb") as fh:
                    fh.write(b"not a kernel!")   # 13 bytes: not 4-aligned
        self.scripts = os.path.join(self.tmp, "scripts")
        os.makedirs(self.scripts)
        self.qlog = os.path.join(self.tmp, "qemu.log")
        self.pids = os.path.join(self.tmp, "qemu.pids")
        self.env = dict(os.environ, PATH=f"{FAKE}:{os.environ['PATH']}", OUT=self.out,
                        FAKE_QEMU_DIR=self.scripts, FAKE_QEMU_LOG=self.qlog,
                        FAKE_QEMU_PIDS=self.pids, LAB_T0=str(int(time.time())),
                        LAB_KUNIT_DIR=KUNIT_DIR, KERNEL=KERNEL)
        # Under 'make test KERNEL=...', MAKEFLAGS carries the outer make's
        # command-line variables into every make the tests run: none here.
        for v in ("BASELINE", "KSRC", "LAB_OUT_ROOT", "LAB_CI_KERNELS", "RESULTS_DIR",
                  "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES"):
            self.env.pop(v, None)

    def base_env(self, kernel=KERNEL, used="6.12.117-1~deb12u1", pinned="yes"):
        pkg = f"linux-source-{kernel}"
        with open(os.path.join(self.out, kernel, "base.env"), "w") as f:
            f.write(f"kernel={kernel}\npackage={pkg}\npin=1.0-1\nused={used}\n"
                    f"upstream={kernel}.1\nsha256=ab\npinned={pinned}\nseries=0123 (15 patches)\n")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def script(self, name, text):
        with open(os.path.join(self.scripts, name + ".script"), "w") as f:
            f.write(text)

    def sh(self, *cmd, env=None, timeout=60):
        return subprocess.run(cmd, cwd=ROOT, env=env or self.env, capture_output=True,
                              text=True, timeout=timeout)

    def scenarios(self, *names, **env):
        return self.sh(os.path.join(LAB, "scenarios.sh"), *names, env=dict(self.env, **env))

    def results(self, flavour="series", kernel=KERNEL):
        return os.path.join(self.out, kernel, "results", f"scenarios-{flavour}")

    def last(self, proc):
        return proc.stdout.strip().splitlines()[-1]

    def qemu_log(self):
        with open(self.qlog) as f:
            return f.read()


class Verdicts(Lab):
    def test_pass(self):
        self.script("nvdimm", OK_SCRIPT)
        p = self.scenarios("nvdimm")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertRegex(self.last(p), r"^\d+ passed, 0 failed, 1 skipped$")
        self.assertIn("SKIPPED: fsdax: no fsdax in this fake", p.stdout)

    def test_L1_unknown_scenario_fails_the_run(self):
        p = self.scenarios("nvdimn")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("unknown scenario 'nvdimn'", p.stdout)
        self.assertRegex(self.last(p), r"0 passed, 1 failed")

    def test_L1_qemu_exiting_at_start_fails_with_its_message(self):
        self.script("nvdimm", "!start-fail qemu-system-x86_64: -device nvdimm: no such thing\n")
        p = self.scenarios("nvdimm")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("cause: series/nvdimm: QEMU exited at start (status 1): "
                      "qemu-system-x86_64: -device nvdimm: no such thing", p.stdout)

    def test_L1_guest_killed_mid_run_fails(self):
        self.script("nvdimm", "@BEGIN nvdimm 6.12\n@TAP KTAP version 1\n@TAP 1..3\n"
                              "@TAP ok 1 - a\n!exit 137\n")
        p = self.scenarios("nvdimm")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("no @END from the guest", p.stdout)
        self.assertIn("missing expected subtest", open(os.path.join(
            self.results(), "series", "nvdimm.parse.log")).read())

    def test_L1_runner_dying_before_a_scenario_fails_it(self):
        # A second scenario the runner never reached: expected, no results.
        self.script("nvdimm", OK_SCRIPT)
        res = self.results()
        os.makedirs(res, exist_ok=True)
        p = self.scenarios("nvdimm")
        with open(os.path.join(res, "expected"), "a") as f:
            f.write("series/virtio-mem\n")
        s = self.sh(sys.executable, os.path.join(LAB, "summary.py"), res)
        self.assertEqual(p.returncode, 0)
        self.assertNotEqual(s.returncode, 0)
        self.assertIn("series/virtio-mem: expected, but it left no results", s.stdout)

    def test_L1_test_sh_exit_status_follows_the_runner(self):
        env = dict(self.env, STEPS="scenarios")
        p = self.sh(os.path.join(LAB, "test.sh"), "nvdimn", env=env)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("unknown scenario 'nvdimn'", p.stdout)

    def test_L2_scenarios_never_mixes_in_old_results(self):
        self.script("nvdimm", OK_SCRIPT)
        res = os.path.join(self.results(), "series")
        os.makedirs(res)
        with open(os.path.join(res, "virtio-mem.ktap"), "w") as f:
            f.write("KTAP version 1\n1..1\nnot ok 1 - stale\n")
        p = self.scenarios("nvdimm")
        self.assertEqual(p.returncode, 0, p.stdout)
        self.assertNotIn("virtio-mem", p.stdout)

    def test_L2_run_py_removes_a_scenarios_old_files(self):
        self.script("nvdimm", OK_SCRIPT)
        res = os.path.join(self.tmp, "r")
        os.makedirs(os.path.join(res, "series"))
        stale = os.path.join(res, "series", "nvdimm.hang.log")
        open(stale, "w").close()
        self.run_py("--results", res, "nvdimm")
        self.assertFalse(os.path.exists(stale))

    def test_L3_unpinned_base_is_on_the_last_line(self):
        self.script("nvdimm", OK_SCRIPT)
        with open(os.path.join(self.kout, "base.env"), "w") as f:
            f.write("package=linux-source-6.12\npin=6.12.117-1~deb12u1\nused=6.12.119-1\n"
                    "upstream=6.12.117\nsha256=ab\npinned=no\nseries=0123 (15 patches)\n")
        p = self.scenarios("nvdimm")
        self.assertIn("WARNING: UNPINNED BASE linux-source-6.12 6.12.119-1 "
                      "(pin: 6.12.117-1~deb12u1)", self.last(p))
        self.assertIn("series: 0123 (15 patches)", p.stdout)

    def test_L4_kunit_verdict_comes_from_debugfs_not_the_console(self):
        # The console has only the lab's echo; the guest sends the suite's
        # debugfs KTAP with a failed case: the scenario must fail.
        kt = guest_nest("pfn_active", "kunit_suite " + os.path.join(FIX, "kunit-fail.results"),
                        os.path.join(FIX, "kunit-fail.results"))
        self.script("kunit", "@BEGIN kunit 6.12\n@TAP KTAP version 1\n@TAP 1..1\n"
                             + "".join(f"@TAP {x}\n" for x in kt)
                             + "!console [    3.0] [lab] ok 1 - KUnit suites passed\n@END 1\n")
        p = self.scenarios("kunit")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("FAILED: guest.pfn_active.pfn_active_offline_clears", p.stdout)

    def test_L6_truncated_harness_output_fails_on_its_plan(self):
        p = self.hmm_run("hmm-truncated.tap", "0")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("FAILED: guest.hmm-tests", p.stdout)

    def test_L7_sigterm_kills_qemu(self):
        self.script("nvdimm", "@BEGIN nvdimm 6.12\n!hang\n")
        proc = subprocess.Popen([sys.executable, os.path.join(LAB, "run.py"), "--kernel",
                                 self.kernel(), "--initrd", self.initrd(), "--results",
                                 os.path.join(self.tmp, "r"), "nvdimm"], env=self.env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        pid = self.wait_for_qemu()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
        self.assertEqual(proc.returncode, 128 + signal.SIGTERM)
        self.assertFalse(alive(pid), "QEMU survived run.py's SIGTERM")

    def test_L7_qemu_killed_when_qmp_fails(self):
        # QEMU opens the control socket but QMP never answers: run.py gives
        # up on it, and no QEMU may be left behind.
        self.script("nvdimm", "!no-qmp\n!hang\n")
        p = self.run_py("--results", os.path.join(self.tmp, "r"), "nvdimm")
        self.assertIn("cannot connect to QMP", p.stdout)
        for pid in open(self.pids).read().split():
            self.assertFalse(alive(int(pid)), "QEMU left running")

    def test_L8_baseline_other_than_0_or_1_is_refused_by_make(self):
        for target in ("build", "initramfs", "scenarios"):
            p = self.sh("make", "-s", target, "BASELINE=yes")
            self.assertNotEqual(p.returncode, 0, target)
            self.assertIn("BASELINE must be 0 or 1, not 'yes'", p.stderr, target)

    def test_L11_malformed_end_and_a_slow_qmp_reply(self):
        self.script("nvdimm", "@BEGIN nvdimm 6.12\n@TAP KTAP version 1\n@TAP 1..1\n"
                              "!req dimm-add dimm1 1G\n@TAP ok 1 - a\n@END garbage\n")
        r = os.path.join(self.tmp, "r")
        p = self.run_py("--results", r, "nvdimm", env=dict(self.env, FAKE_QMP_DELAY="2",
                                                          LAB_QMP_TIMEOUT="1"))
        self.assertNotEqual(p.returncode, 0)
        self.assertRegex(self.qemu_log(), r"rsp @RSP err QMPError: no QMP reply in 1s")
        meta = json.load(open(os.path.join(r, "series", "nvdimm.json")))
        self.assertIn("malformed @END line: '@END garbage'", meta["problems"])

    def test_L12_qemu_stderr_is_kept(self):
        self.script("nvdimm", "!start-fail qemu: something broke\n")
        r = os.path.join(self.tmp, "r")
        self.run_py("--results", r, "nvdimm")
        self.assertIn("qemu: something broke", open(os.path.join(r, "series",
                                                                 "nvdimm.qemu.log")).read())

    def test_L13_hung_guest_gives_forensics_then_dies(self):
        self.script("nvdimm", "@BEGIN nvdimm 6.12\n!hang\n")
        r = os.path.join(self.tmp, "r")
        t0 = time.time()
        p = self.run_py("--results", r, "--deadline", str(time.time() + 3), "nvdimm")
        self.assertNotEqual(p.returncode, 0)
        self.assertLess(time.time() - t0, 30)
        log = self.qemu_log()
        self.assertIn('"command-line": "info registers -a"', log)
        self.assertIn('"data": "sysrq"', log)
        self.assertTrue(os.path.exists(os.path.join(r, "series", "nvdimm.hang.log")))
        self.assertIn("the run's time budget", p.stdout)

    def test_L13_spent_budget_boots_nothing_and_fails(self):
        self.script("nvdimm", OK_SCRIPT)
        r = os.path.join(self.tmp, "r")
        p = self.run_py("--results", r, "--deadline", str(time.time() - 1), "nvdimm")
        self.assertNotEqual(p.returncode, 0)
        self.assertFalse(os.path.exists(self.qlog))
        s = self.sh(sys.executable, os.path.join(LAB, "summary.py"), r)
        self.assertIn("time budget was spent", open(os.path.join(r, "series",
                                                                 "nvdimm.ktap")).read())
        self.assertNotEqual(s.returncode, 0)

    def test_L14_a_scenario_of_skips_fails(self):
        self.script("nvdimm", "@BEGIN nvdimm 6.12\n@TAP KTAP version 1\n@TAP 1..1\n"
                              "@TAP ok 1 - a # SKIP nothing to do\n@END 0\n")
        p = self.scenarios("nvdimm")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("guest passed at least one case", p.stdout)

    def test_L15_the_guest_scripts_of_the_working_tree_are_booted(self):
        p = self.run_py("--results", os.path.join(self.tmp, "r"), "--dry-run", "nvdimm")
        import shlex
        cmd = shlex.split(p.stdout.strip().splitlines()[-1])
        initrd = cmd[cmd.index("-initrd") + 1]
        data = open(initrd, "rb").read()
        shutil.rmtree(os.path.dirname(initrd))
        self.assertTrue(data.startswith(b"not a kernel!" + bytes(3) + b"070701"),
                        "the guest cpio must start 4-aligned after NUL padding")
        with open(os.path.join(LAB, "guest", "scenarios", "nvdimm.sh"), "rb") as f:
            self.assertIn(f.read(), data)

    def test_L17_per_case_json_and_compare(self):
        with open(os.path.join(self.kout, "base.env"), "w") as f:
            f.write("package=linux-source-6.12\npin=1\nused=1\npinned=yes\nseries=0123 (15 patches)\n")
        self.script("nvdimm", OK_SCRIPT)
        self.extra_json = os.path.join(self.tmp, "my.json")
        p = self.scenarios("nvdimm", LAB_JSON=self.extra_json)
        j = json.load(open(os.path.join(self.results(), "results.json")))
        self.assertEqual(json.load(open(self.extra_json)), j)
        names = json.dumps(j)
        self.assertIn('"the namespace is there"', names)
        self.script("nvdimm", OK_SCRIPT.replace("ok 1 - the", "not ok 1 - the").replace(
            "-lab-series-0123456789ab", "-lab-base"))
        b = self.scenarios("nvdimm", BASELINE="1")
        self.assertEqual(p.returncode, 0)
        self.assertNotEqual(b.returncode, 0)
        c = self.sh(sys.executable, os.path.join(LAB, "compare.py"), self.results("base"),
                    self.results("series"))
        self.assertEqual(c.returncode, 0)
        self.assertRegex(c.stdout, r"nvdimm\.guest\.the namespace is there +FAIL +pass")
        self.assertNotIn("not in the kernels booted here", p.stdout)
        self.assertIn("not in the kernels booted here", b.stdout)
        self.assertIn("cases differ", c.stdout)

    def test_L18_cmd_file_is_the_command_that_ran(self):
        self.script("nvdimm", OK_SCRIPT)
        r = os.path.join(self.tmp, "r")
        self.run_py("--results", r, "nvdimm")
        import shlex
        cmd = shlex.split(open(os.path.join(r, "series", "nvdimm.cmd")).read(), comments=True)
        argv = json.loads(self.qemu_log().splitlines()[0][5:])
        self.assertEqual(cmd[1:], argv)

    def test_L18_list_needs_no_kernel(self):
        p = self.sh(sys.executable, os.path.join(LAB, "run.py"), "--list")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("nvdimm", p.stdout)

    def test_L28_console_scan_skips_the_labs_own_lines(self):
        self.script("nvdimm", OK_SCRIPT.replace(
            "@END 0", "!console [    2.0] [lab] # WARNING: CPU: quoted by a check\n@END 0"))
        self.assertEqual(self.scenarios("nvdimm").returncode, 0)
        self.script("nvdimm", OK_SCRIPT.replace(
            "@END 0", "!console [    2.0] WARNING: CPU: 1 PID: 1 at mm/sparse.c:1\n@END 0"))
        p = self.scenarios("nvdimm")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("console log has no oops", p.stdout)

    def test_L6_a_producer_that_failed_fails_even_with_every_case_passed(self):
        # @END 0: the guest's own exit status does not give it away.
        p = self.hmm_run("hmm-complete.tap", "139")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("FAILED: guest.hmm-tests (its producer reported failure", p.stdout)
        self.assertIn("cause: series/hmm: guest.hmm-tests:", p.stdout)
        self.assertIn('"FAIL"', open(os.path.join(self.results(), "results.json")).read())

    def test_L14_a_nested_runner_of_skips_is_no_pass(self):
        skipped = os.path.join(self.tmp, "ksft.tap")
        with open(skipped, "w") as f:
            f.write("TAP version 13\n1..1\nok 1 selftests: x: y.sh # SKIP no hotplug\n")
        kt = guest_nest("kselftest", f"cat {skipped}", "0")
        self.script("nvdimm", "@BEGIN nvdimm 6.12\n@TAP KTAP version 1\n@TAP 1..1\n"
                              + "".join(f"@TAP {x}\n" for x in kt) + "@END 0\n")
        p = self.scenarios("nvdimm")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("guest passed at least one case", p.stdout)

    def test_L1_options_for_scenarios_are_refused(self):
        for cmd in (("scenarios.sh", "--list"), ("test.sh", "-h")):
            p = self.sh(os.path.join(LAB, cmd[0]), cmd[1], env=dict(self.env, STEPS="scenarios"))
            self.assertNotEqual(p.returncode, 0, cmd)
            self.assertIn("is not a scenario name", p.stderr, cmd)

    def test_L1_a_runner_that_boots_nothing_fails(self):
        r = os.path.join(self.tmp, "r")
        p = self.sh("bash", "-c", f". {LAB}/lib.sh; mkdir -p {r}; boot_scenarios series {r} "
                    f"--dry-run nvdimm >/dev/null; python3 {LAB}/summary.py {r}")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("but it booted nothing", p.stdout)

    def test_the_scenario_asked_for_is_the_one_that_ran(self):
        self.script("hmm", OK_SCRIPT)       # says @BEGIN nvdimm
        p = self.scenarios("hmm")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("FAILED: host.guest ran the scenario asked for", p.stdout)
        p = self.scenarios("nvdimm", LAB_KERNEL_ARGS="lab.scenario=hmm")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("must not set lab.*", p.stdout + p.stderr)

    def test_L17_a_stale_kernel_is_refused(self):
        self.script("nvdimm", OK_SCRIPT)
        with open(os.path.join(self.kout, "build/series/kernelrelease"), "w") as f:
            f.write("6.12.117-lab-series-000000000000\n")
        p = self.scenarios("nvdimm")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("not one of the series as it is now", p.stdout)
        self.assertFalse(os.path.exists(self.qlog), "a stale kernel was booted")

    def test_L17_the_release_booted_is_the_one_built(self):
        self.script("nvdimm", OK_SCRIPT)
        p = self.run_py("--results", os.path.join(self.tmp, "r"), "--release",
                        "6.12.117-lab-series-ffffffffffff", "nvdimm")
        self.assertNotEqual(p.returncode, 0)

    def test_L7_sighup_and_a_killed_runner_leave_no_qemu(self):
        for sig in (signal.SIGHUP, signal.SIGKILL):
            self.script("nvdimm", "@BEGIN nvdimm 6.12\n!hang\n")
            if os.path.exists(self.pids):
                os.remove(self.pids)
            proc = subprocess.Popen([sys.executable, os.path.join(LAB, "run.py"), "--kernel",
                                     self.kernel(), "--initrd", self.initrd(), "--results",
                                     os.path.join(self.tmp, "r"), "nvdimm"], env=self.env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            pid = self.wait_for_qemu()
            time.sleep(0.5)
            proc.send_signal(sig)
            proc.wait(timeout=10)
            for _ in range(50):
                if not alive(pid):
                    break
                time.sleep(0.1)
            self.assertFalse(alive(pid), f"QEMU survived run.py's {sig.name}")

    def test_results_dir_that_is_not_the_labs_is_refused(self):
        mine = os.path.join(self.tmp, "mine")
        os.makedirs(mine)
        open(os.path.join(mine, "keep"), "w").close()
        p = self.scenarios("nvdimm", RESULTS_DIR=mine)
        self.assertNotEqual(p.returncode, 0)
        self.assertTrue(os.path.exists(os.path.join(mine, "keep")))

    # --- bases: KERNEL= ------------------------------------------------------

    def test_a_bad_kernel_is_refused_in_one_line(self):
        for cmd in ((os.path.join(LAB, "scenarios.sh"), "nvdimm"), ("make", "-s", "list"),
                    ("make", "-s", "build"), ("make", "-s", "scenarios")):
            p = self.sh(*cmd, env=dict(self.env, KERNEL="9.9"))
            self.assertNotEqual(p.returncode, 0, cmd)
            self.assertIn(f"error: KERNEL=9.9: no such base (no kernels/9.9/BASE); "
                          f"valid: {' '.join(KERNELS)}\n", p.stderr, cmd)
        self.assertFalse(os.path.exists(self.qlog), "a bad KERNEL booted something")

    def test_bases_keep_apart_and_each_summary_names_its_base(self):
        self.script("nvdimm", OK_SCRIPT)
        self.base_env(KERNEL)
        self.base_env(OTHER, used="9.9-1")
        a = self.scenarios("nvdimm")
        b = self.scenarios("nvdimm", KERNEL=OTHER)
        self.assertEqual((a.returncode, b.returncode), (0, 0), a.stdout + b.stdout)
        self.assertIn(f"base: KERNEL={KERNEL}: linux-source-{KERNEL} 6.12.117-1~deb12u1", a.stdout)
        self.assertIn(f"base: KERNEL={OTHER}: linux-source-{OTHER} 9.9-1", b.stdout)
        for k in (KERNEL, OTHER):
            with open(os.path.join(self.results(kernel=k), "summary.json")) as f:
                self.assertEqual(json.load(f)["base"]["kernel"], k)
        # The booted kernel was each base's own.
        argv = [json.loads(line[5:]) for line in self.qemu_log().splitlines()
                if line.startswith("argv ")]
        kernels = [a[a.index("-kernel") + 1] for a in argv]
        self.assertEqual(kernels, [os.path.join(self.out, k, "build/series/arch/x86/boot/bzImage")
                                   for k in (KERNEL, OTHER)])

    def test_make_test_without_kernel_runs_every_ci_base_and_sums_them(self):
        self.script("nvdimm", OK_SCRIPT)
        self.base_env(KERNEL)
        self.base_env(OTHER, used="9.9-1", pinned="no")
        env = dict(self.env, STEPS="scenarios", LAB_CI_KERNELS=f"{OTHER} {KERNEL}")
        env.pop("KERNEL")
        p = self.sh("make", "-s", "test", "S=nvdimm", env=env)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        lasts = [self.last_of(os.path.join(self.out, k, "results", "test-series"))
                 for k in (OTHER, KERNEL)]
        m = [re.match(r"(\d+) passed, (\d+) failed, (\d+) skipped", x) for x in lasts]
        total = [sum(int(x.group(i)) for x in m) for i in (1, 2, 3)]
        self.assertEqual(self.last(p), f"{total[0]} passed, 0 failed, {total[2]} skipped "
                         f"({OTHER}: {m[0].group(0)}; {KERNEL}: {m[1].group(0)}); "
                         f"WARNING: UNPINNED BASE linux-source-{OTHER} 9.9-1 (pin: 1.0-1)")
        self.assertIn(f"{OTHER}: base: KERNEL={OTHER}: linux-source-{OTHER} 9.9-1", p.stdout)
        self.assertIn(f"{KERNEL}: base: KERNEL={KERNEL}: linux-source-{KERNEL}", p.stdout)

    def test_make_test_without_kernel_fails_if_one_base_fails(self):
        self.script("nvdimm", OK_SCRIPT)
        env = dict(self.env, STEPS="scenarios", LAB_CI_KERNELS=f"{OTHER} {KERNEL}")
        env.pop("KERNEL")
        os.remove(os.path.join(self.out, KERNEL, "initramfs", "series.cpio.gz"))
        p = self.sh(os.path.join(LAB, "test.sh"), "nvdimm", env=env)
        self.assertNotEqual(p.returncode, 0)
        self.assertRegex(self.last(p), rf"^\d+ passed, [1-9]\d* failed, \d+ skipped "
                         rf"\({re.escape(OTHER)}: \d+ passed, 0 failed, .*; {re.escape(KERNEL)}: ")
        self.assertIn(f"cause: {KERNEL}: ", p.stdout)

    def last_of(self, results):
        with open(os.path.join(results, "summary.json")) as f:
            t = json.load(f)["total"]
        return f"{t['passed']} passed, {t['failed']} failed, {t['skipped']} skipped"

    # --- helpers ------------------------------------------------------------

    def hmm_run(self, fixture, status):
        """The hmm scenario with FIXTURE as hmm-tests' output, exit STATUS."""
        kt = guest_nest("hmm-tests", "cat " + os.path.join(FIX, fixture), status, 2)
        self.script("hmm", "@BEGIN hmm 6.12\n@TAP KTAP version 1\n@TAP 1..2\n"
                           "@TAP ok 1 - modprobe test_hmm\n"
                           + "".join(f"@TAP {x}\n" for x in kt) + "@END 0\n")
        return self.scenarios("hmm")

    def kernel(self):
        return os.path.join(self.kout, "build/series/arch/x86/boot/bzImage")

    def initrd(self):
        return os.path.join(self.kout, "initramfs/series.cpio.gz")

    def run_py(self, *args, env=None):
        return self.sh(sys.executable, os.path.join(LAB, "run.py"), "--kernel", self.kernel(),
                       "--initrd", self.initrd(), *args, env=env)

    def wait_for_qemu(self):
        for _ in range(100):
            if os.path.exists(self.pids) and open(self.pids).read().strip():
                return int(open(self.pids).read().split()[0])
            time.sleep(0.1)
        self.fail("the fake QEMU never started")


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead for our purposes.
    with open(f"/proc/{pid}/stat") as f:
        return f.read().split()[2] != "Z"


def guest_nest(name, producer, status_or_file, num=1):
    """Run the guest lib's nest() on the host: the lines it sends the host,
    numbered as the guest's NUMth result."""
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "fd3")
        status = (status_or_file if status_or_file.isdigit() else
                  f"$(kunit_status {status_or_file})")
        subprocess.run(["sh", "-c", f". {LAB}/guest/lib.sh; {producer} >{d}/doc; "
                        f"TAP_N={num - 1}; nest {name} {d}/doc {status} 3>{out} >/dev/null"], check=True)
        return [x[5:] for x in open(out).read().splitlines()]


class BenchAndStressReports(unittest.TestCase):
    """lab/bench.py and lab/stress_report.py on made-up results."""

    def tool(self, name, root):
        return subprocess.run([sys.executable, os.path.join(LAB, name), root],
                              capture_output=True, text=True)

    def samples(self, root, rnd, kernel, lines):
        d = os.path.join(root, f"round{rnd}", kernel)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "bench.ktap"), "a") as f:
            f.write("".join(f"    # bench-sample {x}\n" for x in lines))

    def test_bench_ratio_spread_and_a_missing_metric(self):
        with tempfile.TemporaryDirectory() as root:
            for r in (1, 2):
                self.samples(root, r, "base", ["online:ram guest-ps/call 50000",
                                               "kpage_scan guest-us 1000",
                                               "offline_online@128M guest-us 100"])
                self.samples(root, r, "series", ["online:ram guest-ps/call 51000",
                                                 "kpage_scan guest-us 1100"])
            p = self.tool("bench.py", root)
            self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
            self.assertIn("offline_online@128M (series)", p.stdout)
            rows = json.load(open(os.path.join(root, "bench.json")))["rows"]
            scan = next(r for r in rows if r.get("metric") == "kpage_scan")
            self.assertAlmostEqual(scan["ratio"], 1.1)
            self.assertFalse(scan["met"])
            ram = next(r for r in rows if r.get("metric") == "online:ram")
            self.assertEqual(ram["series"]["median"], 51.0)

    def test_bench_needs_both_kernels(self):
        with tempfile.TemporaryDirectory() as root:
            self.samples(root, 1, "base", ["kpage_scan guest-us 1000"])
            p = self.tool("bench.py", root)
            self.assertNotEqual(p.returncode, 0)
            self.assertIn("samples of both kernels", p.stdout + p.stderr)

    def test_stress_report_counts_kinds_and_fails_on_a_series_report(self):
        with tempfile.TemporaryDirectory() as root:
            for k, text in (("base", "[ 1.0] BUG: KASAN: use-after-free in x\n"),
                            ("series", "[ 1.0] [lab] WARNING: CPU: in a lab line\n")):
                os.makedirs(os.path.join(root, k))
                with open(os.path.join(root, k, "stress-dimm.console.log"), "w") as f:
                    f.write(text)
            p = self.tool("stress_report.py", root)
            self.assertEqual(p.returncode, 0, p.stdout)
            rep = json.load(open(os.path.join(root, "reports.json")))
            self.assertEqual(rep["base"]["stress-dimm"]["reports"]["kasan"], 1)
            self.assertEqual(rep["base"]["stress-dimm"]["reports"]["oops"], 0)
            self.assertEqual(sum(rep["series"]["stress-dimm"]["reports"].values()), 0)
            with open(os.path.join(root, "series", "stress-dimm.console.log"), "a") as f:
                f.write("[ 2.0] WARNING: CPU: 0 PID: 1 at mm/x.c:1 f+0x0\n")
            p = self.tool("stress_report.py", root)
            self.assertEqual(p.returncode, 1, p.stdout)
            self.assertIn("differs: stress-dimm", p.stdout)


class Ktap(unittest.TestCase):
    def test_L22_parser_api_with_and_without_a_printer(self):
        kunit_parser = ktap._modules()[0]
        orig = kunit_parser.parse_run_tests
        seen = []

        # A tree whose parser already takes the printer is called as it is.
        takes_printer = len(inspect.signature(orig).parameters) >= 2

        def newer(lines, printer):
            seen.append(printer)
            if takes_printer:
                return orig(lines, printer)
            kunit_parser.stdout = printer
            return orig(lines)
        try:
            kunit_parser.parse_run_tests = newer
            t = ktap.parse_text("KTAP version 1\n1..1\nok 1 - a\n")
        finally:
            kunit_parser.parse_run_tests = orig
        self.assertEqual(len(seen), 1)
        self.assertEqual(ktap.verdict(t)["passed"], 1)

    def test_missing_subtests_fail(self):
        v = ktap.verdict(ktap.parse_text("KTAP version 1\n1..3\nok 1 - a\n"))
        self.assertFalse(v["ok"])

    def test_nest_of_an_empty_document_fails(self):
        _, ok = ktap.nest("", "x", 1)
        self.assertFalse(ok)

    def test_L5_kv_missing_values_never_match(self):
        sh = (f". {LAB}/guest/lib.sh; a=$(kv 'x=1' map_errno); b=$(kv 'x=1' map_errno); "
              "[ \"$a\" != \"$b\" ] && ! test \"$a\" -gt 0 2>/dev/null && "
              "[ \"$(kv 'map_errno=12' map_errno)\" = 12 ]")
        self.assertEqual(subprocess.run(["sh", "-c", sh]).returncode, 0)

    def test_nest_status_4_is_a_skip_and_other_failures_fail(self):
        doc = os.path.join(FIX, "hmm-complete.tap")
        self.assertTrue(guest_nest("h", f"cat {doc}", "4")[-1].endswith("# SKIP the producer "
                                                                         "skipped every case"))
        self.assertTrue(guest_nest("h", f"cat {doc}", "139")[-1].startswith("not ok"))


class KtapRunner(unittest.TextTestRunner):
    """unittest results as KTAP, one case a test."""

    def run(self, test):
        cases = list(iter_tests(test))
        print("KTAP version 1")
        print(f"1..{len(cases)}")
        failed = 0
        for n, case in enumerate(cases, 1):
            r = unittest.TestResult()
            case.run(r)
            name = case.id().split(".", 1)[1]
            bad = r.failures + r.errors
            if bad:
                failed += 1
                for _, tb in bad:
                    # The summary shows the last line: never a blank one
                    # (an assertion message that ends in a newline).
                    for line in tb.rstrip().splitlines()[-12:]:
                        print(f"# {line}")
                print(f"not ok {n} - {name}")
            elif r.skipped:
                print(f"ok {n} - {name} # SKIP {r.skipped[0][1]}")
            else:
                print(f"ok {n} - {name}")
            sys.stdout.flush()
        return failed


class Correspond(unittest.TestCase):
    """lab/correspond.py: a backport series against its upstream."""

    def series(self, root, name, subjects):
        d = os.path.join(root, name)
        os.makedirs(os.path.join(d, "patches"))
        files = []
        for i, subj in enumerate(subjects, 1):
            f = f"{i:04d}-p.patch"
            with open(os.path.join(d, "patches", f), "w") as fh:
                fh.write(f"From: A <a@b>\nSubject: [PATCH {i}/{len(subjects)}] {subj}\n\nx\n")
            files.append(f)
        with open(os.path.join(d, "series"), "w") as fh:
            fh.write("# comment\n" + "\n".join(files) + "\n")
        return os.path.join(d, "series")

    def check(self, up, back, mapping):
        with tempfile.TemporaryDirectory() as root:
            u, b = self.series(root, "up", up), self.series(root, "back", back)
            m = os.path.join(root, "map")
            with open(m, "w") as fh:
                fh.write(mapping)
            return subprocess.run([sys.executable, os.path.join(ROOT, "lab", "correspond.py"), u, b, m],
                                  capture_output=True, text=True)

    def test_same_subjects_pass(self):
        r = self.check(["a: x", "b: y"], ["a: x", "b: y"], "")
        self.assertEqual(r.returncode, 0, r.stdout)

    def test_every_difference_needs_a_reason(self):
        r = self.check(["a: x", "b: y"], ["a: x", "c: z"], "")
        self.assertEqual(r.returncode, 1)
        self.assertIn("'b: y' is missing", r.stdout)
        self.assertIn("'c: z' has no upstream patch", r.stdout)
        r = self.check(["a: x", "b: y"], ["a: x", "c: z"], "dropped: b: y | gone\nadded: c: z |  \n")
        self.assertEqual(r.returncode, 1)
        self.assertIn("not 'KIND: subject | reason'", r.stdout)
        r = self.check(["a: x", "b: y"], ["a: x", "c: z"], "dropped: b: y | gone\nadded: c: z | only here\n")
        self.assertEqual(r.returncode, 0, r.stdout)

    def test_rename_and_stale_entries(self):
        r = self.check(["a: x"], ["a: x2"], "renamed: a: x => a: x2 | shorter\n")
        self.assertEqual(r.returncode, 0, r.stdout)
        r = self.check(["a: x"], ["a: x"], "dropped: q: none | stale\n")
        self.assertEqual(r.returncode, 1)
        self.assertIn("names no upstream patch", r.stdout)

    def test_order_must_match(self):
        r = self.check(["a: x", "b: y"], ["b: y", "a: x"], "")
        self.assertEqual(r.returncode, 1)
        self.assertIn("same order", r.stdout)


def iter_tests(suite):
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            yield from iter_tests(t)
        else:
            yield t


if __name__ == "__main__":
    suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules[__name__])
    if len(sys.argv) > 1 and sys.argv[1] != "-v":
        suite = unittest.TestSuite(t for t in iter_tests(suite) if sys.argv[1] in t.id())
    sys.exit(1 if KtapRunner().run(suite) else 0)
