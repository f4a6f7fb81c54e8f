"""Known breakages that no API index shows, from the hand-kept table ``resolvers/breakages.toml``.

A row says: releases of one distribution fail with (or without) releases of another, although every declared
requirement is met; the error users see; the constraint that prevents it; and the upstream issue or changelog
that documents it. The inference stage adds the constraints of the rows that apply; the repair stage finds rows
by the error text in a failed build or smoke-test log.
"""

from __future__ import annotations

import functools
import logging
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from exhume.errors import BreakageDataError
from exhume.knowledge.data import data_path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

__all__ = [
    "ANY_DISTRIBUTION",
    "Breakage",
    "BreakageKind",
    "breakages",
    "breakages_for",
    "matching_error",
    "needed_for_name",
]

log = logging.getLogger(__name__)

BreakageKind = Literal["conflict", "needs", "removed"]
_KINDS: tuple[BreakageKind, ...] = ("conflict", "needs", "removed")

ANY_DISTRIBUTION = "*"
"""The ``distribution`` of a row that applies to any distribution; such rows are found by error text only."""

MISSING = "missing"
"""The ``other`` of a row whose trouble is an absence, not a second distribution."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Breakage:
    """One known breakage. ``affected`` selects the releases of ``distribution`` that break.

    ``kind`` is ``"conflict"`` (breaks with ``other`` in ``other_specifier``), ``"needs"`` (breaks unless
    ``other`` is installed; ``other_specifier`` is None) or ``"removed"`` (the affected releases dropped what
    ``names`` use; ``other`` is ``"missing"``). ``constraint`` is what to add to prevent it; with ``build`` it
    belongs to the build environment of sdists, not to the installed environment.
    """

    id: str
    distribution: str
    affected: SpecifierSet
    kind: BreakageKind
    other: str
    other_specifier: SpecifierSet | None
    error: str
    match: tuple[str, ...]
    constraint: Requirement
    build: bool
    names: tuple[str, ...]
    source: str
    note: str

    @property
    def applies_to_any(self) -> bool:
        """Whether the row is not tied to one distribution (found by its error text only)."""
        return self.distribution == ANY_DISTRIBUTION

    def affects(self, distribution: str, version: Version) -> bool:
        """Whether the release ``distribution`` ``version`` is on the breaking side of this row."""
        if self.applies_to_any or canonicalize_name(distribution) != self.distribution:
            return False
        return self.affected.contains(version, prereleases=True)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form, as reports print it."""
        data: dict[str, Any] = {
            "id": self.id,
            "distribution": self.distribution,
            "affected": str(self.affected),
            "kind": self.kind,
            "other": self.other,
            "error": self.error,
            "match": list(self.match),
            "constraint": str(self.constraint),
            "build": self.build,
            "names": list(self.names),
            "source": self.source,
            "note": self.note,
        }
        if self.other_specifier is not None:
            data["other_specifier"] = str(self.other_specifier)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Breakage:
        """Read one row (a table row or the output of :meth:`to_dict`); raises BreakageDataError if malformed."""
        return _parse_row(data)


def _field(row: Mapping[str, Any], key: str, *, default: Any = None, required: bool = True) -> Any:
    if key in row:
        return row[key]
    if required:
        raise BreakageDataError(f"breakage row {row.get('id', '?')!r}: missing field {key!r}")
    return default


def _parse_row(row: Mapping[str, Any]) -> Breakage:
    ident = str(_field(row, "id"))
    where = f"breakage row {ident!r}"
    try:
        kind = str(_field(row, "kind"))
        if kind not in _KINDS:
            raise BreakageDataError(f"{where}: kind {kind!r} is not one of {', '.join(_KINDS)}")
        other = str(_field(row, "other"))
        raw_other_spec = _field(row, "other_specifier", required=False)
        if kind == "conflict":
            if raw_other_spec is None:
                raise BreakageDataError(f"{where}: a conflict needs other_specifier")
            other_specifier: SpecifierSet | None = SpecifierSet(str(raw_other_spec))
        else:
            if raw_other_spec is not None:
                raise BreakageDataError(f"{where}: only a conflict has other_specifier")
            other_specifier = None
        if kind == "removed" and other != MISSING:
            raise BreakageDataError(f"{where}: a 'removed' row has other = {MISSING!r}")
        distribution = str(_field(row, "distribution"))
        if distribution != ANY_DISTRIBUTION:
            distribution = canonicalize_name(distribution)
        if other != MISSING:
            other = canonicalize_name(other)
        error = str(_field(row, "error"))
        match = tuple(str(m) for m in _field(row, "match", default=(re.escape(error),), required=False))
        for pattern in match:
            re.compile(pattern)
        source = str(_field(row, "source"))
        if not source.startswith("https://"):
            raise BreakageDataError(f"{where}: source {source!r} is not an https URL")
        names = tuple(str(n) for n in _field(row, "names", default=(), required=False))
        return Breakage(
            id=ident,
            distribution=distribution,
            affected=SpecifierSet(str(_field(row, "affected"))),
            kind=kind,  # narrowed by the check against _KINDS above
            other=other,
            other_specifier=other_specifier,
            error=error,
            match=match,
            constraint=Requirement(str(_field(row, "constraint"))),
            build=bool(_field(row, "build", default=False, required=False)),
            names=names,
            source=source,
            note=str(_field(row, "note", default="", required=False)),
        )
    except (InvalidSpecifier, InvalidRequirement, re.error) as exc:
        raise BreakageDataError(f"{where}: {exc}") from exc


def _table_path() -> Path:
    return data_path("breakages.toml")


@functools.cache
def breakages() -> tuple[Breakage, ...]:
    """Every row of the table, in file order; loaded once. Raises BreakageDataError for a malformed table."""
    path = _table_path()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise BreakageDataError(f"cannot read the breakage table {path}: {exc}") from exc
    rows = tuple(_parse_row(row) for row in data.get("breakage", ()))
    seen: set[str] = set()
    for row in rows:
        if row.id in seen:
            raise BreakageDataError(f"breakage row {row.id!r} appears twice in {path}")
        seen.add(row.id)
    log.debug("loaded %d breakage rows from %s", len(rows), path)
    return rows


def breakages_for(distribution: str, version: Version) -> list[Breakage]:
    """The rows whose breaking side is this release, sorted by id. Rows for any distribution are not included."""
    return sorted((b for b in breakages() if b.affects(distribution, version)), key=lambda b: b.id)


def _name_matches(trigger: str, dotted: str) -> bool:
    return dotted == trigger or dotted.startswith(trigger + ".")


def needed_for_name(dotted: str) -> list[Breakage]:
    """The rows that the use of ``dotted`` (``"scipy.misc.imread"``) brings into play, sorted by id.

    A row's name also covers the names below it: ``sklearn.externals.joblib.dump`` triggers the row for
    ``sklearn.externals.joblib``. The caller resolves import aliases first (``np`` → ``numpy``).
    """
    return sorted((b for b in breakages() if any(_name_matches(n, dotted) for n in b.names)), key=lambda b: b.id)


@functools.cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def matching_error(log_text: str, *, installed: Mapping[str, Version] | None = None) -> list[Breakage]:
    """The rows whose error text appears in ``log_text`` (a failed build or smoke-test log), sorted by id.

    With ``installed`` (distribution → version), a row tied to one distribution is kept only if that
    distribution is installed in an affected release; rows for any distribution are always kept.
    """
    pinned: dict[NormalizedName, Version] | None = None
    if installed is not None:
        pinned = {canonicalize_name(name): version for name, version in installed.items()}
    found: list[Breakage] = []
    for row in breakages():
        if not any(_compiled(p).search(log_text) for p in row.match):
            continue
        if pinned is not None and not row.applies_to_any:
            version = pinned.get(NormalizedName(row.distribution))
            if version is None or not row.affected.contains(version, prereleases=True):
                continue
        found.append(row)
    return sorted(found, key=lambda b: b.id)
