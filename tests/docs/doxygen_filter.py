#!/usr/bin/env python3
"""Doxygen INPUT_FILTER for bobbin's headers: reads their plain `//` comments as documentation.

    python3 doxygen_filter.py <header>      (Doxygen runs it and reads what it prints)

bobbin's headers are commented in the abseil style, with `//`, not `///`. The filter lets
Doxygen use those comments without changing the headers:

- A comment on lines of its own becomes `///`, so it documents the declaration below it
  (comments inside function bodies are hidden by HIDE_IN_BODY_DOCS).
- The opening comment block (the header's contract) becomes the file's documentation: a
  `\\file` command goes at the end of its last prose line.
- A run of comment lines indented by three or more spaces right after an empty comment line
  (the usage examples), unless it is a `- ` list, gets three more spaces, which is what
  Doxygen's Markdown needs to make it a code block.
- In prose, a `*` right after a word (`try_push*`, a glob) is escaped, so that it does not
  open Markdown emphasis.
- Trailing comments (`int x;  // ...`) stay plain comments.

Every input line gives exactly one output line, so Doxygen's line numbers stay right.
"""

import re
import sys

COMMENT = re.compile(r"^(\s*)//(?!/)(.*)$")
CODE = re.compile(r"^ {3,}\S")
BULLET = re.compile(r"^ +[-*] ")


def escape_globs(text: str) -> str:
    """`try_push*` in prose is a glob, not Markdown emphasis: escape such stars outside code."""
    parts = text.split("`")
    for i in range(0, len(parts), 2):  # even parts are outside backticks
        parts[i] = re.sub(r"(?<=[\w)])\*", r"\\*", parts[i])
    return "`".join(parts)


def filter_lines(lines: list[str]) -> list[str]:
    out: list[str] = []
    opening_end = None  # index of the last prose line of the opening comment block
    in_opening = True
    in_code = False
    previous_blank = True  # the previous line is an empty comment (or the file's start)
    for index, line in enumerate(lines):
        match = COMMENT.match(line)
        if match is None:
            if line.strip():
                in_opening = False
            in_code = False
            previous_blank = False
            out.append(line)
            continue
        indent, text = match.groups()
        if not text.strip():
            in_code = False
            previous_blank = True
            out.append(indent + "///")
            continue
        if CODE.match(text) and not BULLET.match(text) and (in_code or previous_blank):
            in_code = True
            text = "   " + text
        else:
            in_code = False
            text = escape_globs(text)
            if in_opening:
                opening_end = index
        previous_blank = False
        out.append(indent + "///" + text)
    if opening_end is not None:
        out[opening_end] += " \\file"
    return out


def main() -> int:
    with open(sys.argv[1], encoding="utf-8") as source:
        lines = source.read().split("\n")
    sys.stdout.write("\n".join(filter_lines(lines)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
