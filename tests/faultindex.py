"""A package index on 127.0.0.1 for tests: PEP 691 JSON (and PEP 503 HTML) pages of projects whose wheels are
generated here, with their PEP 658 metadata files, and faults injected per path.

    with FaultIndex({"faultdemo": [Release("1.0", uploaded="2020-01-01")]}) as index:
        index.inject("/simple/faultdemo/", Fault.status(500), Fault.status(500))  # two 500s, then the page
        ... PIP_INDEX_URL=index.url ...

Each request to a path takes the next fault queued for it (none left: the normal answer), and is logged in
``index.requests`` as (monotonic time, path, the fault served or "").
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import threading
import time
import zipfile
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

JSON_TYPE = "application/vnd.pypi.simple.v1+json"


@dataclass(frozen=True)
class Fault:
    """One bad answer. ``kind``: ``drop`` (close the connection without a word), ``stall`` (answer after
    ``seconds``), ``status`` (an error status, with ``retry_after`` for 429/503), ``truncate`` (half the body,
    with the whole body's Content-Length), ``corrupt`` (the body with its bytes changed, same length)."""

    kind: str
    status_code: int = 0
    seconds: float = 0.0
    retry_after: str | None = None

    @classmethod
    def drop(cls) -> Fault:
        return cls("drop")

    @classmethod
    def stall(cls, seconds: float) -> Fault:
        return cls("stall", seconds=seconds)

    @classmethod
    def status(cls, code: int, *, retry_after: str | None = None) -> Fault:
        return cls("status", status_code=code, retry_after=retry_after)

    @classmethod
    def truncate(cls) -> Fault:
        return cls("truncate")

    @classmethod
    def corrupt(cls) -> Fault:
        return cls("corrupt")

    def label(self) -> str:
        return f"{self.kind} {self.status_code}" if self.kind == "status" else self.kind


@dataclass(frozen=True)
class Release:
    """A release of one pure-Python wheel for every Python 3, providing the module named like the project."""

    version: str
    uploaded: str = "2020-01-01T00:00:00Z"
    requires: tuple[str, ...] = ()
    requires_python: str | None = None


def wheel_name(project: str, version: str) -> str:
    """The file name of the one wheel a release has here."""
    return f"{project.replace('-', '_')}-{version}-py3-none-any.whl"


def make_wheel(project: str, release: Release) -> tuple[str, bytes, bytes]:
    """A wheel's file name, its bytes and its METADATA, built in memory."""
    module = project.replace("-", "_")
    dist_info = f"{module}-{release.version}.dist-info"
    metadata_lines = ["Metadata-Version: 2.1", f"Name: {project}", f"Version: {release.version}"]
    if release.requires_python:
        metadata_lines.append(f"Requires-Python: {release.requires_python}")
    metadata_lines += [f"Requires-Dist: {r}" for r in release.requires]
    metadata = ("\n".join(metadata_lines) + "\n").encode()
    source = f'__version__ = "{release.version}"\n\n\ndef hello():\n    return "{module}"\n'
    members = {
        f"{module}/__init__.py": source.encode(),
        f"{dist_info}/METADATA": metadata,
        f"{dist_info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: faultindex\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        f"{dist_info}/top_level.txt": f"{module}\n".encode(),
    }
    record = []
    for name, data in members.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(data)}")
    record.append(f"{dist_info}/RECORD,,")
    members[f"{dist_info}/RECORD"] = ("\n".join(record) + "\n").encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            archive.writestr(info, data)
    return wheel_name(project, release.version), buffer.getvalue(), metadata


@dataclass
class _State:
    pages: dict[str, bytes] = field(default_factory=dict)
    etags: dict[str, str] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    faults: dict[str, deque[Fault]] = field(default_factory=lambda: defaultdict(deque))
    requests: list[tuple[float, str, str]] = field(default_factory=list)
    etags_served: list[tuple[str, str]] = field(default_factory=list)
    after: dict[str, Any] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


class FaultIndex:
    """The index server; ``url`` is its ``/simple`` root, for PIP_INDEX_URL."""

    def __init__(self, projects: dict[str, list[Release]]) -> None:
        self._state = _State()
        self._projects = {name: list(releases) for name, releases in projects.items()}
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self._state))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._render()

    @property
    def base(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def url(self) -> str:
        return f"{self.base}/simple"

    @property
    def requests(self) -> list[tuple[float, str, str]]:
        with self._state.lock:
            return list(self._state.requests)

    def inject(self, path: str, *faults: Fault) -> None:
        """Queue ``faults`` for the next requests to ``path`` (``/simple/NAME/`` or ``/files/FILE``)."""
        with self._state.lock:
            self._state.faults[path].extend(faults)

    def add_release(self, project: str, release: Release) -> None:
        """Publish a release: the project's page (and its ETag) changes."""
        self._projects.setdefault(project, []).append(release)
        self._render()

    def publish_after(self, path: str, project: str, release: Release) -> None:
        """Publish ``release`` right after the next answer to ``path``: its page and ETag change mid-run."""
        with self._state.lock:
            self._state.after[path] = lambda: self.add_release(project, release)

    @property
    def etags_served(self) -> list[tuple[str, str]]:
        """(path, ETag) of every page answer with a body, in order."""
        with self._state.lock:
            return list(self._state.etags_served)

    def file_path(self, project: str, version: str) -> str:
        return f"/files/{wheel_name(project, version)}"

    def _render(self) -> None:
        with self._state.lock:
            for project, releases in self._projects.items():
                entries: list[dict[str, Any]] = []
                for release in releases:
                    filename, wheel, metadata = make_wheel(project, release)
                    self._state.files[f"/files/{filename}"] = wheel
                    self._state.files[f"/files/{filename}.metadata"] = metadata
                    entry: dict[str, Any] = {
                        "filename": filename,
                        "url": f"{self.base}/files/{filename}",
                        "hashes": {"sha256": hashlib.sha256(wheel).hexdigest()},
                        "upload-time": release.uploaded,
                        "size": len(wheel),
                        "core-metadata": {"sha256": hashlib.sha256(metadata).hexdigest()},
                    }
                    if release.requires_python:
                        entry["requires-python"] = release.requires_python
                    entries.append(entry)
                page = {"meta": {"api-version": "1.1"}, "name": project, "files": entries}
                body = json.dumps(page, sort_keys=True).encode()
                path = f"/simple/{project}/"
                self._state.pages[path] = body
                self._state.etags[path] = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'

    def __enter__(self) -> FaultIndex:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def _handler(state: _State) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            return

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path.startswith("/simple/") and not path.endswith("/"):
                path += "/"
            with state.lock:
                queue = state.faults.get(path)
                fault = queue.popleft() if queue else None
                state.requests.append((time.monotonic(), path, fault.label() if fault else ""))
                page = state.pages.get(path)
                etag = state.etags.get(path)
                body = page if page is not None else state.files.get(path)
            if fault is not None and fault.kind == "drop":
                self.close_connection = True
                self.connection.close()
                return
            if fault is not None and fault.kind == "stall":
                time.sleep(fault.seconds)
            if fault is not None and fault.kind == "status":
                self.send_response(fault.status_code)
                if fault.retry_after is not None:
                    self.send_header("Retry-After", fault.retry_after)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if body is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if page is not None and etag is not None and self.headers.get("If-None-Match") == etag and fault is None:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if fault is not None and fault.kind == "corrupt":
                body = bytes(b ^ 0xFF for b in body[:64]) + body[64:]
            self.send_response(200)
            self.send_header("Content-Type", JSON_TYPE if page is not None else "application/octet-stream")
            if etag is not None and page is not None:
                self.send_header("ETag", etag)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if fault is not None and fault.kind == "truncate":
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(2)
                return
            self.wfile.write(body)
            self.wfile.flush()
            with state.lock:
                if page is not None and etag is not None:
                    state.etags_served.append((path, etag))
                then = state.after.pop(path, None)
            if then is not None:
                then()

    return Handler
