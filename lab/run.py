#!/usr/bin/env python3
"""Boot a lab kernel in QEMU once per scenario and collect the results.

Each scenario is a guest shell script, lab/guest/scenarios/NAME.sh, whose
header says how to boot it:

    # lab-machine: pc | q35
    # lab-devices: dimm:ID:SIZE nvdimm:ID:SIZE vmem:ID:SIZE:REQUESTED iommu edu
    # lab-cmdline: extra kernel parameters
    # lab-timeout: seconds (host side; the guest is killed after that)
    # lab-kunit: yes   (let built-in KUnit suites run at boot and parse them)
    # lab-group: test | bench   (only 'test' scenarios run when none is named)
    # lab-qemu: extra QEMU arguments (e.g. -icount shift=0)

The guest reports on its second serial port (ttyS1): '@TAP line' results,
'@STEP text' milestones, '@REQ cmd' requests that the host carries out over
QMP and answers with '@RSP ok|err text', and '@END rc'.

Per scenario this writes to RESULTS/KERNEL/NAME.{tap,console.log,qmp.log,json}.
"""

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qmp import QMP, QMPError  # noqa: E402
import tap  # noqa: E402

LAB = os.path.dirname(os.path.abspath(__file__))
SCENARIO_DIR = os.path.join(LAB, "guest", "scenarios")

# Fail fast: an oops, a warning, a soft lockup or a hung task ends the boot.
BASE_CMDLINE = ("console=ttyS0,115200 panic=-1 oops=panic panic_on_warn=1 "
                "softlockup_panic=1 hung_task_panic=1 rdinit=/init")

# What in a console log means the kernel itself misbehaved.
KERNEL_TROUBLE = re.compile(
    r"(Kernel panic - not syncing|\bBUG: |WARNING: CPU: |\bOops: |"
    r"general protection fault|Call Trace:|rcu: INFO: .* detected stalls|"
    r"INFO: task .* blocked for more than|Bad page state|UBSAN: )")

SIZE_RE = re.compile(r"^(\d+)([KMG]?)$")


def parse_size(text):
    m = SIZE_RE.match(text)
    if not m:
        raise ValueError(f"bad size '{text}' (want e.g. 512M)")
    return int(m.group(1)) << {"": 0, "K": 10, "M": 20, "G": 30}[m.group(2)]


def load_scenario(name):
    path = os.path.join(SCENARIO_DIR, name + ".sh")
    if not os.path.exists(path):
        known = " ".join(list_scenarios())
        raise SystemExit(f"error: unknown scenario '{name}' (known: {known})")
    spec = {"name": name, "machine": "pc", "devices": [], "cmdline": "",
            "timeout": 300, "kunit": False, "title": name, "group": "test",
            "qemu": ""}
    with open(path) as f:
        for line in f:
            m = re.match(r"#\s*lab-(\w+):\s*(.*?)\s*$", line)
            if not m:
                continue
            key, val = m.groups()
            if key == "devices":
                spec["devices"] = val.split()
            elif key == "timeout":
                spec["timeout"] = int(val)
            elif key == "kunit":
                spec["kunit"] = val == "yes"
            elif key in ("machine", "cmdline", "title", "group", "qemu"):
                spec[key] = val
            else:
                raise SystemExit(f"error: {path}: unknown header 'lab-{key}'")
    if spec["machine"] not in ("pc", "q35"):
        raise SystemExit(f"error: {path}: machine must be pc or q35")
    return spec


def list_scenarios():
    return sorted(f[:-3] for f in os.listdir(SCENARIO_DIR) if f.endswith(".sh"))


def device_args(spec, workdir):
    """QEMU arguments for the scenario's cold-plugged devices."""
    args = []
    for dev in spec["devices"]:
        kind, *rest = dev.split(":")
        if kind == "dimm":
            did, size = rest
            args += ["-object", f"memory-backend-ram,id=mem-{did},size={size}",
                     "-device", f"pc-dimm,id={did},memdev=mem-{did}"]
        elif kind == "nvdimm":
            # A 2 MiB label area and 2 MiB alignment leave a region of
            # exactly SIZE that ndctl accepts for every namespace mode.
            did, size = rest
            backing = os.path.join(workdir, f"{did}.img")
            with open(backing, "wb") as f:
                f.truncate(parse_size(size) + (2 << 20))
            args += ["-object",
                     f"memory-backend-file,id=mem-{did},share=on,mem-path={backing},"
                     f"size={parse_size(size) + (2 << 20)},align=2M",
                     "-device", f"nvdimm,id={did},memdev=mem-{did},label-size=2M"]
        elif kind == "vmem":
            did, size, req = rest
            args += ["-object", f"memory-backend-ram,id=mem-{did},size={size}",
                     "-device", f"virtio-mem-pci,id={did},memdev=mem-{did},"
                                f"requested-size={req}"]
        elif kind == "iommu":
            args += ["-device", "intel-iommu"]
        elif kind == "edu":
            args += ["-device", "edu"]
        else:
            raise SystemExit(f"error: scenario {spec['name']}: unknown device '{dev}'")
    return args


class Guest:
    """One QEMU boot of one scenario."""

    def __init__(self, spec, kernel, initrd, outdir, label, verbose, extra_cmdline):
        self.spec = spec
        self.kernel = kernel
        self.initrd = initrd
        self.outdir = outdir
        self.label = label
        self.verbose = verbose
        self.extra_cmdline = extra_cmdline
        self.tap = []
        self.steps = []
        self.end_rc = None
        self.release = None
        self.t0 = None
        self.qmp = None
        self.problems = []

    def say(self, text):
        print(f"[{time.monotonic() - self.t0:6.1f}s] {self.label}: {text}", flush=True)

    def command(self, workdir):
        s = self.spec
        machine = "pc,nvdimm=on" if s["machine"] == "pc" else "q35,nvdimm=on"
        cmdline = " ".join(filter(None, [
            BASE_CMDLINE, "kunit.enable=1" if s["kunit"] else "",
            f"lab.scenario={s['name']}", s["cmdline"], self.extra_cmdline]))
        return ["qemu-system-x86_64", "-nodefaults", "-no-reboot", "-display", "none",
                "-machine", machine, "-accel", "tcg", "-cpu", "max", "-smp", "2",
                "-m", "2G,slots=8,maxmem=16G",
                "-kernel", self.kernel, "-initrd", self.initrd, "-append", cmdline,
                "-chardev", f"file,id=con,path={self.console_path}",
                "-serial", "chardev:con",
                "-chardev", f"socket,id=ctl,path={workdir}/ctl,server=on,wait=on",
                "-serial", "chardev:ctl",
                "-qmp", f"unix:{workdir}/qmp,server=on,wait=off",
                ] + device_args(s, workdir) + s["qemu"].split()

    # --- host side of the guest's requests --------------------------------

    def handle(self, words):
        cmd, args = words[0], words[1:]
        q = self.qmp
        if cmd == "dimm-add" and len(args) == 2:
            did, size = args
            q.command("object-add", **{"qom-type": "memory-backend-ram",
                                       "id": f"mem-{did}", "size": parse_size(size)})
            q.command("device_add", driver="pc-dimm", id=did, memdev=f"mem-{did}")
            return f"added {did} {size}"
        if cmd == "dimm-del" and len(args) == 1:
            did = args[0]
            q.command("device_del", id=did)
            q.wait_event("DEVICE_DELETED", 120, {"device": did})
            q.command("object-del", id=f"mem-{did}")
            return f"removed {did}"
        if cmd == "vmem-resize" and len(args) == 2:
            did, size = args
            want = parse_size(size)
            path = f"/machine/peripheral/{did}"
            q.command("qom-set", path=path, property="requested-size", value=want)
            deadline = time.monotonic() + 120
            while True:
                have = q.command("qom-get", path=path, property="size")
                if have == want:
                    return f"{did} size {have}"
                if time.monotonic() > deadline:
                    raise QMPError(f"{did}: size {have} != requested {want} after 120s")
                time.sleep(0.2)
        if cmd == "qom-get" and len(args) == 2:
            return str(q.command("qom-get", path=f"/machine/peripheral/{args[0]}",
                                 property=args[1]))
        raise QMPError(f"unknown request '{' '.join(words)}'")

    def control_loop(self, ctl):
        f = ctl.makefile("rwb", buffering=0)
        buf = b""
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
                line = raw.decode(errors="replace").rstrip("\r")
                tag, _, rest = line.partition(" ")
                if tag == "@TAP":
                    self.tap.append(rest)
                    if self.verbose or rest.startswith("not ok"):
                        self.say(rest)
                elif tag == "@STEP":
                    self.steps.append((round(time.monotonic() - self.t0, 1), rest))
                    self.say(rest)
                elif tag == "@BEGIN":
                    self.release = rest.split()[-1] if rest else None
                    self.say(f"guest up ({rest})")
                elif tag == "@END":
                    self.end_rc = int(rest or 1)
                elif tag == "@REQ":
                    try:
                        text, status = self.handle(rest.split()), "ok"
                    except (QMPError, ValueError) as e:
                        text, status = str(e), "err"
                        self.say(f"request '{rest}' failed: {e}")
                    f.write(f"@RSP {status} {text}\n".encode())
                elif line:
                    self.say(f"stray control line: {line}")

    def run(self):
        os.makedirs(self.outdir, exist_ok=True)
        base = os.path.join(self.outdir, self.spec["name"])
        self.console_path = base + ".console.log"
        workdir = tempfile.mkdtemp(prefix="lab-")
        self.t0 = time.monotonic()
        timed_out = False
        try:
            cmd = self.command(workdir)
            with open(base + ".cmd", "w") as f:
                f.write(" ".join(cmd) + "\n")
            qemu = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            ctl = self.connect(f"{workdir}/ctl", qemu)
            qmplog = open(base + ".qmp.log", "w")
            self.qmp = QMP(f"{workdir}/qmp", log=qmplog)
            self.qmp.connect()
            reader = threading.Thread(target=self.control_loop, args=(ctl,), daemon=True)
            reader.start()
            try:
                qemu.wait(timeout=self.spec["timeout"])
            except subprocess.TimeoutExpired:
                timed_out = True
                self.say(f"TIMEOUT after {self.spec['timeout']}s: killing QEMU")
                qemu.kill()
                qemu.wait()
            reader.join(timeout=5)
            qemu_out = qemu.stdout.read().decode(errors="replace")
            qmplog.close()
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        elapsed = time.monotonic() - self.t0
        if qemu_out.strip():
            with open(base + ".qemu.log", "w") as f:
                f.write(qemu_out)
        return self.finish(base, elapsed, timed_out, qemu.returncode, qemu_out)

    def connect(self, path, qemu):
        deadline = time.monotonic() + 30
        while True:
            if qemu.poll() is not None:
                out = qemu.stdout.read().decode(errors="replace").strip()
                raise SystemExit(f"error: QEMU exited at start: {out.splitlines()[-1] if out else qemu.returncode}")
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(path)
                return s
            except OSError:
                s.close()
                if time.monotonic() > deadline:
                    raise SystemExit("error: QEMU did not open its control socket in 30s")
                time.sleep(0.05)

    def finish(self, base, elapsed, timed_out, qemu_rc, qemu_out):
        with open(self.console_path, errors="replace") as f:
            console = f.read()
        trouble = [line for line in console.splitlines() if KERNEL_TROUBLE.search(line)]
        # Host-side verdicts follow the guest's own results, numbered on.
        results = [t for t in self.tap
                   if re.match(r"(not )?ok \d+", t) or t.startswith("#")
                   or t.startswith("Bail out")]
        n = sum(1 for t in results if re.match(r"(not )?ok \d+", t))

        def host(ok, desc, diag=()):
            nonlocal n
            n += 1
            results.append(f"{'ok' if ok else 'not ok'} {n} - {desc}")
            results.extend(f"# {d}" for d in diag)

        host(not timed_out and self.end_rc is not None,
             "guest ran the scenario to its end and powered off",
             [f"timed out after {self.spec['timeout']}s"] if timed_out else
             ([f"QEMU exit {qemu_rc}, no @END from the guest"] if self.end_rc is None else []))
        plans = [t for t in self.tap if re.match(r"1\.\.\d+$", t)]
        emitted = sum(1 for t in self.tap if re.match(r"(not )?ok \d+", t))
        planned = sum(int(p[3:]) for p in plans)
        host(bool(plans) and planned == emitted,
             "guest reported as many results as it planned",
             [f"planned {planned}, reported {emitted}"] if planned != emitted else [])
        host(not trouble, "console log has no oops, warning, lockup or panic",
             trouble[:10])
        if self.spec["kunit"]:
            kunit = parse_kunit(console, base)
            host(kunit["ok"], "KUnit suites ran at boot and passed",
                 kunit["diag"])
        with open(base + ".tap", "w") as f:
            f.write("TAP version 13\n")
            f.write(f"1..{n}\n")
            f.write("\n".join(results) + "\n")
        with open(base + ".tap") as f, open(base + ".parse.log", "w") as log:
            counts = tap.parse_lines(f.read().splitlines(keepends=True), log)
        passed, skipped = counts["passed"], counts["skipped"]
        failed = counts["failed"] + counts["errors"]
        summary = {"scenario": self.spec["name"], "title": self.spec["title"],
                   "kernel": self.label.split("/")[0], "release": self.release,
                   "seconds": round(elapsed, 1), "timed_out": timed_out,
                   "guest_rc": self.end_rc, "passed": passed, "failed": failed,
                   "skipped": skipped, "failures": counts["failures"], "steps": self.steps,
                   "devices": self.spec["devices"], "cmdline": self.spec["cmdline"]}
        with open(base + ".json", "w") as f:
            json.dump(summary, f, indent=1)
        self.say(f"{passed} passed, {failed} failed, {skipped} skipped in {elapsed:.0f}s")
        return summary


def parse_kunit(console, base):
    """Boot-time KTAP from the console, parsed with the kernel's kunit_parser."""
    with open(base + ".kunit.txt", "w") as log:
        r = tap.parse_lines(console.splitlines(keepends=True), log)
    with open(base + ".kunit.json", "w") as f:
        json.dump(r, f, indent=1)
    diag = [f"KUnit: {r['passed']} passed, {r['failed']} failed, {r['skipped']} skipped, "
            f"{r['errors']} parse errors (status {r['status']})"]
    diag += [f"failed: {n}" for n in r["failures"][:20]]
    return {"ok": r["ok"] and r["passed"] > 0, "diag": diag}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kernel", required=True, help="bzImage")
    ap.add_argument("--initrd", required=True)
    ap.add_argument("--label", required=True, help="kernel flavour: series or base")
    ap.add_argument("--results", required=True, help="results directory")
    ap.add_argument("--cmdline", default="", help="extra kernel parameters")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every TAP line")
    ap.add_argument("--list", action="store_true", help="list scenarios and exit")
    ap.add_argument("scenarios", nargs="*")
    a = ap.parse_args()
    if a.list:
        for name in list_scenarios():
            spec = load_scenario(name)
            print(f"{name:24} {spec['group']:6} {spec['title']}")
        return 0
    for path in (a.kernel, a.initrd):
        if not os.path.exists(path):
            raise SystemExit(f"error: {path} does not exist: build it first")
    if not shutil.which("qemu-system-x86_64"):
        raise SystemExit("error: qemu-system-x86_64 not found: run 'make deps'")
    if a.scenarios:
        specs = [load_scenario(n) for n in a.scenarios]
    else:
        specs = [s for s in map(load_scenario, list_scenarios()) if s["group"] == "test"]
    failed = 0
    for spec in specs:
        g = Guest(spec, a.kernel, a.initrd, os.path.join(a.results, a.label),
                  f"{a.label}/{spec['name']}", a.verbose, a.cmdline)
        s = g.run()
        failed += s["failed"]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
