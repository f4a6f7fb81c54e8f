"""Records of ``exhume check``: one check of a committed lock against the code, and what it found."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from exhume.model.facts import Location

__all__ = ["CheckProblem", "CheckResult"]


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckProblem:
    """One thing the lock no longer does, where the code shows it (None: the lock itself)."""

    message: str
    location: Location | None = None

    def render(self) -> str:
        return f"{self.location}: {self.message}" if self.location is not None else self.message

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"message": self.message}
        if self.location is not None:
            data["location"] = self.location.to_dict()
        return data


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckResult:
    """One check: ``id`` (imports, names, python, hashes), what it asks, what it found wrong (nothing: it
    passed), and ``skipped`` with the reason when it could not be asked (offline, no knowledge)."""

    id: str
    title: str
    problems: tuple[CheckProblem, ...] = ()
    skipped: str = ""
    notes: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "title": self.title,
            "passed": self.passed,
            "problems": [p.to_dict() for p in self.problems],
        }
        if self.skipped:
            data["skipped"] = self.skipped
        if self.notes:
            data["notes"] = list(self.notes)
        return data
