#!/usr/bin/env python3
"""One summary for a lab run: a table, summary.json, and the closing line.

    lab/summary.py RESULTS_DIR

Every *.tap under RESULTS_DIR is one result group (lint, tooling
self-tests, one scenario on one kernel); scenario groups also have a .json
written by lab/run.py with timing and what was booted.  The last line is
'N passed, N failed' (', N skipped' when any were skipped); the exit status
is 1 if anything failed or nothing ran at all.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tap  # noqa: E402


def main():
    if len(sys.argv) != 2:
        raise SystemExit("usage: lab/summary.py RESULTS_DIR")
    root = sys.argv[1]
    if not os.path.isdir(root):
        raise SystemExit(f"error: {root} is not a directory")
    rows = []
    for dirpath, _, files in sorted(os.walk(root)):
        for name in sorted(files):
            if not name.endswith(".tap"):
                continue
            path = os.path.join(dirpath, name)
            group = os.path.relpath(path, root)[:-4]
            with open(path[:-4] + ".parse.log", "w") as log:
                r = tap.parse_file(path, log)
            meta = {}
            if os.path.exists(path[:-4] + ".json"):
                with open(path[:-4] + ".json") as f:
                    meta = json.load(f)
            rows.append({"group": group, "passed": r["passed"],
                         "failed": r["failed"] + r["errors"], "skipped": r["skipped"],
                         "failures": r["failures"], "seconds": meta.get("seconds"),
                         "release": meta.get("release"), "timed_out": meta.get("timed_out")})
    total = {k: sum(r[k] for r in rows) for k in ("passed", "failed", "skipped")}
    releases = sorted({r["release"] for r in rows if r["release"]})

    print()
    print(f"{'group':44} {'pass':>5} {'fail':>5} {'skip':>5} {'time':>7}")
    print("-" * 70)
    for r in rows:
        t = f"{r['seconds']:.0f}s" if r["seconds"] is not None else ""
        mark = " TIMEOUT" if r["timed_out"] else ""
        print(f"{r['group']:44} {r['passed']:5} {r['failed']:5} {r['skipped']:5} {t:>7}{mark}")
        for f in r["failures"]:
            print(f"    FAILED: {f}")
    print("-" * 70)
    print(f"kernel(s) booted: {', '.join(releases) if releases else 'none'}")
    mismatch = os.path.join(os.environ.get("OUT", ""), "base-mismatch")
    if os.environ.get("OUT") and os.path.exists(mismatch):
        with open(mismatch) as f:
            print(f"WARNING: base is {f.read().strip()}, not the pinned version (see BASE)")
    with open(os.path.join(root, "summary.json"), "w") as f:
        json.dump({"kernels": releases, "total": total, "groups": rows}, f, indent=1)
    line = f"{total['passed']} passed, {total['failed']} failed"
    if total["skipped"]:
        line += f", {total['skipped']} skipped"
    print(line)
    return 1 if total["failed"] or not rows or total["passed"] == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
