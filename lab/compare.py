#!/usr/bin/env python3
"""Base and series side by side, case by case: the other half of BASELINE=1.

    lab/compare.py BASE_RESULTS SERIES_RESULTS [--json FILE]

Each argument is a results directory of lab/test.sh (or lab/scenarios.sh)
with its run.ktap.  Cases are matched by their path in the tree with the
kernel flavour taken out (base/nvdimm.guest.x and series/nvdimm.guest.x are
one case; a name that repeats in a group is numbered, #2 on).  Printed: every case whose verdict differs, and the cases only
one side has; then how many agree.  Comparing is not judging: the exit
status is 0 whatever differs, 2 if a directory has no run.ktap.
"""

import argparse
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ktap  # noqa: E402

SHORT = {"SUCCESS": "pass", "FAILURE": "FAIL", "SKIPPED": "skip", "TEST_CRASHED": "CRASH",
         "NO_TESTS": "none", "FAILURE_TO_PARSE_TESTS": "unparsed"}


def load(root):
    path = os.path.join(root, "run.ktap")
    if not os.path.exists(path):
        raise SystemExit(f"compare: error: {path} missing: run make test (BASELINE=1 for the base) first")
    with open(path, errors="replace") as f, open(os.devnull, "w") as log:
        test = ktap.parse_text(f.read(), log)
    out = {}
    for p, st in ktap.cases(test):
        key = re.sub(r"^(base|series|custom)/", "", p)
        # Two cases of one name in one group stay two cases: the second is
        # NAME #2, and so on, in the order they ran.
        n, k = 1, key
        while k in out:
            n += 1
            k = f"{key} #{n}"
        out[k] = SHORT.get(st, st)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("base")
    ap.add_argument("series")
    ap.add_argument("--json", help="write the differences here")
    a = ap.parse_args(argv)
    b, s = load(a.base), load(a.series)
    keys = list(b) + [k for k in s if k not in b]
    diff = [(k, b.get(k, "-"), s.get(k, "-")) for k in keys if b.get(k) != s.get(k)]
    width = min(90, max([len(k) for k, _, _ in diff] + [20]))
    print(f"{'case':{width}} {'base':>8} {'series':>8}")
    print("-" * (width + 18))
    for k, x, y in diff:
        print(f"{k[:width]:{width}} {x:>8} {y:>8}")
    print("-" * (width + 18))
    same = len(keys) - len(diff)
    print(f"{len(diff)} cases differ, {same} agree "
          f"({sum(1 for _, x, _ in diff if x == '-')} only in series, "
          f"{sum(1 for _, _, y in diff if y == '-')} only in base)")
    if a.json:
        with open(a.json, "w") as f:
            json.dump([{"case": k, "base": x, "series": y} for k, x, y in diff], f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
