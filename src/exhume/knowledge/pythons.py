"""Python versions: when each was released, and which of them a release of a distribution installs on.

"tensorflow 1.15.5 has Linux wheels for cp36 and cp37 only" is answered here from the index's file list: the
wheel tags of each file, its ``Requires-Python``, and whether an sdist exists.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone

from packaging.version import Version

from exhume.index import DistFile

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

# Linux x86_64 platform tags a Debian-based image of glibc 2.28 or newer runs.
_MANYLINUX_LEGACY = {"manylinux1_x86_64": (2, 5), "manylinux2010_x86_64": (2, 12), "manylinux2014_x86_64": (2, 17)}
_MANYLINUX_RE = re.compile(r"^manylinux_(\d+)_(\d+)_x86_64$")
DEFAULT_GLIBC = (2, 28)


def current_python(at: datetime) -> str:
    """The newest Python minor version released on or before ``at`` (2.7 before any 3.x we target)."""
    current = "2.7"
    for version, released in PYTHON_RELEASES.items():
        if released <= at and version != "3.4":
            current = version
    return current


def _platform_ok(tag: str, glibc: tuple[int, int]) -> bool:
    if tag in ("any", "linux_x86_64"):
        return True
    if tag in _MANYLINUX_LEGACY:
        return _MANYLINUX_LEGACY[tag] <= glibc
    match = _MANYLINUX_RE.match(tag)
    return match is not None and (int(match.group(1)), int(match.group(2))) <= glibc


def _python_ok(python_tags: Iterable[str], abi_tags: Iterable[str], python: str) -> bool:
    major, minor = python.split(".")
    abis = set(abi_tags)
    for tag in python_tags:
        if tag in (f"py{major}", f"py{major}{minor}"):
            return True
        if tag == f"cp{major}{minor}" and (
            abis & {"none", f"cp{major}{minor}", f"cp{major}{minor}m", f"cp{major}{minor}mu", "abi3"}
        ):
            return True
        # abi3 wheels built for an older CPython 3 run on newer ones.
        if major == "3" and tag.startswith("cp3") and "abi3" in abis:
            built = tag[3:]
            if built.isdigit() and int(built) <= int(minor):
                return True
    return False


def wheel_supports(file: DistFile, python: str, *, glibc: tuple[int, int] = DEFAULT_GLIBC) -> bool:
    """Whether a wheel installs on CPython ``python`` (``"3.6"``) on Linux x86_64 with the given glibc."""
    if file.kind != "wheel":
        return False
    if not any(_platform_ok(tag, glibc) for tag in file.platform_tags):
        return False
    return _python_ok(file.python_tags, file.abi_tags, python)


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


def python_support(files: Iterable[DistFile], *, glibc: tuple[int, int] = DEFAULT_GLIBC) -> Support:
    """Which of :data:`PYTHONS` the given files of one release install on (yanked files ignored)."""
    wheels: set[str] = set()
    sdist: set[str] = set()
    for file in files:
        if file.yanked:
            continue
        for python in PYTHONS:
            if not _requires_ok(file, python):
                continue
            if file.kind == "wheel" and wheel_supports(file, python, glibc=glibc):
                wheels.add(python)
            elif file.kind == "sdist":
                sdist.add(python)
    return Support(wheels=frozenset(wheels), sdist=frozenset(sdist))
