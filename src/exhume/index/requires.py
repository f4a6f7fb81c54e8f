"""Each release's own ``Requires-Dist``, read from the core metadata of one of its wheels and kept on disk.

The joint choice (:mod:`exhume.infer.solve`) checks the releases it picks against each other with these: a
release that requires ``Django>=1.11`` is not left beside a Django 1.8 the code's other evidence chose. Only
wheels carry metadata that can be read without running code; a release with an sdist alone has no answer
(None), which is "not known", never "requires nothing".
"""

from __future__ import annotations

import json
import logging
from email.parser import HeaderParser
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from exhume.errors import ExhumeError
from exhume.files import write_atomic
from exhume.index.client import IndexClient
from exhume.index.records import DistFile, Project

log = logging.getLogger(__name__)

__all__ = ["RequiresReader", "requires_dist"]


def requires_dist(metadata: bytes) -> tuple[str, ...]:
    """The ``Requires-Dist`` values of a core metadata file, as written."""
    message = HeaderParser().parsestr(metadata.decode("utf-8", errors="replace"))
    return tuple(value.strip() for value in message.get_all("Requires-Dist") or ())


def _wheel(files: list[DistFile]) -> DistFile | None:
    """The wheel to read: a pure one when there is one (its metadata holds for every Python), else the first
    in name order (builds of one release declare the same requirements, markers aside)."""
    wheels = sorted((f for f in files if f.kind == "wheel" and not f.yanked), key=lambda f: f.filename)
    pure = [f for f in wheels if f.filename.endswith("-none-any.whl")]
    return (pure or wheels)[0] if wheels else None


class RequiresReader:
    """``Requires-Dist`` of releases, read through ``client`` (PEP 658 file, else ranged reads of the wheel)
    and remembered under ``<index cache>/requires/<project>.json``; offline, only what is remembered."""

    def __init__(self, client: IndexClient, *, cache_dir: Path | None = None) -> None:
        self.client = client
        self.cache_dir = cache_dir if cache_dir is not None else client.cache_dir / "requires"
        self._memo: dict[str, dict[str, list[str] | None]] = {}

    def requires(self, project: Project, version: Version) -> tuple[Requirement, ...] | None:
        """The requirements ``version`` of ``project`` declares, or None when that cannot be known (no wheel,
        the index cannot be reached, offline with nothing remembered)."""
        name = canonicalize_name(project.name)
        known = self._known(name)
        key = str(version)
        if key not in known:
            wheel = _wheel(project.release_files(version))
            if wheel is None:
                return None
            if self.client.offline:
                return None
            try:
                values: list[str] | None = list(requires_dist(self.client.metadata(wheel)))
            except ExhumeError as exc:
                log.debug("%s %s: no metadata (%s)", name, version, exc)
                return None
            known[key] = values
            self._save(name, known)
        values = known[key]
        if values is None:
            return None
        out = []
        for value in values:
            try:
                out.append(Requirement(value))
            except InvalidRequirement:
                log.debug("%s %s: unreadable Requires-Dist %r", name, version, value)
        return tuple(out)

    def _path(self, name: str) -> Path:
        return self.cache_dir / f"{name}.json"

    def _known(self, name: str) -> dict[str, list[str] | None]:
        if name not in self._memo:
            try:
                data = json.loads(self._path(name).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                data = {}
            self._memo[name] = data if isinstance(data, dict) else {}
        return self._memo[name]

    def _save(self, name: str, known: dict[str, list[str] | None]) -> None:
        try:
            write_atomic(self._path(name), json.dumps(known, sort_keys=True).encode("utf-8"))
        except OSError as exc:
            log.debug("cannot remember requirements of %s: %s", name, exc)
