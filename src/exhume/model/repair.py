"""Records of the repair stage: one change a failed build round proposes for the next, with the failure it
answers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from packaging.requirements import Requirement

from exhume.model.lock import BuildRequirement

__all__ = ["Repair", "repaired_python"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Repair:
    """One change for the next round. Exactly one of ``requirement``, ``python``, ``system_package``,
    ``build_constraint`` (a build tool for pip's sdist build environments), ``build_requirement`` (what an
    sdist's setup script imports undeclared, by distribution name) or ``compiler`` is set; ``reason`` cites the
    failure."""

    reason: str
    check: str
    requirement: Requirement | None = None
    python: str | None = None
    system_package: str | None = None
    build_constraint: str | None = None
    build_requirement: BuildRequirement | None = None
    compiler: bool = False

    def key(self) -> str:
        if self.requirement is not None:
            return f"requirement:{self.requirement}"
        if self.build_constraint is not None:
            return f"build-constraint:{self.build_constraint}"
        if self.build_requirement is not None:
            return f"build-requirement:{self.build_requirement.distribution}"
        if self.python is not None:
            return f"python:{self.python}"
        if self.system_package is not None:
            return f"system:{self.system_package}"
        return "compiler"

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"reason": self.reason, "check": self.check}
        if self.requirement is not None:
            data["requirement"] = str(self.requirement)
        if self.python is not None:
            data["python"] = self.python
        if self.system_package is not None:
            data["system_package"] = self.system_package
        if self.build_constraint is not None:
            data["build_constraint"] = self.build_constraint
        if self.build_requirement is not None:
            data["build_requirement"] = self.build_requirement.to_dict()
        if self.compiler:
            data["compiler"] = True
        return data


def repaired_python(repairs: Sequence[Repair]) -> Repair | None:
    """The newest repair among ``repairs`` that moves the lock to another Python, or None."""
    return next((r for r in reversed(repairs) if r.python is not None), None)
