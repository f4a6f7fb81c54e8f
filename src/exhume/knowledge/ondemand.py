"""Names of releases the shipped API index does not cover, read from the index's files when code uses them.

The shipped index (``resolvers/api/``) covers the distributions of ``api-distributions.toml``. For any other
distribution whose names the code uses (``flask.ext``, ``gevent.wsgi``, ``django.utils.encoding.smart_text``),
:class:`NameReader` reads single releases at run time — the Python members of a wheel by ranged requests, a small
sdist whole — runs the shipped index's extractor over them (:mod:`exhume.knowledge.extract`) and keeps each
release's names on disk as a one-release index file, so a release is read once per machine::

    <cache>/api-releases/<distribution>/<version>-<top>.x<N>.api

Reading every release of a distribution would take minutes, so each name is located by search over the final
releases of the window (those uploaded by the as-of date; all of them without one), on the rule that a name,
once added, is removed at most once:

- the newest release of the window has the name (or cannot rule it out): the name bounds nothing, no answer;
- otherwise releases are probed backwards at doubling distances until one has it; none has: no answer (a name
  that is never seen is no evidence, it may be made at run time);
- between that release and the next probe that lacks the name, bisection finds the removal. Releases up to the
  last one seen with the name may provide it (those not read are "not ruled out"), the rest do not.

That is about 2·log2(n) reads for a name that was removed, one for a name that is still there.
"""

from __future__ import annotations

import io
import logging
import re
import tarfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Protocol

from packaging.utils import canonicalize_name
from packaging.version import Version

from exhume.errors import BadRemoteFile, ExhumeError, IndexUnreachable, KnowledgeError, ProjectNotFound
from exhume.index import DistFile, Project, default_cache_dir
from exhume.knowledge.api import release_status, write_index
from exhume.knowledge.extract import EXTRACTOR_VERSION, ModuleSource, extract_release, select_modules

__all__ = [
    "LINUX_X86_64",
    "MAX_SDIST_BYTES",
    "NameAnswer",
    "NameReader",
    "choose_file",
    "cp_rank",
    "modules_of",
    "read_members",
    "read_release",
]

log = logging.getLogger(__name__)

#: An sdist is read whole; larger ones are not read at run time (the shipped builder allows more).
MAX_SDIST_BYTES = 30 * 1024 * 1024
LINUX_X86_64 = re.compile(r"^(manylinux\w*_x86_64|linux_x86_64)$")
_FOUND, _ABSENT = "found", "absent"


class FileSource(Protocol):
    """What the reader needs of an index client (:class:`exhume.index.IndexClient` has it all)."""

    offline: bool

    def project(self, name: str) -> Project: ...

    def open_zip(self, file: DistFile) -> object: ...

    def download(self, file: DistFile, limit: int) -> bytes | None: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class NameAnswer:
    """The releases that may provide a name: ``versions`` read and seen to, ``unknown`` not ruled out."""

    versions: frozenset[Version]
    unknown: frozenset[Version]
    specifier: str
    explanation: str


def cp_rank(tag: str) -> int:
    """309 for ``cp39``, -1 for a tag that is no CPython tag."""
    m = re.fullmatch(r"cp(\d)(\d+)", tag)
    return int(m.group(1)) * 100 + int(m.group(2)) if m else -1


def choose_file(files: Sequence[DistFile], sdist_max: int) -> DistFile | None:
    """The file of one release to read: Linux x86_64 wheel (newest CPython), pure wheel, sdist, any wheel."""
    wheels = [f for f in files if f.kind == "wheel"]
    linux = [f for f in wheels if any(LINUX_X86_64.match(p) for p in f.platform_tags)]
    if linux:
        return max(linux, key=lambda f: (max(map(cp_rank, f.python_tags), default=-1), f.filename))
    pure = [f for f in wheels if f.platform_tags == ("any",)]
    if pure:
        return max(pure, key=lambda f: f.filename)
    sdists = [
        f
        for f in files
        if f.kind == "sdist"
        and f.filename.endswith((".tar.gz", ".tgz", ".zip", ".tar.bz2"))
        and (f.size or 0) <= sdist_max
    ]
    if sdists:
        return sorted(sdists, key=lambda f: (not f.filename.endswith(".tar.gz"), f.filename))[0]
    if wheels:
        return max(wheels, key=lambda f: (max(map(cp_rank, f.python_tags), default=-1), f.filename))
    return None


def read_members(
    source: FileSource, file: DistFile, tops: Sequence[str], *, limit: int, prefer_stubs: bool = False
) -> tuple[list[tuple[str, bytes]], dict[str, tuple[str, str, bool]]]:
    """The Python members of the modules under ``tops`` in one release file, and the module each member defines
    (:func:`exhume.knowledge.extract.select_modules`). Wheels and zip sdists are read by ranged requests, tar
    sdists whole up to ``limit`` bytes. Raises :class:`BadRemoteFile` for a file that cannot be read."""
    try:
        if file.filename.endswith((".whl", ".zip")):
            archive = source.open_zip(file)
            selected = select_modules(archive.namelist(), tops, prefer_stubs=prefer_stubs)  # type: ignore[attr-defined]
            wanted = [path for path, kind, _ in selected.values() if kind != "so"]
            return list(archive.read_many(wanted)), selected  # type: ignore[attr-defined]
        body = source.download(file, limit)
        if body is None:
            raise BadRemoteFile(file.url, f"larger than {limit // (1024 * 1024)} MB")
        members: list[tuple[str, bytes]] = []
        with tarfile.open(fileobj=io.BytesIO(body)) as tar:
            infos = {m.name: m for m in tar.getmembers() if m.isfile()}
            selected = select_modules(list(infos), tops, prefer_stubs=prefer_stubs)
            for path, kind, _ in selected.values():
                fh = tar.extractfile(infos[path]) if kind != "so" else None
                if fh is not None:
                    members.append((path, fh.read()))
        return members, selected
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError, KeyError) as exc:
        raise BadRemoteFile(file.url, f"not a readable archive: {exc}") from exc


def modules_of(members: Sequence[tuple[str, bytes]], selected: dict[str, tuple[str, str, bool]]) -> list[ModuleSource]:
    """The extractor's input from :func:`read_members`' output (compiled modules have no source)."""
    data = dict(members)
    return [
        ModuleSource(name=mod, is_package=is_pkg, source=None if kind == "so" else data.get(path), stub=kind == "pyi")
        for mod, (path, kind, is_pkg) in sorted(selected.items())
    ]


def read_release(
    source: FileSource, distribution: str, version: Version, file: DistFile, *, top: str, path: Path
) -> None:
    """Read one release's names under ``top`` and write them to ``path`` as a one-release index file."""
    members, selected = read_members(source, file, [top], limit=MAX_SDIST_BYTES)
    api = extract_release(modules_of(members, selected))
    header = {
        "generated_by": "exhume.knowledge.ondemand",
        "file": file.filename,
        "sha256": file.hashes.get("sha256"),
        "extractor": EXTRACTOR_VERSION,
    }
    write_index(path, distribution=distribution, releases=[version], apis=[api], header=header, tops=[top])


class NameReader:
    """Answers "which releases of D provide name N" for distributions without a shipped index, reading the
    releases it needs (see the module docstring). One per run: answers and release lists are kept in memory,
    release files on disk under ``cache_dir``. Offline, only releases already on disk are read."""

    def __init__(self, source: FileSource, *, cache_dir: Path | None = None) -> None:
        self.source = source
        self.cache_dir = cache_dir if cache_dir is not None else default_cache_dir().parent / "api-releases"
        self._answers: dict[tuple[str, str, tuple[str, ...], datetime | None], NameAnswer | None] = {}
        self._windows: dict[tuple[str, datetime | None], list[tuple[Version, DistFile | None]]] = {}
        self.reads = 0

    def which(
        self, distribution: str, name: str, keywords: Sequence[str] = (), *, as_of: datetime | None = None
    ) -> NameAnswer | None:
        """The releases of ``distribution`` that may provide ``name`` (accepting ``keywords``), or None where the
        releases read say nothing about it."""
        dist = canonicalize_name(distribution)
        key = (dist, name, tuple(sorted(set(keywords))), as_of)
        if key not in self._answers:
            answer = self._locate(dist, name, key[2], as_of)
            # A name under a module that no release shows (flask.ext.sqlalchemy, made at import time by an
            # import hook): its parent, if removed, bounds the releases as well (flask.ext is gone from 1.0.1).
            parent = name.rpartition(".")[0]
            if answer is None and not key[2] and "." in parent and self._never_seen(dist, name, as_of):
                found = self.which(dist, parent, as_of=as_of)
                if found is not None:
                    answer = replace(found, explanation=f"{name} is under {parent}; {found.explanation}")
            self._answers[key] = answer
        return self._answers[key]

    def _never_seen(self, dist: str, name: str, as_of: datetime | None) -> bool:
        """Whether the newest release of the window was read and lacks ``name`` (so its parent is worth asking)."""
        window = self._window(dist, as_of)
        return bool(window) and self._status(dist, window[-1][0], window[-1][1], name, ()) == _ABSENT

    def _window(self, dist: str, as_of: datetime | None) -> list[tuple[Version, DistFile | None]]:
        """The final releases uploaded by ``as_of`` (all without it), oldest first, each with the file to read."""
        key = (dist, as_of)
        if key not in self._windows:
            try:
                project = self.source.project(dist)
            except (ProjectNotFound, IndexUnreachable):
                self._windows[key] = []
                return []
            window = []
            for v in project.versions():
                if v.is_prerelease or v.is_devrelease:
                    continue
                uploaded = project.upload_time(v)
                if as_of is not None and uploaded is not None and uploaded > as_of:
                    continue
                files = project.release_files(v)
                if files and all(f.yanked for f in files):
                    continue
                window.append((v, choose_file(files, MAX_SDIST_BYTES)))
            self._windows[key] = window
        return self._windows[key]

    def _status(self, dist: str, version: Version, file: DistFile | None, name: str, keywords: tuple[str, ...]) -> str:
        """ "found", "absent" or "unknown" for one release (a release that cannot be read is "unknown")."""
        top = name.split(".", 1)[0]
        path = self.cache_dir / dist / f"{version}-{top}.x{EXTRACTOR_VERSION}.api"
        if not path.is_file():
            if file is None or self.source.offline:
                return "unknown"
            try:
                read_release(self.source, dist, version, file, top=top, path=path)
            except (ExhumeError, ValueError, RecursionError, MemoryError) as exc:
                log.info("names of %s %s not read: %s", dist, version, exc)
                return "unknown"
            self.reads += 1
        try:
            return release_status(path, name, keywords)
        except (KnowledgeError, ValueError, OSError) as exc:
            log.info("names of %s %s unreadable (%s): %s", dist, version, path, exc)
            return "unknown"

    def _locate(self, dist: str, name: str, keywords: tuple[str, ...], as_of: datetime | None) -> NameAnswer | None:
        window = self._window(dist, as_of)
        n = len(window)
        if n < 2:
            return None
        probed: dict[int, str] = {}

        def probe(i: int) -> str:
            if i not in probed:
                version, file = window[i]
                probed[i] = self._status(dist, version, file, name, keywords)
            return probed[i]

        if probe(n - 1) != _ABSENT:
            return None
        hi, step = n - 1, 1
        while True:
            i = max(n - 1 - step, 0)
            if probe(i) != _ABSENT:
                lo = i
                break
            hi = i
            if i == 0:
                return None
            step *= 2
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if probe(mid) != _ABSENT:
                lo = mid
            else:
                hi = mid
        versions = [window[i][0] for i in range(lo + 1)]
        seen = frozenset(window[i][0] for i, s in probed.items() if s == _FOUND)
        last, gone = window[lo][0], window[hi][0]
        text = f"{name}({', '.join(k + '=' for k in keywords)})" if keywords else name
        newest = "" if hi == n - 1 else f" nor in {window[-1][0]}, the newest"
        dated = f" uploaded by {as_of.date()}" if as_of is not None else ""
        explanation = (
            f"names read from {len(probed)} of the {n} releases of {dist}{dated}: {text} is in {last}, not in "
            f"{gone}{newest}; releases before {gone} are taken to have it (a name is removed once)"
        )
        return NameAnswer(
            versions=seen,
            unknown=frozenset(versions) - seen,
            specifier=f"<{gone}",
            explanation=explanation,
        )
