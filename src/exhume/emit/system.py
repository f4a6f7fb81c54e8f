"""Debian packages the distributions of a lock need: run-time libraries, programs, and what building an sdist takes.

The knowledge is the hand-kept table ``resolvers/system-packages.toml``: each row names a distribution (and
optionally a range of its releases), the Debian packages, and the error they prevent. Rows marked
``when = "source"`` apply only to releases built from their sdist; which pins those are is either told by the
caller (:func:`pins_built_from_source`, from the index's file lists) or, when unknown, taken from the row's own
range of releases known to ship no Linux wheel.
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeAlias

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from exhume.errors import InputError, KnowledgeError
from exhume.index import DistFile
from exhume.knowledge.data import data_path
from exhume.knowledge.pythons import python_support
from exhume.model import Pin
from exhume.target import Target

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

__all__ = [
    "PinLike",
    "Release",
    "SystemNeeds",
    "SystemRule",
    "SystemTable",
    "check_debian_package",
    "load_system_table",
    "normalize_pins",
    "pins_built_from_source",
    "system_needs",
    "system_packages_for",
]

PinLike: TypeAlias = "Pin | Release | tuple[str, str | Version]"

# Debian policy §5.6.7: lower case letters, digits, '+', '-', '.'; at least two characters, alphanumeric first.
_DEBIAN_NAME = re.compile(r"^[a-z0-9][a-z0-9+.-]+$")
_WHEN = ("always", "source")


@dataclass(frozen=True, slots=True, kw_only=True, order=True)
class Release:
    """One pinned release: canonical distribution name and version."""

    name: str
    version: Version

    def __str__(self) -> str:
        return f"{self.name} {self.version}"


def normalize_pins(pins: Iterable[PinLike]) -> tuple[Release, ...]:
    """Lock pins, :class:`Release` records or ``(name, version)`` pairs as releases: canonical names, sorted,
    unique.

    Raises :class:`InputError` for a version that does not parse or a name pinned twice at different versions.
    """
    seen: dict[str, Release] = {}
    for pin in pins:
        if isinstance(pin, (Pin, Release)):
            name, version = canonicalize_name(pin.name), pin.version
        else:
            raw_name, raw_version = pin
            name = canonicalize_name(raw_name)
            try:
                version = raw_version if isinstance(raw_version, Version) else Version(raw_version)
            except InvalidVersion as exc:
                raise InputError(f"pin {raw_name}=={raw_version}: not a valid version") from exc
        release = Release(name=name, version=version)
        if seen.get(name, release) != release:
            raise InputError(f"{name} is pinned twice: {seen[name].version} and {version}")
        seen[name] = release
    return tuple(sorted(seen.values()))


def check_debian_package(name: str) -> str:
    """Return ``name`` if it is a valid Debian package name, else raise :class:`InputError`.

    Names end up inside a shell command in the Dockerfile; this is what keeps anything else out of it.
    """
    if not _DEBIAN_NAME.match(name):
        raise InputError(f"{name!r} is not a Debian package name", hint="names are lower case: a-z 0-9 + - .")
    return name


@dataclass(frozen=True, slots=True, kw_only=True)
class SystemRule:
    """One row of the table: a distribution (and range of releases), its Debian packages, and why."""

    distribution: str
    versions: SpecifierSet
    packages: tuple[str, ...]
    when: str
    reason: str
    env: tuple[tuple[str, str], ...] = ()

    def applies(self, release: Release, built_from_source: Collection[str] | None) -> bool:
        """Whether the row applies to ``release``.

        ``always`` rows apply to releases in their range. ``source`` rows apply to releases the caller says are
        built from source, whatever their version; when the caller cannot say (None), to releases in the row's
        range, which lists the releases known to ship no Linux wheel.
        """
        if release.name != self.distribution:
            return False
        if self.when == "source" and built_from_source is not None:
            return release.name in built_from_source
        return self.versions.contains(release.version, prereleases=True)


@dataclass(frozen=True, slots=True, kw_only=True)
class SystemTable:
    """The parsed ``system-packages.toml``: rows, the compiler packages, and per-release package renames."""

    rules: tuple[SystemRule, ...]
    compiler_packages: tuple[str, ...]
    compiler_reason: str
    renames: Mapping[str, Mapping[str, str]]

    def rename(self, package: str, codename: str | None) -> str:
        """The name ``package`` has on Debian ``codename`` (unchanged where the table has no rename)."""
        if codename is None:
            return package
        return self.renames.get(codename, {}).get(package, package)


def _parse_rule(index: int, row: Mapping[str, Any]) -> SystemRule:
    where = f"system-packages.toml rows[{index}]"
    try:
        when = row.get("when", "always")
        if when not in _WHEN:
            raise KnowledgeError(f"{where}: when = {when!r}, expected one of {', '.join(_WHEN)}")
        env = row.get("env", {})
        return SystemRule(
            distribution=canonicalize_name(row["distribution"]),
            versions=SpecifierSet(row.get("versions", "")),
            packages=tuple(check_debian_package(p) for p in row["packages"]),
            when=when,
            reason=str(row["reason"]),
            env=tuple(sorted((str(k), str(v)) for k, v in env.items())),
        )
    except (KeyError, TypeError, InvalidSpecifier, InputError) as exc:
        raise KnowledgeError(f"{where}: {exc}") from exc


@functools.lru_cache(maxsize=8)
def _load(path: Path) -> SystemTable:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise KnowledgeError(f"cannot read {path}: {exc}") from exc
    compiler = data.get("compiler", {})
    renames = {
        codename: {check_debian_package(k): check_debian_package(v) for k, v in table.items()}
        for codename, table in data.get("renames", {}).items()
    }
    return SystemTable(
        rules=tuple(_parse_rule(i, row) for i, row in enumerate(data.get("rows", []))),
        compiler_packages=tuple(check_debian_package(p) for p in compiler.get("packages", ["build-essential"])),
        compiler_reason=str(compiler.get("reason", "a release is built from its sdist")),
        renames=renames,
    )


def load_system_table(path: Path | None = None) -> SystemTable:
    """The system-packages table, from ``path`` or ``resolvers/system-packages.toml``; read once per process.

    Raises :class:`KnowledgeError` when the file is missing or a row is malformed.
    """
    return _load((path or data_path("system-packages.toml")).resolve())


@dataclass(frozen=True, slots=True, kw_only=True)
class SystemNeeds:
    """What a lock needs from Debian: ``packages`` as sorted ``(package, reason)`` pairs (the compiler's
    included when one is needed), whether a compiler is needed and for which releases, and environment
    variables the image should set (sorted)."""

    packages: tuple[tuple[str, str], ...]
    needs_compiler: bool
    built_from_source: tuple[str, ...]
    env: tuple[tuple[str, str], ...]

    @property
    def names(self) -> tuple[str, ...]:
        """The package names alone, sorted."""
        return tuple(name for name, _ in self.packages)


def system_needs(
    pins: Iterable[PinLike],
    *,
    built_from_source: Collection[str] | None = None,
    needs_compiler: bool | None = None,
    extra_packages: Iterable[str] = (),
    codename: str | None = None,
    table: SystemTable | None = None,
) -> SystemNeeds:
    """Debian packages, compiler and environment for the pinned releases, each package with its reasons.

    ``built_from_source``: canonical names of pins that have no wheel for the target Python (None: unknown,
    the table's own knowledge decides). ``needs_compiler`` overrides the decision (None: a compiler when any
    release is built from source). ``extra_packages`` are added with the reason "requested". ``codename``
    renames packages for that Debian release. Pure: same input, same output.
    """
    table = table if table is not None else load_system_table()
    releases = normalize_pins(pins)
    source_names = None if built_from_source is None else {canonicalize_name(n) for n in built_from_source}
    reasons: dict[str, list[str]] = {}
    env: dict[str, str] = {}
    from_source: set[str] = set()
    if source_names is not None:
        from_source.update(str(r) for r in releases if r.name in source_names)
    for release in releases:
        for rule in table.rules:
            if not rule.applies(release, source_names):
                continue
            if rule.when == "source":
                from_source.add(str(release))
            for package in rule.packages:
                reasons.setdefault(table.rename(package, codename), []).append(f"{release}: {rule.reason}")
            for key, value in rule.env:
                env.setdefault(key, value)
    compiler = bool(from_source) if needs_compiler is None else needs_compiler
    if compiler:
        built = ", ".join(sorted(from_source)) or "requested"
        for package in table.compiler_packages:
            reasons.setdefault(package, []).append(f"builds {built}: {table.compiler_reason}")
    for package in extra_packages:
        reasons.setdefault(table.rename(check_debian_package(package), codename), []).append("requested")
    packages = tuple((name, "; ".join(dict.fromkeys(why))) for name, why in sorted(reasons.items()))
    return SystemNeeds(
        packages=packages,
        needs_compiler=compiler,
        built_from_source=tuple(sorted(from_source)),
        env=tuple(sorted(env.items())),
    )


def system_packages_for(
    pins: Iterable[PinLike],
    *,
    built_from_source: Collection[str] | None = None,
    codename: str | None = None,
    table: SystemTable | None = None,
) -> list[tuple[str, str]]:
    """``(debian package, reason)`` pairs for the pinned releases from the table, sorted by package.

    A compiler is included when a release is built from source (see :func:`system_needs` for the arguments).
    """
    needs = system_needs(pins, built_from_source=built_from_source, codename=codename, table=table)
    return list(needs.packages)


def pins_built_from_source(
    pins: Iterable[PinLike],
    target: Target,
    release_files: Callable[[str, Version], Iterable[DistFile]],
) -> tuple[str, ...]:
    """Canonical names of the pinned releases that have no wheel for ``target`` (CPython X.Y on its Linux).

    ``release_files(name, version)`` returns the index's files of one release (for instance
    ``lambda n, v: client.project(n).release_files(v)``); this function adds no network access of its own.
    A release with neither a wheel nor an sdist for the Python is listed too: pip will fail on it, and the
    compiler is the least of its needs.
    """
    out = []
    for release in normalize_pins(pins):
        support = python_support(release_files(release.name, release.version), platform=target.platform)
        if target.python not in support.wheels:
            out.append(release.name)
    return tuple(out)
