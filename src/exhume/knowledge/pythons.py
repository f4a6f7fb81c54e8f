"""Python versions: when each was released, and which of them a release of a distribution installs on.

"tensorflow 1.15.5 has Linux wheels for cp36 and cp37 only" is answered here from the index's file list: the
wheel tags of each file, its ``Requires-Python``, and whether an sdist exists.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone

from packaging.version import Version

from exhume.index import DistFile
from exhume.target import Platform, Target

__all__ = [
    "PYTHONS",
    "PYTHON_RELEASES",
    "Support",
    "current_python",
    "python_support",
    "wheel_supports",
]

# First final release of each Python minor version (from each version's "What's New" page / PEP 373, 478,
# 494, 537, 569, 596, 619, 664, 693, 719, 745). A version counts as "current" from this date on.
PYTHON_RELEASES: dict[str, datetime] = {
    "2.7": datetime(2010, 7, 3, tzinfo=timezone.utc),
    "3.4": datetime(2014, 3, 16, tzinfo=timezone.utc),
    "3.5": datetime(2015, 9, 13, tzinfo=timezone.utc),
    "3.6": datetime(2016, 12, 23, tzinfo=timezone.utc),
    "3.7": datetime(2018, 6, 27, tzinfo=timezone.utc),
    "3.8": datetime(2019, 10, 14, tzinfo=timezone.utc),
    "3.9": datetime(2020, 10, 5, tzinfo=timezone.utc),
    "3.10": datetime(2021, 10, 4, tzinfo=timezone.utc),
    "3.11": datetime(2022, 10, 24, tzinfo=timezone.utc),
    "3.12": datetime(2023, 10, 2, tzinfo=timezone.utc),
    "3.13": datetime(2024, 10, 7, tzinfo=timezone.utc),
    "3.14": datetime(2025, 10, 7, tzinfo=timezone.utc),
}
# The versions exhume targets, oldest first. 3.4 is known for dating only: nothing builds images for it.
PYTHONS: tuple[str, ...] = tuple(v for v in PYTHON_RELEASES if v != "3.4")


def current_python(at: datetime) -> str:
    """The newest Python minor version released on or before ``at`` (2.7 before any 3.x we target)."""
    current = "2.7"
    for version, released in PYTHON_RELEASES.items():
        if released <= at and version != "3.4":
            current = version
    return current


def wheel_supports(file: DistFile, target: Target) -> bool:
    """Whether a wheel installs on ``target`` (CPython X.Y on its Linux platform)."""
    if file.kind != "wheel":
        return False
    return target.installs(file.python_tags, file.abi_tags, file.platform_tags)


def _requires_ok(file: DistFile, python: str) -> bool:
    if file.requires_python is None:
        return True
    # An image of a minor version carries its newest patch release, so test x.y.99: "3.6" meets ">=3.6.1".
    return file.requires_python.contains(Version(f"{python}.99"), prereleases=True)


@dataclass(frozen=True, slots=True, kw_only=True)
class Support:
    """Which Pythons a release installs on: from a wheel (no build needed), or only by building its sdist."""

    wheels: frozenset[str]
    sdist: frozenset[str]

    def installs_on(self, python: str) -> bool:
        return python in self.wheels or python in self.sdist

    def describe(self) -> str:
        parts = []
        if self.wheels:
            parts.append("wheels for " + ", ".join(sorted(self.wheels, key=_python_key)))
        only_sdist = self.sdist - self.wheels
        if only_sdist:
            parts.append("sdist for " + ", ".join(sorted(only_sdist, key=_python_key)))
        return "; ".join(parts) or "nothing installable on Linux x86_64"


def _python_key(python: str) -> tuple[int, int]:
    major, minor = python.split(".")
    return int(major), int(minor)


def python_support(files: Iterable[DistFile], *, platform: Platform) -> Support:
    """Which of :data:`PYTHONS` the given files of one release install on ``platform`` (yanked files
    ignored)."""
    wheels: set[str] = set()
    sdist: set[str] = set()
    targets = [platform.target(python) for python in PYTHONS]
    for file in files:
        if file.yanked:
            continue
        for target in targets:
            python = target.python
            if not _requires_ok(file, python):
                continue
            if file.kind == "wheel" and wheel_supports(file, target):
                wheels.add(python)
            elif file.kind == "sdist":
                sdist.add(python)
    return Support(wheels=frozenset(wheels), sdist=frozenset(sdist))
