#!/usr/bin/env python3
"""Writes jmem-policy(5) in scdoc: the template with @SCHEMA@ replaced by policy/README.md from its
"Files and merging" section on, so the man page and the schema's source of truth never part.

Handles the Markdown that README uses: headings, paragraphs, nested "-" lists, tables and indented
code blocks. A table becomes one entry per row (the first cell as the term), which reads better in
a terminal than a ruled table of long cells.

policy/README.md is also read by developers and names code (`PolicyFiles::main_required`); the man
page is read by operators. PLAIN rewrites those passages in plain words, and the conversion fails
when a code name (NAMESPACE::NAME, a kConstant) would still reach the man page.

Usage: policy_to_scdoc.py TEMPLATE README OUTPUT"""
import re
import sys

FIRST_SECTION = "## Files and merging"

# Passages of policy/README.md that name code, and what the man page says instead (whitespace in a
# pattern matches any run of it, line breaks included).
PLAIN = [
    (r"A caller that names the file itself \(`--policy PATH`\) sets `PolicyFiles::main_required`, and then a "
     r"missing file is a problem\.",
     "A file named on the command line (`jmemd --policy PATH`) is required: if it is missing, that is "
     "a problem."),
    (r"\(`kDefaultThrottleStepPercent`\)", "(the default step)"),
]
# What must not reach the man page: C++ qualified names and constants named kSomething.
CODE_NAME = re.compile(r"\w::\w|\bk[A-Z]\w+")


def plain(markdown):
    for pattern, replacement in PLAIN:
        markdown = re.sub(r"\s+".join(pattern.split(" ")), replacement, markdown)
    return markdown


def check_no_code_names(markdown):
    """Fails naming each line of the converted part of README (after PLAIN) that still names code."""
    lines = markdown.splitlines()
    start = lines.index(FIRST_SECTION)
    leaks = ["  " + line.strip() for line in lines[start:] if CODE_NAME.search(line)]
    if leaks:
        sys.exit("policy_to_scdoc.py: these lines would put code names in jmem-policy(5); say it in plain "
                 "words, or add a rewrite to PLAIN:\n" + "\n".join(leaks))


def escape(text):
    """scdoc text: a backslash, * and _ stand for themselves."""
    return re.sub(r"([\\*_])", r"\\\1", text)


def prose(text):
    """Markdown *emphasis* becomes underlined."""
    parts = re.split(r"\*([^*\s][^*]*)\*", text)
    return "".join(f"_{escape(part)}_" if i % 2 else escape(part) for i, part in enumerate(parts))


def inline(text):
    """`code` becomes bold."""
    out = []
    for i, part in enumerate(text.split("`")):
        out.append(f"*{escape(part)}*" if i % 2 and part else prose(part))
    return "".join(out)


def cells(row):
    return [cell.strip() for cell in row.strip().strip("|").split("|")]


def table(rows):
    header = cells(rows[0])
    out = []
    for row in rows[2:]:  # rows[1] is the |---| rule
        values = cells(row)
        # The second column unlabelled ("string"), later ones with their header ("default: 1000").
        details = [inline(value) if n == 0 else f"{name}: {inline(value)}"
                   for n, (name, value) in enumerate(zip(header[1:-1], values[1:-1])) if value]
        out.append(inline(values[0]) + (f" ({', '.join(details)})" if details else ""))
        if values[-1]:
            out.append("\t" + inline(values[-1]))
        out.append("")
    return out


def convert(markdown):
    lines = markdown.splitlines()
    lines = lines[lines.index(FIRST_SECTION):]
    out = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("### "):
            out += ["## " + inline(line[4:]).replace("*", ""), ""]
        elif line.startswith("## "):
            out += ["# " + line[3:].upper(), ""]
        elif line.startswith("|"):
            rows = []
            while i < len(lines) and lines[i].startswith("|"):
                rows.append(lines[i])
                i += 1
            out += table(rows)
            continue
        elif line.startswith("    ") and (i == 0 or not lines[i - 1].strip()):
            block = []
            while i < len(lines) and (lines[i].startswith("    ") or not lines[i].strip()):
                block.append(lines[i][4:].replace("\\", "\\\\"))
                i += 1
            while block and not block[-1]:
                block.pop()
            out += ["```", *block, "```", ""]
            continue
        elif re.match(r"^( *)- ", line):
            depth = len(line) - len(line.lstrip(" "))
            out.append("\t" * (depth // 2) + "- " + inline(line.lstrip(" ")[2:]))
        elif line.startswith("  ") and out and out[-1].strip():
            # The continuation of a list item: its level's indent plus two spaces.
            depth = (len(line) - len(line.lstrip(" "))) // 2 - 1
            out.append("\t" * depth + "  " + inline(line.strip()))
        elif not line.strip():
            if out and out[-1] != "":
                out.append("")
        else:
            out.append(inline(line))
        i += 1
    return "\n".join(out).rstrip() + "\n"


def main():
    template_path, readme_path, output_path = sys.argv[1:4]
    with open(template_path) as f:
        template = f.read()
    with open(readme_path) as f:
        markdown = plain(f.read())
    check_no_code_names(markdown)
    body = convert(markdown)
    with open(output_path, "w") as f:
        f.write(template.replace("@SCHEMA@\n", body))


if __name__ == "__main__":
    main()
