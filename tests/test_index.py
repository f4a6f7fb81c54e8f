"""Tests for exhume.index: project pages, the disk cache, index_url(), and ranged zip reads.

Unit tests read recorded PEP 691/503 pages (tests/data/index/, URLs made relative) and talk to a small HTTP
server of ours on the loopback address; tests marked ``network`` use the real index from pip's configuration.
"""

from __future__ import annotations

import hashlib
import http.server
import io
import json
import os
import random
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import requests
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from exhume.errors import BadRemoteFile, IndexUnreachable, MemberNotFound, ProjectNotFound
from exhume.index import (
    DistFile,
    IndexClient,
    Project,
    RemoteZip,
    index_url,
    parse_project_html,
    parse_project_json,
    transport,
)
from exhume.index.records import _loose_version

DATA = Path(__file__).parent / "data" / "index"
PAGE = "http://127.0.0.1:1/simple/six/"


def _six() -> Project:
    return parse_project_json(json.loads((DATA / "six.json").read_text()), PAGE)


# -- parsing recorded pages ---------------------------------------------------------------------------------


def test_json_page_files_versions_and_times() -> None:
    project = _six()
    assert project.name == "six"
    assert len(project.files) == 48
    assert Version("1.16.0") in project.versions()
    assert project.versions() == sorted(project.versions())
    assert project.upload_time(Version("1.16.0")) == datetime(2021, 5, 5, 14, 18, 17, 237677, timezone.utc)
    wheel = next(f for f in project.release_files(Version("1.16.0")) if f.kind == "wheel")
    assert wheel.filename == "six-1.16.0-py2.py3-none-any.whl"
    assert wheel.python_tags == ("py2", "py3")
    assert wheel.abi_tags == ("none",)
    assert wheel.platform_tags == ("any",)
    assert wheel.requires_python == SpecifierSet(">=2.7, !=3.0.*, !=3.1.*, !=3.2.*")
    assert wheel.size == 11053
    assert wheel.hashes["sha256"].startswith("8abb2f1d")
    # Relative URLs are joined against the page URL.
    assert wheel.url.startswith("http://127.0.0.1:1/packages/")
    assert wheel.url.endswith("/six-1.16.0-py2.py3-none-any.whl")


def test_release_upload_time_is_earliest_file() -> None:
    project = _six()
    v = Version("1.16.0")
    times = [f.upload_time for f in project.release_files(v)]
    assert len(times) == 2
    assert project.upload_time(v) == min(t for t in times if t is not None)
    assert project.upload_time(Version("99")) is None


def test_yanked_with_reason() -> None:
    project = parse_project_json(json.loads((DATA / "attrs.json").read_text()), "http://127.0.0.1:1/simple/attrs/")
    yanked = [f for f in project.files if f.yanked]
    assert {f.version for f in yanked} == {Version("21.1.0")}
    assert all(f.yanked_reason == "Installable but not importable on Python 3.4." for f in yanked)
    assert not any(f.yanked_reason for f in project.files if not f.yanked)


def test_html_page_matches_json_page() -> None:
    from_json = _six()
    from_html = parse_project_html((DATA / "six.html").read_text(), PAGE, "six")
    # The two APIs may list files in different orders.
    by_name = {f.filename: f for f in from_json.files}
    assert sorted(f.filename for f in from_html.files) == sorted(by_name)
    for h in from_html.files:
        j = by_name[h.filename]
        assert (h.url, h.version, h.kind, h.hashes, h.requires_python, h.yanked) == (
            j.url,
            j.version,
            j.kind,
            j.hashes,
            j.requires_python,
            j.yanked,
        )
        assert h.upload_time is None  # the HTML API has no upload times


def test_distfile_round_trip() -> None:
    for path in ("six.json", "attrs.json"):
        project = parse_project_json(json.loads((DATA / path).read_text()), PAGE)
        for f in project.files:
            assert DistFile.from_dict(json.loads(json.dumps(f.to_dict()))) == f
        assert Project.from_dict(project.to_dict()) == project


@pytest.mark.parametrize(
    ("stem", "project", "expected"),
    [
        pytest.param("six-1.9.0", "six", "1.9.0", id="plain"),
        pytest.param("Foo_Bar-1.0.win32-py2.7", "foo-bar", "1.0", id="old_bdist_wininst"),
        pytest.param("foo-1.0-py2.7", "foo", "1.0", id="egg"),
        pytest.param("python-dateutil-2.8.2", "python-dateutil", "2.8.2", id="dash_in_name"),
        pytest.param("foo-latest", "foo", None, id="no_version"),
        pytest.param("bar-1.0", "foo", None, id="other_project"),
    ],
)
def test_loose_version(stem: str, project: str, expected: str | None) -> None:
    got = _loose_version(stem, project)
    assert got == (Version(expected) if expected else None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("2021-05-05T14:18:17.237677Z", datetime(2021, 5, 5, 14, 18, 17, 237677, timezone.utc), id="z"),
        pytest.param("2021-05-05T14:18:17.2Z", datetime(2021, 5, 5, 14, 18, 17, 200000, timezone.utc), id="short"),
        pytest.param("2021-05-05T16:18:17+02:00", datetime(2021, 5, 5, 14, 18, 17, tzinfo=timezone.utc), id="offset"),
        pytest.param("2021-05-05T14:18:17", datetime(2021, 5, 5, 14, 18, 17, tzinfo=timezone.utc), id="naive"),
        pytest.param("yesterday", None, id="bad"),
        pytest.param(None, None, id="missing"),
    ],
)
def test_upload_time_parsing(text: str | None, expected: datetime | None) -> None:
    entry = {"filename": "six-1.0.tar.gz", "url": "six-1.0.tar.gz", "upload-time": text}
    project = parse_project_json({"name": "six", "files": [entry]}, PAGE)
    assert project.files[0].upload_time == expected


# -- index_url() --------------------------------------------------------------------------------------------


@pytest.fixture
def fresh_index_url() -> Iterator[None]:
    index_url.cache_clear()
    yield
    index_url.cache_clear()


def test_index_url_from_env(monkeypatch: pytest.MonkeyPatch, fresh_index_url: None) -> None:
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple/  http://127.0.0.1:10/simple")
    assert index_url() == "http://127.0.0.1:9/simple"


def test_index_url_from_pip_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fresh_index_url: None) -> None:
    conf = tmp_path / "pip.conf"
    conf.write_text("[global]\nindex-url = http://127.0.0.1:9/mirror/simple/\nextra-index-url = file:///x\n")
    monkeypatch.delenv("PIP_INDEX_URL", raising=False)
    monkeypatch.setenv("PIP_CONFIG_FILE", str(conf))
    assert index_url() == "http://127.0.0.1:9/mirror/simple"


def test_index_url_default_is_pips(monkeypatch: pytest.MonkeyPatch, fresh_index_url: None) -> None:
    # With no configuration file at all, the answer is pip's own default, whatever it is.
    monkeypatch.delenv("PIP_INDEX_URL", raising=False)
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    expected = subprocess.run(
        [sys.executable, "-c", "from pip._internal.models.index import PyPI; print(PyPI.simple_url)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert index_url() == expected.rstrip("/")
    assert index_url().startswith("https://")


def test_index_url_ignores_extra_indexes(fresh_index_url: None) -> None:
    # This machine's pip config has file:// extra indexes and find-links; only index-url counts.
    assert not index_url().startswith("file:")


# -- a loopback HTTP server of ours -------------------------------------------------------------------------


@dataclass
class Site:
    """What the loopback server serves: paths to (content type, body), and what it saw."""

    pages: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    etag: bool = True
    ranges: bool = True
    fail: int = 0  # answer this many requests with 503 first
    seen: list[dict[str, str]] = field(default_factory=list)
    base: str = ""
    delay: float = 0.0  # seconds each ranged answer waits before it is sent
    in_flight: int = 0
    most_in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        site = self.server.site
        site.seen.append({"path": self.path, **{k.lower(): v for k, v in self.headers.items()}})
        if site.fail:
            site.fail -= 1
            self.send_error(503)
            return
        if self.path not in site.pages:
            self.send_error(404)
            return
        ctype, body = site.pages[self.path]
        tag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if site.etag and self.headers.get("If-None-Match") == tag:
            self.send_response(304)
            self.send_header("ETag", tag)
            self.end_headers()
            return
        status, start, end = 200, 0, len(body)
        spec = self.headers.get("Range")
        if spec and site.delay:
            with site.lock:
                site.in_flight += 1
                site.most_in_flight = max(site.most_in_flight, site.in_flight)
            time.sleep(site.delay)
            with site.lock:
                site.in_flight -= 1
        if site.ranges and spec and spec.startswith("bytes="):
            first, _, last = spec[len("bytes=") :].partition("-")
            if first == "":
                start = max(0, len(body) - int(last))
            else:
                start, end = int(first), min(len(body), int(last) + 1 if last else len(body))
            status = 206
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(end - start))
        if site.etag:
            self.send_header("ETag", tag)
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{end - 1}/{len(body)}")
        self.end_headers()
        self.wfile.write(body[start:end])


class _Server(http.server.ThreadingHTTPServer):
    site: Site


@pytest.fixture
def site() -> Iterator[Site]:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.site = Site(base=f"http://127.0.0.1:{server.server_address[1]}")
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server.site
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(autouse=True)
def _fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transport, "BACKOFF", 0.01)


def _serve_six(site: Site) -> None:
    site.pages["/simple/six/"] = ("application/vnd.pypi.simple.v1+json", (DATA / "six.json").read_bytes())


# -- IndexClient against the loopback server ----------------------------------------------------------------


def test_project_is_cached_and_revalidated(site: Site, tmp_path: Path) -> None:
    _serve_six(site)
    first = IndexClient(f"{site.base}/simple/", cache_dir=tmp_path).project("Six")
    assert "if-none-match" not in site.seen[-1]
    assert site.seen[-1]["accept"].startswith("application/vnd.pypi.simple.v1+json")
    second = IndexClient(f"{site.base}/simple", cache_dir=tmp_path).project("six")
    assert site.seen[-1]["if-none-match"].startswith('"')
    assert second == first
    assert first.files[0].url.startswith(f"{site.base}/packages/")
    # Offline: no request at all.
    before = len(site.seen)
    offline = IndexClient(f"{site.base}/simple", cache_dir=tmp_path, offline=True).project("six")
    assert offline == first
    assert len(site.seen) == before


def test_memo_and_max_age_avoid_requests(site: Site, tmp_path: Path) -> None:
    _serve_six(site)
    client = IndexClient(site.base + "/simple", cache_dir=tmp_path)
    client.project("six")
    client.project("SIX")
    assert len(site.seen) == 1
    IndexClient(site.base + "/simple", cache_dir=tmp_path, max_age=3600).project("six")
    assert len(site.seen) == 1


def test_offline_without_cache(tmp_path: Path) -> None:
    client = IndexClient("http://127.0.0.1:9/simple", cache_dir=tmp_path, offline=True)
    with pytest.raises(ProjectNotFound, match="offline"):
        client.project("six")


def test_not_found(site: Site, tmp_path: Path) -> None:
    with pytest.raises(ProjectNotFound) as info:
        IndexClient(site.base + "/simple", cache_dir=tmp_path).project("no-such-thing")
    assert info.value.name == "no-such-thing"


def test_retries_then_succeeds(site: Site, tmp_path: Path) -> None:
    _serve_six(site)
    site.fail = 2
    project = IndexClient(site.base + "/simple", cache_dir=tmp_path).project("six")
    assert len(project.files) == 48
    assert len(site.seen) == 3


def test_unreachable_after_retries(site: Site, tmp_path: Path) -> None:
    site.fail = 100
    with pytest.raises(IndexUnreachable) as info:
        IndexClient(site.base + "/simple", cache_dir=tmp_path).project("six")
    assert info.value.exit_code == 4
    assert len(site.seen) == transport.ATTEMPTS


def test_unreachable_falls_back_to_cache(site: Site, tmp_path: Path) -> None:
    _serve_six(site)
    first = IndexClient(site.base + "/simple", cache_dir=tmp_path).project("six")
    site.fail = 100
    assert IndexClient(site.base + "/simple", cache_dir=tmp_path).project("six") == first


def test_connection_refused(tmp_path: Path) -> None:
    # Port 9 (discard) on loopback: nothing listens there.
    with pytest.raises(IndexUnreachable):
        IndexClient("http://127.0.0.1:9/simple", cache_dir=tmp_path).project("six")


def test_html_only_index(site: Site, tmp_path: Path) -> None:
    site.pages["/simple/six/"] = ("text/html", (DATA / "six.html").read_bytes())
    project = IndexClient(site.base + "/simple", cache_dir=tmp_path).project("six")
    assert len(project.files) == 48
    assert project.files[0].url.startswith(site.base + "/packages/")
    # The cached HTML page is read back the same way.
    assert IndexClient(site.base + "/simple", cache_dir=tmp_path, offline=True).project("six") == project


# -- RemoteZip against the loopback server ------------------------------------------------------------------


def _make_zip(members: int = 300, seed: int = 7) -> tuple[bytes, dict[str, bytes]]:
    rng = random.Random(seed)
    contents: dict[str, bytes] = {}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for i in range(members):
            name = f"pkg/mod{i:03d}.py" if i % 10 else f"pkg/data{i:03d}.bin"
            if i % 10:
                data = f"# module {i}\n".encode() * rng.randint(1, 400)
            else:
                data = rng.randbytes(rng.randint(1000, 300_000))  # incompressible, large gaps
            method = zipfile.ZIP_DEFLATED if i % 3 else zipfile.ZIP_STORED
            archive.writestr(zipfile.ZipInfo(name, (2020, 1, 1, 0, 0, 0)), data, compress_type=method)
            contents[name] = data
        archive.writestr("pkg-1.0.dist-info/top_level.txt", b"pkg\n")
        contents["pkg-1.0.dist-info/top_level.txt"] = b"pkg\n"
    return buffer.getvalue(), contents


@pytest.mark.parametrize("known_size", [pytest.param(True, id="size_known"), pytest.param(False, id="size_unknown")])
def test_remote_zip_reads_members(site: Site, known_size: bool) -> None:
    body, contents = _make_zip()
    site.pages["/w.whl"] = ("application/zip", body)
    remote = RemoteZip(site.base + "/w.whl", size=len(body) if known_size else None)
    assert remote.namelist() == list(contents)
    assert remote.read("pkg-1.0.dist-info/top_level.txt") == b"pkg\n"
    names = [n for n in contents if n.endswith(".py")][:40]
    assert dict(remote.read_many(names)) == {n: contents[n] for n in names}
    # A small fraction of the file was transferred, in few requests.
    assert remote.requests_made <= 10
    assert all("range" in seen for seen in site.seen)


def test_read_many_coalesces_neighbours(site: Site) -> None:
    body, contents = _make_zip(members=200)
    site.pages["/w.whl"] = ("application/zip", body)
    remote = RemoteZip(site.base + "/w.whl", size=len(body))
    remote.namelist()
    before = remote.requests_made
    small = [n for n in contents if n.endswith(".py")][5:9]  # neighbours, no big member between them
    assert dict(remote.read_many(small)) == {n: contents[n] for n in small}
    assert remote.requests_made - before == 1


def test_read_many_fetches_far_apart_members_in_parallel(site: Site) -> None:
    body, contents = _make_zip(members=300)
    site.pages["/w.whl"] = ("application/zip", body)
    remote = RemoteZip(site.base + "/w.whl", size=len(body))
    remote.namelist()
    site.delay = 0.2
    before = remote.requests_made
    # One module after each large incompressible member: far enough apart that each costs a request of its own.
    apart = [f"pkg/mod{i + 1:03d}.py" for i in range(0, 300, 30)]
    assert dict(remote.read_many(apart)) == {n: contents[n] for n in apart}
    assert remote.requests_made - before >= 2
    assert site.most_in_flight > 1
    # What is held already is not asked for again.
    site.most_in_flight = 0
    assert dict(remote.read_many(apart)) == {n: contents[n] for n in apart}
    assert site.most_in_flight == 0


def test_remote_zip_server_ignoring_range(site: Site) -> None:
    body, contents = _make_zip(members=50)
    site.pages["/w.whl"] = ("application/zip", body)
    site.ranges = False
    remote = RemoteZip(site.base + "/w.whl")
    assert remote.namelist() == list(contents)
    assert dict(remote.read_many(contents)) == contents
    assert remote.requests_made == 1


def test_remote_zip_errors(site: Site) -> None:
    body, _ = _make_zip(members=5)
    site.pages["/w.whl"] = ("application/zip", body)
    site.pages["/not.whl"] = ("application/zip", b"this is not a zip file" * 100)
    with pytest.raises(MemberNotFound):
        RemoteZip(site.base + "/w.whl").read("nope.py")
    with pytest.raises(BadRemoteFile):
        RemoteZip(site.base + "/not.whl").namelist()
    with pytest.raises(IndexUnreachable):
        RemoteZip(site.base + "/missing.whl").namelist()


# -- the real index -----------------------------------------------------------------------------------------


@pytest.mark.network
def test_real_project_has_upload_times_and_requires_python(tmp_path: Path) -> None:
    project = IndexClient(cache_dir=tmp_path).project("six")
    assert project.name == "six"
    assert project.upload_time(Version("1.16.0")) == datetime(2021, 5, 5, 14, 18, 17, 237677, timezone.utc)
    wheel = next(f for f in project.release_files(Version("1.16.0")) if f.kind == "wheel")
    assert wheel.requires_python == SpecifierSet(">=2.7, !=3.0.*, !=3.1.*, !=3.2.*")
    assert wheel.size == 11053


@pytest.mark.network
def test_real_remote_zip_equals_full_download(tmp_path: Path) -> None:
    client = IndexClient(cache_dir=tmp_path)
    project = client.project("six")
    wheel = next(f for f in project.release_files(Version("1.16.0")) if f.kind == "wheel")
    full = requests.get(wheel.url, timeout=60).content
    assert hashlib.sha256(full).hexdigest() == wheel.hashes["sha256"]
    expected = zipfile.ZipFile(io.BytesIO(full))
    remote = client.open_zip(wheel)
    assert remote.namelist() == expected.namelist()
    assert remote.read("six.py") == expected.read("six.py")
    assert dict(remote.read_many(expected.namelist())) == {n: expected.read(n) for n in expected.namelist()}
    assert remote.requests_made <= 2


@pytest.mark.network
def test_real_index_revalidation(tmp_path: Path) -> None:
    sent: list[requests.PreparedRequest] = []
    got: list[requests.Response] = []
    session = transport.new_session()

    def record(response: requests.Response, *args: Any, **kwargs: Any) -> None:
        sent.append(response.request)
        got.append(response)

    session.hooks["response"].append(record)
    IndexClient(cache_dir=tmp_path, session=session).project("six")
    validators = {k for k in ("ETag", "Last-Modified") if k in got[-1].headers}
    project = IndexClient(cache_dir=tmp_path, session=session).project("six")
    assert len(project.files) >= 48
    assert len(sent) == 2
    if not validators:
        pytest.skip("the index (or a proxy before it) sends neither ETag nor Last-Modified here")
    if "ETag" in validators:
        assert sent[-1].headers["If-None-Match"] == got[0].headers["ETag"]
    else:
        assert sent[-1].headers["If-Modified-Since"] == got[0].headers["Last-Modified"]
