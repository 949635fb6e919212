#!/usr/bin/env python3
"""One summary for a lab run: one KTAP tree, a table, JSON, the closing line.

    lab/summary.py RESULTS_DIR [--json FILE]   (FILE '-': stdout, as kunit.py's --json)
    lab/summary.py --combine K=RESULTS_DIR...  one line over several bases' runs

RESULTS_DIR/expected lists the run's result groups, written before each
step starts (lint, selftest, build, runner, then one per scenario on one
kernel, e.g. series/nvdimm).  Each group leaves GROUP.ktap, a KTAP document.
They are nested into one tree, RESULTS_DIR/run.ktap (run -> group ->
cases), parsed by the kernel tree's kunit_parser, so every plan is checked;
an expected group without results is 'not ok'.  Also written: results.json
(per case, KernelCI format, by kunit_json) and summary.json.

RESULTS_DIR/base.env (from lab/expand.sh) names the base; a base other than
the pinned one is repeated on the last line.  The last line is
'N passed, N failed, N skipped'; the exit status is 1 if anything failed,
an expected group is missing, or nothing passed.

--combine sums the summary.json of each base's run (K is its KERNEL) into
one last line, 'N passed, N failed, N skipped (K: ...; K: ...)', with every
base's UNPINNED warning kept on it; the exit status is 1 if any base's run
failed or left no summary.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ktap  # noqa: E402


def read_env(path):
    env = {}
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                k, sep, v = line.rstrip("\n").partition("=")
                if sep:
                    env[k] = v
    return env


def base_line(env):
    if not env:
        return None, "base: unknown (no base.env: expand.sh did not run)"
    if env.get("custom"):
        return None, (f"base: your tree at {env['custom']} (Linux {env.get('upstream', '?')}), "
                      "as it is: no pinned base, no series applied by the lab")
    desc = (f"{env.get('package', '?')} {env.get('used', '?')}"
            f" (upstream {env.get('upstream', '?')}, sha256 {env.get('sha256', '?')[:12]}"
            + (f", from {env['suite']}" if env.get("suite") else "") + ")")
    if env.get("kernel"):
        desc = f"KERNEL={env['kernel']}: {desc}"
    if env.get("pinned") == "yes":
        return None, f"base: {desc}, the pinned version"
    return (f"UNPINNED BASE {env.get('package', '?')} {env.get('used', '?')} "
            f"(pin: {env.get('pin', '?')})"), f"base: {desc}, NOT the pin {env.get('pin', '?')}"


def groups_of(root):
    expected = []
    path = os.path.join(root, "expected")
    if os.path.exists(path):
        with open(path) as f:
            for g in f.read().split():
                if g not in expected:
                    expected.append(g)
    found = []
    for dirpath, _, files in sorted(os.walk(root)):
        for name in sorted(files):
            if name.endswith(".ktap") and name != "run.ktap":
                g = os.path.relpath(os.path.join(dirpath, name), root)[:-5]
                if g not in expected:
                    found.append(g)
    return expected, found


def counts_line(total):
    line = f"{total['passed']} passed, {total['failed']} failed, {total['skipped']} skipped"
    if total.get("errors"):
        line += f", {total['errors']} KTAP errors"
    return line


def is_bad(total, groups):
    return (total["failed"] > 0 or total["errors"] > 0 or not groups
            or total["passed"] == 0)


def combine(args):
    """The last line over several bases' runs: K=RESULTS_DIR each."""
    grand = {"passed": 0, "failed": 0, "skipped": 0, "errors": 0}
    parts, warnings, causes = [], [], []
    for arg in args:
        k, sep, root = arg.partition("=")
        if not sep:
            print(f"summary: error: '{arg}' is not K=RESULTS_DIR", file=sys.stderr)
            return 2
        path = os.path.join(root, "summary.json")
        if not os.path.exists(path):
            parts.append(f"{k}: no summary")
            causes.append(f"{k}: its run left no summary ({path})")
            grand["failed"] += 1
            continue
        with open(path) as f:
            s = json.load(f)
        total = s["total"]
        for key in grand:
            grand[key] += total.get(key, 0)
        parts.append(f"{k}: {counts_line(total)}")
        warning, desc = base_line(s.get("base", {}))
        print(f"{k}: {desc}")
        if warning:
            warnings.append(warning)
        if is_bad(total, s.get("groups")):
            causes.append(f"{k}: {counts_line(total)} (see {root})")
    if causes:
        print(f"cause: {causes[0]}")
    line = f"{counts_line(grand)} ({'; '.join(parts)})"
    for w in warnings:
        line += f"; WARNING: {w}"
    print(line)
    return 1 if causes else 0


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--combine"]:
        return combine(argv[1:])
    json_out = None
    if len(argv) == 3 and argv[1] == "--json":
        json_out = argv[2]
        argv = argv[:1]
    if len(argv) != 1:
        print("usage: lab/summary.py RESULTS_DIR [--json FILE]", file=sys.stderr)
        return 2
    root = argv[0]
    if not os.path.isdir(root):
        print(f"summary: error: {root} is not a directory", file=sys.stderr)
        return 2
    expected, found = groups_of(root)
    tree, rows = [], []
    for num, g in enumerate(expected + found, 1):
        path = os.path.join(root, g + ".ktap")
        meta = {}
        if os.path.exists(path[:-5] + ".json"):
            with open(path[:-5] + ".json") as f:
                meta = json.load(f)
        if os.path.exists(path):
            with open(path, errors="replace") as f:
                text = f.read()
            with open(path[:-5] + ".parse.log", "w") as log:
                lines, _ = ktap.nest(text, g, num, log=log)
            missing = None
        else:
            text = ""
            missing = "expected, but it left no results (never ran, or its runner died)"
            lines = [f"# {g}: {missing}", f"not ok {num} {g}"]
        tree += lines
        rows.append({"group": g, "text": text, "missing": missing, "meta": meta,
                     "unexpected": g in found})
    env = read_env(os.path.join(root, "base.env"))
    warning, base_desc = base_line(env)
    doc = ktap.document(tree, plan=len(rows), header=[base_desc])
    with open(os.path.join(root, "run.ktap"), "w") as f:
        f.write(doc)
    with open(os.path.join(root, "run.parse.log"), "w") as log:
        test = ktap.parse_text(doc, log)
    v = ktap.verdict(test)
    results_json = ktap.json_result(test, build_dir=env.get("series", ""))
    with open(os.path.join(root, "results.json"), "w") as f:
        f.write(results_json)
    if json_out == "-":
        print(results_json)
    elif json_out:
        with open(json_out, "w") as f:
            f.write(results_json)

    print()
    print(f"{'group':44} {'pass':>5} {'fail':>5} {'skip':>5} {'time':>7}")
    print("-" * 70)
    out_rows = []
    causes = []
    for r, sub in zip(rows, test.subtests):
        c = sub.counts
        failed = ktap.node_failures(sub)
        m = r["meta"]
        t = f"{m['seconds']:.0f}s" if m.get("seconds") is not None else ""
        mark = " TIMEOUT" if m.get("timed_out") else ""
        mark += " MISSING" if r["missing"] else ""
        mark += f" ({c.errors} KTAP errors)" if c.errors else ""
        print(f"{r['group']:44} {c.passed:5} {failed:5} {c.skipped:5} {t:>7}{mark}")
        fails = ktap.failed_cases(sub)
        if r["missing"]:
            causes.append(f"{r['group']}: {r['missing']}")
        for p in m.get("problems", []):
            causes.append(f"{r['group']}: {p}")
        for name, why in fails:
            print(f"    FAILED: {name}" + (f" ({why})" if why else ""))
            causes.append(f"{r['group']}: {name}" + (f": {why}" if why else ""))
        if (failed or c.errors) and not fails and not r["missing"]:
            causes.append(f"{r['group']}: malformed results ({c.errors} parse errors, "
                          f"see {r['group']}.parse.log)")
        reasons = {}
        for case, why in ktap.skip_reasons(r["text"]).items():
            reasons.setdefault(why, []).append(case)
        for why, names in sorted(reasons.items()):
            more = f" (+{len(names) - 1} more)" if len(names) > 1 else ""
            print(f"    SKIPPED: {names[0]}{more}: {why}")
        out_rows.append({"group": r["group"], "passed": c.passed, "failed": failed,
                         "skipped": c.skipped, "missing": bool(r["missing"]),
                         "failures": [f for f, _ in fails], "skips": reasons,
                         "seconds": m.get("seconds"), "release": m.get("release"),
                         "timed_out": m.get("timed_out")})
    print("-" * 70)
    releases = sorted({r["release"] for r in out_rows if r["release"]})
    print(f"kernel(s) booted: {', '.join(releases) if releases else 'none'}")
    print(base_desc)
    if env.get("series"):
        kinds = {r["release"].rsplit("-lab-", 1)[-1].split("-")[0] for r in out_rows
                 if r["release"] and "-lab-" in r["release"]}
        print(f"series: {env['series']}" + ("" if "series" in kinds else
                                              " (not in the kernels booted here)"))
    total = {"passed": v["passed"], "failed": v["failed"], "skipped": v["skipped"],
             "errors": v["errors"]}
    with open(os.path.join(root, "summary.json"), "w") as f:
        json.dump({"kernels": releases, "base": env, "total": total, "groups": out_rows},
                  f, indent=1)
    bad = is_bad(total, rows)
    if bad:
        print(f"cause: {causes[0] if causes else 'nothing passed'}")
    line = counts_line(total)
    if warning:
        line += f"; WARNING: {warning}"
    print(line)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
