"""Pipfile: ``[packages]``, ``[dev-packages]`` (extra "dev") and ``[requires] python_version``."""

from __future__ import annotations

from typing import Any

from exhume.model import FileFacts, Location
from exhume.scan.declared._common import Context, python_evidence, python_spec, requirement_from_parts, warning
from exhume.scan.declared._toml import TOMLDecodeError, error_line, find_line, loads, section_lines

SOURCE = "pipfile"


def read(ctx: Context, relpath: str, text: str) -> FileFacts:
    """Read a Pipfile."""
    facts = FileFacts()
    try:
        data = loads(text)
    except TOMLDecodeError as exc:
        facts.warnings.append(warning(f"invalid TOML: {exc}", Location(path=relpath, line=error_line(exc))))
        return facts
    lines = text.splitlines()
    sections = section_lines(text)
    for section, extra in (("packages", None), ("dev-packages", "dev")):
        table = data.get(section)
        if not isinstance(table, dict):
            continue
        start = sections.get(section, 0)
        for name, value in table.items():
            location = Location(path=relpath, line=find_line(lines, start, [name]))
            spec = _spec(value)
            if spec is None:
                continue  # a path or VCS entry without a version: the repository's own code or a fork
            found = requirement_from_parts(name, spec, source=SOURCE, location=location, extra=extra)
            if found is None:
                found = requirement_from_parts(name, "", source=SOURCE, location=location, extra=extra)
                facts.warnings.append(warning(f"version not understood: {name} = {value!r}", location))
            if found is not None:
                facts.declared.append(found)
    requires = data.get("requires")
    if isinstance(requires, dict):
        start = sections.get("requires", 0)
        for key in ("python_full_version", "python_version"):
            value = requires.get(key)
            if isinstance(value, str):
                location = Location(path=relpath, line=find_line(lines, start, [key]))
                facts.python.extend(python_evidence(python_spec(value), SOURCE, location))
                break
    return facts


def _spec(value: Any) -> str | None:
    if isinstance(value, str):
        return "" if value.strip() == "*" else value.strip()
    if isinstance(value, dict):
        if "path" in value or "file" in value:
            return None
        version = value.get("version")
        if isinstance(version, str):
            return "" if version.strip() == "*" else version.strip()
        return ""
    return ""
