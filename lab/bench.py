#!/usr/bin/env python3
"""Base-vs-series tables and charts from the bench scenarios' samples.

    lab/bench.py RESULTS_DIR

RESULTS_DIR/round*/KERNEL/*.ktap (KERNEL: base, and series or custom) hold
'# bench-sample METRIC UNIT VALUE' lines, one per measurement (see
lab/guest/benchlib.sh).  All samples of a metric on a kernel, over every
round, are one distribution: its median, quartiles and min-max.  A ratio is
series median / base median; its range, the series' min / the base's max to
the series' max / the base's min, is what the spread allows.

The bench boots under -icount shift=0: the guest clock counts one
nanosecond per instruction executed, and the time the guest sleeps or waits
for the host at the host's pace.  So per-call costs are instructions (the
module's loop included), and path times are guest-clock milliseconds, not
host time.

Prints the tables, writes RESULTS_DIR/bench.json and, with gnuplot,
RESULTS_DIR/{lookups,paths,curves}.png.  Exit status 1 when a metric is
missing on one kernel (a benchmark that did not run), 2 on bad usage.
"""
import glob
import json
import os
import re
import shutil
import statistics
import subprocess
import sys

SAMPLE_RE = re.compile(r"^\s*# bench-sample (\S+) (\S+) (-?\d+)$")
SIZES = ["128M", "1G", "4G", "8G"]
PATHS = ["hotadd_online", "offline_online", "offline_unplug", "mom:hotadd_online",
         "mom:offline_online", "mom:offline_unplug", "memunmap_memremap_mem",
         "memunmap_memremap_dev", "kmem_roundtrip"]
LOOKUPS = [("online:ram", "pfn_to_online_page(), plain RAM"),
           ("online:shared_ram", "pfn_to_online_page(), RAM of a section shared with ZONE_DEVICE"),
           ("online:device", "pfn_to_online_page(), device pfns"),
           ("online:offline", "pfn_to_online_page(), offline pfns"),
           ("device:device", "pfn_to_device_page(), device pfns"),
           ("device:ram", "pfn_to_device_page(), plain RAM")]


def load(root):
    """{kernel: {metric: [values]}}, {metric: unit}, the kernels' names."""
    data, units = {}, {}
    rounds = sorted(glob.glob(os.path.join(root, "round*")))
    if not rounds:
        raise SystemExit(f"error: no round*/ under {root}: run lab/bench.sh")
    for rd in rounds:
        for kdir in sorted(glob.glob(os.path.join(rd, "*"))):
            if not os.path.isdir(kdir):
                continue
            k = os.path.basename(kdir)
            for path in sorted(glob.glob(os.path.join(kdir, "*.ktap"))):
                with open(path) as f:
                    for line in f:
                        m = SAMPLE_RE.match(line.rstrip("\n"))
                        if m:
                            metric, unit, val = m.groups()
                            data.setdefault(k, {}).setdefault(metric, []).append(int(val))
                            units[metric] = unit
    other = "custom" if "custom" in data else "series"
    if "base" not in data or other not in data:
        raise SystemExit(f"error: samples of both kernels needed under {root}/round*/ "
                         f"(found: {', '.join(sorted(data)) or 'none'})")
    return data, units, other, len(rounds)


def stats(vals, scale):
    v = sorted(x / scale for x in vals)
    q = statistics.quantiles(v, n=4, method="inclusive") if len(v) > 1 else [v[0]] * 3
    return {"n": len(v), "median": statistics.median(v), "q1": q[0], "q3": q[2],
            "min": v[0], "max": v[-1]}


SCALE = {"guest-ps/call": (1000.0, "instructions/call"),
         "guest-us": (1000.0, "guest ms"), "count": (1.0, "")}


class Bench:
    def __init__(self, root):
        self.root = root
        self.data, self.units, self.other, self.rounds = load(root)
        self.rows, self.missing = [], []

    def get(self, k, metric):
        vals = self.data[k].get(metric)
        if not vals:
            return None
        return stats(vals, SCALE[self.units[metric]][0])

    def compare(self, metric, table, target=None, note=None):
        """A row: both kernels' stats and the ratio; None if either lacks it."""
        b, s = self.get("base", metric), self.get(self.other, metric)
        if not b and not s:
            return None  # not asked for (lab/bench.sh SCENARIO...)
        if not b or not s:
            self.missing.append(f"{metric} ({'base' if not b else 'series'})")
            return None
        row = {"table": table, "metric": metric, "unit": SCALE[self.units[metric]][1],
               "base": b, "series": s, "ratio": s["median"] / b["median"],
               "ratio_range": [s["min"] / b["max"], s["max"] / b["min"]]}
        if target is not None:
            row["target"], row["met"] = target, row["ratio"] <= target
        if note:
            row["note"] = note
        self.rows.append(row)
        return row


def fmt(st, prec):
    return f"{st['median']:.{prec}f} ({st['min']:.{prec}f}-{st['max']:.{prec}f})"


def print_table(title, header, lines):
    print()
    print(title)
    widths = [max(len(str(x)) for x in col) for col in zip(header, *lines)]
    for row in [header] + lines:
        print("  ".join(str(x).rjust(w) if i else str(x).ljust(w)
                        for i, (x, w) in enumerate(zip(row, widths))))


def verdict(row):
    if "target" not in row:
        return ""
    return f"<= {row['target']:.2f}: {'met' if row['met'] else 'NOT met'}"


def lookups(b):
    ram = {k: b.get(k, "online:ram") for k in ("base", b.other)}
    lines = []
    for metric, desc in LOOKUPS:
        bs, ss = b.get("base", metric), b.get(b.other, metric)
        if not ss:
            b.missing.append(f"{metric} (series)")
            continue
        srel = ss["median"] / ram[b.other]["median"]
        row = {"table": "lookups", "metric": metric, "desc": desc, "unit": "instructions/call",
               "series": ss, "series_vs_ram": srel}
        checks = []
        if bs:
            row.update(base=bs, ratio=ss["median"] / bs["median"],
                       ratio_range=[ss["min"] / bs["max"], ss["max"] / bs["min"]],
                       base_vs_ram=bs["median"] / ram["base"]["median"])
        if metric == "online:ram":
            checks.append(("series/base", row["ratio"], 1.02))
        elif metric in ("online:shared_ram", "online:device", "device:device"):
            checks.append(("series/RAM", srel, 1.10))
        elif metric == "online:offline":
            checks.append(("series/base", row["ratio"], 1.00))
        row["targets"] = [{"what": w, "value": v, "target": t, "met": v <= t} for w, v, t in checks]
        b.rows.append(row)
        lines.append([metric, fmt(bs, 1) if bs else "(none: the series' API)", fmt(ss, 1),
                      f"{row['ratio']:.3f}" if bs else "-",
                      f"{row['base_vs_ram']:.2f}" if bs else "-", f"{srel:.2f}",
                      "; ".join(f"{w} <= {t:.2f}: {'met' if v <= t else 'NOT met'}"
                                for w, v, t in checks)])
    print_table("pfn lookups: instructions per call (the module's loop included), "
                "median (min-max)",
                ["lookup:class", "base", "series", "series/base", "base/RAM", "series/RAM",
                 "target"], lines)


def paths(b):
    lines = []
    for p in PATHS:
        for size in SIZES:
            row = b.compare(f"{p}@{size}", "paths", target=1.02 if size == "128M" else None)
            if row:
                lines.append([p, size, fmt(row["base"], 2), fmt(row["series"], 2),
                              f"{row['ratio']:.3f}",
                              f"{row['ratio_range'][0]:.3f}-{row['ratio_range'][1]:.3f}",
                              verdict(row)])
    print_table("hotplug paths: guest-clock ms per operation (icount: 1 ms = 10^6 "
                "instructions; sleeps and waits for the host count at host pace), "
                "median (min-max)",
                ["path", "size", "base", "series", "series/base", "ratio range", "target"],
                lines)


def others(b):
    lines = []
    row = b.compare("kpage_scan", "scan", target=1.05,
                    note="/proc/kpageflags + /proc/kpagecount read whole, a namespace present")
    if row:
        lines.append(["kpageflags+kpagecount scan", fmt(row["base"], 2), fmt(row["series"], 2),
                      f"{row['ratio']:.3f}", verdict(row)])
    for g in ("2G", "8G"):
        row = b.compare(f"boot_init@{g}", "boot", note=f"kernel start to /init, {g} RAM")
        if row:
            lines.append([f"boot to /init, {g} RAM", fmt(row["base"], 2), fmt(row["series"], 2),
                          f"{row['ratio']:.3f}", ""])
    print_table("scan and boot: guest-clock ms, median (min-max)",
                ["what", "base", "series", "series/base", "target"], lines)


def memory(b):
    v = {}
    for k in ("base", b.other):
        for f in ("usage", "usemap", "alloc", "present", "section"):
            vals = b.data[k].get(f"memmap_{f}")
            if not vals:
                b.missing.append(f"memmap_{f} ({k})")
                return
            v[(k, f)] = vals[0]
    boot = v[(b.other, "usage")] - v[("base", "usage")]
    hot = v[(b.other, "alloc")] - v[("base", "alloc")]
    present, section = v[(b.other, "present")], v[(b.other, "section")]
    lines = [["struct mem_section_usage", v[("base", "usage")], v[(b.other, "usage")], boot],
             ["slab object of a hot-added section's usage + pageblock bitmap",
              v[("base", "alloc")], v[(b.other, "alloc")], hot]]
    print_table("memory: bytes per present section (boot sections' usages are one "
                "memblock array: the struct's growth; a hot-added one is a kmalloc object)",
                ["what", "base", "series", "added"], lines)
    ext = []
    for name, nsec in [(f"the lab machine ({present} present sections of "
                        f"{section >> 20} MiB)", present),
                       ("1 TiB", (1 << 40) // section), ("64 TiB", (64 << 40) // section)]:
        ext.append([name, nsec, nsec * boot, nsec * hot])
    print_table("memory the series adds in total, bytes", ["memory", "sections",
                "boot sections", "hot-added sections"], ext)
    b.rows.append({"table": "memory", "unit": "bytes", "per_section_boot": boot,
                   "per_section_hotplug": hot, "section_bytes": section,
                   "lab_present_sections": present,
                   "base": {f: v[("base", f)] for f in ("usage", "usemap", "alloc")},
                   "series": {f: v[(b.other, f)] for f in ("usage", "usemap", "alloc")},
                   "totals": {r[0]: {"sections": r[1], "boot": r[2], "hotplug": r[3]}
                              for r in ext}})


def charts(b):
    """PNG charts with gnuplot; returns the files written (none without gnuplot)."""
    if not shutil.which("gnuplot"):
        print("\ncharts: gnuplot not found (Debian: gnuplot-nox), no PNG written")
        return []
    d = os.path.join(b.root, "plot")
    os.makedirs(d, exist_ok=True)
    out = []
    look = [r for r in b.rows if r["table"] == "lookups" and "base" in r]
    with open(os.path.join(d, "lookups.dat"), "w") as f:
        for r in look:
            f.write(f"{r['metric']} {r['base']['median']} {r['base']['min']} {r['base']['max']} "
                    f"{r['series']['median']} {r['series']['min']} {r['series']['max']}\n")
    curves = {}
    for r in b.rows:
        if r["table"] == "paths":
            p, size = r["metric"].split("@")
            curves.setdefault(p, []).append((size, r))
    for p, pts in curves.items():
        with open(os.path.join(d, f"curve-{p.replace(':', '-')}.dat"), "w") as f:
            for size, r in pts:
                gib = int(size[:-1]) / (1024 if size.endswith("M") else 1)
                f.write(f"{gib} {r['base']['median']} {r['base']['min']} {r['base']['max']} "
                        f"{r['series']['median']} {r['series']['min']} {r['series']['max']}\n")
    gp = ['set terminal pngcairo size 1000,600 font ",10"', f'cd "{d}"']
    if look:
        gp += ['set output "../lookups.png"',
               'set title "pfn lookups: instructions per call, median, min-max bars"',
               'set style data histogram', 'set style histogram errorbars gap 2 lw 1',
               'set style fill solid 0.6 border -1', 'set xtics rotate by -20',
               'set ylabel "instructions/call"', 'set yrange [0:*]',
               'plot "lookups.dat" using 2:3:4:xtic(1) title "base", '
               '"" using 5:6:7 title "series"', 'unset style', 'set xtics norotate']
        out.append("lookups.png")
    if curves:
        n = len(curves)
        cols = 3
        rows = (n + cols - 1) // cols
        gp += [f'set terminal pngcairo size 1500,{420 * rows} font ",9"',
               'set output "../curves.png"', 'set style data linespoints',
               f'set multiplot layout {rows},{cols} title "hotplug paths: guest-clock ms '
               f'against size (log-log), median and min-max"',
               'set logscale xy', 'set xlabel "GiB"', 'set ylabel "guest ms"',
               'set yrange [*:*]', 'set key top left']
        for p in curves:
            fn = f"curve-{p.replace(':', '-')}.dat"
            gp += [f'set title "{p.replace("_", " ")}"',
                   f'plot "{fn}" using 1:2:3:4 with yerrorlines title "base", '
                   f'"{fn}" using 1:5:6:7 with yerrorlines title "series"']
        gp += ["unset multiplot"]
        out.append("curves.png")
    ratios = [r for r in b.rows if "ratio" in r and r["table"] != "memory"]
    if ratios:
        with open(os.path.join(d, "ratios.dat"), "w") as f:
            for r in ratios:
                f.write(f"{r['metric']} {r['ratio']} {r['ratio_range'][0]} "
                        f"{r['ratio_range'][1]}\n")
        gp += ['set terminal pngcairo size 1400,600 font ",9"', 'set output "../ratios.png"',
               'unset logscale', 'unset xlabel', 'set title "series/base, median ratio and '
               'the range the spread allows; lines at 1.00 and 1.02"',
               'set ylabel "series/base"', 'set yrange [*:*]', 'set xtics rotate by -60',
               'set key off', 'set arrow from graph 0, first 1 to graph 1, first 1 nohead',
               'set arrow from graph 0, first 1.02 to graph 1, first 1.02 nohead dt 2',
               'plot "ratios.dat" using 0:2:3:4:xtic(1) with yerrorbars pt 7']
        out.append("ratios.png")
    with open(os.path.join(d, "charts.gp"), "w") as f:
        f.write("\n".join(gp) + "\n")
    r = subprocess.run(["gnuplot", os.path.join(d, "charts.gp")], capture_output=True, text=True)
    if r.returncode:
        print(f"\ncharts: gnuplot failed: {r.stderr.strip()[-500:]}")
        return []
    return out


def main():
    if len(sys.argv) != 2:
        print("usage: lab/bench.py RESULTS_DIR", file=sys.stderr)
        return 2
    b = Bench(sys.argv[1])
    n = {k: sum(len(v) for v in b.data[k].values()) for k in ("base", b.other)}
    print(f"{b.rounds} rounds, base and {b.other} alternating; samples: "
          f"{n['base']} base, {n[b.other]} {b.other}")
    lookups(b)
    paths(b)
    others(b)
    memory(b)
    pngs = charts(b)
    with open(os.path.join(b.root, "bench.json"), "w") as f:
        json.dump({"rounds": b.rounds, "second": b.other, "rows": b.rows,
                   "missing": b.missing, "charts": pngs}, f, indent=1)
    print()
    if pngs:
        print(f"charts: {', '.join(os.path.join(b.root, p) for p in pngs)}")
    print(f"json: {os.path.join(b.root, 'bench.json')}")
    if b.missing:
        print(f"error: no samples of {', '.join(b.missing)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
