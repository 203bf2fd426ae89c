#!/usr/bin/env python3
"""Every policy example of the documentation, through the real `jmemctl validate`.

Usage: policy_examples_test.py JMEMCTL SOURCE_ROOT [DOCUMENT...]

The documents are README.md, policy/README.md and the man pages' sources (packaging/man/*.scd,
*.scd.in) unless named. A code block (Markdown: fenced, or indented by four spaces after a blank
line; scdoc: fenced) is a policy example when a line of it reads as TOML: a [table] header or
`key = value`, spaced as the examples are (a shell line such as `A=1 cmd` is not).

How each is read, from its context:
- a first line `# PATH` names the file: a PATH in policy.d is a drop-in of that name, any other a
  main policy; without one, a block after a paragraph that speaks of a drop-in or policy.d is a
  drop-in, named by the paragraph's `NAME.toml` if it has one; any other block is a main policy;
- a drop-in is validated merged onto the built-in default (--builtin-base, so that this machine's
  /etc/jmem/policy.toml plays no part) together with the valid drop-ins before it in the same
  document, as they would sit together in policy.d; a main policy is validated alone;
- an example whose block ends in a paragraph of FILE:LINE:COLUMN lines, or that a block of them
  follows at once, shows the problems it has: jmemctl must print exactly those (the temporary
  directory stands for /), exit 5; any other example must be valid with nothing printed on stderr,
  not even a warning.
"""
import glob
import os
import re
import subprocess
import sys
import tempfile

TOML_LINE = re.compile(r'^(\[\[?[A-Za-z0-9_."-]+\]\]?\s*(#.*)?|[A-Za-z0-9_"-]+(\.[A-Za-z0-9_"-]+)* = \S.*)$')
PROBLEM_LINE = re.compile(r"^\S+:\d+:\d+: ")
FILE_COMMENT = re.compile(r"^#\s*(\S+\.toml)\s*$")
TOML_NAME = re.compile(r"`([A-Za-z0-9_.-]+\.toml)`")


class Block:
    def __init__(self, lines, before, adjacent):
        self.lines = lines  # the block's text, its common indentation taken off
        self.before = before  # the paragraph just before it
        self.adjacent = adjacent  # nothing but blank lines between it and the block before


def dedent(lines):
    indents = [len(line) - len(line.lstrip()) for line in lines if line.strip()]
    cut = min(indents, default=0)
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    return [line[cut:].rstrip() for line in lines]


def blocks(text, markdown):
    """The code blocks of a document, in order."""
    lines = text.splitlines()
    found = []
    paragraph = []
    prose_since_block = True
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.strip().startswith("```"):
            j = i + 1
            while j < len(lines) and not lines[j].strip().startswith("```"):
                j += 1
            found.append(Block(dedent(lines[i + 1:j]), " ".join(paragraph), not prose_since_block))
            paragraph, prose_since_block, i = [], False, j + 1
            continue
        if markdown and line.startswith("    ") and (i == 0 or not lines[i - 1].strip()):
            j = i
            while j < len(lines) and (lines[j].startswith("    ") or not lines[j].strip()):
                j += 1
            found.append(Block(dedent(lines[i:j]), " ".join(paragraph), not prose_since_block))
            paragraph, prose_since_block, i = [], False, j
            continue
        if line.strip():
            if not paragraph or not lines[i - 1].strip():
                paragraph = []
            paragraph.append(line.strip())
            prose_since_block = True
        i += 1
    return found


def is_policy(block):
    return any(TOML_LINE.match(line) for line in block.lines)


def is_problems(lines):
    lines = [line for line in lines if line.strip()]
    return bool(lines) and all(PROBLEM_LINE.match(line) for line in lines)


def split_problems(block, following):
    """The example's text and the problems shown with it: a last paragraph of the block made of
    FILE:LINE:COLUMN lines (an indented Markdown block runs on over blank lines), or the block that
    follows with nothing but blank lines between."""
    lines = block.lines
    blank = max((k for k, line in enumerate(lines) if not line.strip()), default=None)
    if blank is not None and is_problems(lines[blank + 1:]):
        return dedent(lines[:blank]), lines[blank + 1:]
    if following is not None and following.adjacent and is_problems(following.lines):
        return lines, following.lines
    return lines, []


def role(block, number):
    """("drop-in" or "main", where it is written: a path relative to the root it would have)."""
    first = next((line for line in block.lines if line.strip()), "")
    named = FILE_COMMENT.match(first)
    if named:
        path = named.group(1)
        kind = "drop-in" if os.path.basename(os.path.dirname(path)) == "policy.d" else "main"
    else:
        before = block.before.lower()
        kind = "drop-in" if "drop-in" in before or "policy.d" in before else "main"
        names = TOML_NAME.findall(block.before) if kind == "drop-in" else []
        path = names[-1] if names else f"example-{number}.toml"
    if not path.startswith("/"):
        path = os.path.join("/etc/jmem/policy.d" if kind == "drop-in" else "/etc/jmem", os.path.basename(path))
    return kind, path.lstrip("/")


def run(jmemctl, arguments):
    return subprocess.run([jmemctl, "validate", *arguments], capture_output=True, text=True, timeout=60)


def main():
    jmemctl, root = sys.argv[1], sys.argv[2]
    documents = sys.argv[3:] or [os.path.join(root, "README.md"), os.path.join(root, "policy/README.md"),
                                 *sorted(glob.glob(os.path.join(root, "packaging/man/*.scd*")))]
    failed = 0
    examples = 0
    with tempfile.TemporaryDirectory(prefix="jmem-docs-") as work:
        for document in documents:
            with open(document, encoding="utf-8") as f:
                found = blocks(f.read(), document.endswith(".md"))
            shown = os.path.relpath(document, root)
            dropins = []  # the valid drop-ins of this document so far
            for n, block in enumerate(found):
                if not is_policy(block):
                    continue
                examples += 1
                kind, relative = role(block, n)
                path = os.path.join(work, relative)
                os.makedirs(os.path.dirname(path), exist_ok=True)
                text, expected = split_problems(block, found[n + 1] if n + 1 < len(found) else None)
                with open(path, "w", encoding="utf-8") as f:
                    f.write("\n".join(text) + "\n")
                files = ["--builtin-base", *dropins, path] if kind == "drop-in" else [path]
                result = run(jmemctl, files)
                printed = [line.replace(work, "") for line in result.stderr.splitlines()]
                what = f"{shown}: the {kind} example /{relative} (from {text[0]!r})"
                if expected:
                    ok = result.returncode == 5 and printed == expected
                    print(f"{'ok' if ok else 'FAIL'}: {what} has exactly the problems shown after it")
                else:
                    ok = result.returncode == 0 and not printed
                    print(f"{'ok' if ok else 'FAIL'}: {what} is valid")
                    if ok and kind == "drop-in":
                        dropins.append(path)
                if not ok:
                    failed += 1
                    print(f"  jmemctl validate {' '.join(files)}: exit {result.returncode}")
                    for line in printed:
                        print(f"  {line}")
    if examples == 0:
        print("FAIL: no policy example found: the documents or this test's reading of them changed")
        return 1
    print(f"{examples} policy examples, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
