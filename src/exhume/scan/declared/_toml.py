"""TOML loading that works on Python 3.10 (tomli) and later (tomllib), plus line lookup for TOML keys."""

from __future__ import annotations

import re
import sys
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

TOMLDecodeError = tomllib.TOMLDecodeError


_AT_LINE = re.compile(r"at line (\d+)")


def error_line(exc: Exception) -> int | None:
    """The 1-based line a TOML error points at (from its attribute on 3.14+, else from its message)."""
    line = getattr(exc, "lineno", None)
    if isinstance(line, int):
        return line
    match = _AT_LINE.search(str(exc))
    return int(match.group(1)) if match else None


def loads(text: str) -> dict[str, Any]:
    """Parse TOML text; raises TOMLDecodeError."""
    return tomllib.loads(text)


_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")


def section_lines(text: str) -> dict[str, int]:
    """Table name (as written, quotes removed) → 0-based index of its header line."""
    found: dict[str, int] = {}
    for index, line in enumerate(text.splitlines()):
        match = _HEADER.match(line)
        if match is not None:
            name = re.sub(r"\s*\.\s*", ".", match.group(1)).replace('"', "").replace("'", "")
            found.setdefault(name, index)
    return found


def find_line(lines: list[str], start: int, needles: list[str]) -> int | None:
    """1-based line of the first line at or after ``start`` containing any of ``needles`` as a quoted string
    or a bare key; None when absent."""
    patterns = []
    for needle in needles:
        escaped = re.escape(needle)
        patterns.append(re.compile(rf"""(["']){escaped}\1|^\s*{escaped}\s*="""))
    for index in range(max(start, 0), len(lines)):
        line = lines[index]
        if any(p.search(line) for p in patterns):
            return index + 1
    return None
