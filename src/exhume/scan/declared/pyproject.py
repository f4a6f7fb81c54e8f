"""pyproject.toml: PEP 621 ``[project]``, PEP 735 ``[dependency-groups]``, setuptools' dynamic dependency
files, and Poetry's ``[tool.poetry]`` tables with ``^``/``~`` constraints translated to PEP 440."""

from __future__ import annotations

import re
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from exhume.model import FileFacts, Location
from exhume.scan.declared import requirements
from exhume.scan.declared._common import Context, parse_requirement, python_evidence, requirement_from_parts, warning
from exhume.scan.declared._toml import TOMLDecodeError, error_line, find_line, loads, section_lines

SOURCE = "pyproject"


def read(ctx: Context, relpath: str, text: str) -> FileFacts:
    """Read a pyproject.toml's dependency declarations."""
    facts = FileFacts()
    try:
        data = loads(text)
    except TOMLDecodeError as exc:
        line = error_line(exc)
        facts.warnings.append(warning(f"invalid TOML: {exc}", Location(path=relpath, line=line)))
        return facts
    lines = text.splitlines()
    sections = section_lines(text)
    reader = _Reader(ctx=ctx, relpath=relpath, lines=lines, sections=sections, facts=facts)
    project = data.get("project")
    if isinstance(project, dict):
        reader.pep621(project)
    groups = data.get("dependency-groups")
    if isinstance(groups, dict):
        start = sections.get("dependency-groups", 0)
        for group, items in sorted(groups.items()):
            if isinstance(items, list):
                reader.pep508_list([i for i in items if isinstance(i, str)], group, start)
    tool = data.get("tool")
    if isinstance(tool, dict):
        poetry = tool.get("poetry")
        if isinstance(poetry, dict):
            reader.poetry(poetry)
        setuptools = tool.get("setuptools")
        if isinstance(setuptools, dict):
            reader.setuptools_dynamic(setuptools)
    return facts


class _Reader:
    def __init__(
        self, *, ctx: Context, relpath: str, lines: list[str], sections: dict[str, int], facts: FileFacts
    ) -> None:
        self.ctx = ctx
        self.relpath = relpath
        self.lines = lines
        self.sections = sections
        self.facts = facts

    def _location(self, start: int, needles: list[str]) -> Location:
        return Location(path=self.relpath, line=find_line(self.lines, start, needles))

    def pep508_list(self, items: list[str], extra: str | None, start: int) -> None:
        """PEP 508 strings from a list, located by their quoted text after line ``start``."""
        for item in items:
            location = self._location(start, [item])
            found = parse_requirement(item, source=SOURCE, location=location, extra=extra)
            if found is None:
                self.facts.warnings.append(warning(f"not a requirement: {item!r}", location))
            else:
                self.facts.declared.append(found)

    def pep621(self, project: dict[str, Any]) -> None:
        """``[project]``: dependencies, optional-dependencies, requires-python."""
        start = self.sections.get("project", 0)
        dependencies = project.get("dependencies")
        if isinstance(dependencies, list):
            self.pep508_list([d for d in dependencies if isinstance(d, str)], None, start)
        optional = project.get("optional-dependencies")
        if isinstance(optional, dict):
            opt_start = self.sections.get("project.optional-dependencies", start)
            for extra, items in sorted(optional.items()):
                if isinstance(items, list):
                    self.pep508_list([i for i in items if isinstance(i, str)], extra, opt_start)
        requires_python = project.get("requires-python")
        if isinstance(requires_python, str):
            location = self._location(start, ["requires-python"])
            try:
                spec = SpecifierSet(requires_python)
            except InvalidSpecifier:
                self.facts.warnings.append(
                    warning(f"requires-python is not a specifier: {requires_python!r}", location)
                )
            else:
                self.facts.python.extend(python_evidence(spec, SOURCE, location))

    def setuptools_dynamic(self, setuptools: dict[str, Any]) -> None:
        """``[tool.setuptools.dynamic]``: dependency files, followed."""
        dynamic = setuptools.get("dynamic")
        if not isinstance(dynamic, dict):
            return
        start = self.sections.get("tool.setuptools.dynamic", 0)
        for key in ("dependencies", "optional-dependencies"):
            value = dynamic.get(key)
            tables = [value] if key == "dependencies" else list(value.values()) if isinstance(value, dict) else []
            for table in tables:
                if not isinstance(table, dict):
                    continue
                files = table.get("file")
                for ref in [files] if isinstance(files, str) else files if isinstance(files, list) else []:
                    if isinstance(ref, str):
                        location = self._location(start, [ref])
                        self.facts.extend(self.ctx.follow(self.relpath, ref, location, requirements.read))

    def poetry(self, poetry: dict[str, Any]) -> None:
        """``[tool.poetry]``: dependencies, dev-dependencies and groups; ``python`` is evidence."""
        optional_extras: dict[str, str] = {}
        extras = poetry.get("extras")
        if isinstance(extras, dict):
            for extra, names in sorted(extras.items()):
                for name in names if isinstance(names, list) else []:
                    optional_extras.setdefault(str(name).lower(), extra)
        tables: list[tuple[str, Any, str | None]] = [
            ("tool.poetry.dependencies", poetry.get("dependencies"), None),
            ("tool.poetry.dev-dependencies", poetry.get("dev-dependencies"), "dev"),
        ]
        groups = poetry.get("group")
        if isinstance(groups, dict):
            for group, table in sorted(groups.items()):
                if isinstance(table, dict):
                    tables.append((f"tool.poetry.group.{group}.dependencies", table.get("dependencies"), group))
        for section, table, extra in tables:
            if not isinstance(table, dict):
                continue
            start = self.sections.get(section, 0)
            for name, value in table.items():
                location = self._location(start, [name])
                if location.line is None and f"{section}.{name}" in self.sections:
                    # [tool.poetry.dependencies.torch] with the constraint in its own table
                    location = Location(path=self.relpath, line=self.sections[f"{section}.{name}"] + 1)
                if name.lower() == "python":
                    constraint = value if isinstance(value, str) else None
                    spec = poetry_specifier(constraint) if constraint is not None else None
                    if spec is None:
                        self.facts.warnings.append(warning(f"python constraint not understood: {value!r}", location))
                    else:
                        self.facts.python.extend(python_evidence(SpecifierSet(spec), SOURCE, location))
                    continue
                self._poetry_dependency(name, value, location, extra, optional_extras)

    def _poetry_dependency(
        self, name: str, value: Any, location: Location, extra: str | None, optional_extras: dict[str, str]
    ) -> None:
        constraint: str | None = None
        markers: list[str] = []
        if isinstance(value, str):
            constraint = value
        elif isinstance(value, dict):
            if "path" in value:
                return  # a local package of the repository itself
            version = value.get("version")
            constraint = version if isinstance(version, str) else None
            if value.get("optional") and extra is None:
                extra = optional_extras.get(name.lower(), "optional")
            python = value.get("python")
            if isinstance(python, str):
                python_spec = poetry_specifier(python)
                if python_spec:
                    markers.append(
                        " and ".join(f'python_version {s.operator} "{s.version}"' for s in SpecifierSet(python_spec))
                    )
        spec = poetry_specifier(constraint) if constraint is not None else ""
        if spec is None:
            self.facts.warnings.append(warning(f"constraint not understood: {name} = {constraint!r}", location))
            spec = ""
        found = requirement_from_parts(name, spec, source=SOURCE, location=location, extra=extra)
        if found is not None and markers:
            found = (
                parse_requirement(f"{found.text}; {markers[0]}", source=SOURCE, location=location, extra=extra) or found
            )
        if found is None:
            self.facts.warnings.append(warning(f"not a dependency: {name!r}", location))
        else:
            self.facts.declared.append(found)


_POETRY_PART = re.compile(r"^(?P<op>\^|~=|~|==|!=|>=|<=|>|<|=)?\s*(?P<version>[0-9][0-9A-Za-z.*+-]*)$")


def poetry_specifier(constraint: str) -> str | None:
    """A Poetry constraint as PEP 440 text: ``^1.2`` → ``>=1.2,<2.0``, ``~1.2.3`` → ``>=1.2.3,<1.3.0``,
    ``*`` → "", ``1.2.3`` → ``==1.2.3``. Returns None for what PEP 440 cannot say (``||`` unions)."""
    constraint = constraint.strip()
    if constraint in ("", "*"):
        return ""
    if "||" in constraint:
        return None
    parts = [p for p in re.split(r"\s*,\s*|\s+(?=[\^~<>=!])", constraint) if p]
    out: list[str] = []
    for part in parts:
        match = _POETRY_PART.match(part.strip())
        if match is None:
            return None
        op = match.group("op") or ""
        version = match.group("version")
        if op == "^":
            out.extend(_caret(version))
        elif op == "~":
            out.extend(_tilde(version))
        elif op in ("", "=", "=="):
            out.append(f"=={version}")
        else:
            out.append(f"{op}{version}")
    text = ",".join(out)
    try:
        SpecifierSet(text)
    except InvalidSpecifier:
        return None
    return text


def _numbers(version: str) -> list[int]:
    return [int(p) for p in re.findall(r"\d+", version.split("-", 1)[0])[:3]]


def _caret(version: str) -> list[str]:
    numbers = _numbers(version)
    if not numbers:
        return []
    # The upper bound bumps the first non-zero part (of those given).
    for index, number in enumerate(numbers):
        if number != 0 or index == len(numbers) - 1:
            upper = [*numbers[:index], number + 1]
            break
    return [f">={version}", f"<{'.'.join(map(str, upper))}"]


def _tilde(version: str) -> list[str]:
    numbers = _numbers(version)
    if not numbers:
        return []
    upper = [numbers[0] + 1] if len(numbers) == 1 else [numbers[0], numbers[1] + 1]
    return [f">={version}", f"<{'.'.join(map(str, upper))}"]
