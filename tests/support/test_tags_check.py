#!/usr/bin/env python3
"""Every Catch test case carries the tag of its area (its folder's name), so that one area runs alone."""
import pathlib
import re
import sys

LITERAL = r'"(?:[^"\\]|\\.)*"'
# The name may be string literals side by side, as clang-format breaks a long one.
TEST_CASE = re.compile(rf'TEST_CASE\(\s*({LITERAL}(?:\s*{LITERAL})*)\s*(?:,\s*"([^"]*)")?\s*\)')


def main(tests_dir: pathlib.Path) -> int:
    missing = []
    count = 0
    for path in sorted(tests_dir.rglob("*_test.cpp")):
        area = path.parent.name
        for match in TEST_CASE.finditer(path.read_text()):
            count += 1
            tags = match.group(2) or ""
            if f"[{area}]" not in tags:
                line = path.read_text().count("\n", 0, match.start()) + 1
                missing.append(f"{path.relative_to(tests_dir)}:{line}: {match.group(1)} lacks the tag [{area}]")
    for problem in missing:
        print(problem)
    print(f"{count} test cases, {len(missing)} without their area's tag")
    return 1 if missing or count == 0 else 0


if __name__ == "__main__":
    sys.exit(main(pathlib.Path(sys.argv[1])))
