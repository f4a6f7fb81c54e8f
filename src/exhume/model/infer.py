"""What inference decides, and why: constraints with the evidence behind them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from packaging.specifiers import SpecifierSet
from packaging.version import Version

from exhume.model.facts import Location
from exhume.target import Platform, Target

__all__ = ["Constraint", "Evidence", "Inference", "Unresolved"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Evidence:
    """One reason behind a decision.

    ``kind`` is what sort of fact it is (``api``, ``keyword``, ``declared``, ``readme``, ``observed``,
    ``breakage``, ``syntax``, ``stdlib``, ``python-declared``, ``wheels``, ``as-of``, ``user-pin``, ``repair``,
    ``provider``); ``text`` names it for a
    person; ``specifier`` is what it implies (``<2.0``); ``location`` is where in the user's code it was found
    (None for knowledge-base facts); ``source`` cites the knowledge behind the implication; ``used`` is false
    when a documented rule overruled it, and ``note`` then says which.
    """

    kind: str
    text: str
    specifier: str
    location: Location | None = None
    source: str | None = None
    used: bool = True
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind, "text": self.text, "specifier": self.specifier, "used": self.used}
        if self.location is not None:
            data["location"] = self.location.to_dict()
        if self.source is not None:
            data["source"] = self.source
        if self.note is not None:
            data["note"] = self.note
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Evidence:
        loc = data.get("location")
        return cls(
            kind=data["kind"],
            text=data["text"],
            specifier=data["specifier"],
            location=Location.from_dict(loc) if loc else None,
            source=data.get("source"),
            used=data.get("used", True),
            note=data.get("note"),
        )

    def comment(self) -> str:
        """A short form for a requirements.in comment: ``tf.contrib.layers (model.py:12)``."""
        return f"{self.text} ({self.location})" if self.location else self.text


@dataclass(frozen=True, slots=True, kw_only=True)
class Constraint:
    """The range of a distribution the code needs, the release chosen in it, and the evidence for both.

    ``specifier`` is what requirements.in says; ``version`` is the release chosen (newest uploaded on or
    before the as-of date within the range, installable on the chosen Python). ``confidence`` is ``high``
    when API evidence with complete name lists bounds the range, ``medium`` for declared or observed
    versions, ``low`` when only the date decided. ``added_by`` names the breakage row for a distribution the
    code needs but never imports.
    """

    distribution: str
    specifier: SpecifierSet
    version: Version | None
    evidence: tuple[Evidence, ...]
    reason: str
    confidence: str
    optional: bool = False
    added_by: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "distribution": self.distribution,
            "specifier": str(self.specifier),
            "version": str(self.version) if self.version is not None else None,
            "reason": self.reason,
            "confidence": self.confidence,
            "evidence": [e.to_dict() for e in self.evidence],
        }
        if self.optional:
            data["optional"] = True
        if self.added_by is not None:
            data["added_by"] = self.added_by
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Constraint:
        version = data.get("version")
        return cls(
            distribution=data["distribution"],
            specifier=SpecifierSet(data["specifier"]),
            version=Version(version) if version is not None else None,
            evidence=tuple(Evidence.from_dict(e) for e in data["evidence"]),
            reason=data["reason"],
            confidence=data["confidence"],
            optional=data.get("optional", False),
            added_by=data.get("added_by"),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Unresolved:
    """An imported module that no distribution on the index provides."""

    module: str
    locations: tuple[Location, ...]
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"module": self.module, "locations": [x.to_dict() for x in self.locations], "reason": self.reason}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Unresolved:
        return cls(
            module=data["module"],
            locations=tuple(Location.from_dict(x) for x in data["locations"]),
            reason=data["reason"],
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Inference:
    """The environment inferred for a repository: one Python, one constraint per distribution, and extra
    constraints on distributions the code does not name (``protobuf<4`` under TensorFlow 1.x)."""

    python: str
    python_evidence: tuple[Evidence, ...]
    python_reason: str
    as_of: datetime
    as_of_reason: str
    constraints: tuple[Constraint, ...]
    extra: tuple[Constraint, ...]
    unresolved: tuple[Unresolved, ...]
    #: Distributions whose chosen release came after the code's date (nothing installable earlier), each with
    #: the moment it became installable here; ``as_of`` (the lock's cutoff) is the latest of them.
    late: tuple[tuple[str, datetime], ...] = ()
    #: The platform the Python was chosen for (its wheels); with ``python``, the lock's :attr:`target`.
    platform: Platform = field(default_factory=Platform)

    @property
    def target(self) -> Target:
        return self.platform.target(self.python)

    def to_dict(self) -> dict[str, Any]:
        return {
            "python": {
                "version": self.python,
                "reason": self.python_reason,
                "evidence": [e.to_dict() for e in self.python_evidence],
            },
            "as_of": {"date": self.as_of.isoformat(), "reason": self.as_of_reason},
            "constraints": [c.to_dict() for c in self.constraints],
            "extra_constraints": [c.to_dict() for c in self.extra],
            "unresolved": [u.to_dict() for u in self.unresolved],
            "late": {name: when.isoformat() for name, when in self.late},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Inference:
        return cls(
            python=data["python"]["version"],
            python_reason=data["python"]["reason"],
            python_evidence=tuple(Evidence.from_dict(e) for e in data["python"]["evidence"]),
            as_of=datetime.fromisoformat(data["as_of"]["date"]),
            as_of_reason=data["as_of"]["reason"],
            constraints=tuple(Constraint.from_dict(c) for c in data["constraints"]),
            extra=tuple(Constraint.from_dict(c) for c in data["extra_constraints"]),
            unresolved=tuple(Unresolved.from_dict(u) for u in data["unresolved"]),
            late=tuple((name, datetime.fromisoformat(when)) for name, when in data.get("late", {}).items()),
        )
