"""TAP/KTAP results, parsed with the kernel tree's own kunit_parser.

The lab writes no parser of its own: kselftest TAP, the guest scenarios'
TAP and boot-time KUnit KTAP all go through tools/testing/kunit.
"""

import io
import os
import sys

LAB = os.path.dirname(os.path.abspath(__file__))
OUT = os.environ.get("OUT", os.path.join(os.path.dirname(LAB), "out"))


def _kunit_dir():
    for d in (os.environ.get("LAB_KUNIT_DIR"),
              os.path.join(OUT, "src", "series", "tools", "testing", "kunit"),
              os.path.join(OUT, "src", "base", "tools", "testing", "kunit")):
        if d and os.path.exists(os.path.join(d, "kunit_parser.py")):
            return d
    raise SystemExit("error: tools/testing/kunit not found: run lab/expand.sh first "
                     "(or set LAB_KUNIT_DIR)")


_modules = None


def kunit_modules():
    global _modules
    if _modules is None:
        sys.path.insert(0, _kunit_dir())
        import kunit_parser
        import kunit_printer
        _modules = (kunit_parser, kunit_printer)
    return _modules


def _failed_names(test, prefix=""):
    kunit_parser, _ = kunit_modules()
    names = []
    for sub in test.subtests:
        name = f"{prefix}{sub.name}"
        if sub.subtests:
            names += _failed_names(sub, name + ".")
        elif sub.status in (kunit_parser.TestStatus.FAILURE,
                            kunit_parser.TestStatus.TEST_CRASHED):
            names.append(name)
    return names


def parse_lines(lines, log=None):
    """Parse TAP/KTAP lines (kernel log or plain TAP); return counts."""
    kunit_parser, kunit_printer = kunit_modules()
    kunit_printer.stdout._output = log or io.StringIO()
    test = kunit_parser.parse_run_tests(lines)
    c = test.counts
    ok = (test.status == kunit_parser.TestStatus.SUCCESS
          or (test.status == kunit_parser.TestStatus.SKIPPED and c.failed == 0))
    return {"status": test.status.name, "ok": ok and c.failed == 0 and c.crashed == 0
            and c.errors == 0,
            "passed": c.passed, "failed": c.failed + c.crashed, "skipped": c.skipped,
            "errors": c.errors, "failures": _failed_names(test)}


def parse_file(path, log=None):
    with open(path, errors="replace") as f:
        return parse_lines(f.read().splitlines(keepends=True), log)
