"""Which project provides an import name the import map does not know, found on the index at run time.

The import map (``resolvers/importmap``) covers the most downloaded projects. Old code also imports projects
outside it whose name differs from the module: ``sdl2`` from PySDL2, ``facebook`` from facebook-sdk,
``clouddns`` from python-clouddns. For such a module this looks up the usual spellings of a project name
around the module name (the name itself, ``python-X``, ``pyX``, ``X-sdk`` …) and keeps the first project whose
release really installs the module: its newest wheel's member list read with ranged requests, or its sdist's
``top_level.txt`` or layout. A project that only has the module's name but installs other modules is not
taken (``cms`` 0.0.0 is not django-cms).

What a release installs never changes, so each answer is cached on disk by project, release and file.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from packaging.utils import canonicalize_name
from packaging.version import Version

from exhume.errors import BadRemoteFile, IndexUnreachable, MemberNotFound, ProjectNotFound
from exhume.files import write_atomic
from exhume.index import DistFile, Project, default_cache_dir
from exhume.knowledge.importmap import EXCLUDED_TOP_LEVEL, package_submodules, provided_modules

__all__ = ["Provider", "ProviderSearch", "candidate_names", "release_modules"]

log = logging.getLogger(__name__)

#: Read an sdist whole only up to this size (old pure-Python sdists are far smaller).
SDIST_LIMIT = 8 * 1024 * 1024
#: Bump when what is stored per release changes.
CACHE_VERSION = 1


class FileSource(Protocol):
    """What the search needs of an index client (:class:`exhume.index.IndexClient` has it all)."""

    def project(self, name: str) -> Project: ...

    def open_zip(self, file: DistFile) -> object: ...

    def download(self, file: DistFile, limit: int) -> bytes | None: ...


@dataclass(frozen=True, slots=True)
class Provider:
    """A project found to install ``module``, with the release and file that showed it."""

    module: str
    distribution: str
    version: str
    file: str

    def reason(self) -> str:
        return f"import name {self.module}: {self.file} installs it (found on the index by name)"


def candidate_names(module: str) -> list[str]:
    """Project names to try for top-level ``module``, most likely first, without duplicates."""
    base = module.split(".", 1)[0]
    low = base.lower()
    names = [base, f"python-{low}", f"py{low}", f"py-{low}", f"{low}-python", f"{low}-py", f"{low}-sdk"]
    names += [f"django-{low}", f"flask-{low}", f"{low}-client", f"{low}-api", f"{low}-lib"]
    if low.startswith("py") and len(low) > 4:
        names.append(low[2:])
    seen: dict[str, None] = {}
    for name in names:
        seen.setdefault(canonicalize_name(name), None)
    return list(seen)


def _newest_first(project: Project, kind: str) -> Iterator[tuple[Version, list[DistFile]]]:
    """Final releases newest first, then pre-releases, with their unyanked files of ``kind``."""
    versions = project.versions()
    ordered = [v for v in reversed(versions) if not v.is_prerelease] + [
        v for v in reversed(versions) if v.is_prerelease
    ]
    for version in ordered:
        files = [f for f in project.release_files(version) if f.kind == kind and not f.yanked]
        if files:
            yield version, files


def _wheel_preference(file: DistFile) -> tuple[int, int, str]:
    """Pure Python 3 wheels, then other pure wheels, then CPython manylinux x86_64 (newest first), then any."""
    if "any" in file.platform_tags:
        return (0 if any(t.startswith("py3") for t in file.python_tags) else 1), 0, file.filename
    linux = any("manylinux" in t and t.endswith("x86_64") for t in file.platform_tags)
    cpython = [int(t[3:]) for t in file.python_tags if t.startswith("cp3") and t[3:].isdigit()]
    standard_abi = not any(a.endswith("t") and a.startswith("cp") for a in file.abi_tags)
    if linux and cpython and standard_abi:
        return 2, -max(cpython), file.filename
    return 3, 0, file.filename


@dataclass(frozen=True, slots=True)
class ReleaseModules:
    """The import names one file of a release installs; ``method`` says how they were read, ``note`` why
    there are none (or which newer wheels were passed over). ``file`` is empty when nothing could be read."""

    version: str
    file: str
    method: str
    modules: frozenset[str]
    submodules: frozenset[str] = frozenset()
    note: str = ""


def release_modules(
    client: FileSource, project: Project, *, older_tries: int = 3, sdist_limit: int = SDIST_LIMIT
) -> ReleaseModules:
    """What ``project`` installs, from its newest wheel, else its newest sdist (``top_level.txt`` or layout).

    A newest wheel that installs nothing (a placeholder or the last release of a renamed project) is passed over
    for up to ``older_tries`` older ones. An sdist larger than ``sdist_limit`` bytes is not read. Raises the
    index's errors when a file cannot be read.
    """
    empty: list[str] = []
    for version, wheels in _newest_first(project, "wheel"):
        wheel = min(wheels, key=_wheel_preference)
        names = client.open_zip(wheel).namelist()  # type: ignore[attr-defined]
        modules = provided_modules(names)
        if not modules and len(empty) < older_tries:
            empty.append(wheel.filename)
            continue
        note = f"newer wheels install no module: {', '.join(empty)}" if empty else ""
        return ReleaseModules(
            version=str(version),
            file=wheel.filename,
            method="wheel",
            modules=frozenset(modules),
            submodules=frozenset(package_submodules(names)),
            note=note if modules else "the wheel installs no importable module",
        )
    if empty:
        return ReleaseModules(
            version="",
            file="",
            method="wheel",
            modules=frozenset(),
            note=f"no wheel installs a module: {', '.join(empty)}",
        )
    for version, sdists in _newest_first(project, "sdist"):
        sdist = sorted(sdists, key=lambda f: (not f.filename.endswith(".tar.gz"), f.filename))[0]
        read = None
        if sdist.size is None or sdist.size <= sdist_limit:
            read = _sdist_modules(client, sdist, sdist_limit)
        if read is None:
            note = f"sdist only, {sdist.size} bytes: too big to read"
            return ReleaseModules(
                version=str(version), file=sdist.filename, method="sdist", modules=frozenset(), note=note
            )
        method, names = read
        return ReleaseModules(
            version=str(version),
            file=sdist.filename,
            method=method,
            modules=frozenset(names),
            note="" if names else "sdist only, and no top_level.txt or package found",
        )
    return ReleaseModules(version="", file="", method="", modules=frozenset(), note="no wheel or sdist to read")


def _top_level_lines(text: bytes) -> set[str]:
    names = set()
    for line in text.decode("utf-8", "replace").splitlines():
        dotted = line.strip().replace("/", ".")
        parts = dotted.split(".")
        if dotted and all(p.isidentifier() for p in parts) and parts[0] not in EXCLUDED_TOP_LEVEL:
            names.add(dotted)
    return names


def _sdist_modules(client: FileSource, sdist: DistFile, limit: int) -> tuple[str, set[str]] | None:
    """An sdist's ``*.egg-info/top_level.txt`` names, else a guess from its layout (``src/``, ``lib/`` or the
    root folder); None when it is larger than ``limit``. Raises :class:`BadRemoteFile` for a broken archive."""
    texts: list[bytes] = []
    if sdist.filename.endswith(".zip"):
        archive = client.open_zip(sdist)
        members: list[str] = archive.namelist()  # type: ignore[attr-defined]
        top_levels = [n for n in members if n.endswith(".egg-info/top_level.txt")]
        if top_levels:
            texts = [archive.read(min(top_levels, key=len))]  # type: ignore[attr-defined]
    else:
        body = client.download(sdist, limit)
        if body is None:
            return None
        try:
            with tarfile.open(fileobj=io.BytesIO(body)) as tar:
                members = [m.name for m in tar.getmembers() if m.isfile()]
                top_levels = sorted((n for n in members if n.endswith(".egg-info/top_level.txt")), key=len)
                if top_levels:
                    extracted = tar.extractfile(top_levels[0])
                    texts = [extracted.read()] if extracted is not None else []
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise BadRemoteFile(sdist.url, f"not a readable tar archive: {exc}") from exc
    if texts:
        names = _top_level_lines(texts[0])
        if names:
            return "sdist-top-level", names
    relative = [m.split("/", 1)[1] for m in members if "/" in m]
    for folder in ("src/", "lib/"):
        inside = [r[len(folder) :] for r in relative if r.startswith(folder)]
        if provided_modules(inside):
            return "sdist-layout", provided_modules(inside)
    # setup.py itself and test folders are not what the project installs.
    found = provided_modules(r for r in relative if not r.startswith(("test", "doc", "example")))
    return "sdist-layout", found - {"setup", "ez_setup", "conftest"}


def _cache_dir() -> Path:
    """``<exhume cache>/providers``, beside the index cache."""
    return default_cache_dir().parent / "providers"


def _uploaded_by(moment: datetime | None, as_of: datetime) -> bool:
    return moment is not None and moment <= as_of


class ProviderSearch:
    """Finds the project that installs a module, through ``client`` (an :class:`exhume.index.IndexClient`)."""

    def __init__(self, client: FileSource, *, cache_dir: Path | None = None) -> None:
        self.client = client
        self.cache_dir = cache_dir if cache_dir is not None else _cache_dir()
        self._memo: dict[tuple[str, str], Provider | None] = {}

    def find(self, module: str, *, as_of: datetime | None = None) -> Provider | None:
        """The project that installs top-level ``module``, among :func:`candidate_names`; None when none does
        (or none can be read).

        With ``as_of`` only projects with a release by then count: code cannot have imported a later one.
        The project named like the module wins when it installs it; otherwise the one with the most releases
        by that date (a maintained project over a namesake). A release whose files cannot be read counts as
        "not found"; a page the index does not answer (after the transport's retries) raises
        :class:`IndexUnreachable`: without it the answer could be a namesake's, or "nothing provides it".
        """
        top = module.split(".", 1)[0]
        memo_key = (top, as_of.date().isoformat() if as_of is not None else "")
        if memo_key in self._memo:
            return self._memo[memo_key]
        found: list[tuple[int, int, Provider]] = []
        for order, name in enumerate(candidate_names(top)):
            installed = self.modules(name)
            if installed is None or top not in {m.split(".", 1)[0] for m in installed.modules}:
                continue
            project = self.client.project(name)
            # A release with no upload time cannot be shown to predate the code, and the lock's date-filtered
            # view drops it: it does not count here either.
            dated = [v for v in project.versions() if as_of is None or _uploaded_by(project.upload_time(v), as_of)]
            if not dated:
                continue
            provider = Provider(module=top, distribution=name, version=installed.version, file=installed.file)
            found.append((0 if order == 0 else 1, -len(dated), provider))
        best = min(found, key=lambda f: (f[0], f[1]))[2] if found else None
        self._memo[memo_key] = best
        return best

    def modules(self, name: str) -> ReleaseModules | None:
        """What project ``name`` installs (None when it is not on the index or nothing can be read)."""
        try:
            project = self.client.project(name)
        except ProjectNotFound:
            return None
        key = self._key(project)
        if key is None:
            return None
        path = self.cache_dir / f"{key}.json"
        with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("cache_version") == CACHE_VERSION:
                if data.get("none"):
                    return None
                return ReleaseModules(
                    version=data["version"],
                    file=data["file"],
                    method=data["method"],
                    modules=frozenset(data["modules"]),
                    submodules=frozenset(data.get("submodules", ())),
                )
        try:
            result = release_modules(self.client, project)
        except (IndexUnreachable, BadRemoteFile, MemberNotFound) as exc:
            log.info("cannot read what %s installs: %s", name, exc)
            return None
        record: dict[str, object] = {"cache_version": CACHE_VERSION}
        if not result.modules:
            record["none"] = True
        else:
            record.update(
                version=result.version,
                file=result.file,
                method=result.method,
                modules=sorted(result.modules),
                submodules=sorted(result.submodules),
            )
        with contextlib.suppress(OSError):
            write_atomic(path, json.dumps(record, sort_keys=True).encode())
        return result if result.modules else None

    @staticmethod
    def _key(project: Project) -> str | None:
        """The project's name and a digest of its unyanked files: a new release or a yank makes a new key."""
        files = sorted(f.filename for f in project.files if not f.yanked)
        if not files:
            return None
        digest = hashlib.sha256("\n".join(files).encode()).hexdigest()[:16]
        return f"{canonicalize_name(project.name)}-{digest}"
