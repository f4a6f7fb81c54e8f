"""A small INI reader that keeps line numbers (configparser drops them), for setup.cfg and tox.ini."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_SECTION = re.compile(r"^\[([^\]]+)\]\s*$")
_KEY = re.compile(r"^([^=:\s][^=:]*?)\s*[=:]\s?(.*)$")


@dataclass(slots=True)
class IniValue:
    """One key's value as (line number, text) pairs: the text after ``=`` and each continuation line."""

    line: int
    parts: list[tuple[int, str]] = field(default_factory=list)

    def items(self) -> list[tuple[int, str]]:
        """The non-empty parts with comments removed."""
        out = []
        for number, text in self.parts:
            text = re.sub(r"(^|\s)[#;].*$", "", text).strip()
            if text:
                out.append((number, text))
        return out

    def text(self) -> str:
        """The value as one string."""
        return " ".join(t for _n, t in self.items())


def parse_ini(text: str) -> dict[str, dict[str, IniValue]]:
    """Sections → keys → values. Keys are lower-cased; a repeated section or key merges into the last."""
    sections: dict[str, dict[str, IniValue]] = {}
    current: dict[str, IniValue] | None = None
    value: IniValue | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not stripped or stripped.startswith(("#", ";")):
            continue
        if raw[0].isspace() and value is not None:
            value.parts.append((number, stripped))
            continue
        section = _SECTION.match(stripped)
        if section is not None:
            current = sections.setdefault(section.group(1).strip(), {})
            value = None
            continue
        key = _KEY.match(stripped)
        if key is None or current is None:
            value = None
            continue
        value = IniValue(line=number, parts=[(number, key.group(2))])
        current[key.group(1).strip().lower().replace("-", "_")] = value
    return sections
