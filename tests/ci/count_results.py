#!/usr/bin/env python3
"""Totals the JUnit XML that `bazel test` left under bazel-testlogs/.

Usage: count_results.py TESTLOGS_DIR... MARKER (several dirs: one per Bazel config, e.g. the
sanitizer ones). Only files newer than the marker file (the last argument) count, so a stale result from an earlier run is
never reported as this run's. Prints one line: `N passed, N failed, N skipped`.
A test case counts as failed if it has <failure> or <error>, as skipped if it has <skipped> or
gtest's result="skipped"/status="notrun", and as passed otherwise.
"""
import os
import sys
import xml.etree.ElementTree as ET


def main() -> int:
    dirs, marker = sys.argv[1:-1], sys.argv[-1]
    since = os.path.getmtime(marker)
    passed = failed = skipped = 0
    walk = [entry for logs in dirs for entry in os.walk(logs, followlinks=True)]
    for root, _, files in walk:
        for name in files:
            if name != "test.xml":
                continue
            path = os.path.join(root, name)
            if os.path.getmtime(path) < since:
                continue
            try:
                tree = ET.parse(path)
            except ET.ParseError:
                failed += 1
                print(f"unreadable result: {path}", file=sys.stderr)
                continue
            for case in tree.iter("testcase"):
                if case.find("failure") is not None or case.find("error") is not None:
                    failed += 1
                elif (case.find("skipped") is not None or case.get("result") == "skipped"
                      or case.get("status") == "notrun"):
                    skipped += 1
                else:
                    passed += 1
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
