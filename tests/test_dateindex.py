"""The date-filtered index: filtering recorded project pages, serving them over HTTP, and the live index."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
import requests
from packaging.version import Version

from exhume.errors import IndexUnreachable, ProjectNotFound
from exhume.index import IndexClient, Project, parse_project_html, parse_project_json
from exhume.lock.dateindex import DateFilteredIndex, filter_project, render_html
from exhume.target import Platform

DATA = Path(__file__).parent / "data" / "lock" / "projects"
PAGE = "https://index.example/simple/{name}/"
JSON_TYPE = "application/vnd.pypi.simple.v1+json"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)  # type: ignore[misc]


class RecordedIndex:
    """Project pages recorded by tests/data/lock/record.py, read through the real PEP 691 parser."""

    url = "https://index.example/simple"

    def __init__(self, overrides: dict[str, Project] | None = None) -> None:
        self.overrides = overrides or {}
        self.asked: list[str] = []

    def project(self, name: str) -> Project:
        self.asked.append(name)
        if name == "unreachable":
            raise IndexUnreachable(f"{self.url}/{name}/", "ConnectionError after 4 attempts")
        if name in self.overrides:
            return self.overrides[name]
        path = DATA / f"{name}.json"
        if not path.exists():
            raise ProjectNotFound(name, index=self.url)
        return parse_project_json(json.loads(path.read_text(encoding="utf-8")), PAGE.format(name=name))


def versions(project: Project) -> list[str]:
    return [str(v) for v in project.versions()]


@pytest.mark.parametrize(
    ("name", "cutoff", "expected"),
    [
        pytest.param("six", utc(2018, 1, 1), ["1.11.0"], id="six_2018__only_1_11"),
        pytest.param("six", utc(2019, 12, 31), ["1.11.0", "1.12.0", "1.13.0"], id="six_2019_end__all_three"),
        pytest.param("six", utc(2017, 1, 1), [], id="six_2017__none"),
        pytest.param("attrs", utc(2021, 5, 6), ["19.3.0", "20.1.0", "20.3.0"], id="attrs_day_of_21_1_upload"),
        pytest.param(
            "attrs", utc(2021, 6, 1), ["19.3.0", "20.1.0", "20.3.0", "21.1.0", "21.2.0"], id="attrs_after_yank"
        ),
    ],
)
def test_files_after_cutoff_are_absent(name: str, cutoff: datetime, expected: list[str]) -> None:
    page, stats = filter_project(RecordedIndex().project(name), cutoff)
    assert versions(page) == expected
    assert all(f.upload_time is not None and f.upload_time <= cutoff for f in page.files)
    assert stats.kept == len(page.files)


def test_cutoff_is_inclusive_to_the_second() -> None:
    project = RecordedIndex().project("six")
    first = min(f.upload_time for f in project.files if f.upload_time is not None)
    page, _ = filter_project(project, first)
    assert len(page.files) == 1 and page.files[0].upload_time == first


def test_naive_cutoff_is_utc() -> None:
    project = RecordedIndex().project("six")
    aware, _ = filter_project(project, utc(2019, 3, 1))
    naive, _ = filter_project(project, datetime(2019, 3, 1))
    assert aware == naive


def test_files_without_upload_time_are_dropped_and_counted() -> None:
    project = RecordedIndex().project("six")
    # The HTML API (and some mirrors) give no upload time: such a file cannot be shown to predate the cutoff.
    undated = dataclasses.replace(project.files[0], upload_time=None)
    edited = Project(name=project.name, files=(undated, *project.files[1:]))
    page, stats = filter_project(edited, utc(2030, 1, 1))
    assert undated.filename not in {f.filename for f in page.files}
    assert stats.undated == 1
    with DateFilteredIndex(utc(2030, 1, 1), client=RecordedIndex({"six": edited})) as view:
        view.project("six")
        assert view.undated == ["six"]


@pytest.mark.parametrize(
    ("python", "expected"),
    [
        pytest.param(
            "3.7",
            {
                "grpcio-1.26.0-cp37-cp37m-manylinux1_x86_64.whl",
                "grpcio-1.26.0-cp37-cp37m-manylinux2010_x86_64.whl",
                "grpcio-1.26.0.tar.gz",
            },
            id="py37_linux__cp37_manylinux_and_sdist",
        ),
        pytest.param(
            "2.7",
            {
                "grpcio-1.26.0-cp27-cp27m-manylinux1_x86_64.whl",
                "grpcio-1.26.0-cp27-cp27m-manylinux2010_x86_64.whl",
                "grpcio-1.26.0-cp27-cp27mu-manylinux1_x86_64.whl",
                "grpcio-1.26.0-cp27-cp27mu-manylinux2010_x86_64.whl",
                "grpcio-1.26.0.tar.gz",
            },
            id="py27_linux__both_unicode_abis",
        ),
    ],
)
def test_target_filter(python: str, expected: set[str]) -> None:
    target = Platform(arch="x86_64").target(python)
    page, stats = filter_project(RecordedIndex().project("grpcio"), utc(2020, 1, 1), target=target)
    assert {f.filename for f in page.files} == expected
    assert stats.incompatible > 0


def test_html_page_round_trips_through_the_index_parser() -> None:
    page, _ = filter_project(RecordedIndex().project("attrs"), utc(2021, 6, 1))
    html = render_html(page)
    parsed = parse_project_html(html, PAGE.format(name="attrs"), "attrs")
    assert [f.filename for f in parsed.files] == [f.filename for f in page.files]
    for theirs, ours in zip(parsed.files, page.files, strict=True):
        assert theirs.url == ours.url
        assert theirs.hashes == {"sha256": ours.hashes["sha256"]}
        assert theirs.requires_python == ours.requires_python
        assert theirs.yanked == ours.yanked


def test_served_pages() -> None:
    source = RecordedIndex()
    with DateFilteredIndex(utc(2021, 6, 1), client=source, target=Platform().target("3.7")) as view:
        assert view.url.startswith("http://127.0.0.1:") and view.url.endswith("/simple/")
        html = requests.get(view.url + "attrs/", timeout=10)
        assert html.status_code == 200 and html.headers["Content-Type"].startswith("text/html")
        assert 'data-requires-python="!=3.0.*,!=3.1.*,!=3.2.*,!=3.3.*,!=3.4.*,&gt;=2.7"' in html.text
        assert 'data-yanked="Installable but not importable on Python 3.4."' in html.text
        assert "#sha256=" in html.text

        page = requests.get(view.url + "attrs/", headers={"Accept": JSON_TYPE}, timeout=10)
        assert page.headers["Content-Type"] == JSON_TYPE
        body = page.json()
        assert body["meta"]["api-version"] == "1.1"
        yanked = {f["filename"]: f["yanked"] for f in body["files"]}
        assert yanked["attrs-21.1.0.tar.gz"] == "Installable but not importable on Python 3.4."
        assert yanked["attrs-21.2.0.tar.gz"] is False
        assert all(f["upload-time"] <= "2021-06-01" for f in body["files"])
        assert "21.2.0" in body["versions"]

        # pip-tools reads hashes from the legacy JSON API, relative to the index URL (either spelling).
        for path in ("pypi/attrs/json", "../pypi/attrs/json"):
            releases = requests.get(view.url + path, timeout=10).json()["releases"]
            assert list(releases) == ["19.3.0", "20.1.0", "20.3.0", "21.1.0", "21.2.0"]
            urls = {e["url"] for e in releases["21.2.0"]}
            assert any("#sha256=" in u for u in urls) and any("#" not in u for u in urls)
        one = requests.get(view.url + "pypi/attrs/21.2.0/json", timeout=10).json()["releases"]
        assert list(one) == ["21.2.0"]

        redirect = requests.get(view.url + "Attrs", timeout=10, allow_redirects=False)
        assert redirect.status_code == 301 and redirect.headers["Location"].endswith("/simple/Attrs/")
        assert requests.get(view.url + "Attrs", timeout=10).status_code == 200
        assert requests.get(view.url + "no-such-project/", timeout=10).status_code == 404
        assert requests.get(view.url, timeout=10).status_code == 200
        url = view.url
    # Closed: the port no longer answers, and the view says it is not running.
    with pytest.raises(requests.ConnectionError):
        requests.get(url + "attrs/", timeout=5)
    with pytest.raises(RuntimeError):
        _ = view.url
    # Each project was asked of the source once, however often it was served.
    assert sorted(set(source.asked)) == ["attrs", "no-such-project"]
    assert source.asked.count("attrs") == 1


def test_floor_moves_one_projects_cutoff_later() -> None:
    """pip's build environments ask for setuptools>=40.8.0 (2019); a view of 2018 serves setuptools up to that
    floor and every other project as of the cutoff."""
    view = DateFilteredIndex(utc(2018, 1, 1), client=RecordedIndex(), floors={"Six": utc(2019, 12, 31)})
    assert versions(view.project("six")) == ["1.11.0", "1.12.0", "1.13.0"]
    assert versions(view.project("attrs")) == []
    plain = DateFilteredIndex(utc(2018, 1, 1), client=RecordedIndex())
    assert versions(plain.project("six")) == ["1.11.0"]


def test_upstream_failure_is_502_and_recorded() -> None:
    with DateFilteredIndex(utc(2021, 6, 1), client=RecordedIndex()) as view:
        response = requests.get(view.url + "unreachable/", timeout=10)
        assert response.status_code == 502
        assert [f.reason for f in view.failures] == ["ConnectionError after 4 attempts"]


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        pytest.param("", "text/html", id="no_accept__html"),
        pytest.param(f"{JSON_TYPE}, text/html;q=0.1", JSON_TYPE, id="pip_22_prefers_json"),
        pytest.param(f"text/html, {JSON_TYPE};q=0.5", "text/html", id="html_preferred"),
        pytest.param("application/vnd.pypi.simple.v1+html", "application/vnd.pypi.simple.v1+html", id="v1_html"),
    ],
)
def test_content_negotiation(accept: str, expected: str) -> None:
    with DateFilteredIndex(utc(2021, 6, 1), client=RecordedIndex()) as view:
        response = requests.get(view.url + "six/", headers={"Accept": accept} if accept else {}, timeout=10)
    assert response.headers["Content-Type"].split(";")[0] == expected


@pytest.mark.network
def test_live_index_six_as_of_2018() -> None:
    cutoff = utc(2018, 1, 1)
    with DateFilteredIndex(cutoff, client=IndexClient()) as view:
        page = requests.get(view.url + "six/", headers={"Accept": JSON_TYPE}, timeout=60).json()
        missing = requests.get(view.url + "exhume-no-such-project-zz9/", timeout=60)
    assert page["versions"][-1] == "1.11.0"
    assert max(Version(v) for v in page["versions"]) == Version("1.11.0")
    assert all(f["upload-time"] < "2018-01-01" for f in page["files"])
    assert missing.status_code == 404
