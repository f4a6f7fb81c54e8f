"""Names read on demand from releases the shipped API index does not cover (exhume.knowledge.ondemand).

Unit tests read wheels this file writes, 20 releases of a made-up distribution whose ``oldlib.ext`` module exists
from 0.8 to 1.2 and is gone from 1.3 on; tests marked ``network`` read real releases from the index.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from packaging.version import Version

from exhume.errors import BadRemoteFile, ProjectNotFound
from exhume.index import DistFile, IndexClient, Project
from exhume.infer import api_with, default_api, infer
from exhume.knowledge.ondemand import NameReader, choose_file
from exhume.scan import scan

VERSIONS = [f"0.{i}" for i in range(1, 10)] + [f"1.{i}" for i in range(11)]
START = datetime(2012, 1, 1, tzinfo=timezone.utc)


def _has_ext(v: str) -> bool:
    return Version("0.8") <= Version(v) < Version("1.3")


def _wheel(v: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        init = "from oldlib.core import Thing\n\n__all__ = ['Thing']\n"
        if Version(v) >= Version("1.0"):
            init += "\ndef new_helper(x, strict=False):\n    return x\n"
        zf.writestr("oldlib/__init__.py", init)
        zf.writestr("oldlib/core.py", "class Thing:\n    def __init__(self, size):\n        self.size = size\n")
        if _has_ext(v):
            zf.writestr("oldlib/ext.py", "def register(app):\n    return app\n")
        zf.writestr(f"oldlib-{v}.dist-info/METADATA", f"Metadata-Version: 2.1\nName: oldlib\nVersion: {v}\n")
    return buf.getvalue()


class _LocalZip:
    """The part of :class:`exhume.index.RemoteZip` the reader uses, over bytes in memory."""

    def __init__(self, data: bytes) -> None:
        self.zf = zipfile.ZipFile(io.BytesIO(data))

    def namelist(self) -> list[str]:
        return self.zf.namelist()

    def read_many(self, names: Iterable[str]) -> Iterator[tuple[str, bytes]]:
        for name in names:
            yield name, self.zf.read(name)


class LocalReleases:
    """A file source over the wheels above: one pure wheel per release, a month apart; counts what it opens."""

    offline = False

    def __init__(self, *, broken: frozenset[str] = frozenset()) -> None:
        self.blobs = {f"oldlib-{v}-py3-none-any.whl": _wheel(v) for v in VERSIONS}
        self.broken = broken
        self.opened: list[str] = []

    def project(self, name: str) -> Project:
        if name != "oldlib":
            raise ProjectNotFound(name, index="local")
        files = tuple(
            DistFile(
                filename=f"oldlib-{v}-py3-none-any.whl",
                url=f"local://oldlib-{v}-py3-none-any.whl",
                version=Version(v),
                kind="wheel",
                python_tags=("py3",),
                abi_tags=("none",),
                platform_tags=("any",),
                upload_time=START + timedelta(days=30 * i),
                size=len(self.blobs[f"oldlib-{v}-py3-none-any.whl"]),
            )
            for i, v in enumerate(VERSIONS)
        )
        return Project(name="oldlib", files=files)

    def open_zip(self, file: DistFile) -> _LocalZip:
        self.opened.append(file.filename)
        if str(file.version) in self.broken:
            raise BadRemoteFile(file.url, "truncated")
        return _LocalZip(self.blobs[file.filename])

    def download(self, file: DistFile, limit: int) -> bytes | None:
        raise AssertionError("wheels are read by ranged reads, never downloaded whole")


def test_a_removed_module_bounds_the_release_from_a_few_reads(tmp_path: Path) -> None:
    source = LocalReleases()
    reader = NameReader(source, cache_dir=tmp_path)
    answer = reader.which("oldlib", "oldlib.ext.register")
    assert answer is not None
    assert answer.specifier == "<1.3"
    possible = answer.versions | answer.unknown
    assert possible == {Version(v) for v in VERSIONS if Version(v) < Version("1.3")}
    assert Version("1.2") in answer.versions  # read and seen: the last release that has it
    assert answer.versions <= {Version(v) for v in VERSIONS if _has_ext(v)}
    assert "not in 1.3" in answer.explanation and "1.10, the newest" in answer.explanation
    assert len(set(source.opened)) <= 9 < len(VERSIONS)
    # Asked again in this run: the memo; in the next run: one-release index files on disk, nothing opened.
    assert reader.which("oldlib", "oldlib.ext.register") == answer
    again = LocalReleases()
    assert NameReader(again, cache_dir=tmp_path).which("oldlib", "oldlib.ext.register") == answer
    assert again.opened == []


def test_a_name_no_release_shows_is_bounded_by_its_removed_parent(tmp_path: Path) -> None:
    """flask.ext.sqlalchemy is made by an import hook at run time: no release lists it, but flask.ext is gone
    from 1.0.1 on, and that bounds the releases too."""
    answer = NameReader(LocalReleases(), cache_dir=tmp_path).which("oldlib", "oldlib.ext.hooked.thing")
    assert answer is not None
    assert answer.specifier == "<1.3"
    assert answer.explanation.startswith("oldlib.ext.hooked.thing is under oldlib.ext.hooked; oldlib.ext.hooked")
    assert "oldlib.ext is in 1.2, not in 1.3" in answer.explanation


def test_names_that_bound_nothing_give_no_answer(tmp_path: Path) -> None:
    source = LocalReleases()
    reader = NameReader(source, cache_dir=tmp_path)
    # In the newest release: says nothing about the upper end (one read).
    assert reader.which("oldlib", "oldlib.Thing") is None
    assert source.opened == ["oldlib-1.10-py3-none-any.whl"]
    # In no release probed: no evidence either way, not "no release".
    assert reader.which("oldlib", "oldlib.never_there") is None
    assert reader.which("not-on-this-index", "x.y") is None


def test_the_window_ends_at_the_date(tmp_path: Path) -> None:
    """As of the day 1.0 was uploaded, new_helper (added in 1.0) is in the newest release of the window."""
    reader = NameReader(LocalReleases(), cache_dir=tmp_path)
    assert reader.which("oldlib", "oldlib.new_helper", as_of=START + timedelta(days=30 * 9)) is None
    # Keywords count: strict= is there from 1.0 on, so a later keyword the code passes bounds nothing here;
    # one no release accepts is never seen, so there is no answer.
    assert reader.which("oldlib", "oldlib.new_helper", ("strict",)) is None
    assert reader.which("oldlib", "oldlib.new_helper", ("nope",)) is None
    early = reader.which("oldlib", "oldlib.ext", as_of=START + timedelta(days=30 * 11))
    assert early is None  # 1.2 still has ext: nothing in the window lacks it


def test_a_release_that_cannot_be_read_is_not_evidence(tmp_path: Path) -> None:
    source = LocalReleases(broken=frozenset({"1.3", "1.4"}))
    answer = NameReader(source, cache_dir=tmp_path).which("oldlib", "oldlib.ext")
    assert answer is not None
    # 1.3 and 1.4 are "not ruled out": the removal is placed at the first release read without the module.
    assert answer.specifier == "<1.5"


def test_offline_reads_only_what_is_on_disk(tmp_path: Path) -> None:
    source = LocalReleases()
    source.offline = True
    assert NameReader(source, cache_dir=tmp_path).which("oldlib", "oldlib.ext") is None
    assert source.opened == []


def test_choose_file_prefers_a_linux_wheel_then_pure_then_sdist() -> None:
    def f(name: str, kind: str, plat: tuple[str, ...] = (), py: tuple[str, ...] = (), size: int = 10) -> DistFile:
        return DistFile(filename=name, url=name, version=Version("1"), kind=kind, platform_tags=plat, python_tags=py,
                        size=size)  # fmt: skip

    linux = f("a-1-cp36-cp36m-manylinux1_x86_64.whl", "wheel", ("manylinux1_x86_64",), ("cp36",))
    newer = f("a-1-cp39-cp39-manylinux2010_x86_64.whl", "wheel", ("manylinux2010_x86_64",), ("cp39",))
    pure = f("a-1-py3-none-any.whl", "wheel", ("any",), ("py3",))
    sdist = f("a-1.tar.gz", "sdist")
    assert choose_file([sdist, pure, linux, newer], 100) == newer
    assert choose_file([sdist, pure], 100) == pure
    assert choose_file([sdist], 100) == sdist
    assert choose_file([f("a-1.tar.gz", "sdist", size=1000)], 100) is None


def test_inference_takes_the_bound_with_its_evidence(tmp_path: Path) -> None:
    """api_with: the shipped index for the distributions it covers, names read on demand for the rest."""
    reader = NameReader(LocalReleases(), cache_dir=tmp_path / "api")
    api = api_with(reader, None)
    answer = api("oldlib", "oldlib.ext", ())
    assert answer is not None
    assert answer.source == "names read on demand"
    assert answer.specifier == "<1.3"
    assert api("numpy", "numpy.matrix", ()) == default_api("numpy", "numpy.matrix", ())
    assert api_with(None, None) is default_api


AS_OF = datetime(2018, 8, 12, tzinfo=timezone.utc)


@pytest.mark.network
def test_real_gevent_wsgi_was_removed_in_1_3(tmp_path: Path) -> None:
    reader = NameReader(IndexClient(), cache_dir=tmp_path)
    answer = reader.which("gevent", "gevent.wsgi.WSGIServer", as_of=AS_OF)
    assert answer is not None
    assert answer.specifier == "<1.3.0"
    assert reader.reads <= 10


@pytest.mark.network
def test_real_inference_picks_the_last_release_with_the_module(tmp_path: Path) -> None:
    """Code of 2018 that imports gevent.wsgi (gone in gevent 1.3, May 2018) gets gevent 1.2.2."""
    (tmp_path / "serve.py").write_text("from gevent.wsgi import WSGIServer\n\nWSGIServer(('', 8000), None)\n")
    client = IndexClient()
    api = api_with(NameReader(client, cache_dir=tmp_path / "api"), AS_OF)
    result = infer(scan(tmp_path), releases=client, as_of=AS_OF, api=api, available={"3.6"})
    gevent = next(c for c in result.constraints if c.distribution == "gevent")
    assert gevent.version == Version("1.2.2")
    assert any("names read on demand" in e.source for e in gevent.evidence)
