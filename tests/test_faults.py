"""Network faults, served by a package index on 127.0.0.1 (tests/faultindex.py) to a real `exhume lock`: what a
retry can mend is mended, the rest ends with README's exit code and a message naming the URL and the fault, and
no lock is written from a partial or unverified answer. The lock resolves with uv for Python 3.11 here."""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from exhume.errors import ExitCode, HashMismatch
from exhume.index import IndexClient, transport
from faultindex import Fault, FaultIndex, Release, make_wheel

pytestmark = pytest.mark.slow

PAGE = "/simple/faultdemo/"
RELEASES = [Release("1.0", uploaded="2020-01-01T00:00:00Z"), Release("2.0", uploaded="2023-01-01T00:00:00Z")]
SOURCE = "import faultdemo\nprint(faultdemo.hello())\n"


@pytest.fixture
def index() -> Iterator[FaultIndex]:
    with FaultIndex({"faultdemo": list(RELEASES)}) as served:
        yield served


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    folder = tmp_path / "repo"
    folder.mkdir()
    (folder / "main.py").write_text(SOURCE, encoding="utf-8")
    return folder


def lock(repo: Path, url: str, cache: Path, *extra: str, timeout: str = "2") -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PIP_INDEX_URL": url,
        "EXHUME_CACHE_DIR": str(cache),
        "EXHUME_HTTP_TIMEOUT": timeout,
        "PIP_CONFIG_FILE": os.devnull,
    }
    argv = [sys.executable, "-m", "exhume", "lock", str(repo), "--as-of", "2021-06-01", "--python", "3.11", *extra]
    return subprocess.run(argv, capture_output=True, text=True, env=env, check=False, timeout=300)


def pinned(repo: Path) -> list[str]:
    text = (repo / "requirements.lock").read_text(encoding="utf-8")
    return [line.split(" ")[0] for line in text.splitlines() if "==" in line and not line.startswith("#")]


def untouched(repo: Path) -> bool:
    """Only the code is there: no lock, no report, no temporary file left by a write cut short."""
    return sorted(p.name for p in repo.iterdir()) == ["main.py"]


def page_requests(index: FaultIndex) -> list[str]:
    return [fault for _, path, fault in index.requests if path == PAGE]


def test_clean_index_locks(index: FaultIndex, repo: Path, tmp_path: Path) -> None:
    proc = lock(repo, index.url, tmp_path / "cache")
    assert proc.returncode == ExitCode.OK, proc.stderr
    assert pinned(repo) == ["faultdemo==1.0"]


@pytest.mark.parametrize(
    "faults",
    [
        pytest.param([Fault.drop(), Fault.drop()], id="connection_dropped_twice"),
        pytest.param([Fault.status(500), Fault.status(502)], id="http_500_then_502"),
        pytest.param([Fault.truncate()], id="body_cut_short"),
        pytest.param([Fault.stall(4.0)], id="stall_past_the_timeout"),
    ],
)
def test_transient_faults_are_retried(index: FaultIndex, repo: Path, tmp_path: Path, faults: list[Fault]) -> None:
    index.inject(PAGE, *faults)
    proc = lock(repo, index.url, tmp_path / "cache", timeout="1")
    assert proc.returncode == ExitCode.OK, proc.stderr
    assert pinned(repo) == ["faultdemo==1.0"]
    assert page_requests(index)[: len(faults) + 1] == [f.label() for f in faults] + [""]


def test_429_waits_as_long_as_retry_after_asks(index: FaultIndex, repo: Path, tmp_path: Path) -> None:
    index.inject(PAGE, Fault.status(429, retry_after="2"))
    proc = lock(repo, index.url, tmp_path / "cache")
    assert proc.returncode == ExitCode.OK, proc.stderr
    times = [t for t, path, _ in index.requests if path == PAGE]
    assert times[1] - times[0] >= 1.9  # the backoff alone would have waited 0.5 s


@pytest.mark.parametrize(
    ("faults", "message"),
    [
        pytest.param([Fault.status(500)] * 4, "HTTP 500 after 4 attempts", id="http_500_every_time"),
        pytest.param([Fault.stall(3.0)] * 4, "no answer within 1 s", id="stalls_every_time"),
        pytest.param([Fault.drop()] * 4, "connection failed", id="dropped_every_time"),
        pytest.param(
            [Fault.status(429, retry_after="3600")], "HTTP 429, asked to retry after 3600 s", id="retry_after_too_long"
        ),
    ],
)
def test_lasting_faults_end_with_the_url_and_the_fault(
    index: FaultIndex, repo: Path, tmp_path: Path, faults: list[Fault], message: str
) -> None:
    index.inject(PAGE, *faults)
    proc = lock(repo, index.url, tmp_path / "cache", timeout="1")
    assert proc.returncode == ExitCode.UNSATISFIABLE, proc.stderr
    assert f"cannot reach {index.base}{PAGE}" in proc.stderr
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr
    assert untouched(repo)


def test_refused_connection(repo: Path, tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = lock(repo, f"http://127.0.0.1:{port}/simple", tmp_path / "cache")
    assert proc.returncode == ExitCode.UNSATISFIABLE, proc.stderr
    assert f"cannot reach http://127.0.0.1:{port}/simple/faultdemo/" in proc.stderr
    assert "ConnectionRefusedError" in proc.stderr
    assert "after 4 attempts" in proc.stderr
    assert untouched(repo)


def test_wrong_hash_on_metadata_is_refused(index: FaultIndex, repo: Path, tmp_path: Path) -> None:
    for version in ("1.0", "2.0"):
        index.inject(index.file_path("faultdemo", version) + ".metadata", *[Fault.corrupt()] * 8)
    proc = lock(repo, index.url, tmp_path / "cache")
    assert proc.returncode == ExitCode.UNSATISFIABLE, proc.stderr
    assert "Hash mismatch for package metadata" in proc.stderr
    assert "faultdemo-1.0-py3-none-any.whl.metadata" in proc.stderr
    assert "hash is not the one its page gives" in proc.stderr
    assert untouched(repo)


def test_page_changing_mid_run_leaves_the_lock_of_the_date(index: FaultIndex, repo: Path, tmp_path: Path) -> None:
    # A release is published right after exhume's first read of the page: the resolver, reading it next, sees
    # another ETag and another file list; the lock is still the date's, with the hash of the date's file.
    index.publish_after(PAGE, "faultdemo", Release("3.0", uploaded="2026-12-01T00:00:00Z"))
    proc = lock(repo, index.url, tmp_path / "cache")
    assert proc.returncode == ExitCode.OK, proc.stderr
    assert len({etag for path, etag in index.etags_served if path == PAGE}) == 2
    assert pinned(repo) == ["faultdemo==1.0"]
    wheel = make_wheel("faultdemo", RELEASES[0])[1]
    assert f"sha256:{hashlib.sha256(wheel).hexdigest()}" in (repo / "requirements.lock").read_text(encoding="utf-8")


def test_offline_locks_from_the_cache_alone(index: FaultIndex, repo: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    assert lock(repo, index.url, cache).returncode == ExitCode.OK
    before = (repo / "requirements.lock").read_text(encoding="utf-8")
    # The index answers nothing now: every page 500. Offline, nothing is asked of it.
    index.inject(PAGE, *[Fault.status(500)] * 20)
    seen = len(index.requests)
    proc = lock(repo, index.url, cache, "--force", "--offline")
    assert proc.returncode == ExitCode.OK, proc.stderr
    assert (repo / "requirements.lock").read_text(encoding="utf-8") == before
    assert len(index.requests) == seen
    # Offline with nothing cached for that index: a clear error, nothing written.
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    (fresh / "main.py").write_text(SOURCE, encoding="utf-8")
    proc = lock(fresh, index.url, tmp_path / "empty-cache", "--offline")
    assert proc.returncode != ExitCode.OK
    assert "offline" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert untouched(fresh)


# --- the client alone ---------------------------------------------------------------------------------------


def test_client_refuses_files_whose_hash_differs(index: FaultIndex, tmp_path: Path) -> None:
    client = IndexClient(index.url, cache_dir=tmp_path)
    wheel = next(f for f in client.project("faultdemo").files if str(f.version) == "1.0")
    assert client.download(wheel, 1 << 20) is not None
    assert client.metadata(wheel).startswith(b"Metadata-Version: 2.1\nName: faultdemo")
    index.inject(index.file_path("faultdemo", "1.0"), Fault.corrupt())
    with pytest.raises(HashMismatch, match=r"sha256 is \w+, the index page says"):
        client.download(wheel, 1 << 20)
    index.inject(index.file_path("faultdemo", "1.0") + ".metadata", Fault.corrupt())
    with pytest.raises(HashMismatch, match=r"\.metadata: sha256"):
        client.metadata(wheel)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("", transport.TIMEOUT, id="unset"),
        pytest.param("2.5", (2.5, 2.5), id="small"),
        pytest.param("300", (15.0, 300.0), id="connect_capped"),
        pytest.param("soon", transport.TIMEOUT, id="not_a_number"),
        pytest.param("-1", transport.TIMEOUT, id="negative"),
    ],
)
def test_timeout_setting(monkeypatch: pytest.MonkeyPatch, value: str, expected: tuple[float, float]) -> None:
    monkeypatch.setenv("EXHUME_HTTP_TIMEOUT", value)
    assert transport.timeout() == expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        pytest.param("7", 7.0, id="seconds"),
        pytest.param("Wed, 21 Oct 2015 07:28:00 GMT", 0.0, id="date_in_the_past"),
        pytest.param("whenever", None, id="garbage"),
        pytest.param(None, None, id="absent"),
    ],
)
def test_retry_after(header: str | None, expected: float | None) -> None:
    response = requests.Response()
    if header is not None:
        response.headers["Retry-After"] = header
    assert transport.retry_after(response) == expected
