"""Finding the project behind an import name the import map does not know, on the real index."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from exhume.index import IndexClient
from exhume.infer import infer
from exhume.knowledge.providers import ProviderSearch, candidate_names
from exhume.scan import scan

AS_OF = datetime(2018, 8, 12, tzinfo=timezone.utc)


def test_candidate_names_start_with_the_module_itself() -> None:
    names = candidate_names("Clouddns.connection")
    assert names[0] == "clouddns"
    assert {"python-clouddns", "pyclouddns", "clouddns-python", "django-clouddns"} <= set(names)
    assert len(names) == len(set(names))
    # A module named py-something is also tried without the prefix (pyserial's module is serial, not the reverse,
    # but pyfoo modules from foo projects exist too).
    assert "magic" in candidate_names("pymagic")


@pytest.fixture(scope="module")
def search(tmp_path_factory: pytest.TempPathFactory) -> ProviderSearch:
    return ProviderSearch(IndexClient(), cache_dir=tmp_path_factory.mktemp("providers"))


@pytest.mark.network
@pytest.mark.parametrize(
    ("module", "distribution"),
    [
        # PySDL2's wheel installs the sdl2 package (its README: "import sdl2").
        pytest.param("sdl2", "pysdl2", id="py_prefix_from_wheel"),
        # python-clouddns has only an sdist (0.0.0, 2013); it installs the clouddns package.
        pytest.param("clouddns.connection", "python-clouddns", id="python_prefix_from_sdist"),
    ],
)
def test_finds_the_project_that_installs_the_module(search: ProviderSearch, module: str, distribution: str) -> None:
    found = search.find(module, as_of=AS_OF)
    assert found is not None
    assert found.distribution == distribution
    assert found.module == module.split(".", maxsplit=1)[0]
    # Asked again, the answer comes from the memo and then from the disk cache of what each release installs.
    assert search.find(module, as_of=AS_OF) == found
    assert ProviderSearch(search.client, cache_dir=search.cache_dir).find(module, as_of=AS_OF) == found


@pytest.mark.network
def test_no_project_installs_it(search: ProviderSearch) -> None:
    assert search.find("zz_no_such_module_anywhere_exhume", as_of=AS_OF) is None


@pytest.mark.network
def test_a_project_first_uploaded_after_the_date_is_not_taken(search: ProviderSearch) -> None:
    """The project ``your`` (first uploaded 2020-08-27) installs a ``your`` package, but code of 2018 that
    imports ``your.app.models`` (a template's placeholder) cannot have meant it."""
    assert search.find("your", as_of=datetime(2021, 1, 1, tzinfo=timezone.utc)) is not None
    assert search.find("your", as_of=AS_OF) is None


@pytest.mark.network
def test_a_project_whose_files_have_no_upload_time_is_not_taken(search: ProviderSearch) -> None:
    """The ``api`` project's one file (api-0.0.7.tar.gz) has no upload time on the index: it cannot be shown
    to predate the code, and the lock's date-filtered view drops it, so it is no provider (HG2.9K gist
    4aed548e606f11971f5a failed at the lock before)."""
    assert search.find("api", as_of=AS_OF) is None
    assert search.find("api") is not None


@pytest.mark.network
def test_inference_uses_the_found_project(tmp_path: Path, search: ProviderSearch) -> None:
    (tmp_path / "dns.py").write_text("import clouddns\n\nconn = clouddns.connection.Connection('u', 'k')\n")
    client = IndexClient()
    result = infer(scan(tmp_path), releases=client, as_of=AS_OF, providers=search, available={"2.7"})
    names = {c.distribution: c for c in result.constraints}
    assert "python-clouddns" in names
    assert "clouddns" not in names
    assert any(e.kind == "provider" and "clouddns" in e.text for e in names["python-clouddns"].evidence)
    # Without the search, the module's own name is taken as the project's: there is no such project.
    plain = infer(scan(tmp_path), releases=client, as_of=AS_OF, available={"2.7"})
    assert [u.module for u in plain.unresolved] == ["clouddns"]


@pytest.mark.network
def test_a_namesake_that_installs_something_else_is_not_locked(tmp_path: Path, search: ProviderSearch) -> None:
    """``import Image`` (PIL's old top-level module) is not the ``image`` project, which installs ``image``:
    the import stays unresolved, with the reason, rather than locking the wrong code."""
    (tmp_path / "thumb.py").write_text("import Image\n\nim = Image.open('in.png')\n")
    result = infer(scan(tmp_path), releases=IndexClient(), as_of=AS_OF, providers=search, available={"2.7"})
    assert "image" not in {c.distribution for c in result.constraints}
    [unresolved] = result.unresolved
    assert unresolved.module == "Image"
    assert unresolved.reason.startswith("no project on the index installs Image: the one named image installs image")


@pytest.mark.network
def test_modules_of_a_later_split_go_to_the_project_of_the_date(tmp_path: Path) -> None:
    """Airflow 3 (2025) split apache-airflow-core off, and the import map, made from today's wheels, gives it
    airflow.hooks.*; code of 2018 imported them from apache-airflow, which provides its airflow package."""
    (tmp_path / "dag.py").write_text(
        "from airflow import DAG\nfrom airflow.hooks.mysql_hook import MySqlHook\n\nMySqlHook(mysql_conn_id='x')\n"
    )
    result = infer(scan(tmp_path), releases=IndexClient(), as_of=AS_OF, available={"2.7", "3.6"})
    names = {c.distribution for c in result.constraints}
    assert "apache-airflow" in names
    assert "apache-airflow-core" not in names
    assert not result.unresolved
