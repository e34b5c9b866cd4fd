#!/usr/bin/env python3
"""Compiles the complete programs in the docs, so the guides keep matching the headers.

    python3 tests/docs/check_guide_examples.py --cxx c++ [--root DIR] [--keep DIR]

Every ```cpp block of docs/guides/*.md, docs/index.md and README.md that defines `int main(`
is a complete program: it is compiled with `-std=c++20 -fsyntax-only` against include/
(with the project's -Wall -Wextra -Wpedantic -Werror). Shorter blocks are fragments and are
not compiled. Prints each failure with the compiler's output and exits 1 if any failed.
"""

import argparse
import pathlib
import re
import subprocess
import sys
import tempfile

BLOCK = re.compile(r"^```cpp\n(.*?)^```", re.MULTILINE | re.DOTALL)


def programs(root: pathlib.Path):
    files = sorted((root / "docs" / "guides").glob("*.md"))
    files += [root / "docs" / "index.md", root / "README.md"]
    for path in files:
        if not path.exists():
            continue
        text = path.read_text(encoding="utf-8")
        for match in BLOCK.finditer(text):
            code = match.group(1)
            if re.search(r"\bint main\(", code):
                line = text.count("\n", 0, match.start()) + 2
                yield path.relative_to(root), line, code


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cxx", default="c++")
    parser.add_argument("--root", type=pathlib.Path,
                        default=pathlib.Path(__file__).resolve().parents[2])
    args = parser.parse_args()

    failures = 0
    count = 0
    with tempfile.TemporaryDirectory() as tmp:
        for index, (path, line, code) in enumerate(programs(args.root)):
            count += 1
            source = pathlib.Path(tmp) / f"example{index}.cpp"
            source.write_text(code, encoding="utf-8")
            result = subprocess.run(
                [args.cxx, "-std=c++20", "-fsyntax-only", "-Wall", "-Wextra", "-Wpedantic",
                 "-Werror", "-I", str(args.root / "include"), str(source)],
                capture_output=True, text=True, check=False)
            if result.returncode != 0:
                failures += 1
                print(f"{path}:{line}: this example does not compile:")
                print(result.stdout + result.stderr)
            else:
                print(f"{path}:{line}: compiles")
    if count == 0:
        print("no complete program found in the docs")
        return 1
    print(f"{count - failures} of {count} examples compile")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
