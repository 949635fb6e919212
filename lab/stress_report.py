#!/usr/bin/env python3
"""Kernel reports in the console logs of a make stress run, per kernel.

    lab/stress_report.py RESULTS_DIR      (RESULTS_DIR/KERNEL/NAME.console.log)

Counts, for each kernel (base, series, with -debug on DEBUG=1 kernels) and
scenario, the reports the kernel printed: oops and BUG, WARN, KASAN,
lockdep (and PROVE_RCU's "suspicious RCU usage"), "Bad page", RCU stalls
and hung tasks.  A boot ends at the first (panic_on_warn, oops=panic), so
a count above zero also means the scenario did not run to its end.  Prints
one table and the scenarios where base and series differ; writes
RESULTS_DIR/reports.json.  Exit status 1 if the series (or custom) kernel
has any report, 2 on bad usage.
"""
import glob
import json
import os
import re
import sys

KINDS = [
    ("oops", re.compile(r"\bOops: |\bBUG: (?!KASAN)|general protection fault|Kernel panic")),
    ("warn", re.compile(r"WARNING: CPU: ")),
    ("kasan", re.compile(r"BUG: KASAN: ")),
    ("lockdep", re.compile(r"possible circular locking|possible recursive locking|"
                           r"inconsistent lock state|suspicious RCU usage|"
                           r"BUG: sleeping function called from invalid context")),
    ("bad_page", re.compile(r"Bad page state|Bad page map|page dumped because: (?!unmovable)")),
    ("stall", re.compile(r"rcu: INFO: .* detected stalls|INFO: task .* blocked for more than|"
                         r"soft lockup")),
]
LAB_LINE = re.compile(r"^\s*(\[\s*\d+\.\d+\]\s*)?\[lab\] ")


def scan(path):
    counts = {k: 0 for k, _ in KINDS}
    first = None
    with open(path, errors="replace") as f:
        for line in f:
            if LAB_LINE.match(line):
                continue
            for k, rx in KINDS:
                if rx.search(line):
                    counts[k] += 1
                    first = first or line.strip()[:160]
    return counts, first


def main():
    if len(sys.argv) != 2:
        print("usage: lab/stress_report.py RESULTS_DIR", file=sys.stderr)
        return 2
    root = sys.argv[1]
    res = {}
    for log in sorted(glob.glob(os.path.join(root, "*", "*.console.log"))):
        kernel = os.path.basename(os.path.dirname(log))
        name = os.path.basename(log)[:-len(".console.log")]
        counts, first = scan(log)
        verdict = None
        js = log[:-len(".console.log")] + ".json"
        if os.path.exists(js):
            with open(js) as f:
                s = json.load(f)
            verdict = f"{s.get('passed', 0)}/{s.get('failed', 0)}/{s.get('skipped', 0)}"
        res.setdefault(kernel, {})[name] = {"reports": counts, "first": first,
                                            "passed/failed/skipped": verdict}
    if not res:
        print(f"stress_report: no console logs under {root}/*/", file=sys.stderr)
        return 1
    kinds = [k for k, _ in KINDS]
    print(f"{'kernel':14} {'scenario':28} {'passed/failed/skipped':>22}  "
          + " ".join(f"{k:>8}" for k in kinds))
    bad = 0
    for kernel in sorted(res):
        for name, r in sorted(res[kernel].items()):
            print(f"{kernel:14} {name:28} {r['passed/failed/skipped'] or '(none)':>22}  "
                  + " ".join(f"{r['reports'][k]:8}" for k in kinds))
            if not kernel.startswith("base") and any(r["reports"].values()):
                bad += 1
    firsts = [(k, n, r["first"]) for k in sorted(res) for n, r in sorted(res[k].items())
              if r["first"]]
    for k, n, line in firsts:
        print(f"first report, {k}/{n}: {line}")
    base = next((k for k in res if k.startswith("base")), None)
    other = next((k for k in res if not k.startswith("base")), None)
    if base and other:
        for name in sorted(set(res[base]) | set(res[other])):
            a, b = res[base].get(name), res[other].get(name)
            if not a or not b:
                print(f"differs: {name}: only on {base if a else other}")
            elif (a["passed/failed/skipped"], a["reports"]) != (b["passed/failed/skipped"], b["reports"]):
                print(f"differs: {name}: {base} {a['passed/failed/skipped']} "
                      f"{sum(a['reports'].values())} reports, {other} "
                      f"{b['passed/failed/skipped']} {sum(b['reports'].values())} reports")
    with open(os.path.join(root, "reports.json"), "w") as f:
        json.dump(res, f, indent=1)
    total = sum(sum(r["reports"].values()) for k in res for r in res[k].values()
                if not k.startswith("base"))
    print(f"kernel reports on the series: {total} (in {bad} scenarios)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
