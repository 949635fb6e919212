#!/usr/bin/env python3
"""Check that a backport series corresponds to its upstream series.

    lab/correspond.py UPSTREAM-SERIES BACKPORT-SERIES MAP-FILE

Each series file lists patches (git format-patch files in patches/ beside
it).  Patches correspond by subject.  Every difference needs a line in
MAP-FILE, with a reason after " | ":

    dropped: <upstream subject> | reason      not in the backport
    added: <backport subject> | reason        only in the backport
    renamed: <upstream subject> => <backport subject> | reason

The patches both series have must come in the same order.  A map entry
without a reason, or one that matches nothing, is an error too.  Prints
one line per problem and exits 1 if there is any; prints a summary and
exits 0 otherwise.
"""
import os
import re
import sys


def subjects(series):
    pdir = os.path.join(os.path.dirname(os.path.abspath(series)), "patches")
    out = []
    for line in open(series):
        name = line.split("#", 1)[0].strip()
        if not name:
            continue
        text = open(os.path.join(pdir, name)).read()
        m = re.search(r"^Subject: (.*(?:\n[ \t].*)*)", text, re.M)
        if not m:
            raise SystemExit(f"error: {name}: no Subject:")
        subj = re.sub(r"\s*\n[ \t]+", " ", m.group(1))
        out.append(re.sub(r"^\[PATCH[^]]*\]\s*", "", subj).strip())
    return out


def main():
    if len(sys.argv) != 4:
        raise SystemExit(__doc__.strip().splitlines()[2].strip())
    up, back = subjects(sys.argv[1]), subjects(sys.argv[2])
    dropped, added, renamed, problems = {}, {}, {}, []
    for n, line in enumerate(open(sys.argv[3]), 1):
        line = line.rstrip("\n")
        if not line.strip() or line.startswith("#"):
            continue
        m = re.match(r"(dropped|added|renamed): (.+?) \| (.*)$", line)
        if not m or not m.group(3).strip():
            problems.append(f"map line {n}: not 'KIND: subject | reason': {line}")
            continue
        kind, what = m.group(1), m.group(2).strip()
        if kind == "renamed":
            if " => " not in what:
                problems.append(f"map line {n}: renamed needs 'upstream => backport'")
                continue
            a, b = (s.strip() for s in what.split(" => ", 1))
            renamed[a] = b
        else:
            (dropped if kind == "dropped" else added)[what] = n
    # Map each upstream patch to its backport subject, or None if dropped.
    mapped = []
    for s in up:
        t = renamed.get(s, s)
        if t in back:
            mapped.append(t)
            if s in dropped:
                problems.append(f"'{s}' is listed as dropped, but the backport has it")
        elif s in dropped:
            mapped.append(None)
        else:
            problems.append(f"upstream patch '{s}' is missing from the backport, and the map does not say why")
    for s in back:
        if s not in mapped and s not in added:
            problems.append(f"backport patch '{s}' has no upstream patch, and the map does not say why")
        if s in added and s in mapped:
            problems.append(f"'{s}' is listed as added, but upstream has it")
    for s in list(dropped) + list(renamed):
        if s not in up:
            problems.append(f"map entry '{s}' names no upstream patch")
    for s in added:
        if s not in back:
            problems.append(f"map entry 'added: {s}' names no backport patch")
    common = [s for s in mapped if s is not None]
    order = [s for s in back if s in common]
    if order != common:
        problems.append("the patches both series have are not in the same order")
    for p in problems:
        print(p)
    if problems:
        return 1
    print(f"{len(common)} patches in both, {len(renamed)} renamed, {len(dropped)} dropped, "
          f"{len(added)} added (each with its reason), same order")
    return 0


if __name__ == "__main__":
    sys.exit(main())
