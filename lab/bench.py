#!/usr/bin/env python3
"""Base-vs-series table from the bench scenario's results.

    lab/bench.py RESULTS_DIR      (RESULTS_DIR/{base,series|custom}/bench.ktap)

The bench boots under -icount shift=0, where the guest clock counts
instructions: the figures are instructions per call (the module's loop
included), median of five runs with their min-max spread (under icount the
runs should agree; a spread shows they did not).  Prints, per PFN class,
both kernels, the series/base ratio, and each class relative to plain RAM
on the same kernel; writes bench.json.
"""
import json
import os
import re
import sys


def load(path):
    """{class: (median, min, max)} per call, {op: (median, min, max)} in us."""
    res, ops = {}, {}
    with open(path) as f:
        for line in f:
            m = re.match(r"# bench-(result|op) (\S+) (\d+) (\d+) (\d+)$", line.strip())
            if m:
                vals = tuple(int(m.group(i)) / 1000.0 for i in (4, 3, 5))
                (res if m.group(1) == "result" else ops)[m.group(2)] = vals
    return res, ops


def main():
    if len(sys.argv) != 2:
        raise SystemExit("usage: lab/bench.py RESULTS_DIR")
    root = sys.argv[1]
    data, ops = {}, {}
    other = "custom" if os.path.isdir(os.path.join(root, "custom")) else "series"
    for k in ("base", other):
        p = os.path.join(root, k, "bench.ktap")
        if not os.path.exists(p):
            raise SystemExit(f"error: {p} missing: run the bench scenario on both kernels")
        name = "series" if k == other else k
        data[name], ops[name] = load(p)
    classes = [c for c in ("ram", "shared_ram", "device", "offline") if c in data["base"]]
    if not classes or any(c not in data["series"] for c in classes):
        raise SystemExit("error: bench results incomplete")
    rows = []
    print("instructions per call, median (min-max) of 5 runs")
    print(f"{'pfn class':12} {'base':>20} {'series':>20} {'series/base':>12}"
          f" {'base/RAM':>9} {'series/RAM':>11}")
    for c in classes:
        (b, blo, bhi), (s, slo, shi) = data["base"][c], data["series"][c]
        rb, rs = b / data["base"]["ram"][0], s / data["series"]["ram"][0]
        rows.append({"class": c, "unit": "instructions/call",
                     "base": {"median": b, "min": blo, "max": bhi},
                     "series": {"median": s, "min": slo, "max": shi},
                     "ratio": s / b, "base_vs_ram": rb, "series_vs_ram": rs})
        bt, st = f"{b:.1f} ({blo:.1f}-{bhi:.1f})", f"{s:.1f} ({slo:.1f}-{shi:.1f})"
        print(f"{c:12} {bt:>20} {st:>20} {s / b:12.2f} {rb:9.2f} {rs:11.2f}")
    names = [o for o in ("online_offline", "memunmap_memremap") if o in ops["base"]]
    if names:
        print()
        print("grace-period paths, guest us per operation (icount: 1 ns per instruction,"
              " plus virtual sleep), median (min-max) of 9 runs")
        print(f"{'operation':18} {'base':>22} {'series':>22} {'series/base':>12}")
    for o in names:
        if o not in ops["series"]:
            raise SystemExit(f"error: bench operation {o} missing on the series kernel")
        (b, blo, bhi), (s, slo, shi) = ops["base"][o], ops["series"][o]
        rows.append({"operation": o, "unit": "guest us/operation",
                     "base": {"median": b, "min": blo, "max": bhi},
                     "series": {"median": s, "min": slo, "max": shi}, "ratio": s / b})
        bt, st = f"{b:.0f} ({blo:.0f}-{bhi:.0f})", f"{s:.0f} ({slo:.0f}-{shi:.0f})"
        print(f"{o:18} {bt:>22} {st:>22} {s / b:12.2f}")
    with open(os.path.join(root, "bench.json"), "w") as f:
        json.dump(rows, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
