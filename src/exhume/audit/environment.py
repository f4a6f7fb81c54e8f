"""What the environment stage left in the repository: a lock (its Python, date and pins) and a Dockerfile;
and the CUDA release each pinned GPU framework needs (``resolvers/cuda.toml``)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from exhume.emit.cuda import cuda_notes
from exhume.errors import InputError
from exhume.lock.compile import lock_python
from exhume.lockfiles import report_unresolved
from exhume.model import Location
from exhume.model.audit import Environment

__all__ = ["LOCK_NAMES", "cuda_needs", "read_environment"]

#: Lock files, the first found is the one reported: exhume's and pip-tools' own, then the other tools'.
LOCK_NAMES = ("requirements.lock", "pylock.toml", "poetry.lock", "Pipfile.lock", "conda-lock.yml", "uv.lock")
#: What ``exhume lock`` writes beside the lock: every decision with its evidence.
REPORT_NAME = "exhume-report.json"
DOCKERFILE_NAMES = ("Dockerfile", "Containerfile", "docker/Dockerfile", ".devcontainer/Dockerfile")

_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)")
_AS_OF = re.compile(r"^#\s*As of:\s*(\S+)")


def read_environment(root: Path) -> Environment:
    """The lock and Dockerfile found at the repository's top (no network, nothing run)."""
    lock = next((name for name in LOCK_NAMES if (root / name).is_file()), None)
    python = as_of = None
    pins: list[tuple[str, str]] = []
    if lock == "requirements.lock":
        try:
            text = (root / lock).read_text(encoding="utf-8", errors="replace")
        except OSError:
            text = ""
        lines = text.split("\n")[:5000]
        python = lock_python("\n".join(lines))
        for line in lines:
            if (match := _AS_OF.match(line)) and as_of is None:
                as_of = match.group(1)
            elif match := _PIN.match(line):
                pins.append((str(canonicalize_name(match.group(1))), match.group(2)))
    dockerfile = next((name for name in DOCKERFILE_NAMES if (root / name).is_file()), None)
    return Environment(
        lock=lock,
        python=python,
        as_of=as_of,
        pins=tuple(sorted(pins)),
        dockerfile=dockerfile,
        unresolved=_unresolved(root / REPORT_NAME),
    )


def _unresolved(path: Path) -> tuple[tuple[str, str, Location | None], ...]:
    """The imports ``exhume lock`` left unresolved, from its report (none when there is no readable report)."""
    try:
        records = report_unresolved(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return ()
    return tuple(sorted((u.module, u.reason, min(u.locations) if u.locations else None) for u in records))


def cuda_needs(environment: Environment) -> tuple[str, ...]:
    """One line per pinned GPU framework: the CUDA and cuDNN it was built against, the driver it needs."""
    if not environment.pins:
        return ()
    pins = []
    for name, version in environment.pins:
        try:
            pins.append((name, Version(version)))
        except InvalidVersion:
            continue
    try:
        return cuda_notes(pins)
    except InputError:  # a hand-edited lock that pins a name twice: no one CUDA to name
        return ()
