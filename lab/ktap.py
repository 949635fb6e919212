"""KTAP results, parsed with the kernel tree's own kunit_parser.

The lab writes no parser of its own: kselftest TAP, the guest scenarios'
results, KUnit's debugfs KTAP and the run's whole result tree all go through
tools/testing/kunit.  This module finds that tool, adapts to its API across
kernel versions, and has the few helpers the lab needs around it: nesting a
KTAP document as a named subtest, walking a parsed tree case by case, and
the KernelCI JSON of kunit_json.
"""

import copy
import inspect
import io
import os
import re
import sys

LAB = os.path.dirname(os.path.abspath(__file__))


def _kunit_dir():
    # OUT is the base's own (out/<K>, as lib.sh sets it); run by hand, the
    # KERNEL asked for, else kernels/default, under out/.
    out = os.environ.get("OUT")
    if not out:
        kernel = os.environ.get("KERNEL")
        if not kernel:
            try:
                with open(os.path.join(os.path.dirname(LAB), "kernels", "default")) as f:
                    kernel = f.read().split()[0]
            except (OSError, IndexError):
                kernel = ""
        out = os.path.join(os.path.dirname(LAB), "out", kernel)
    # An OUT of the user's is the root of every base's: OUT/<KERNEL> then.
    outs = [out, os.path.join(out, os.environ.get("KERNEL") or "-")]
    for d in [os.environ.get("LAB_KUNIT_DIR"),
              os.path.join(os.environ.get("KSRC", "") or "/nonexistent",
                           "tools", "testing", "kunit")] + [
              os.path.join(o, "src", t, "tools", "testing", "kunit")
              for o in outs for t in ("series", "base")]:
        if d and os.path.exists(os.path.join(d, "kunit_parser.py")):
            return d
    raise SystemExit("error: tools/testing/kunit not found: run lab/expand.sh first "
                     "(or set LAB_KUNIT_DIR)")


_mods = None


def _modules():
    global _mods
    if _mods is None:
        sys.path.insert(0, _kunit_dir())
        import kunit_json
        import kunit_parser
        import kunit_printer
        _mods = (kunit_parser, kunit_printer, kunit_json)
    return _mods


def status_enum():
    return _modules()[0].TestStatus


def parse(lines, log=None):
    """Parse KTAP/TAP lines into a kunit_parser Test; its chatter goes to LOG.

    kunit_parser.parse_run_tests() took only the lines up to 6.12; later
    kernels pass a kunit_printer.Printer, whose first parameter became
    'print' (a flag) with 'output' after it.  Both are handled through the
    public names, so a newer base tree keeps working.
    """
    kunit_parser, kunit_printer, _ = _modules()
    printer = kunit_printer.Printer(output=log or io.StringIO())
    if len(inspect.signature(kunit_parser.parse_run_tests).parameters) >= 2:
        return kunit_parser.parse_run_tests(lines, printer)
    kunit_parser.stdout = printer
    return kunit_parser.parse_run_tests(lines)


def leaf_failures(node):
    """Failed or crashed leaves (cases, missing subtests, a document that did
    not parse) under NODE, NODE itself if it is one.  Counted from the tree, not from kunit_parser's
    counts: since 6.13 or so those also hold a parent's own failure (below),
    up to 6.12 they do not; the tree is the same in both."""
    if not node.subtests:
        # As kunit_parser's TestCounts.add_status() counts a leaf.
        return int(node.status.name not in ("SUCCESS", "SKIPPED", "NO_TESTS"))
    return sum(leaf_failures(sub) for sub in node.subtests)


def failed_parents(test):
    """Subtests whose own result line says 'not ok' although no case under
    them failed: a producer that exited with an error after printing only
    passes, which would otherwise count as a pass."""
    return sum(own_failure(sub) + failed_parents(sub) for sub in test.subtests)


def own_failure(node):
    """1 if NODE is a parent reported 'not ok' with nothing failed under it
    (counted once, at the innermost such parent, not at every wrapper)."""
    return int(bool(node.subtests) and node.status.name == "FAILURE"
               and leaf_failures(node) == 0 and failed_parents(node) == 0)


def node_failures(node):
    """Every failure in NODE's subtree, NODE's own result line included."""
    return leaf_failures(node) + failed_parents(node) + own_failure(node)


def verdict(test):
    """Counts of a parsed tree; ok only if nothing failed, crashed or erred."""
    st = status_enum()
    c = test.counts
    failed = leaf_failures(test) + failed_parents(test)
    ok = (test.status in (st.SUCCESS, st.SKIPPED) and failed == 0
          and c.errors == 0 and c.passed + c.skipped > 0)
    return {"status": test.status.name, "ok": ok, "passed": c.passed,
            "failed": failed, "skipped": c.skipped, "errors": c.errors}


def parse_text(text, log=None):
    return parse(text.splitlines(keepends=True), log)


def cases(test, prefix=""):
    """(path, status name) for every leaf of a parsed tree, depth first."""
    out = []
    for n, sub in enumerate(test.subtests, 1):
        path = f"{prefix}{sub.name or f'(missing subtest {n})'}"
        if sub.subtests:
            out += cases(sub, path + ".")
        else:
            out.append((path, sub.status.name))
    return out


def failed_cases(test, prefix=""):
    """(path, why) of every failed or missing leaf; WHY is its last diagnostic."""
    out = []
    missing = [n for n, sub in enumerate(test.subtests, 1)
               if not sub.name and sub.status.name == "TEST_CRASHED"]
    if missing:
        span = f"{missing[0]}" + (f"-{missing[-1]}" if len(missing) > 1 else "")
        out.append((f"{prefix}(subtests {span} of {len(test.subtests)} missing)",
                    "the producer stopped before its plan was met"))
    for n, sub in enumerate(test.subtests, 1):
        if n in missing:
            continue
        path = f"{prefix}{sub.name}"
        if sub.subtests:
            if own_failure(sub):
                out.append((path, "its producer reported failure (exit status), "
                                  "though no case under it failed"))
            out += failed_cases(sub, path + ".")
        elif sub.status.name in ("FAILURE", "TEST_CRASHED"):
            diag = [x.strip().lstrip("#").strip() for x in sub.log if x.strip()]
            out.append((path, diag[-1] if diag else ""))
    return out


def json_result(test, arch="x86_64", config="", build_dir=""):
    """Per-case JSON in the KernelCI format, by kunit.py's own kunit_json."""
    _, _, kunit_json = _modules()
    kunit_parser = _modules()[0]

    # kunit_json reports leaves only: a producer that failed with every
    # case passed gets a failing leaf of its own, so the JSON says FAIL too
    # (in a copy: the caller's tree stays as parsed).
    test = copy.deepcopy(test)

    def mark(node):
        for sub in list(node.subtests):
            if own_failure(sub):
                leaf = kunit_parser.Test()
                leaf.name = "(its own result line: not ok)"
                leaf.status = kunit_parser.TestStatus.FAILURE
                sub.subtests.append(leaf)
            else:
                mark(sub)
    mark(test)
    return kunit_json.get_json_result(
        test, kunit_json.Metadata(arch=arch, def_config=config, build_dir=build_dir))


SKIP_RE = re.compile(r"^\s*ok \d+ (?:- )?(.*?) # SKIP\s*(.*)$")


def skip_reasons(text):
    """{case name: reason} for every SKIP result line in KTAP text."""
    return {m.group(1): m.group(2).strip() or "(no reason given)"
            for m in map(SKIP_RE.match, text.splitlines()) if m}


# kunit_parser stops reading at these (the end of a boot's KTAP) wherever
# they appear in a line: quoted console lines must not end a result tree.
KTAP_END_RE = re.compile(r"(List of all partitions:|Kernel panic - not syncing: VFS:|"
                         r"reboot: System halted)")


def safe(line):
    """LINE with anything kunit_parser would take for the end of KTAP defused."""
    return KTAP_END_RE.sub(lambda m: m.group(1).replace(":", " :").replace(
        "System halted", "System-halted"), line)


HEADER_RE = re.compile(r"^\s*K?TAP version \d+\s*$")
RESULT_RE = re.compile(r"^(not )?ok \d+")
PLAN_RE = re.compile(r"^1\.\.(\d+)")


def document(results, plan=None, header=()):
    """A KTAP document from result lines ('ok N - x', '# diag', nested blocks)."""
    if plan is None:
        plan = sum(1 for r in results if RESULT_RE.match(r))
    return "\n".join(["KTAP version 1", *(f"# {safe(h)}" for h in header), f"1..{plan}",
                      *map(safe, results)]) + "\n"


def nest(text, name, num, status=None, log=None):
    """KTAP document TEXT as subtest NUM called NAME of an enclosing document.

    Returns (lines, ok).  The result line is 'ok' only if the nested document
    parses clean: its plan met, nothing failed, at least one case passed or
    skipped.  A document that is empty or has no plan is a failure.
    """
    body = [safe(b) for b in text.splitlines()]
    while body and not body[0].strip():
        body.pop(0)
    if body and HEADER_RE.match(body[0]):
        body.pop(0)
    if not any(PLAN_RE.match(b) for b in body):
        body.insert(0, "# no plan line: the producer died or printed no results")
        body.insert(1, "1..1")
    lines = ["    KTAP version 1", f"    # Subtest: {name}"] + [f"    {b}" for b in body]
    v = verdict(parse_text("\n".join(["KTAP version 1"] + body) + "\n", log))
    ok = v["ok"] if status is None else status
    all_skipped = v["ok"] and v["passed"] == 0
    lines.append(f"{'ok' if ok else 'not ok'} {num} {name}"
                 + (" # SKIP every case skipped" if ok and all_skipped else ""))
    return lines, ok
