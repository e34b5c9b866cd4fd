#!/usr/bin/env python3
"""Checks that docs/node-to-bobbin.md names every public name of bobbin's headers.

    python3 tests/docs/check_name_map.py [--root DIR] [--list | --self-test]

Prints each public name the map does not mention, with the header that declares it, and
exits 1 if there is any; `--list` prints every public name found instead (to review the
parser). A name counts as mentioned when it appears in the map as a whole word, in
backticks or not (`post_message`, Worker).

What is a public name (the rules, so a reader can predict the result):

- Headers: include/bobbin/*.hpp. Nothing under include/bobbin/detail/.
- Namespaces: `bobbin` and every namespace nested in it (`bobbin::atomics`,
  `bobbin::this_worker`, `bobbin::parking_lot`, ...) except those named `detail`,
  `internal` or `impl`, and anonymous ones. Other namespaces (std specialisations) are skipped.
- At namespace scope: class, struct, union and enum names (definitions and forward
  declarations), type aliases (`using X = ...`), concepts, free functions (not operators,
  not qualified out-of-line definitions such as `inline void X::f()`), and `constexpr`
  variables (`atomics::all`, `auto_queue`).
- In a class: the public (struct: by default, class: after `public:`) member functions,
  nested classes, structs and enums; also the public members of a base class declared in
  a detail namespace (`Timer` has `has_ref()` from its detail base). Member type aliases
  are NOT names (value_type and
  friends are C++ conventions). Constructors, destructors, operators, conversion
  functions and `friend` declarations are not names. Data members are not names.
- In a public enum, every enumerator.
- A class defined by a macro: `SOME_MACRO(Name)` at namespace scope, whose first argument
  is a CamelCase identifier, declares `Name` (errors.hpp defines its error classes so).
- Never a name: the coroutine/awaiter protocol (`promise_type`, `await_ready`, ...) and the
  standard container vocabulary (`value_type`, `reference`, `iterator`, `begin`, `swap`, ...);
  identifiers that start or end with `_` (private by convention), and
  ALL_CAPS identifiers (macros).

The parser is a small tokenizer plus a brace-matching walker, not a C++ front end:
comments, string and character literals and preprocessor lines are dropped first; a
declaration is everything up to a `;` or a `{...}` block at the current level; in it, the
function name is the first identifier directly followed by `(` outside any (), <> or []
nesting that is not a keyword (`decltype`, `requires`, `noexcept`, `alignas`, ...).
"""

from __future__ import annotations

import argparse
import pathlib
import re
import sys

KEYWORDS = {
    "alignas", "alignof", "asm", "auto", "bool", "char", "co_await", "co_return", "co_yield",
    "const", "consteval", "constexpr", "constinit", "decltype", "delete", "double", "explicit",
    "extern", "float", "if", "inline", "int", "long", "mutable", "noexcept", "return", "short",
    "signed", "sizeof", "static", "static_assert", "switch", "template", "this", "throw",
    "typename", "unsigned", "virtual", "void", "volatile", "while", "requires", "typeid",
    "new", "nodiscard", "default", "final", "override",
}
PRIVATE_NAMESPACES = {"detail", "internal", "impl"}
# Names the language or the standard library dictates: the coroutine and awaiter protocol,
# and the standard container vocabulary.
PROTOCOL = {
    "promise_type", "get_return_object", "initial_suspend", "final_suspend",
    "unhandled_exception", "return_value", "return_void", "yield_value", "await_transform",
    "await_ready", "await_suspend", "await_resume",
    "value_type", "reference", "const_reference", "pointer", "iterator", "const_iterator",
    "begin", "end", "swap", "hash",
}
TOKEN = re.compile(
    r"[A-Za-z_][A-Za-z0-9_]*|\d[\w.']*|::|->|\.\.\.|&&|\|\||[<>]=?|[{}()\[\];,:=~*&<>.!?+\-/%^|#]"
)


def strip_source(text: str) -> str:
    """Drops comments, string/char literals and preprocessor lines."""
    out = []
    i, n = 0, len(text)
    at_line_start = True
    while i < n:
        c = text[i]
        if at_line_start and c == "#":
            # A preprocessor line, with its continuations.
            while i < n and text[i] != "\n":
                if text[i] == "\\" and i + 1 < n and text[i + 1] == "\n":
                    i += 1
                i += 1
            continue
        if c == "/" and text.startswith("//", i):
            while i < n and text[i] != "\n":
                i += 1
            continue
        if c == "/" and text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
            out.append(" ")
            continue
        if c == "R" and text.startswith('R"', i):
            m = re.match(r'R"([^(\s]*)\(', text[i:])
            if m:
                end = text.find(")" + m.group(1) + '"', i)
                i = n if end < 0 else end + len(m.group(1)) + 2
                out.append('""')
                continue
        if c in "\"'" and not (c == "'" and i > 0 and text[i - 1].isalnum()):
            quote = c
            i += 1
            while i < n and text[i] != quote:
                i += 2 if text[i] == "\\" else 1
            i += 1
            out.append('""' if quote == '"' else "0")
            continue
        if c == "\n":
            at_line_start = True
        elif not c.isspace():
            at_line_start = False
        out.append(c)
        i += 1
    return "".join(out)


def tokenize(text: str) -> list[str]:
    return TOKEN.findall(strip_source(text))


def is_private_identifier(name: str) -> bool:
    return name.startswith("_") or name.endswith("_") or (name.isupper() and len(name) > 1)


class Walker:
    """Walks one header's tokens and collects (name, kind) pairs."""

    def __init__(self, tokens: list[str]):
        self.t = tokens
        self.names: list[tuple[str, str]] = []
        # Every class's public members, public or not (a detail base's members are inherited
        # by public classes), and the bases of each public class.
        self.members: dict[str, list[tuple[str, str]]] = {}
        self.bases: dict[str, list[str]] = {}
        self.member_of: list[str | None] = [None]

    # -- helpers -----------------------------------------------------------------------------
    def skip_balanced(self, i: int) -> int:
        """t[i] is an opener; returns the index after its matching closer."""
        pairs = {"{": "}", "(": ")", "[": "]"}
        stack = [pairs[self.t[i]]]
        i += 1
        while i < len(self.t) and stack:
            tok = self.t[i]
            if tok in pairs:
                stack.append(pairs[tok])
            elif tok == stack[-1]:
                stack.pop()
            i += 1
        return i

    def add(self, name: str, kind: str, public: bool, member: bool = False) -> None:
        if not name or is_private_identifier(name) or name in KEYWORDS or name in PROTOCOL:
            return
        if member and self.member_of[-1] is not None:
            self.members.setdefault(self.member_of[-1], []).append((name, kind))
        if public:
            self.names.append((name, kind))

    # -- scopes ------------------------------------------------------------------------------
    def walk(self) -> list[tuple[str, str]]:
        self.scope(0, kind="file", public=False, class_name=None, default_public=False)
        for bases in self.bases.values():
            for base in bases:
                self.names.extend(self.members.get(base, []))
        return self.names

    def scope(self, i: int, kind: str, public: bool, class_name: str | None,
              default_public: bool) -> int:
        """Reads declarations from t[i] up to the closing '}' (or the end); returns the
        index after it. `public` says whether names here count."""
        access_public = default_public
        while i < len(self.t):
            tok = self.t[i]
            if tok == "}":
                return i + 1
            if tok == ";":
                i += 1
                continue
            if kind == "class" and tok in ("public", "private", "protected") \
                    and i + 1 < len(self.t) and self.t[i + 1] == ":":
                access_public = tok == "public"
                i += 2
                continue
            names_count = public and (kind != "class" or access_public)
            self.member_of.append(class_name if kind == "class" and access_public else None)
            i = self.declaration(i, kind, names_count, class_name)
            self.member_of.pop()
        return i

    def declaration(self, i: int, kind: str, public: bool, class_name: str | None) -> int:
        """Reads one declaration starting at t[i]; returns the index after it."""
        t = self.t
        start = i
        decl: list[str] = []  # the declaration's tokens at this level, blocks elided
        while i < len(t):
            tok = t[i]
            if tok == ";":
                i += 1
                break
            if tok == "}":
                break  # the enclosing scope ends (a declaration without ';')
            if tok == "(" and kind == "namespace" and len(decl) == 1 and decl[0].isupper() \
                    and i + 2 < len(t) and t[i + 2] in (")", ",") \
                    and re.match(r"[A-Z][A-Za-z0-9]*[a-z][A-Za-z0-9]*$", t[i + 1]):
                self.add(t[i + 1], "class (macro)", public)  # BOBBIN_DEFINE_ERROR_(RangeError)
            if tok in ("(", "["):
                j = self.skip_balanced(i)
                decl.append(tok)
                decl.append(")" if tok == "(" else "]")
                i = j
                continue
            if tok == "{":
                head = self.strip_prefix(decl)
                if head[:1] == ["namespace"] or (head[:1] == ["inline"] and head[1:2] == ["namespace"]):
                    ns = [x for x in head[head.index("namespace") + 1:] if x != "::"]
                    ns_public = (kind in ("file", "namespace") and
                                 (public or ns[:1] == ["bobbin"]) and bool(ns) and
                                 not any(x in PRIVATE_NAMESPACES for x in ns))
                    if kind == "file" and ns[:1] != ["bobbin"]:
                        ns_public = False
                    return self.scope(i + 1, "namespace", ns_public, None, False)
                if head[:1] == ["extern"]:
                    return self.scope(i + 1, kind, public, class_name, kind != "class")
                if head[:1] == ["enum"]:
                    name = self.enum_name(head)
                    self.add(name, "enum", public)
                    i = self.enumerators(i + 1, public)
                    decl.append("{}")
                    continue
                key = self.class_key(head)
                if key is not None and "(" not in head and "=" not in head:
                    name = self.class_name(head, key)
                    self.add(name, key, public, member=True)
                    if public and ":" in head:
                        self.bases[name] = [x for x in head[head.index(":") + 1:]
                                            if re.match(r"[A-Za-z_]\w*$", x)]
                    self.member_of.append(None)
                    i = self.scope(i + 1, "class", public, name, key != "class")
                    self.member_of.pop()
                    decl.append("{}")
                    continue
                # A function body, a braced initialiser or a lambda: skip it.
                i = self.skip_balanced(i)
                decl.append("{}")
                if i < len(t) and t[i] in (";", ",", "{", ")", ".", "->", "(", "="):
                    continue
                break
            decl.append(tok)
            i += 1
        if i == start:  # a stray token; never loop forever
            i += 1
        self.classify(decl, kind, public, class_name)
        return i

    # -- pieces of a declaration -------------------------------------------------------------
    @staticmethod
    def strip_prefix(decl: list[str]) -> list[str]:
        """Drops leading template<...> heads and [[attributes]]."""
        out = list(decl)
        changed = True
        while changed and out:
            changed = False
            if out[0] == "template" and len(out) > 1 and out[1] == "<":
                depth, j = 0, 1
                while j < len(out):
                    if out[j] == "<":
                        depth += 1
                    elif out[j] == ">":
                        depth -= 1
                        if depth == 0:
                            break
                    elif out[j] == ">>":
                        depth -= 2
                        if depth <= 0:
                            break
                    j += 1
                out = out[j + 1:]
                changed = True
            elif out[:2] == ["[", "]"]:
                out = out[2:]
                changed = True
        return out

    @staticmethod
    def class_key(head: list[str]) -> str | None:
        for tok in head:
            if tok in ("class", "struct", "union"):
                return tok
            if tok not in ("[", "]", "alignas", "(", ")"):
                return None
        return None

    @staticmethod
    def class_name(head: list[str], key: str) -> str:
        j = head.index(key) + 1
        while j < len(head) and head[j] in ("[", "]", "alignas", "(", ")"):
            j += 1
        return head[j] if j < len(head) and re.match(r"[A-Za-z_]\w*$", head[j]) else ""

    @staticmethod
    def enum_name(head: list[str]) -> str:
        rest = [x for x in head[1:] if x not in ("class", "struct", "[", "]")]
        return rest[0] if rest and rest[0] != ":" and re.match(r"[A-Za-z_]\w*$", rest[0]) else ""

    def enumerators(self, i: int, public: bool) -> int:
        """Reads an enum body from t[i] (after '{'); returns the index after '}'."""
        expect_name = True
        while i < len(self.t) and self.t[i] != "}":
            tok = self.t[i]
            if tok in ("(", "[", "{"):
                i = self.skip_balanced(i)
                continue
            if expect_name and re.match(r"[A-Za-z_]\w*$", tok):
                self.add(tok, "enumerator", public)
                expect_name = False
            elif tok == ",":
                expect_name = True
            i += 1
        return i + 1

    def classify(self, decl: list[str], kind: str, public: bool, class_name: str | None) -> None:
        recording = kind == "class" and self.member_of[-1] is not None
        if not (public or recording) or kind not in ("namespace", "class") or not decl:
            return
        head = self.strip_prefix(decl)
        if not head or head[0] in ("friend", "static_assert", "using") and not (
                head[0] == "using" and len(head) > 2 and head[2] == "="):
            return
        if head[0] == "using":  # using X = ...;
            if kind == "namespace":
                self.add(head[1], "alias", public)
            return
        if head[0] == "concept":
            self.add(head[1], "concept", public)
            return
        key = self.class_key(head)
        if key is not None:  # a forward declaration or an elaborated type
            if "(" not in head and kind == "namespace":
                self.add(self.class_name(head, key), key, public)
            return
        if head[0] == "enum":  # an opaque enum declaration
            self.add(self.enum_name(head), "enum", public)
            return
        # A function: the first unqualified identifier followed by '(' at angle depth 0.
        angle = 0
        for j, tok in enumerate(head):
            if tok == "=" and angle == 0:
                break  # a default value or an initialiser follows
            if tok == "<":
                angle += 1
            elif tok == ">":
                angle = max(0, angle - 1)
            elif tok == ">>":
                angle = max(0, angle - 2)
            if tok == "(" and angle == 0 and j > 0:
                name = head[j - 1]
                before = head[j - 2] if j > 1 else ""
                if not re.match(r"[A-Za-z_]\w*$", name) or name in KEYWORDS:
                    continue
                if is_private_identifier(name) and name.isupper():
                    continue  # a macro such as BOBBIN_NOINLINE(...)
                if before in ("operator", "~", "::") or name == "operator" or "operator" in head[:j]:
                    return
                if name == class_name:
                    return  # a constructor
                self.add(name, "function", public, member=kind == "class")
                return
        # A constexpr variable at namespace scope.
        if kind == "namespace" and "constexpr" in head:
            end = len(head)
            for j, tok in enumerate(head):
                if tok in ("=", "{}"):
                    end = j
                    break
            if end > 0 and re.match(r"[A-Za-z_]\w*$", head[end - 1]):
                self.add(head[end - 1], "constant", public)


def public_names(header: pathlib.Path) -> list[tuple[str, str]]:
    return Walker(tokenize(header.read_text(encoding="utf-8"))).walk()


SELF_TEST_HEADER = r"""
// bobbin/sample.hpp — not a real header. "strings { are ignored"
#pragma once
#define BOBBIN_MAKE_(Name) class Name {}
namespace bobbin {
namespace detail {
struct Hidden { void hidden_fn(); };
template <class T> class Base {
 public:
  [[nodiscard]] bool base_fn() const noexcept { return true; }
 private:
  void base_private();
};
}  // namespace detail
BOBBIN_MAKE_(MacroError);
enum class Color : int { red, green = 2, blue };
struct Options { int count = 0; };
template <class T, class = std::enable_if_t<(sizeof(T) > 1)>>
class Widget final : public detail::Base<Widget<T>> {
 public:
  explicit Widget(int n) : n_{n}, m_(n) {}
  ~Widget();
  Widget& operator=(const Widget&) = delete;
  explicit operator bool() const noexcept;
  [[nodiscard]] auto then(std::function<void(int)> fn) -> decltype(fn(1)) { return fn(1); }
  template <class F> requires std::invocable<F> void visit(F&& f);
  static Widget make();
  using value_type = T;
  struct Nested { void nested_fn(); };
  friend void swap(Widget&, Widget&) noexcept;
 private:
  void secret();
  int n_, m_;
};
template <class T> void Widget<T>::secret() {}
using IntWidget = Widget<int>;
inline constexpr int forever = -1;
[[nodiscard]] inline int free_fn(int x = (1 < 2)) { return x; }
namespace atomics { int load(int); }
}  // namespace bobbin
namespace std { template <> struct hash<bobbin::Options> { size_t operator()() const; }; }
"""
SELF_TEST_EXPECTED = {
    "MacroError", "Color", "red", "green", "blue", "Options", "Widget", "base_fn", "then",
    "visit", "make", "Nested", "nested_fn", "IntWidget", "forever", "free_fn", "load",
}


def self_test() -> int:
    found = {name for name, _ in Walker(tokenize(SELF_TEST_HEADER)).walk()}
    if found != SELF_TEST_EXPECTED:
        print("self-test failed")
        print("  unexpected:", sorted(found - SELF_TEST_EXPECTED))
        print("  missing:   ", sorted(SELF_TEST_EXPECTED - found))
        return 1
    print(f"self-test passed: {len(found)} names")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--root", default=pathlib.Path(__file__).resolve().parents[2],
                        type=pathlib.Path, help="the bobbin source tree")
    parser.add_argument("--list", action="store_true", help="print every public name found")
    parser.add_argument("--self-test", action="store_true",
                        help="check the extractor on a built-in sample header")
    args = parser.parse_args()
    if args.self_test:
        return self_test()

    headers = sorted((args.root / "include" / "bobbin").glob("*.hpp"))
    doc_path = args.root / "docs" / "node-to-bobbin.md"
    doc_words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", doc_path.read_text(encoding="utf-8")))

    missing: list[str] = []
    total = 0
    for header in headers:
        seen: set[str] = set()
        for name, kind in public_names(header):
            if name in seen:
                continue
            seen.add(name)
            total += 1
            if args.list:
                print(f"{header.name}: {kind} {name}")
            elif name not in doc_words:
                missing.append(f"{header.name}: {kind} `{name}`")
    if args.list:
        return 0
    if missing:
        print(f"docs/node-to-bobbin.md does not mention {len(missing)} of the {total} public "
              f"names of include/bobbin/*.hpp:")
        for line in missing:
            print("  " + line)
        return 1
    print(f"docs/node-to-bobbin.md mentions all {total} public names of "
          f"{len(headers)} headers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
