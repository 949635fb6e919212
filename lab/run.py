#!/usr/bin/env python3
"""Boot a lab kernel in QEMU once per scenario and collect the results.

Each scenario is a guest shell script, lab/guest/scenarios/NAME.sh, whose
header says how to boot it:

    # lab-machine: pc | q35
    # lab-devices: dimm:ID:SIZE[:NODE] nvdimm:ID:SIZE vmem:ID:SIZE:REQUESTED iommu edu
    # lab-cmdline: extra kernel parameters
    # lab-timeout: seconds (host side; the guest is killed after that)
    # lab-group: test | bench   (only 'test' scenarios run when none is named)
    # lab-qemu: extra QEMU arguments (e.g. -icount shift=0)
    # lab-memory: RAM MAXMEM (default 2G 16G: boot RAM, and the most that
    #             RAM, DIMMs and NVDIMMs together may reach)

The guest reports on its second serial port (ttyS1): '@TAP line' results
(KTAP, nested subtests indented), '@STEP text' milestones, '@REQ cmd'
requests that the host carries out over QMP and answers with
'@RSP ok|err text', and '@END rc'.  lab/guest/ is packed into a small cpio
appended to the initramfs at every boot, so the scenario that runs is the
one whose header was read.

Per scenario this writes RESULTS/KERNEL/NAME.ktap, a KTAP document with two
subtests, 'guest' (what the guest reported) and 'host' (the host's verdicts
on the boot), and NAME.{json,console.log,qemu.log,qmp.log,cmd}; a hung
guest also leaves NAME.hang.log.  Before the first boot the scenarios are
appended to RESULTS/expected, so lab/summary.py fails any that never
produced results.
"""

import argparse
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qmp import QMP, QMPError  # noqa: E402
import ktap  # noqa: E402

LAB = os.path.dirname(os.path.abspath(__file__))
GUEST_DIR = os.path.join(LAB, "guest")
SCENARIO_DIR = os.path.join(GUEST_DIR, "scenarios")

# Fail fast: an oops, a warning, a soft lockup or a hung task ends the boot.
# loglevel=7 keeps every KERN_INFO line (KUnit's among them) on the console.
BASE_CMDLINE = ("console=ttyS0,115200 loglevel=7 panic=-1 oops=panic panic_on_warn=1 "
                "softlockup_panic=1 hung_task_panic=1 rdinit=/init")

# What in a console log means the kernel itself misbehaved.
KERNEL_TROUBLE = re.compile(
    r"(Kernel panic - not syncing|\bBUG: |WARNING: CPU: |\bOops: |"
    r"general protection fault|Call Trace:|rcu: INFO: .* detected stalls|"
    r"INFO: task .* blocked for more than|Bad page state|UBSAN: )")
# The guest's own echo of its results on the console is not the kernel's.
LAB_LINE = re.compile(r"^\s*(\[\s*\d+\.\d+\]\s*)?\[lab\] ")

SIZE_RE = re.compile(r"^(\d+)([KMG]?)$")
HEADER_KEYS = ("machine", "devices", "cmdline", "timeout", "title", "group", "qemu", "memory")

# QEMU process groups still running, for the signal handler.
RUNNING = set()


def parse_size(text):
    m = SIZE_RE.match(text)
    if not m:
        raise ValueError(f"bad size '{text}' (want e.g. 512M)")
    return int(m.group(1)) << {"": 0, "K": 10, "M": 20, "G": 30}[m.group(2)]


class ScenarioError(Exception):
    """A scenario name or header the runner cannot use."""


def list_scenarios():
    return sorted(f[:-3] for f in os.listdir(SCENARIO_DIR) if f.endswith(".sh"))


def timeout_scale():
    """LAB_TIMEOUT_SCALE: every scenario's timeout multiplied by it (DEBUG=1
    kernels, KASAN and lockdep under TCG, set 4); a bad value is an error."""
    val = os.environ.get("LAB_TIMEOUT_SCALE", "") or "1"
    try:
        scale = float(val)
    except ValueError:
        scale = 0
    if not 0 < scale <= 100:
        raise ScenarioError(f"LAB_TIMEOUT_SCALE must be a number in (0, 100], not '{val}'")
    return scale


def load_scenario(name):
    path = os.path.join(SCENARIO_DIR, name + ".sh")
    if not re.match(r"^[\w.-]+$", name) or not os.path.exists(path):
        raise ScenarioError(f"unknown scenario '{name}' (known: {' '.join(list_scenarios())})")
    spec = {"name": name, "machine": "pc", "devices": [], "cmdline": "",
            "timeout": 300, "title": name, "group": "test", "qemu": "",
            "memory": "2G 16G"}
    with open(path) as f:
        for line in f:
            m = re.match(r"#\s*lab-(\w+):\s*(.*?)\s*$", line)
            if not m:
                continue
            key, val = m.groups()
            if key not in HEADER_KEYS:
                raise ScenarioError(f"{path}: unknown header 'lab-{key}'")
            if key == "devices":
                spec["devices"] = val.split()
            elif key == "timeout":
                if not val.isdigit() or int(val) <= 0:
                    raise ScenarioError(f"{path}: lab-timeout must be a positive number")
                spec["timeout"] = int(val)
            else:
                spec[key] = val
    if spec["machine"] not in ("pc", "q35"):
        raise ScenarioError(f"{path}: machine must be pc or q35")
    mem = spec["memory"].split()
    if (len(mem) != 2 or not all(SIZE_RE.match(m) for m in mem)
            or not 0 < parse_size(mem[0]) <= parse_size(mem[1])):
        raise ScenarioError(f"{path}: lab-memory must be 'RAM MAXMEM', sizes with RAM <= MAXMEM")
    spec["timeout"] = int(spec["timeout"] * timeout_scale())
    for dev in spec["devices"]:
        device_args_one(spec, dev, None)
    return spec


def device_args_one(spec, dev, workdir):
    kind, *rest = dev.split(":")
    shape = {"dimm": 2, "nvdimm": 2, "vmem": 3, "iommu": 0, "edu": 0}
    if kind == "dimm" and len(rest) == 3 and rest[2].isdigit():
        # dimm:ID:SIZE:NODE, the NUMA node of the scenario's -numa options.
        did, size, node = rest
        return ["-object", f"memory-backend-ram,id=mem-{did},size={size}",
                "-device", f"pc-dimm,id={did},memdev=mem-{did},node={node}"]
    if kind not in shape or len(rest) != shape[kind]:
        raise ScenarioError(f"scenario {spec['name']}: unknown or malformed device '{dev}'")
    if kind == "dimm":
        did, size = rest
        return ["-object", f"memory-backend-ram,id=mem-{did},size={size}",
                "-device", f"pc-dimm,id={did},memdev=mem-{did}"]
    if kind == "nvdimm":
        # A 2 MiB label area and 2 MiB alignment leave a region of exactly
        # SIZE that ndctl accepts for every namespace mode.
        did, size = rest
        total = parse_size(size) + (2 << 20)
        backing = os.path.join(workdir or "WORKDIR", f"{did}.img")
        if workdir:
            with open(backing, "wb") as f:
                f.truncate(total)
        return ["-object", f"memory-backend-file,id=mem-{did},share=on,mem-path={backing},"
                           f"size={total},align=2M",
                "-device", f"nvdimm,id={did},memdev=mem-{did},label-size=2M"]
    if kind == "vmem":
        did, size, req = rest
        return ["-object", f"memory-backend-ram,id=mem-{did},size={size}",
                "-device", f"virtio-mem-pci,id={did},memdev=mem-{did},requested-size={req}"]
    if kind == "iommu":
        return ["-device", "intel-iommu"]
    return ["-device", "edu"]


def guest_overlay(path):
    """Pack lab/guest/ as /init and /lab/ into a cpio appended to the initrd."""
    stage = tempfile.mkdtemp(prefix="lab-guest-")
    try:
        os.makedirs(os.path.join(stage, "lab"))
        shutil.copy(os.path.join(GUEST_DIR, "init"), os.path.join(stage, "init"))
        os.chmod(os.path.join(stage, "init"), 0o755)
        for lib in ("lib.sh", "benchlib.sh", "stress-storm.sh"):
            shutil.copy(os.path.join(GUEST_DIR, lib), os.path.join(stage, "lab", lib))
        shutil.copytree(SCENARIO_DIR, os.path.join(stage, "lab", "scenarios"))
        names = subprocess.run(["find", "."], cwd=stage, check=True, capture_output=True,
                               text=True).stdout
        with open(path, "wb") as f:
            subprocess.run(["cpio", "-o", "-H", "newc", "--quiet"], cwd=stage, check=True,
                           input="\n".join(sorted(names.split())).encode(), stdout=f)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


class Guest:
    """One QEMU boot of one scenario."""

    def __init__(self, spec, args, outdir, label, deadline):
        self.spec = spec
        self.a = args
        self.outdir = outdir
        self.label = label
        self.deadline = deadline
        self.base = os.path.join(outdir, spec["name"])
        self.console_path = self.base + ".console.log"
        self.tap = []
        self.steps = []
        self.end_rc = None
        self.release = None
        self.begin = []        # what @BEGIN said: scenario, release
        self.t0 = time.monotonic()
        self.qmp = None
        self.problems = []    # host-side trouble, one line each
        self.qemu = None
        self.console_cut = None

    def say(self, text):
        print(f"[{time.monotonic() - self.t0:6.1f}s] {self.label}: {text}", flush=True)

    def command(self, workdir, initrd, shell=False):
        s, a = self.spec, self.a
        machine = "pc,nvdimm=on" if s["machine"] == "pc" else "q35,nvdimm=on"
        cmdline = " ".join(filter(None, [
            BASE_CMDLINE, f"lab.scenario={s['name']}", "lab.shell=1" if shell else "",
            s["cmdline"], a.kernel_args]))
        console = (["-serial", "mon:stdio"] if shell else
                   ["-chardev", f"file,id=con,path={self.console_path}",
                    "-serial", "chardev:con"])
        return (["qemu-system-x86_64", "-nodefaults", "-no-reboot", "-display", "none",
                 "-machine", machine, "-accel", a.accel, "-cpu", "max", "-smp", "2",
                 "-m", "{},slots=8,maxmem={}".format(*s["memory"].split()),
                 "-kernel", a.kernel, "-initrd", initrd, "-append", cmdline]
                + console
                + ["-chardev", f"socket,id=ctl,path={workdir}/ctl,server=on,wait=on",
                   "-serial", "chardev:ctl",
                   "-qmp", f"unix:{workdir}/qmp,server=on,wait=off"]
                + [x for d in s["devices"] for x in device_args_one(s, d, workdir)]
                + s["qemu"].split() + shlex.split(a.qemu_args))

    def prepare(self, workdir, shell=False):
        """Make WORKDIR's initrd (the built one + lab/guest/) and the command."""
        initrd = os.path.join(workdir, "initrd.cpio.gz")
        guest_overlay(os.path.join(workdir, "guest.cpio"))
        with open(initrd, "wb") as out:
            with open(self.a.initrd, "rb") as f:
                shutil.copyfileobj(f, out)
            # The kernel takes an uncompressed cpio after a compressed one
            # only at a 4-byte aligned offset, and skips NULs to get there.
            out.write(b"\0" * (-out.tell() % 4))
            with open(os.path.join(workdir, "guest.cpio"), "rb") as f:
                shutil.copyfileobj(f, out)
        return self.command(workdir, initrd, shell)

    # --- host side of the guest's requests --------------------------------

    def handle(self, words):
        cmd, args = words[0] if words else "", words[1:]
        q = self.qmp
        if cmd == "dimm-add" and len(args) == 2:
            did, size = args
            q.command("object-add", **{"qom-type": "memory-backend-ram",
                                       "id": f"mem-{did}", "size": parse_size(size)})
            q.command("device_add", driver="pc-dimm", id=did, memdev=f"mem-{did}")
            return f"added {did} {size}"
        if cmd == "dimm-del" and len(args) == 1:
            did = args[0]
            q.drop_events("DEVICE_DELETED", {"device": did})
            q.command("device_del", id=did)
            q.wait_event("DEVICE_DELETED", 120, {"device": did})
            q.command("object-del", id=f"mem-{did}")
            return f"removed {did}"
        if cmd == "dimm-del-try" and len(args) == 2 and args[1].isdigit():
            # An unplug request the guest may refuse: "removed" or "present".
            did, secs = args[0], int(args[1])
            q.drop_events("DEVICE_DELETED", {"device": did})
            q.command("device_del", id=did)
            try:
                q.wait_event("DEVICE_DELETED", secs, {"device": did})
            except QMPError:
                return f"{did} present"
            q.command("object-del", id=f"mem-{did}")
            return f"{did} removed"
        if cmd == "vmem-resize" and len(args) == 2:
            did, size = args
            want = parse_size(size)
            path = f"/machine/peripheral/{did}"
            q.command("qom-set", path=path, property="requested-size", value=want)
            have = q.wait_until(lambda: q.command("qom-get", path=path, property="size"),
                                lambda v: v == want, 120, f"{did} size == {want}")
            return f"{did} size {have}"
        if cmd == "qom-get" and len(args) == 2:
            return str(q.command("qom-get", path=f"/machine/peripheral/{args[0]}",
                                 property=args[1]))
        raise QMPError(f"unknown request '{' '.join(words)}'")

    def control_line(self, line, reply):
        tag, _, rest = line.partition(" ")
        if tag == "@TAP":
            self.tap.append(rest)
            if self.a.raw_output or rest.lstrip().startswith("not ok"):
                self.say(rest)
        elif tag == "@STEP":
            self.steps.append((round(time.monotonic() - self.t0, 1), rest))
            self.say(rest)
        elif tag == "@BEGIN":
            self.begin = rest.split()
            self.release = self.begin[-1] if self.begin else None
            self.say(f"guest up ({rest})")
        elif tag == "@END":
            try:
                self.end_rc = int(rest)
            except ValueError:
                self.problems.append(f"malformed @END line: {line!r}")
                self.end_rc = -1
        elif tag == "@REQ":
            try:
                text, status = self.handle(rest.split()), "ok"
            except Exception as e:  # any failure is the guest's 'err', never a dead thread
                text, status = f"{type(e).__name__}: {e}".replace("\n", " "), "err"
                self.say(f"request '{rest}' failed: {text}")
            reply(f"@RSP {status} {text}\n".encode())
        elif line:
            self.say(f"stray control line: {line[:200]!r}")

    def control_loop(self, ctl):
        buf = b""
        try:
            while True:
                try:
                    chunk = ctl.recv(4096)
                except OSError:
                    break
                if not chunk:
                    break
                buf += chunk
                while b"\n" in buf:
                    raw, buf = buf.split(b"\n", 1)
                    self.control_line(raw.decode(errors="replace").rstrip("\r"), ctl.sendall)
        except Exception as e:  # keep the reason; the boot is judged on it
            self.problems.append(f"control channel: {type(e).__name__}: {e}")

    def connect(self, path, qemu):
        deadline = time.monotonic() + 30
        while True:
            if qemu.poll() is not None:
                raise QMPError(f"QEMU exited at start (status {qemu.returncode}): "
                               f"{self.qemu_tail()}")
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(path)
                return s
            except OSError:
                s.close()
                if time.monotonic() > deadline:
                    raise QMPError("QEMU did not open its control socket in 30s: "
                                   f"{self.qemu_tail()}")
                time.sleep(0.05)

    def qemu_tail(self):
        try:
            with open(self.base + ".qemu.log", errors="replace") as f:
                lines = [x for x in f.read().splitlines() if x.strip()]
        except OSError:
            lines = []
        return lines[-1] if lines else "no output"

    def forensics(self):
        """What the hung guest was doing: registers, then sysrq t and w."""
        # Their task dumps are not trouble of the kernel's: scan up to here.
        self.console_cut = os.path.getsize(self.console_path)
        out = []
        q = self.qmp
        if not q.lock.acquire(timeout=10):
            out.append("forensics skipped: QMP busy with a guest request for 10s")
            q = None
        try:
            if q is None:
                raise QMPError("no QMP")
            # A guest this far gone may not answer in time: short waits, so
            # the forensics stay within seconds of the budget.
            q.set_timeout(5)
            out.append(q.command("human-monitor-command", **{"command-line": "info registers -a"}))
            for key in ("t", "w"):
                q.command("send-key", keys=[{"type": "qcode", "data": k}
                                            for k in ("alt", "sysrq", key)])
                time.sleep(2)
        except Exception as e:
            out.append(f"forensics incomplete: {type(e).__name__}: {e}")
        finally:
            if q is not None:
                q.lock.release()
        with open(self.base + ".hang.log", "w") as f:
            f.write("\n".join(str(x) for x in out) + "\n")
            f.write("sysrq t and w were sent; their output is in the console log\n")

    def kill(self):
        p = self.qemu
        if p and p.poll() is None:
            try:
                if os.getpgid(p.pid) == p.pid:
                    os.killpg(p.pid, signal.SIGKILL)
                else:       # --shell: QEMU shares our terminal's group
                    p.kill()
            except ProcessLookupError:
                pass
            p.wait()
        RUNNING.discard(p)

    def run(self, shell=False):
        os.makedirs(self.outdir, exist_ok=True)
        for old in os.listdir(self.outdir):
            if old.startswith(self.spec["name"] + "."):
                os.remove(os.path.join(self.outdir, old))
        workdir = tempfile.mkdtemp(prefix="lab-")
        timeout = max(1, min(self.spec["timeout"], self.deadline - time.time()))
        timed_out = False
        ctl = reader = None
        try:
            cmd = self.prepare(workdir, shell)
            with open(self.base + ".cmd", "w") as f:
                f.write(f"# {workdir} is removed after the boot: 'make dry-run "
                        f"S={self.spec['name']}' prints a command that keeps it\n")
                f.write(shlex.join(cmd) + "\n")
            with open(self.base + ".qemu.log", "w") as qlog:
                self.qemu = subprocess.Popen(
                    cmd, stdin=None if shell else subprocess.DEVNULL,
                    stdout=None if shell else qlog, stderr=qlog, start_new_session=not shell,
                    preexec_fn=die_with_parent)
            RUNNING.add(self.qemu)
            ctl = self.connect(f"{workdir}/ctl", self.qemu)
            qmplog = open(self.base + ".qmp.log", "w")
            self.qmp = QMP(f"{workdir}/qmp", log=qmplog,
                           timeout=float(os.environ.get("LAB_QMP_TIMEOUT", "30")))
            self.qmp.connect()
            reader = threading.Thread(target=self.control_loop, args=(ctl,), daemon=True)
            reader.start()
            try:
                self.qemu.wait(timeout=None if shell else timeout)
            except subprocess.TimeoutExpired:
                timed_out = True
                why = ("the run's time budget" if timeout < self.spec["timeout"]
                       else f"its {self.spec['timeout']}s timeout")
                self.problems.append(f"timed out after {timeout:.0f}s ({why})")
                self.say(f"TIMEOUT after {timeout:.0f}s ({why}): registers and sysrq t/w, "
                         "then kill")
                self.forensics()
            reader.join(timeout=5)
            qmplog.close()
        except (QMPError, OSError, subprocess.SubprocessError) as e:
            if self.qemu and self.qemu.poll() is not None and "QEMU exited" not in str(e):
                e = f"{e}; QEMU exited ({self.qemu.returncode}): {self.qemu_tail()}"
            self.problems.append(str(e))
            self.say(f"error: {e}")
        finally:
            self.kill()
            if ctl:
                ctl.close()
            shutil.rmtree(workdir, ignore_errors=True)
        if shell:
            return None
        return self.finish(time.monotonic() - self.t0, timed_out)

    def finish(self, elapsed, timed_out):
        try:
            with open(self.console_path, "rb") as f:
                console = f.read(self.console_cut or -1).decode(errors="replace")
        except OSError:
            console = ""
        trouble = [x for x in console.splitlines()
                   if KERNEL_TROUBLE.search(x) and not LAB_LINE.match(x)]
        rc = self.qemu.returncode if self.qemu else None
        if not self.tap:
            guest = ([f"# {p}" for p in self.problems]
                     + ["not ok 1 guest # the guest reported no results"])
            guest_ok = False
        else:
            guest, guest_ok = ktap.nest("\n".join(self.tap), "guest", 1)
        top = [t for t in self.tap if not t.startswith(" ")]
        plans = [int(m.group(1)) for m in map(ktap.PLAN_RE.match, top) if m]
        reported = sum(1 for t in top if ktap.RESULT_RE.match(t))
        # Passes as the parser counts them: cases, not the result lines of
        # nested producers (a kselftest runner that skipped says 'ok').
        with open(os.devnull, "w") as devnull:
            gv = ktap.verdict(ktap.parse_text("\n".join(self.tap) + "\n", devnull))
        host = []

        def check(ok, desc, diag=()):
            host.extend(f"# {d}" for d in diag)
            n = sum(1 for h in host if ktap.RESULT_RE.match(h)) + 1
            host.append(f"{'ok' if ok else 'not ok'} {n} - {desc}")

        if self.end_rc is None and not timed_out:
            self.problems.append(f"QEMU exit {rc}, no @END from the guest")
        check(not timed_out and self.end_rc is not None and not self.problems,
              "guest ran the scenario to its end and powered off", list(self.problems))
        began_ok = (len(self.begin) == 2 and self.begin[0] == self.spec["name"]
                    and self.begin[1] == (self.a.release or self.begin[1]))
        check(began_ok, "guest ran the scenario asked for, on the kernel built",
              [f"asked for {self.spec['name']} on {self.a.release or 'any kernel'}; "
               f"@BEGIN {' '.join(self.begin) or '(none)'}"])
        check(len(plans) == 1 and plans[0] == reported,
              "guest reported exactly the results it planned",
              [f"plans {plans}, results {reported}"])
        check(gv["passed"] > 0,
              "guest passed at least one case (a scenario of skips proves nothing)",
              [f"{gv['passed']} passed, {gv['skipped']} skipped"])
        check(self.end_rc is not None and (self.end_rc == 0) == guest_ok,
              "guest's exit status agrees with its results",
              [f"exit status {self.end_rc}, results {'ok' if guest_ok else 'not ok'}"])
        check(bool(console.strip()) and not trouble,
              "console log has no oops, warning, lockup or panic",
              trouble[:10] if console.strip() else ["no console output at all"])
        nhost = sum(1 for h in host if ktap.RESULT_RE.match(h))
        host_ok = all(h.startswith("ok") for h in host if ktap.RESULT_RE.match(h))
        doc = ktap.document(guest + [f"    {h}" for h in ["KTAP version 1", "# Subtest: host",
                                                          f"1..{nhost}", *host]]
                            + [f"{'ok' if host_ok else 'not ok'} 2 host"],
                            plan=2, header=[f"{self.a.label}/{self.spec['name']} on "
                                            f"{self.release or 'no kernel'}"])
        with open(self.base + ".ktap", "w") as f:
            f.write(doc)
        with open(self.base + ".parse.log", "w") as log:
            v = ktap.verdict(ktap.parse_text(doc, log))
        summary = {"scenario": self.spec["name"], "title": self.spec["title"],
                   "flavour": self.a.label, "release": self.release,
                   "seconds": round(elapsed, 1), "timed_out": timed_out,
                   "guest_rc": self.end_rc, "qemu_rc": rc, "problems": self.problems,
                   "steps": self.steps, "devices": self.spec["devices"],
                   "cmdline": self.spec["cmdline"], **v}
        with open(self.base + ".json", "w") as f:
            json.dump(summary, f, indent=1)
        self.say(f"{v['passed']} passed, {v['failed']} failed, {v['skipped']} skipped "
                 f"in {elapsed:.0f}s")
        return summary


def budget_exhausted(outdir, spec, label):
    """The result of a scenario the run had no time left to boot."""
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, spec["name"] + ".ktap"), "w") as f:
        f.write(ktap.document([f"# {label}: not booted", "not ok 1 boot # the run's "
                               "time budget was spent before this scenario"]))


def die_with_parent():
    """In QEMU's child before exec: be killed when run.py dies, however it
    dies (SIGKILL included), so that no guest outlives its runner."""
    import ctypes
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def on_signal(signum, _frame):
    for p in list(RUNNING):
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    print(f"run.py: {signal.Signals(signum).name}: QEMU killed", file=sys.stderr, flush=True)
    raise SystemExit(128 + signum)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kernel", help="bzImage")
    ap.add_argument("--initrd", help="the initramfs built by lab/initramfs.sh")
    ap.add_argument("--label", "--flavour", default="series",
                    help="kernel flavour: series, base or custom")
    ap.add_argument("--results", help="results directory")
    ap.add_argument("--kernel_args", "--cmdline", default="", help="extra kernel parameters")
    ap.add_argument("--qemu_args", default="", help="extra QEMU arguments")
    ap.add_argument("--release", default=None,
                    help="the kernel release the guest must report (a stale kernel fails)")
    ap.add_argument("--accel", default=os.environ.get("LAB_ACCEL", "tcg"),
                    help="QEMU accelerator (tcg; kvm where nested KVM works)")
    ap.add_argument("--deadline", type=float, default=None,
                    help="epoch seconds after which no scenario starts (the run's budget)")
    ap.add_argument("--raw_output", "-v", "--verbose", action="store_true",
                    help="print every result line as it arrives")
    ap.add_argument("--list", action="store_true", help="list scenarios and exit")
    ap.add_argument("--dry-run", action="store_true",
                    help="print the QEMU command of each scenario and exit")
    ap.add_argument("--shell", action="store_true",
                    help="boot the one scenario's machine with a shell on this terminal")
    ap.add_argument("scenarios", nargs="*")
    a = ap.parse_args(argv)
    if a.results:
        a.results = os.path.abspath(a.results)
    try:
        if a.list:
            for name in list_scenarios():
                spec = load_scenario(name)
                print(f"{name:24} {spec['group']:6} {spec['timeout']:4}s  {spec['title']}")
            return 0
        specs = ([load_scenario(n) for n in a.scenarios] if a.scenarios else
                 [s for s in map(load_scenario, list_scenarios()) if s["group"] == "test"])
    except ScenarioError as e:
        print(f"run.py: error: {e}", file=sys.stderr)
        return 2
    for opt in ("kernel", "initrd", "results"):
        if not getattr(a, opt):
            ap.error(f"--{opt} is required")
    if re.search(r"(^|\s)(lab\.|rdinit=)", a.kernel_args):
        ap.error("--kernel_args must not set lab.* or rdinit=: the runner sets those")
    if a.shell and len(specs) != 1:
        ap.error("--shell boots exactly one scenario")
    for path in (a.kernel, a.initrd):
        if not os.path.exists(path):
            print(f"run.py: error: {path} does not exist: build it first", file=sys.stderr)
            return 2
    if a.dry_run:
        for spec in specs:
            g = Guest(spec, a, os.path.join(a.results, a.label), a.label, 0)
            wd = tempfile.mkdtemp(prefix=f"lab-dry-{spec['name']}-")
            os.makedirs(g.outdir, exist_ok=True)
            cmd = g.prepare(wd)
            print(f"# {spec['name']}: {spec['title']}\n# {wd} holds its initrd and images; "
                  f"the guest starts once a client reads its control port, e.g.\n"
                  f"#   socat - UNIX-CONNECT:{wd}/ctl   (console: {g.console_path})")
            print(shlex.join(cmd))
        return 0
    if not shutil.which("qemu-system-x86_64"):
        print("run.py: error: qemu-system-x86_64 not found: run 'make deps'", file=sys.stderr)
        return 2
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT):
        signal.signal(sig, on_signal)
    outdir = os.path.join(a.results, a.label)
    if a.shell:
        Guest(specs[0], a, outdir, a.label, float("inf")).run(shell=True)
        return 0
    deadline = a.deadline or float("inf")
    os.makedirs(a.results, exist_ok=True)
    with open(os.path.join(a.results, "expected"), "a") as f:
        f.writelines(f"{a.label}/{s['name']}\n" for s in specs)
    failed = 0
    for k, spec in enumerate(specs, 1):
        label = f"{a.label}/{spec['name']} [{k}/{len(specs)}]"
        if time.time() >= deadline:
            print(f"{label}: not booted: the run's time budget is spent", flush=True)
            budget_exhausted(outdir, spec, label)
            failed += 1
            continue
        s = Guest(spec, a, outdir, label, deadline).run()
        failed += not s["ok"]
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception:  # a runner bug is not "some scenario failed" (1)
        import traceback
        traceback.print_exc()
        print("run.py: internal error (traceback above)", file=sys.stderr)
        sys.exit(3)
