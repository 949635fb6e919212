#!/usr/bin/env python3
"""Base-vs-series table from the bench scenario's results.

    lab/bench.py RESULTS_DIR      (RESULTS_DIR/{base,series}/bench.tap)

Prints ns/call per PFN class for both kernels, the series/base ratio, and
each class relative to plain RAM on the same kernel; writes bench.json.
"""
import json
import os
import re
import sys


def load(path):
    res = {}
    with open(path) as f:
        for line in f:
            m = re.match(r"# bench-result (\S+) (\d+)$", line.strip())
            if m:
                res[m.group(1)] = int(m.group(2)) / 1000.0
    return res


def main():
    if len(sys.argv) != 2:
        raise SystemExit("usage: lab/bench.py RESULTS_DIR")
    root = sys.argv[1]
    data = {}
    for k in ("base", "series"):
        p = os.path.join(root, k, "bench.tap")
        if not os.path.exists(p):
            raise SystemExit(f"error: {p} missing: run the bench scenario on both kernels")
        data[k] = load(p)
    classes = [c for c in ("ram", "shared_ram", "device", "offline") if c in data["base"]]
    if not classes or any(c not in data["series"] for c in classes):
        raise SystemExit("error: bench results incomplete")
    rows = []
    print(f"{'pfn class':12} {'base ns':>9} {'series ns':>10} {'series/base':>12}"
          f" {'base/RAM':>9} {'series/RAM':>11}")
    for c in classes:
        b, s = data["base"][c], data["series"][c]
        rb, rs = b / data["base"]["ram"], s / data["series"]["ram"]
        rows.append({"class": c, "base_ns": b, "series_ns": s, "ratio": s / b,
                     "base_vs_ram": rb, "series_vs_ram": rs})
        print(f"{c:12} {b:9.1f} {s:10.1f} {s / b:12.2f} {rb:9.2f} {rs:11.2f}")
    with open(os.path.join(root, "bench.json"), "w") as f:
        json.dump(rows, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
