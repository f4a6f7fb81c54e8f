"""What a scan returns: every located fact, plus the modules classified and grouped by distribution."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from exhume.model.facts import (
    ApiRef,
    DeclaredRequirement,
    Import,
    Location,
    PythonEvidence,
    ScanWarning,
    SyntaxFeature,
    VersionEvidence,
)

__all__ = ["SCHEMA", "AsOf", "DistributionUse", "ModuleKind", "ModuleUse", "ScanResult"]

# Bumped whenever the JSON layout changes in a way a reader would notice.
SCHEMA = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class AsOf:
    """The date the code was last changed, or ``None`` with the reason there is none."""

    date: datetime | None
    commit: str | None = None
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "date": self.date.isoformat() if self.date else None,
            "commit": self.commit,
            "reason": self.reason,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AsOf:
        date = datetime.fromisoformat(data["date"]) if data.get("date") else None
        return cls(date=date, commit=data.get("commit"), reason=data["reason"])


class ModuleKind(enum.Enum):
    STDLIB = "stdlib"
    FIRST_PARTY = "first-party"
    THIRD_PARTY = "third-party"


@dataclass(frozen=True, slots=True, kw_only=True)
class ModuleUse:
    """One imported module (as written, dotted), how it was classified and why.

    ``distribution`` is the chosen provider for third-party modules; ``candidates`` lists every candidate with
    the reason it was considered (best first). ``optional`` is true when every import of it is optional.
    ``python`` bounds the Python version where the module is stdlib in some versions only.
    """

    module: str
    kind: ModuleKind
    reason: str
    locations: tuple[Location, ...]
    optional: bool = False
    guarded: bool = False
    distribution: str | None = None
    candidates: tuple[tuple[str, str], ...] = ()
    python: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "module": self.module,
            "kind": self.kind.value,
            "reason": self.reason,
            "locations": [loc.to_dict() for loc in self.locations],
        }
        if self.optional:
            data["optional"] = True
        if self.guarded:
            data["guarded"] = True
        if self.distribution is not None:
            data["distribution"] = self.distribution
        if self.candidates:
            data["candidates"] = [{"distribution": d, "reason": r} for d, r in self.candidates]
        if self.python is not None:
            data["python"] = self.python
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ModuleUse:
        return cls(
            module=data["module"],
            kind=ModuleKind(data["kind"]),
            reason=data["reason"],
            locations=tuple(Location.from_dict(d) for d in data["locations"]),
            optional=data.get("optional", False),
            guarded=data.get("guarded", False),
            distribution=data.get("distribution"),
            candidates=tuple((c["distribution"], c["reason"]) for c in data.get("candidates", ())),
            python=data.get("python"),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class DistributionUse:
    """Everything the scan found about one third-party distribution: the modules that map to it, the API
    references into it, what the repository declares for it and versions seen in outputs."""

    name: str
    modules: tuple[str, ...]
    optional: bool
    api_refs: tuple[ApiRef, ...] = ()
    declared: tuple[DeclaredRequirement, ...] = ()
    versions: tuple[VersionEvidence, ...] = ()
    imported: bool = True

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, "modules": list(self.modules), "imported": self.imported}
        if self.optional:
            data["optional"] = True
        # The references themselves, with locations, are in the scan's top-level list; here only their names.
        data["api_names"] = sorted({r.name for r in self.api_refs})
        data["declared"] = [d.to_dict() for d in self.declared]
        data["versions"] = [v.to_dict() for v in self.versions]
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], refs: Sequence[ApiRef] = ()) -> DistributionUse:
        """Read a dict written by :meth:`to_dict`; ``refs`` are the scan's references, from which the ones
        named in ``api_names`` are taken back (in their order)."""
        names = set(data.get("api_names", ()))
        return cls(
            name=data["name"],
            modules=tuple(data["modules"]),
            optional=data.get("optional", False),
            api_refs=tuple(r for r in refs if r.name in names and not r.conditional),
            declared=tuple(DeclaredRequirement.from_dict(d) for d in data.get("declared", ())),
            versions=tuple(VersionEvidence.from_dict(d) for d in data.get("versions", ())),
            imported=data.get("imported", True),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ScanResult:
    """The scanner's whole output. Lists are sorted so that the same tree gives the same bytes."""

    root: str
    as_of: AsOf
    file_counts: Mapping[str, int]
    modules: tuple[ModuleUse, ...]
    distributions: tuple[DistributionUse, ...]
    imports: tuple[Import, ...]
    api_refs: tuple[ApiRef, ...]
    syntax: tuple[SyntaxFeature, ...]
    python: tuple[PythonEvidence, ...]
    declared: tuple[DeclaredRequirement, ...]
    versions: tuple[VersionEvidence, ...]
    warnings: tuple[ScanWarning, ...]
    first_party: tuple[str, ...] = field(default=())
    # Relative paths of the Python source files read (not notebooks), for smoke tests of first-party modules.
    sources: tuple[str, ...] = field(default=())
    #: The tree cache's key for the state of the tree this scan is of ("" without a cache): not a fact, so
    #: neither compared nor written out.
    fingerprint: str = field(default="", compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "root": self.root,
            "as_of": self.as_of.to_dict(),
            "files": dict(sorted(self.file_counts.items())),
            "python": {
                "syntax": [s.to_dict() for s in self.syntax],
                "evidence": [p.to_dict() for p in self.python],
            },
            "distributions": [d.to_dict() for d in self.distributions],
            "modules": [m.to_dict() for m in self.modules],
            "first_party": list(self.first_party),
            "sources": list(self.sources),
            "imports": [i.to_dict() for i in self.imports],
            "api_refs": [r.to_dict() for r in self.api_refs],
            "declared": [d.to_dict() for d in self.declared],
            "versions": [v.to_dict() for v in self.versions],
            "warnings": [w.to_dict() for w in self.warnings],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ScanResult:
        if data.get("schema") != SCHEMA:
            raise ValueError(f"scan schema {data.get('schema')!r} is not {SCHEMA}")
        refs = tuple(ApiRef.from_dict(d) for d in data["api_refs"])
        return cls(
            root=data["root"],
            as_of=AsOf.from_dict(data["as_of"]),
            file_counts=dict(data["files"]),
            modules=tuple(ModuleUse.from_dict(d) for d in data["modules"]),
            distributions=tuple(DistributionUse.from_dict(d, refs) for d in data["distributions"]),
            imports=tuple(Import.from_dict(d) for d in data["imports"]),
            api_refs=refs,
            syntax=tuple(SyntaxFeature.from_dict(d) for d in data["python"]["syntax"]),
            python=tuple(PythonEvidence.from_dict(d) for d in data["python"]["evidence"]),
            declared=tuple(DeclaredRequirement.from_dict(d) for d in data["declared"]),
            versions=tuple(VersionEvidence.from_dict(d) for d in data["versions"]),
            warnings=tuple(ScanWarning.from_dict(d) for d in data["warnings"]),
            first_party=tuple(data.get("first_party", ())),
            sources=tuple(data.get("sources", ())),
        )
