"""A date-filtered view of the package index, served on 127.0.0.1 for a resolver to use as its index.

Pip learned ``--uploaded-prior-to`` only recently; the pips that run on old interpreters (20.x on 2.7, 21.x
on 3.6) have no way to ignore releases newer than a date. Serving them a view of the index that lists only
files uploaded on or before the cutoff makes every resolver respect the date, for transitive dependencies as
much as for direct ones.

The view serves, for each project:

- ``/simple/<name>/``: a PEP 503 HTML page, or a PEP 691 JSON page when the client asks for it (pip 22.2+
  does), listing the kept files with their real URLs (file bytes are not proxied), the hash in the URL
  fragment, ``data-requires-python`` and ``data-yanked``;
- ``/pypi/<name>/json`` (also under ``/simple/pypi/``, where pip-tools looks when the index URL ends in a
  slash): the legacy JSON API's ``releases`` table, which pip-tools reads for ``--generate-hashes`` instead
  of downloading every file of a release to hash it.

A file is kept when its upload time is known and not after the cutoff; files without an upload time are
dropped (and logged), because a date the index does not state cannot be checked. With a ``target`` (an
:class:`exhume.target.Target`), wheels that do not install there are left out too: a smaller page, and hashes
in the lock only for files that could be installed.
"""

from __future__ import annotations

import html
import json
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

from packaging.utils import canonicalize_name
from packaging.version import Version

from exhume.errors import IndexUnreachable, ProjectNotFound
from exhume.index import DistFile, IndexClient, Project
from exhume.target import Target

__all__ = [
    "DateFilteredIndex",
    "FilterStats",
    "ProjectSource",
    "filter_project",
    "render_html",
    "render_json",
    "render_releases_json",
]

log = logging.getLogger(__name__)

JSON_TYPE = "application/vnd.pypi.simple.v1+json"
HTML_TYPE = "application/vnd.pypi.simple.v1+html"
_HASH_PREFERENCE = ("sha256", "sha384", "sha512", "sha224", "sha1", "md5")


class ProjectSource(Protocol):
    """Where project pages come from: :class:`exhume.index.IndexClient`, or recorded pages in tests."""

    @property
    def url(self) -> str: ...

    def project(self, name: str) -> Project: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class FilterStats:
    """What :func:`filter_project` left out of one project, by reason."""

    kept: int
    after_cutoff: int
    undated: int
    incompatible: int


def _as_utc(moment: datetime) -> datetime:
    # A naive datetime is read as UTC: the index's upload times are UTC, and so are exhume's dates.
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def filter_project(project: Project, cutoff: datetime, *, target: Target | None = None) -> tuple[Project, FilterStats]:
    """The files of ``project`` a resolver may see as of ``cutoff``: wheels and sdists uploaded on or
    before it (files with no upload time are dropped), and with ``target`` only the wheels that install
    there. Yanked files stay (marked) as the index lists them; installers and eggs, which pip never
    uses, go. The kept files are sorted by version, then filename."""
    limit = _as_utc(cutoff)
    kept: list[DistFile] = []
    after = undated = incompatible = 0
    for file in project.files:
        if file.kind not in ("wheel", "sdist") or file.version is None:
            incompatible += 1
            continue
        if file.upload_time is None:
            undated += 1
            continue
        if file.upload_time > limit:
            after += 1
            continue
        if file.kind == "wheel" and target is not None and not target.installs_wheel(file.filename):
            incompatible += 1
            continue
        kept.append(file)
    kept.sort(key=lambda f: (f.version, f.filename))
    stats = FilterStats(kept=len(kept), after_cutoff=after, undated=undated, incompatible=incompatible)
    return Project(name=project.name, files=tuple(kept)), stats


def _fragment(file: DistFile) -> str:
    for algo in _HASH_PREFERENCE:
        if algo in file.hashes:
            return f"#{algo}={file.hashes[algo]}"
    return ""


def render_html(project: Project) -> str:
    """A PEP 503 project page (repository version 1.0 markup) for the files of ``project``."""
    name = html.escape(project.name)
    lines = [
        "<!DOCTYPE html>",
        "<html>",
        "<head>",
        '<meta name="pypi:repository-version" content="1.0">',
        f"<title>Links for {name}</title>",
        "</head>",
        "<body>",
        f"<h1>Links for {name}</h1>",
    ]
    for file in project.files:
        attrs = [f'href="{html.escape(file.url + _fragment(file), quote=True)}"']
        if file.requires_python is not None:
            attrs.append(f'data-requires-python="{html.escape(str(file.requires_python), quote=True)}"')
        if file.yanked:
            attrs.append(f'data-yanked="{html.escape(file.yanked_reason or "", quote=True)}"')
        lines.append(f"<a {' '.join(attrs)}>{html.escape(file.filename)}</a><br/>")
    lines += ["</body>", "</html>", ""]
    return "\n".join(lines)


def render_json(project: Project) -> dict[str, Any]:
    """A PEP 691 project page (API version 1.1, with PEP 700 upload times and sizes)."""
    files: list[dict[str, Any]] = []
    for file in project.files:
        entry: dict[str, Any] = {
            "filename": file.filename,
            "url": file.url,
            "hashes": dict(sorted(file.hashes.items())),
            "requires-python": str(file.requires_python) if file.requires_python is not None else None,
            "yanked": (file.yanked_reason or True) if file.yanked else False,
        }
        if file.upload_time is not None:
            entry["upload-time"] = file.upload_time.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        if file.size is not None:
            entry["size"] = file.size
        files.append(entry)
    versions = sorted({f.version for f in project.files if f.version is not None})
    return {
        "meta": {"api-version": "1.1"},
        "name": project.name,
        "versions": [str(v) for v in versions],
        "files": files,
    }


def render_releases_json(project: Project) -> dict[str, Any]:
    """The legacy JSON API's shape (``info`` and ``releases``), as pip-tools reads it for hashes.

    pip-tools 6.14+ matches each release file to a resolver candidate by URL, and that URL carries the hash
    fragment when pip read the HTML page but not when it read the JSON page; each file is listed under
    both spellings, which the older pip-tools (that take every hash of the release) see as one hash.
    """
    releases: dict[str, list[dict[str, Any]]] = {}
    for file in project.files:
        if file.version is None:
            continue
        digests = dict(sorted(file.hashes.items()))
        base = {
            "filename": file.filename,
            "packagetype": "bdist_wheel" if file.kind == "wheel" else "sdist",
            "digests": digests,
            "requires_python": str(file.requires_python) if file.requires_python is not None else None,
            "yanked": file.yanked,
            "yanked_reason": file.yanked_reason,
        }
        if file.upload_time is not None:
            base["upload_time_iso_8601"] = file.upload_time.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        spellings = sorted({file.url, file.url + _fragment(file)})
        releases.setdefault(str(file.version), []).extend({**base, "url": url} for url in spellings)
    latest = max((f.version for f in project.files if f.version is not None), default=None)
    return {
        "info": {"name": project.name, "version": str(latest) if latest is not None else None},
        "releases": dict(sorted(releases.items(), key=lambda item: Version(item[0]))),
        "urls": [],
    }


def _choose_format(accept: str, query: Mapping[str, list[str]]) -> str:
    """PEP 691 content negotiation: ``?format=`` wins, then the Accept header's q-values; HTML by default."""
    if query.get("format"):
        wanted = query["format"][0]
        return JSON_TYPE if wanted == JSON_TYPE else HTML_TYPE if wanted == HTML_TYPE else "text/html"
    best, best_q = "text/html", 0.0
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if media in (JSON_TYPE, HTML_TYPE, "text/html") and q > best_q:
            best, best_q = media, q
    return best


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    view: DateFilteredIndex


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)

    def do_GET(self) -> None:
        self._respond(body=True)

    def do_HEAD(self) -> None:
        self._respond(body=False)

    def _send(self, status: int, content_type: str, payload: bytes, *, body: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        # Every view is a new port and a different cutoff: nothing here is worth caching by a client.
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if body:
            self.wfile.write(payload)

    def _respond(self, *, body: bool) -> None:
        parts = urlsplit(self.path)
        segments = [s for s in parts.path.split("/") if s]
        query = parse_qs(parts.query)
        try:
            if segments == ["simple"]:
                page = '<!DOCTYPE html>\n<html><head><meta name="pypi:repository-version" content="1.0">'
                page += "<title>Simple index</title></head><body></body></html>\n"
                self._send(200, "text/html; charset=utf-8", page.encode(), body=body)
                return
            if len(segments) == 2 and segments[0] == "simple":
                if not parts.path.endswith("/"):
                    self.send_response(HTTPStatus.MOVED_PERMANENTLY)
                    self.send_header("Location", parts.path + "/")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                project = self.server.view.project(segments[1])
                media = _choose_format(self.headers.get("Accept", ""), query)
                if media == JSON_TYPE:
                    payload = json.dumps(render_json(project), sort_keys=True).encode()
                    self._send(200, JSON_TYPE, payload, body=body)
                else:
                    content_type = "text/html" if media == "text/html" else media
                    self._send(200, f"{content_type}; charset=utf-8", render_html(project).encode(), body=body)
                return
            if segments[:1] == ["simple"]:
                segments = segments[1:]
            if len(segments) in (3, 4) and segments[0] == "pypi" and segments[-1] == "json":
                project = self.server.view.project(segments[1])
                data = render_releases_json(project)
                if len(segments) == 4:
                    data["releases"] = {k: v for k, v in data["releases"].items() if k == segments[2]}
                payload = json.dumps(data, sort_keys=True).encode()
                self._send(200, "application/json", payload, body=body)
                return
            self._send(404, "text/plain", b"not found\n", body=body)
        except ProjectNotFound:
            self._send(404, "text/plain", b"no such project\n", body=body)
        except IndexUnreachable as exc:
            log.warning("date-filtered index: %s", exc.message)
            self.server.view.record_failure(exc)
            self._send(502, "text/plain", exc.message.encode(), body=body)
        except Exception as exc:  # an answer the resolver can report beats a dropped connection
            log.exception("date-filtered index failed on %s", self.path)
            self._send(500, "text/plain", f"{type(exc).__name__}: {exc}".encode(), body=body)


class DateFilteredIndex:
    """A view of the index as it was at ``cutoff``, served on ``127.0.0.1`` while the context is open.

    ``url`` (``http://127.0.0.1:PORT/simple/``) is what to hand a resolver as its only index. Pages come
    from ``client`` (default: an :class:`IndexClient` for the user's index) and are filtered by
    :func:`filter_project` for ``target``; ``floors`` moves the cutoff of some projects
    later (pip's build environments ask for ``setuptools>=40.8.0``, which a view of 2018 would not have).
    ``stats`` records, per project served, what was left out; ``undated`` names the projects that had files
    without an upload time (all of them, on an index that serves only HTML pages); ``failures`` holds the
    upstream errors that were answered with 502, so that a caller whose resolver then failed can report the
    real cause.
    """

    def __init__(
        self,
        cutoff: datetime,
        *,
        client: ProjectSource | None = None,
        target: Target | None = None,
        floors: Mapping[str, datetime] | None = None,
    ) -> None:
        self.cutoff = _as_utc(cutoff)
        self.floors = {canonicalize_name(k): _as_utc(v) for k, v in (floors or {}).items()}
        self.client: ProjectSource = client if client is not None else IndexClient()
        self.target = target
        self.stats: dict[str, FilterStats] = {}
        self.failures: list[IndexUnreachable] = []
        self._pages: dict[str, Project] = {}
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The simple index URL, with a trailing slash. Only valid while the server runs."""
        if self._server is None:
            raise RuntimeError("the date-filtered index is not running (use it as a context manager)")
        return f"http://127.0.0.1:{self._server.server_address[1]}/simple/"

    @property
    def undated(self) -> list[str]:
        """Projects some of whose files were dropped for having no upload time, sorted."""
        with self._lock:
            return sorted(name for name, s in self.stats.items() if s.undated)

    def project(self, name: str) -> Project:
        """The filtered page of project ``name`` (memoised). Raises what the client raises."""
        canonical = canonicalize_name(name)
        with self._lock:
            page = self._pages.get(canonical)
        if page is not None:
            return page
        cutoff = max(self.cutoff, self.floors.get(canonical, self.cutoff))
        page, stats = filter_project(self.client.project(canonical), cutoff, target=self.target)
        if stats.undated:
            log.info("%s: dropped %d files with no upload time", canonical, stats.undated)
        with self._lock:
            self._pages[canonical] = page
            self.stats[canonical] = stats
        return page

    def record_failure(self, error: IndexUnreachable) -> None:
        """Remember an upstream failure the server answered with an error status."""
        with self._lock:
            self.failures.append(error)

    def start(self) -> None:
        """Start serving on 127.0.0.1 at a free port, in a daemon thread."""
        if self._server is not None:
            return
        server = _Server(("127.0.0.1", 0), _Handler)
        server.view = self
        self._server = server
        # A short poll interval, so that close() returns at once rather than after half a second.
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="exhume-dateindex", daemon=True
        )
        self._thread.start()
        log.debug("date-filtered index (cutoff %s) at %s", self.cutoff.isoformat(), self.url)

    def close(self) -> None:
        """Stop serving and release the port."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = None
        self._thread = None

    def __enter__(self) -> DateFilteredIndex:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
