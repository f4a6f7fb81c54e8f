"""Records of an audit: what a repository tells a reader about the other reasons it may not reproduce.

The environment is one reason research code fails to reproduce; the audit reads the other four from the code
(an incomplete README, hyperparameters never stated, data that is private or never prepared, compute no reader
has) and what the environment stage already wrote. Each finding has a stable code, a severity, its location
and a one-line fix, the way linters report.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from exhume.model.facts import Location

__all__ = [
    "AuditReport",
    "ChecklistItem",
    "Compute",
    "ComputeUse",
    "DataRef",
    "Environment",
    "Finding",
    "Hyperparameter",
    "Seed",
    "Severity",
    "Timeline",
]


class Severity(enum.Enum):
    """How much a finding stands in a reader's way: ``error`` stops a reproduction as the code stands,
    ``warning`` costs a reader time or guesswork, ``info`` is worth knowing."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return _RANKS[self]


_RANKS = {Severity.INFO: 0, Severity.WARNING: 1, Severity.ERROR: 2}


def _loc(location: Location | None) -> dict[str, Any] | None:
    return None if location is None else location.to_dict()


def _unloc(data: Mapping[str, Any] | None) -> Location | None:
    return None if data is None else Location.from_dict(data)


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """One thing a reader would trip over: ``code`` (``README003``), severity, what it is, how to fix it."""

    code: str
    severity: Severity
    message: str
    fix: str
    location: Location | None = None

    def sort_key(self) -> tuple[int, str, tuple[str, int, int], str]:
        """Most severe first, then by code, place and text: the same tree always gives the same order."""
        place = self.location.sort_key() if self.location is not None else ("", -1, 0)
        return (-self.severity.rank, self.code, place, self.message)

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "fix": self.fix,
            "location": _loc(self.location),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Finding:
        return cls(
            code=data["code"],
            severity=Severity(data["severity"]),
            message=data["message"],
            fix=data["fix"],
            location=_unloc(data.get("location")),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ChecklistItem:
    """One item of the README checklist: present or not, and the README lines (or files) that satisfy it."""

    key: str
    title: str
    present: bool
    evidence: tuple[Location, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "present": self.present,
            "evidence": [e.to_dict() for e in self.evidence],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ChecklistItem:
        return cls(
            key=data["key"],
            title=data["title"],
            present=data["present"],
            evidence=tuple(Location.from_dict(e) for e in data["evidence"]),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Hyperparameter:
    """A hyperparameter the code defines or passes: a command-line flag, a config key or a literal argument.

    ``kind`` is what it sets (``learning-rate``, ``batch-size``, ``epochs``, ``dropout``, ``layers``,
    ``embedding-size``, ``optimizer``, ``seed``); ``source`` how it is given (``argparse``, ``absl``,
    ``click``, ``config``, ``literal``); ``default`` its default as written, None when it has none;
    ``stated`` the README lines that mention it.
    """

    name: str
    kind: str
    source: str
    location: Location
    default: str | None = None
    required: bool = False
    stated: tuple[Location, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "source": self.source,
            "location": self.location.to_dict(),
            "default": self.default,
            "required": self.required,
            "stated": [s.to_dict() for s in self.stated],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Hyperparameter:
        return cls(
            name=data["name"],
            kind=data["kind"],
            source=data["source"],
            location=Location.from_dict(data["location"]),
            default=data.get("default"),
            required=data.get("required", False),
            stated=tuple(Location.from_dict(s) for s in data.get("stated", ())),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Seed:
    """A source of randomness the code uses (``numpy``, ``random``, ``torch``, ``tensorflow``): where it is
    used, and where its seed is set (empty when never)."""

    framework: str
    used: Location
    set_at: tuple[Location, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "framework": self.framework,
            "used": self.used.to_dict(),
            "set_at": [s.to_dict() for s in self.set_at],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Seed:
        return cls(
            framework=data["framework"],
            used=Location.from_dict(data["used"]),
            set_at=tuple(Location.from_dict(s) for s in data["set_at"]),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class DataRef:
    """A file, URL or dataset the code reads.

    ``kind``: ``file`` (a path read), ``url`` (downloaded when it runs), ``dataset`` (a library's dataset
    loader), ``script`` (a script a README or shell script runs). ``present``: whether the path is in the
    repository (None where that cannot be told: a URL, a path built at run time).
    """

    kind: str
    target: str
    location: Location
    how: str
    present: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "target": self.target,
            "location": self.location.to_dict(),
            "how": self.how,
            "present": self.present,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DataRef:
        return cls(
            kind=data["kind"],
            target=data["target"],
            location=Location.from_dict(data["location"]),
            how=data["how"],
            present=data.get("present"),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ComputeUse:
    """A line that asks for particular hardware: ``kind`` is ``gpu`` (with a CPU fallback or not:
    ``fallback``), ``multi-gpu``, ``mixed-precision`` or ``tpu``; ``what`` the call or literal."""

    kind: str
    what: str
    location: Location
    fallback: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "what": self.what, "location": self.location.to_dict(), "fallback": self.fallback}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ComputeUse:
        return cls(
            kind=data["kind"],
            what=data["what"],
            location=Location.from_dict(data["location"]),
            fallback=data.get("fallback", False),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Compute:
    """What hardware the code needs: the verdict (``cpu``, ``one-gpu``, ``several-gpus``, ``tpu``: the most
    demanding program's), the lines behind it, the parameters of the layers whose sizes are literal (None
    when none are), and the CUDA release each locked GPU framework needs."""

    verdict: str
    uses: tuple[ComputeUse, ...] = ()
    parameters: int | None = None
    layers: int = 0
    cuda: tuple[str, ...] = ()
    #: Per program (a script run by a command, one with a ``__main__`` block, a notebook): its verdict from
    #: its own lines and those of the repository's modules it imports.
    programs: tuple[tuple[str, str], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "programs": [list(p) for p in self.programs],
            "verdict": self.verdict,
            "uses": [u.to_dict() for u in self.uses],
            "parameters": self.parameters,
            "layers": self.layers,
            "cuda": list(self.cuda),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Compute:
        return cls(
            verdict=data["verdict"],
            uses=tuple(ComputeUse.from_dict(u) for u in data["uses"]),
            parameters=data.get("parameters"),
            layers=data.get("layers", 0),
            cuda=tuple(data.get("cuda", ())),
            programs=tuple((p[0], p[1]) for p in data.get("programs", ())),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Environment:
    """What the environment stage left in the repository: the lock (its Python and pins) and a Dockerfile."""

    lock: str | None = None
    python: str | None = None
    as_of: str | None = None
    pins: tuple[tuple[str, str], ...] = ()
    dockerfile: str | None = None
    #: Imports the lock left unresolved (from ``exhume-report.json``): module, the lock's reason, where.
    unresolved: tuple[tuple[str, str, Location | None], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "unresolved": [{"module": m, "reason": r, "location": _loc(where)} for m, r, where in self.unresolved],
            "lock": self.lock,
            "python": self.python,
            "as_of": self.as_of,
            "pins": [list(p) for p in self.pins],
            "dockerfile": self.dockerfile,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Environment:
        return cls(
            lock=data.get("lock"),
            python=data.get("python"),
            as_of=data.get("as_of"),
            pins=tuple((p[0], p[1]) for p in data.get("pins", ())),
            dockerfile=data.get("dockerfile"),
            unresolved=tuple((u["module"], u["reason"], _unloc(u.get("location"))) for u in data.get("unresolved", ())),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Timeline:
    """One distribution's releases on a time axis, for the HTML report: every final release with its upload
    date (ISO), the window the evidence allows (``window``, a specifier; empty: any release), its first and
    last release dates, the as-of date and the chosen release."""

    distribution: str
    releases: tuple[tuple[str, str], ...]
    window: str
    as_of: str
    chosen: str | None = None
    window_start: str | None = None
    window_end: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "distribution": self.distribution,
            "releases": [list(r) for r in self.releases],
            "window": self.window,
            "as_of": self.as_of,
            "chosen": self.chosen,
            "window_start": self.window_start,
            "window_end": self.window_end,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Timeline:
        return cls(
            distribution=data["distribution"],
            releases=tuple((r[0], r[1]) for r in data["releases"]),
            window=data["window"],
            as_of=data["as_of"],
            chosen=data.get("chosen"),
            window_start=data.get("window_start"),
            window_end=data.get("window_end"),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditReport:
    """Everything ``exhume audit`` found; ``findings`` are sorted most severe first."""

    readme: str | None
    checklist: tuple[ChecklistItem, ...] = ()
    hyperparameters: tuple[Hyperparameter, ...] = ()
    seeds: tuple[Seed, ...] = ()
    data: tuple[DataRef, ...] = ()
    compute: Compute = field(default_factory=lambda: Compute(verdict="cpu"))
    environment: Environment = field(default_factory=Environment)
    findings: tuple[Finding, ...] = ()

    def worst(self) -> Severity | None:
        """The most severe finding's severity, None when there is none."""
        return max((f.severity for f in self.findings), key=lambda s: s.rank, default=None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "readme": self.readme,
            "checklist": [c.to_dict() for c in self.checklist],
            "hyperparameters": [h.to_dict() for h in self.hyperparameters],
            "seeds": [s.to_dict() for s in self.seeds],
            "data": [d.to_dict() for d in self.data],
            "compute": self.compute.to_dict(),
            "environment": self.environment.to_dict(),
            "findings": [f.to_dict() for f in self.findings],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AuditReport:
        return cls(
            readme=data.get("readme"),
            checklist=tuple(ChecklistItem.from_dict(c) for c in data["checklist"]),
            hyperparameters=tuple(Hyperparameter.from_dict(h) for h in data["hyperparameters"]),
            seeds=tuple(Seed.from_dict(s) for s in data["seeds"]),
            data=tuple(DataRef.from_dict(d) for d in data["data"]),
            compute=Compute.from_dict(data["compute"]),
            environment=Environment.from_dict(data["environment"]),
            findings=tuple(Finding.from_dict(f) for f in data["findings"]),
        )
