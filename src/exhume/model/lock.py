"""Records of the lock stage: the pins of a resolved lock, the lock itself, and what ``exhume lock`` produced."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import Version

from exhume.model.infer import Inference
from exhume.model.scan import ScanResult

__all__ = ["BuildRequirement", "LockOutcome", "LockResult", "Output", "Pin"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Pin:
    """One pinned distribution of a lock: canonical name, version, ``sha256:...`` hashes (sorted) and the
    ``# via`` provenance pip-compile wrote (requirement names, or ``-r requirements.in``), in its order."""

    name: str
    version: Version
    hashes: tuple[str, ...]
    via: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; :meth:`from_dict` reads it back."""
        return {"name": self.name, "version": str(self.version), "hashes": list(self.hashes), "via": list(self.via)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Pin:
        """Read a dict written by :meth:`to_dict`."""
        return cls(
            name=data["name"],
            version=Version(data["version"]),
            hashes=tuple(data["hashes"]),
            via=tuple(data["via"]),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class LockResult:
    """A resolved lock: the ``requirements.lock`` text, its pins (sorted by name), the ``X.Y`` it was
    resolved for, the as-of instant (UTC) and the command its header names."""

    text: str
    pins: tuple[Pin, ...]
    python: str
    as_of: datetime
    command: str
    #: What resolved it: ``"uv"`` or ``"pip-compile"``.
    resolver: str = "pip-compile"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; :meth:`from_dict` reads it back."""
        return {
            "text": self.text,
            "pins": [p.to_dict() for p in self.pins],
            "python": self.python,
            "as_of": self.as_of.isoformat(),
            "command": self.command,
            "resolver": self.resolver,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LockResult:
        """Read a dict written by :meth:`to_dict`."""
        return cls(
            text=data["text"],
            pins=tuple(Pin.from_dict(p) for p in data["pins"]),
            python=data["python"],
            as_of=datetime.fromisoformat(data["as_of"]),
            command=data["command"],
            resolver=data.get("resolver", "pip-compile"),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class BuildRequirement:
    """A distribution an old sdist's setup script imports before it declares anything (pycocotools 2.0.0's
    ``from Cython.Build import cythonize``), so it must be installed where pip reads and builds that sdist.

    ``requirement`` is what was installed there (``numpy==1.14.3``); ``needed_by`` the sdist whose setup script
    failed without it; ``evidence`` the line of the failure; ``reason`` how the version was chosen."""

    requirement: str
    needed_by: str
    evidence: str
    reason: str

    @property
    def distribution(self) -> str:
        return canonicalize_name(re.split(r"[=<>!~ ;\[]", self.requirement, maxsplit=1)[0])

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; :meth:`from_dict` reads it back."""
        return {
            "requirement": self.requirement,
            "needed_by": self.needed_by,
            "evidence": self.evidence,
            "reason": self.reason,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BuildRequirement:
        return cls(
            requirement=str(data["requirement"]),
            needed_by=str(data["needed_by"]),
            evidence=str(data["evidence"]),
            reason=str(data["reason"]),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Output:
    """One file exhume writes: its name in the output folder and its whole text."""

    name: str
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class LockOutcome:
    scan: ScanResult
    inference: Inference
    lock: LockResult
    written: tuple[Path, ...] = field(default=())
    command: str = ""
    #: What old sdists of the lock need where pip builds them; written to BUILD_CONSTRAINTS_NAME when any.
    build_constraints: tuple[str, ...] = ()
    #: What old sdists' setup scripts import before declaring it; their hashed lock is BUILD_REQUIREMENTS_NAME.
    build_requirements: tuple[BuildRequirement, ...] = ()
    #: The files of the lock, not yet written (``written`` lists them once they are).
    outputs: tuple[Output, ...] = ()
