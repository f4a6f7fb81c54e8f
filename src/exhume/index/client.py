"""A client for the user's package index: project pages (PEP 691 JSON, PEP 503 HTML) cached on disk."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import platformdirs
import requests
from packaging.utils import canonicalize_name

from exhume.errors import BadRemoteFile, HashMismatch, IndexUnreachable, ProjectNotFound
from exhume.index import transport
from exhume.index.config import index_url
from exhume.index.records import DistFile, Project, parse_project_html, parse_project_json
from exhume.index.remotezip import RemoteZip

__all__ = ["JSON_TYPE", "IndexClient", "default_cache_dir"]

log = logging.getLogger(__name__)

JSON_TYPE = "application/vnd.pypi.simple.v1+json"
# Prefer JSON (it has upload times and sizes); accept HTML from indexes that only serve PEP 503.
_ACCEPT = f"{JSON_TYPE}, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01"


def default_cache_dir() -> Path:
    """Where index pages are cached: ``$EXHUME_CACHE_DIR/index`` if set, else ``<user cache dir>/index``."""
    root = os.environ.get("EXHUME_CACHE_DIR")
    base = Path(root) if root else Path(platformdirs.user_cache_dir("exhume"))
    return base / "index"


class IndexClient:
    """Reads project pages from one package index, with an on-disk cache revalidated by ETag/Last-Modified.

    ``url`` defaults to :func:`exhume.index.index_url`. With ``offline=True`` only the cache is read. With
    ``max_age`` (seconds) a cached page younger than that is used without asking the server, for batch jobs
    that read the same pages again. Pages are also memoised per client, so one run asks once per project.
    Safe to share between threads.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        cache_dir: Path | None = None,
        session: requests.Session | None = None,
        offline: bool = False,
        max_age: float | None = None,
    ) -> None:
        self.url = (url or index_url()).rstrip("/")
        key = hashlib.sha256(self.url.encode()).hexdigest()[:16]
        self.cache_dir = (cache_dir if cache_dir is not None else default_cache_dir()) / key
        self.session = session if session is not None else transport.new_session()
        self.offline = offline
        self.max_age = max_age
        self._memo: dict[str, Project] = {}
        self._lock = threading.Lock()

    def page_url(self, name: str) -> str:
        """The URL of a project's page on this index (PEP 503 normalised name, trailing slash)."""
        return f"{self.url}/{canonicalize_name(name)}/"

    def project(self, name: str) -> Project:
        """Every file the index lists for project ``name``.

        Raises :class:`ProjectNotFound` on a 404 (or, offline, when the cache has no page) and
        :class:`IndexUnreachable` when the index cannot be reached after retries and nothing is cached.
        """
        canonical = canonicalize_name(name)
        with self._lock:
            cached_project = self._memo.get(canonical)
        if cached_project is not None:
            return cached_project
        project = self._load(canonical)
        with self._lock:
            self._memo[canonical] = project
        return project

    def open_zip(self, file: DistFile) -> RemoteZip:
        """A reader for the members of a remote wheel (or zip sdist) that fetches only the bytes it needs."""
        return RemoteZip(file.url, session=self.session, size=file.size)

    def download(self, file: DistFile, limit: int) -> bytes | None:
        """The whole of a (small) file, or None when it is larger than ``limit`` bytes.

        Raises :class:`IndexUnreachable` when the file cannot be fetched and :class:`HashMismatch` when its
        bytes are not what the index page's hash says.
        """
        if file.size is not None and file.size > limit:
            return None
        response = transport.get(self.session, file.url)
        with response:
            if response.status_code != 200:
                raise IndexUnreachable(file.url, f"HTTP {response.status_code}")
            body: bytes = response.content
        if len(body) > limit:
            return None
        verify(file.url, body, file.hashes)
        return body

    def metadata(self, file: DistFile) -> bytes:
        """The core metadata (METADATA) of a wheel: from the index's PEP 658 file when served, else read
        from the wheel itself with ranged requests."""
        if file.core_metadata:
            response = transport.get(self.session, file.url + ".metadata")
            if response.status_code == 200:
                verify(file.url + ".metadata", response.content, file.metadata_hashes)
                return response.content
            log.debug("no PEP 658 metadata at %s (HTTP %d)", file.url, response.status_code)
        archive = self.open_zip(file)
        names = [n for n in archive.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA")]
        if not names:
            raise BadRemoteFile(file.url, "no .dist-info/METADATA member")
        return archive.read(names[0])

    # -- cache -------------------------------------------------------------------------------------------

    def _cache_path(self, canonical: str) -> Path:
        return self.cache_dir / f"{canonical}.json"

    def _read_cache(self, canonical: str) -> dict[str, Any] | None:
        path = self._cache_path(canonical)
        try:
            with path.open(encoding="utf-8") as fh:
                entry: dict[str, Any] = json.load(fh)
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            log.warning("ignoring unreadable cache entry %s: %s", path, exc)
            return None
        entry["_age"] = time.time() - path.stat().st_mtime
        return entry

    def _write_cache(self, canonical: str, entry: dict[str, Any]) -> None:
        path = self._cache_path(canonical)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Write then rename, so a concurrent reader never sees half a file.
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{canonical}.", suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(entry, fh, sort_keys=True)
            os.replace(tmp, path)
        except OSError as exc:
            log.warning("cannot write cache entry %s: %s", path, exc)

    def _touch_cache(self, canonical: str) -> None:
        with contextlib.suppress(OSError):
            self._cache_path(canonical).touch()

    # -- fetching ----------------------------------------------------------------------------------------

    def _load(self, canonical: str) -> Project:
        entry = self._read_cache(canonical)
        if self.offline:
            if entry is None:
                raise ProjectNotFound(canonical, index=self.url, offline=True)
            return _project_from_entry(entry, canonical)
        if entry is not None and self.max_age is not None and entry["_age"] < self.max_age:
            return _project_from_entry(entry, canonical)

        url = self.page_url(canonical)
        headers = {"Accept": _ACCEPT}
        if entry is not None:
            if entry.get("etag"):
                headers["If-None-Match"] = entry["etag"]
            if entry.get("last_modified"):
                headers["If-Modified-Since"] = entry["last_modified"]
        try:
            response = transport.get(self.session, url, headers)
        except IndexUnreachable:
            if entry is not None:
                log.warning("index unreachable; using the cached page of %s", canonical)
                return _project_from_entry(entry, canonical)
            raise
        with response:
            if response.status_code == 304 and entry is not None:
                self._touch_cache(canonical)
                return _project_from_entry(entry, canonical)
            if response.status_code == 404:
                raise ProjectNotFound(canonical, index=self.url)
            if response.status_code != 200:
                raise IndexUnreachable(url, f"HTTP {response.status_code}")
            content_type = response.headers.get("Content-Type", "").split(";")[0].strip()
            final_url = response.url or url
            if content_type == JSON_TYPE:
                try:
                    body = response.json()
                except ValueError as exc:
                    raise IndexUnreachable(url, f"invalid JSON: {exc}") from exc
                new_entry = {"url": final_url, "format": "json", "body": body}
            else:
                new_entry = {"url": final_url, "format": "html", "body": response.text}
            new_entry["etag"] = response.headers.get("ETag")
            new_entry["last_modified"] = response.headers.get("Last-Modified")
        self._write_cache(canonical, new_entry)
        return _project_from_entry(new_entry, canonical)


def verify(url: str, body: bytes, hashes: dict[str, str]) -> None:
    """Check ``body`` against the strongest of ``hashes`` that hashlib knows (none given: nothing to check);
    raises :class:`HashMismatch`."""
    for algorithm in ("sha512", "sha384", "sha256", "sha224", "sha1", "md5"):
        expected = hashes.get(algorithm)
        if expected:
            actual = hashlib.new(algorithm, body).hexdigest()
            if actual != expected.lower():
                raise HashMismatch(url, algorithm, expected, actual)
            return


def _project_from_entry(entry: dict[str, Any], canonical: str) -> Project:
    if entry.get("format") == "html":
        return parse_project_html(entry["body"], entry["url"], canonical)
    project = parse_project_json(entry["body"], entry["url"])
    return project if project.name else Project(name=canonical, files=project.files)
