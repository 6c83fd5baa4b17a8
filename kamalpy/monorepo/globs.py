"""Path patterns as Docker reads them, matched against a Tree without scanning all of it.

Two dialects, because Docker has two:
- `.dockerignore` (and kamalpy's declared globs): moby's patternmatcher. `*` and `?` stay
  inside one path element, `**` spans any number of them, a pattern matching a directory
  matches everything below it, `!` re-includes, the last matching pattern wins; patterns are
  cleaned like Go's filepath.Clean and lose a leading `/`.
- `COPY`/`ADD` sources: Go's filepath.Match over whole paths (no `**`), a matched directory
  bringing everything below it.

Both know their literal directory prefix, so a match walks only the paths below that prefix.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

from kamalpy.monorepo.tree import Tree

_META = frozenset("*?[\\")
_NEVER = re.compile("(?!)")


def clean(pattern: str) -> str:
    """Go's filepath.Clean on a posix pattern, minus a leading `/` (as moby's ignore reader)."""
    cleaned = posixpath.normpath(pattern) if pattern else "."
    if cleaned.startswith("//"):
        cleaned = "/" + cleaned.lstrip("/")
    if len(cleaned) > 1 and cleaned.startswith("/"):
        cleaned = cleaned[1:]
    return cleaned


def literal_prefix(pattern: str) -> str:
    """The leading directories of a cleaned pattern that hold no wildcard ("" if none)."""
    parts = pattern.split("/")
    literal: list[str] = []
    for part in parts[:-1]:
        if _META & set(part):
            break
        literal.append(part)
    else:
        if not _META & set(parts[-1]):
            literal.append(parts[-1])
    return "/".join(literal)


@lru_cache(maxsize=4096)
def _ignore_regex(pattern: str) -> re.Pattern[str]:
    """moby patternmatcher's translation of one cleaned pattern into a regular expression."""
    out = ["^"]
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        i += 1
        if ch == "*" and i < n and pattern[i] == "*":
            i += 1
            if i < n and pattern[i] == "/":
                i += 1  # `**/` reads as `**`
            out.append(".*" if i == n else "(.*/)?")
        elif ch == "*":
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "\\":
            out.append(re.escape(pattern[i]) if i < n else "\\\\")
            i += 1
        elif ch in ".+()|{}$":
            out.append("\\" + ch)
        else:
            out.append(ch)  # `[...]` classes pass through, as in moby
    out.append("$")
    try:
        return re.compile("".join(out))
    except re.error:
        return _NEVER  # Docker refuses such a pattern; here it matches nothing


@lru_cache(maxsize=4096)
def _match_regex(pattern: str) -> re.Pattern[str]:
    """Go's filepath.Match as a regular expression: `*` never crosses `/`, no `**`."""
    out = ["^"]
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        i += 1
        if ch == "*":
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "\\" and i < n:
            out.append(re.escape(pattern[i]))
            i += 1
        elif ch == "[":
            end = pattern.find("]", i + 1)
            if end < 0:
                return _NEVER  # Go: ErrBadPattern, matches nothing
            body = pattern[i:end]
            out.append("[^" + body[1:] + "]" if body.startswith("^") else "[" + body + "]")
            i = end + 1
        else:
            out.append(re.escape(ch))
    out.append("$")
    return re.compile("".join(out))


def _covered(pattern: str, blob: str, paths: Sequence[str]) -> set[str]:
    """The paths an ignore pattern matches, or matches a parent directory of."""
    if "[" in pattern:  # a user's character class could match a newline: path by path
        regex = _covering_regex(pattern, multiline=False)
        return {path for path in paths if regex.match(path)}
    # One search over the newline-joined paths, in C: a path is covered when the path, or a
    # prefix of it that ends before a `/`, matches the pattern.
    return set(_covering_regex(pattern, multiline=True).findall(blob))


@lru_cache(maxsize=4096)
def _covering_regex(pattern: str, *, multiline: bool) -> re.Pattern[str]:
    if _ignore_regex(pattern) is _NEVER:
        return _NEVER
    body = _ignore_regex(pattern).pattern[1:-1].replace("(.*/)?", "(?:.*/)?")
    if multiline:
        return re.compile("^" + body.replace("[^/]", "[^/\\n]") + "(?:/.*)?$", re.MULTILINE)
    return re.compile(f"^{body}(?:/.*)?$")


def whole_matches(pattern: str, paths: Sequence[str]) -> list[str]:
    """The paths a cleaned ignore-dialect pattern matches exactly, in their order."""
    blob = "\n".join(paths)
    if "[" in pattern or blob.count("\n") != len(paths) - 1:  # a class or a path could span lines
        return [p for p in paths if whole_match(pattern, p)]
    if _ignore_regex(pattern) is _NEVER:
        return []
    # One search over the newline-joined paths, in C, instead of one match per path (`.`
    # never matches a newline, and `[^/]` is kept from doing so).
    body = _ignore_regex(pattern).pattern[1:-1].replace("(.*/)?", "(?:.*/)?")
    found = set(re.findall("(?m)^" + body.replace("[^/]", "[^/\n]") + "$", blob))
    return [p for p in paths if p in found] if found else []


def whole_match(pattern: str, path: str) -> bool:
    """A cleaned ignore-dialect pattern matches exactly `path` (not only a parent of it)."""
    return bool(_ignore_regex(pattern).match(path))


def ignore_matches(pattern: str, path: str) -> bool:
    """A cleaned ignore pattern matches `path` or one of its parent directories."""
    return bool(_covering_regex(pattern, multiline=False).match(path))


@dataclass(frozen=True)
class IgnoreRule:
    """One line of a `.dockerignore`: a cleaned pattern, `!` re-including."""

    pattern: str
    exception: bool


@dataclass(frozen=True)
class Ignore:
    """A `.dockerignore`'s rules in order; `excludes(path)` decides as Docker does."""

    rules: tuple[IgnoreRule, ...] = ()

    def excludes(self, path: str) -> bool:
        """True when the build context leaves `path` (relative to the context) out."""
        return not self.keep((path,))

    def keep(self, paths: Sequence[str]) -> list[str]:
        """The paths (relative to the context) the build context holds, in order."""
        if not self.rules:
            return list(paths)
        blob = "\n".join(paths)
        excluded: set[str] = set()
        # The last rule matching a path decides (moby's loop, run rule by rule over all paths).
        for rule in self.rules:
            hits = _covered(rule.pattern, blob, paths)
            excluded = excluded - hits if rule.exception else excluded | hits
        return [path for path in paths if path not in excluded]


def parse_ignore(text: str) -> Ignore:
    """The rules of a `.dockerignore` file (comments and blank lines dropped)."""
    rules: list[IgnoreRule] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        exception = line.startswith("!")
        if exception:
            line = line[1:].strip()
        if line:
            rules.append(IgnoreRule(clean(line), exception))
    return Ignore(tuple(rules))


def with_prefix(tree: Tree, prefix: str) -> tuple[str, ...]:
    """Paths of the tree that start with `prefix` (any string): one slice, by bisection."""
    return tree.with_prefix(prefix)


def below(tree: Tree, directory: str) -> tuple[str, ...]:
    """`Tree.under` as one slice of the sorted paths ("" is every path)."""
    return tree.paths if directory in ("", ".") else with_prefix(tree, directory + "/")


def glob_tree(tree: Tree, pattern: str) -> Iterator[str]:
    """Repo paths an ignore-dialect glob covers (itself or a parent directory matches)."""
    cleaned = clean(pattern)
    if cleaned == ".":
        yield from tree.paths
        return
    prefix = literal_prefix(cleaned)
    if prefix == cleaned:  # no wildcard: the file itself, or everything below the directory
        if prefix in tree:
            yield prefix
        yield from below(tree, prefix)
        return
    candidates = below(tree, prefix)
    yield from sorted(_covered(cleaned, "\n".join(candidates), candidates))


def copy_sources(tree: Tree, pattern: str) -> Iterator[str]:
    """Repo paths a COPY source covers: a file, a directory's files, or a filepath.Match glob."""
    cleaned = clean(pattern)
    prefix = literal_prefix(cleaned) if cleaned != "." else ""
    if prefix == cleaned or cleaned == ".":
        if prefix and prefix in tree:
            yield prefix
        yield from below(tree, prefix)
        return
    regex = _match_regex(cleaned)
    depth = cleaned.count("/") + 1
    for path in below(tree, prefix):
        parts = path.split("/", depth)
        if len(parts) >= depth and regex.match("/".join(parts[:depth])):
            yield path
