"""The machine a lock is for: one CPython minor version on one platform, and the wheel tags it installs.

Inference (which Pythons a release has wheels for), the lock's date-filtered view of the index (which files it
serves and hashes) and the Dockerfile all ask "does this wheel install there?"; they ask this one record, built
once per run and passed down. The tags come from :mod:`packaging.tags`, as pip's own do, for the target's
interpreter rather than the one exhume runs on.
"""

from __future__ import annotations

import functools
import platform as host
import re
from collections.abc import Iterable
from dataclasses import dataclass

from packaging.tags import Tag, compatible_tags, cpython_tags
from packaging.utils import InvalidWheelFilename, parse_wheel_filename
from packaging.version import InvalidVersion

from exhume.errors import InputError

__all__ = ["DEFAULT_GLIBC", "Platform", "Target", "parse_python"]

#: The oldest C library of the Debian images exhume writes (buster, glibc 2.28): a wheel built for a newer one
#: may not load there.
DEFAULT_GLIBC = (2, 28)

#: The legacy manylinux names and the glibc each stands for (PEP 513, 571, 599).
_LEGACY = {(2, 17): "manylinux2014", (2, 12): "manylinux2010", (2, 5): "manylinux1"}


def parse_python(python: str) -> tuple[int, int]:
    """``"3.7"`` → ``(3, 7)``. Raises :class:`InputError` for anything that is not ``X.Y``."""
    match = re.fullmatch(r"\s*(\d+)\.(\d+)\s*", python)
    if not match:
        raise InputError(f"not a Python version of the form X.Y: {python!r}", hint="for example --python 3.7")
    return int(match.group(1)), int(match.group(2))


def _host_arch() -> str:
    machine = host.machine().lower() or "x86_64"
    return {"amd64": "x86_64", "arm64": "aarch64"}.get(machine, machine)


@dataclass(frozen=True, slots=True, kw_only=True)
class Platform:
    """Linux on ``arch`` with glibc ``glibc``: where an exhume image runs, whatever its Python.

    The platform is always Linux: the lock is for the image the Dockerfile builds (and for the venv engine,
    which runs on a Linux host). Inference holds a platform and chooses the Python; the lock and the
    Dockerfile get the :class:`Target` it completes."""

    arch: str = "x86_64"
    glibc: tuple[int, int] = DEFAULT_GLIBC

    @classmethod
    def here(cls, *, glibc: tuple[int, int] = DEFAULT_GLIBC) -> Platform:
        """Linux on this machine's architecture: images are built and run here."""
        return cls(arch=_host_arch(), glibc=glibc)

    @property
    def tag(self) -> str:
        """The platform tag of a wheel built on the platform itself (``linux_x86_64``)."""
        return f"linux_{self.arch}"

    def describe(self) -> str:
        """How the lock's header names the platform (``linux x86_64``)."""
        return f"linux {self.arch}"

    def target(self, python: str) -> Target:
        return Target(python=python, platform=self)


@dataclass(frozen=True, slots=True, kw_only=True)
class Target:
    """CPython ``python`` (``"3.6"``) on ``platform``: the interpreter a lock is for."""

    python: str
    platform: Platform = Platform()

    def __post_init__(self) -> None:
        major, minor = parse_python(self.python)
        object.__setattr__(self, "python", f"{major}.{minor}")

    @property
    def version(self) -> tuple[int, int]:
        return parse_python(self.python)

    @property
    def tags(self) -> frozenset[Tag]:
        """Every wheel tag CPython ``python`` installs on the platform, as pip would compute them there."""
        return _tags(self.python, self.platform.arch, self.platform.glibc)

    def installs(self, python_tags: Iterable[str], abi_tags: Iterable[str], platform_tags: Iterable[str]) -> bool:
        """Whether a wheel with these (compressed) tag sets installs on the target."""
        supported = self.tags
        abis = tuple(abi_tags)
        platforms = tuple(platform_tags)
        return any(Tag(py, abi, plat) in supported for py in python_tags for abi in abis for plat in platforms)

    def markers(self) -> dict[str, str]:
        """The PEP 508 marker environment of the target (no extra), for requirements read from metadata."""
        return {
            "implementation_name": "cpython",
            "implementation_version": f"{self.python}.0",
            "os_name": "posix",
            "platform_machine": self.platform.arch,
            "platform_python_implementation": "CPython",
            "platform_release": "",
            "platform_system": "Linux",
            "platform_version": "",
            "python_full_version": f"{self.python}.0",
            "python_version": self.python,
            "sys_platform": "linux" if self.version >= (3, 3) else "linux2",
            "extra": "",
        }

    def installs_wheel(self, filename: str) -> bool:
        """Whether wheel ``filename`` installs on the target; a filename that does not parse is kept (pip
        decides)."""
        try:
            tags = parse_wheel_filename(filename)[3]
        except (InvalidWheelFilename, InvalidVersion):
            return True
        return not self.tags.isdisjoint(tags)


def _platforms(arch: str, glibc: tuple[int, int]) -> list[str]:
    """Platform tags a glibc Linux of this version runs, newest first (as :mod:`packaging._manylinux` lists
    them for the running machine)."""
    major, minor = glibc
    out = []
    for m in range(minor, 4, -1):
        out.append(f"manylinux_{major}_{m}_{arch}")
        legacy = _LEGACY.get((major, m))
        if legacy is not None and (legacy == "manylinux2014" or arch in ("x86_64", "i686")):
            out.append(f"{legacy}_{arch}")
    out.append(f"linux_{arch}")
    return out


@functools.cache
def _tags(python: str, arch: str, glibc: tuple[int, int]) -> frozenset[Tag]:
    major, minor = parse_python(python)
    platforms = _platforms(arch, glibc)
    # The ABI a CPython build reports depends on how it was configured (pymalloc ``m`` before 3.8, wide
    # unicode ``mu`` on 2.7); the image's interpreter is not this one, so accept each a build may report.
    nodot = f"{major}{minor}"
    abis = [f"cp{nodot}", f"cp{nodot}m", f"cp{nodot}mu"]
    tags = set(cpython_tags((major, minor), abis=abis, platforms=platforms))
    tags.update(compatible_tags((major, minor), interpreter=f"cp{nodot}", platforms=platforms))
    return frozenset(tags)
