"""What old sdists' setup scripts were found to import without declaring it, remembered per Python and release.

pip-tools caches the metadata a successful read of an sdist gave; a later lock of the same release is then
never told that its setup script needs numpy installed first, yet the image, which builds it, still does. So
each need found by a failed read is written here (under the lock cache), and every later lock that pins that
release for that Python gets it again without a failed round.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from exhume.errors import IndexUnreachable, ProjectNotFound
from exhume.index.records import DistFile, Project
from exhume.knowledge.importmap import distributions_for
from exhume.model import Repair
from exhume.target import Target
from exhume.toolenv.venvs import cache_root, file_lock

__all__ = [
    "Missing",
    "Need",
    "failed_sdists",
    "first_wheel_after",
    "missing_in_setup_script",
    "recall",
    "remember",
    "wheels_instead",
]

_FILE = "build-requirements.json"
_FORMAT = 1

#: (distribution, evidence): what a release's setup script imports, and the failure that showed it.
Need = tuple[str, str]


_MISSING_MODULE = re.compile(r"(?:ImportError|ModuleNotFoundError): No module named '?(?P<module>[A-Za-z_][\w.]*)'?")
_SETUP_FRAME = re.compile(r'File "(?P<path>[^"]*?)[/\\](?P<folder>[^/\\"]+)[/\\]setup\.py", line \d+')


# setuptools before 42 fetches an sdist's ``setup_requires`` with easy_install, which knows nothing of
# Requires-Python or of dates: it takes the newest release (pytest-runner 6.0.1, which has no setup script).
_EASY_INSTALL = (
    re.compile(
        r"Couldn't find a setup script in \S*[/\\](?P<name>[^/\\\s]+?)-\d[^/\\\s]*?\.(?:tar\.gz|tar\.bz2|tgz|zip)"
    ),
    re.compile(r"No local packages or working download links found for (?P<name>[A-Za-z0-9][\w.-]*)"),
)
_CWD = re.compile(r"cwd: (?P<path>\S*?)[/\\](?P<folder>[^/\\\s]+)[/\\]?\s*$", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Missing:
    """What an sdist's setup script failed to get: a module it imports, or one of its ``setup_requires`` that
    easy_install could not fetch (then ``module`` is that name); the distribution that provides it (the import
    map's first candidate, or the name fetched), the sdist (its folder's project name) and the line that says so."""

    module: str
    distribution: str
    sdist: str
    evidence: str


def missing_in_setup_script(log: str) -> Missing | None:
    """The module a setup script failed to import, from pip's output: the last ``No module named X`` after the
    first frame of a ``setup.py`` in a traceback (pip 20.3's "No module named Cython.Build" as well as pip 21's
    quoted form), or None when the log shows no such failure."""
    frames = list(_SETUP_FRAME.finditer(log))
    if not frames:
        return None
    sdist = _project(frames[-1]["folder"])
    for pattern in _EASY_INSTALL:
        fetched = [m for m in pattern.finditer(log) if m.start() > frames[0].start()]
        if fetched:
            cwd = [m for m in _CWD.finditer(log) if m.start() < fetched[-1].start()]
            name = canonicalize_name(fetched[-1]["name"])
            evidence = fetched[-1].group(0).strip()
            return Missing(
                module=name, distribution=name, sdist=_project(cwd[-1]["folder"]) if cwd else sdist, evidence=evidence
            )
    missing = [m for m in _MISSING_MODULE.finditer(log) if m.start() > frames[0].start()]
    if not missing:
        return None
    module = missing[-1]["module"]
    distribution = distributions_for(module)[0].distribution
    return Missing(module=module, distribution=distribution, sdist=sdist, evidence=missing[-1].group(0).strip())


# Which sdists failed to build, for metadata or for a wheel: pip >= 20 names them ("Failed to build X Y",
# "Failed building wheel for X"), uv quotes them ("Failed to build `X==1.0`"), and pip's traceback of a setup
# script shows its folder (``/tmp/pip-resolve-r4e/mecab-python3_6f03…/setup.py``: the name, then pip's hex id).
_FAILED_BUILD = re.compile(
    r"^(?:ERROR: )?Failed to build ([\w.\- ]+?)\s*$|Failed building wheel for ([\w.\-]+)"
    r"|Failed to build `([\w.\-]+)(?:==|`)"
    r"|Running setup\.py install for ([\w.\-]+) \.\.\. error",
    re.MULTILINE,
)
_BUILD_FOLDER = re.compile(r"/pip-(?:install|req-build|resolver|resolve)-\w+/(?P<folder>[\w.\-]+)/setup\.py")


def failed_sdists(log: str) -> set[str]:
    """Canonical names of the distributions whose sdist builds failed in a pip or uv log."""
    names = {canonicalize_name(n) for groups in _FAILED_BUILD.findall(log) for group in groups for n in group.split()}
    return names | {_project(m["folder"]) for m in _BUILD_FOLDER.finditer(log)}


def first_wheel_after(project: Project, current: Version, target: Target) -> DistFile | None:
    """The wheel of the first final release after ``current`` that installs on ``target`` (its tags and its
    Requires-Python), or None: what an sdist that cannot be built here gives way to."""
    python = f"{target.python}.0"
    for version in sorted(v for v in project.versions() if v > current and not v.is_prerelease):
        for file in project.release_files(version):
            if (
                file.kind == "wheel"
                and not file.yanked
                and target.installs_wheel(file.filename)
                and (file.requires_python is None or file.requires_python.contains(python, prereleases=True))
            ):
                return file
    return None


def wheels_instead(
    log: str,
    *,
    current: Mapping[str, Version],
    project: Callable[[str], Project | None],
    target: Target,
    check: str,
    failure: str,
) -> list[Repair]:
    """For each sdist that ``log`` shows failing to build and that is at a release in ``current``: a range from
    the first later release with a wheel for ``target``. The as-of date gives way for that one distribution: a
    release that installs beats the release of the date that cannot be built here. ``failure`` says how the build
    failed, for the reason; ``project`` looks a distribution up on the index (None, or an index error: skipped)."""
    repairs: list[Repair] = []
    for name in sorted(failed_sdists(log)):
        version = current.get(name)
        if version is None:
            continue
        try:
            found = project(name)
        except (ProjectNotFound, IndexUnreachable):
            continue
        wheel = first_wheel_after(found, version, target) if found is not None else None
        if wheel is None or wheel.version is None:
            continue
        repairs.append(
            Repair(
                reason=f"{name} {version}: {failure}; {wheel.filename} is the first later release with a wheel for "
                f"Python {target.python}",
                check=check,
                requirement=Requirement(f"{name}>={wheel.version}"),
            )
        )
    return repairs


def _project(folder: str) -> str:
    """The project of pip's build folder: named after it, with a random suffix in newer pips (kivy_1f629a58…)."""
    return canonicalize_name(re.sub(r"_[0-9a-f]{8,}$", "", re.sub(r"-\d[\w.]*$", "", folder)))


def _path(root: Path | None) -> Path:
    return (root if root is not None else cache_root()) / _FILE


def _read(path: Path) -> dict[str, Any]:
    with contextlib.suppress(FileNotFoundError, ValueError):
        data = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and data.get("format") == _FORMAT and isinstance(data.get("needs"), dict):
            return data
    return {"format": _FORMAT, "needs": {}}


def _key(python: str, name: str, version: str) -> str:
    return f"{python} {canonicalize_name(name)}=={version}"


def recall(python: str, name: str, version: str, *, root: Path | None = None) -> list[Need]:
    """The needs remembered for release ``name==version`` on Python ``python``, in the order they were found."""
    entries = _read(_path(root))["needs"].get(_key(python, name, version), [])
    return [(str(e["distribution"]), str(e["evidence"])) for e in entries if isinstance(e, dict)]


def remember(python: str, name: str, version: str, needs: list[Need], *, root: Path | None = None) -> None:
    """Add ``needs`` to what is remembered for ``name==version`` on ``python`` (written atomically)."""
    path = _path(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    with file_lock(path.with_name(f".{_FILE}.lock")):
        data = _read(path)
        entries = data["needs"].setdefault(_key(python, name, version), [])
        known = {e.get("distribution") for e in entries if isinstance(e, dict)}
        for distribution, evidence in needs:
            if distribution not in known:
                entries.append({"distribution": distribution, "evidence": evidence})
                known.add(distribution)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".build-requirements-", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, sort_keys=True, indent=1)
        os.replace(tmp, path)
