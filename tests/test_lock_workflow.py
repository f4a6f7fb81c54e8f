"""`exhume lock` end to end on fixture repositories, against the real index (network)."""

from __future__ import annotations

import io
import json
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest
from packaging.pylock import Pylock
from packaging.version import Version

from exhume.cli import main
from exhume.index import IndexClient
from exhume.lock.compile import parse_lock

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
AS_OF = "2018-03-15"


def _copy(name: str, tmp_path: Path) -> Path:
    target = tmp_path / name
    shutil.copytree(FIXTURES / name, target)
    return target


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def tf1_locked(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = _copy("tf1-contrib", tmp_path_factory.mktemp("lock"))
    code, _, err = _run("lock", str(repo), "--as-of", AS_OF, "--format", "pylock")
    assert code == 0, err
    return repo


@pytest.mark.network
def test_tf1_lock_files_and_evidence(tf1_locked: Path) -> None:
    requirements_in = (tf1_locked / "requirements.in").read_text()
    tf_line = next(line for line in requirements_in.splitlines() if line.startswith("tensorflow"))
    # The range comes from tf.contrib and carries the line of code that set it.
    assert "<2" in tf_line
    assert "model.py:" in tf_line
    lock = (tf1_locked / "requirements.lock").read_text()
    assert f"exhume lock {tf1_locked} --as-of {AS_OF}" in lock
    assert "Python: 3.6" in lock or "Python 3.6" in lock
    pins = {p.name: p for p in parse_lock(lock)}
    assert pins["tensorflow"].version < Version("2")
    assert all(p.hashes for p in pins.values())
    assert pins["protobuf"].version < Version("4")
    # scipy.misc.imread needs Pillow, which the code never imports.
    assert "pillow" in pins


@pytest.mark.network
def test_as_of_cutoff_holds_for_transitive_dependencies(tf1_locked: Path) -> None:
    cutoff = datetime.fromisoformat(AS_OF).replace(tzinfo=timezone.utc)
    client = IndexClient()
    for pin in parse_lock((tf1_locked / "requirements.lock").read_text()):
        uploaded = client.project(pin.name).upload_time(Version(str(pin.version)))
        assert uploaded is not None and uploaded <= cutoff, f"{pin.name}=={pin.version} uploaded {uploaded}"


@pytest.mark.network
def test_pylock_is_valid_pep751(tf1_locked: Path) -> None:
    import tomllib

    data = tomllib.loads((tf1_locked / "pylock.toml").read_text())
    pylock = Pylock.from_dict(data)
    names = {p.name for p in pylock.packages}
    assert "tensorflow" in names
    assert all(p.wheels or p.sdist for p in pylock.packages)


@pytest.mark.network
def test_relock_is_byte_identical(tf1_locked: Path) -> None:
    before = {n: (tf1_locked / n).read_bytes() for n in ("requirements.in", "requirements.lock", "exhume-report.json")}
    code, _, err = _run("lock", str(tf1_locked), "--as-of", AS_OF, "--format", "pylock")
    assert code == 0, err
    after = {n: (tf1_locked / n).read_bytes() for n in before}
    assert after == before


def test_refuses_to_overwrite_foreign_files(tmp_path: Path) -> None:
    repo = _copy("tf1-contrib", tmp_path)
    (repo / "requirements.lock").write_text("# my own lock\nsix==1.0\n")
    code, _, err = _run("lock", str(repo), "--as-of", AS_OF)
    assert code == 2
    assert "refusing to overwrite" in err and "requirements.lock" in err
    assert (repo / "requirements.lock").read_text() == "# my own lock\nsix==1.0\n"
    assert "Traceback" not in err


@pytest.mark.network
def test_unresolved_import_exits_3(tmp_path: Path) -> None:
    (tmp_path / "run.py").write_text("import six\nimport zz_no_such_distribution_anywhere\n")
    code, _, err = _run("lock", str(tmp_path), "--as-of", AS_OF)
    assert code == 3
    assert "zz_no_such_distribution_anywhere" in err and "run.py:2" in err


def test_missing_path_exits_2(tmp_path: Path) -> None:
    code, _, err = _run("lock", str(tmp_path / "nope"))
    assert code == 2
    assert err.count("\n") <= 2 and "Traceback" not in err


def test_bad_date_exits_2(tmp_path: Path) -> None:
    code, _, err = _run("lock", str(tmp_path), "--as-of", "last tuesday")
    assert code == 2
    assert "--as-of" in err


@pytest.mark.network
def test_dockerfile_writes_and_replaces_its_own_files(tf1_locked: Path) -> None:
    for _ in range(2):
        code, out, err = _run("dockerfile", str(tf1_locked), "--as-of", AS_OF)
        assert code == 0, err
    dockerfile = (tf1_locked / "Dockerfile").read_text()
    install = dockerfile.index("--require-hashes -r /app/requirements.lock")
    assert dockerfile.index("COPY requirements.lock") < install < dockerfile.index("COPY --chown=app:app . /app")
    assert "USER" in dockerfile
    assert (tf1_locked / ".dockerignore").exists()
    assert "wrote" in out


@pytest.mark.network
def test_old_sdist_gets_the_setuptools_of_its_day(tmp_path: Path) -> None:
    """zope.interface 4.5.0 (2018, sdist only) imports setuptools.Feature in setup.py, which setuptools 46
    removed: its metadata cannot be read with the setuptools Python 3.7 brings. The lock reads it again with
    setuptools<46 (the breakage table's build row) and writes that constraint beside the lock for the builds."""
    (tmp_path / "app.py").write_text("from zope.interface import Interface\n\n\nclass IThing(Interface):\n    pass\n")
    (tmp_path / "requirements.txt").write_text("zope.interface==4.5.0\n")
    code, _, err = _run("lock", str(tmp_path), "--as-of", "2018-08-12", "--python", "3.7")
    assert code == 0, err
    pins = {p.name: str(p.version) for p in parse_lock((tmp_path / "requirements.lock").read_text())}
    assert pins["zope-interface"] == "4.5.0"
    constraints = (tmp_path / "exhume-build-constraints.txt").read_text()
    assert "setuptools<46" in constraints.splitlines()
    assert "--build-constraint 'setuptools<46'" not in constraints  # found by the lock, not given
    # Locked again without the need (a newer zope.interface with wheels), the stale file is removed.
    (tmp_path / "requirements.txt").write_text("zope.interface==5.4.0\n")
    code, _, err = _run("lock", str(tmp_path), "--as-of", "2021-06-01", "--python", "3.7")
    assert code == 0, err
    assert not (tmp_path / "exhume-build-constraints.txt").exists()


@pytest.mark.network
def test_sdist_whose_setup_script_cannot_run_here_gives_way_to_a_later_wheel(tmp_path: Path) -> None:
    """mecab-python3 0.7 (2016, the release of mid-2018, sdist only) runs mecab-config in its setup script,
    which a machine without MeCab's development files lacks: its metadata cannot be read. The lock takes the
    first later release with a wheel for Python 3.7 (0.996.2, 2019) for that distribution alone, and says so."""
    if shutil.which("mecab-config"):
        pytest.skip("MeCab's development files are installed here: the sdist's metadata can be read")
    (tmp_path / "tokens.py").write_text("import MeCab\n\ntagger = MeCab.Tagger('-Owakati')\n")
    (tmp_path / "requirements.txt").write_text("mecab-python3\n")
    code, _, err = _run("lock", str(tmp_path), "--as-of", "2018-08-12", "--python", "3.7")
    assert code == 0, err
    pins = {p.name: p.version for p in parse_lock((tmp_path / "requirements.lock").read_text())}
    assert Version(str(pins["mecab-python3"])) >= Version("0.996.2")
    report = json.loads((tmp_path / "exhume-report.json").read_text())
    assert "first later release with a wheel for Python 3.7" in json.dumps(report)


@pytest.mark.network
def test_sdist_that_only_builds_on_python2_moves_the_lock_to_27(tmp_path: Path) -> None:
    """PySide 1.2.4 (2015, sdist only on Linux) refuses Python 3.7 in its setup script ("only these python
    versions are supported: 2.6, 2.7, 3.2, 3.3, 3.4"). Code that runs on both gets a Python 2.7 lock, and the
    report says why. Its sdist names no build backend, so pip's build environment needs setuptools>=40.8.0,
    which a view of 2018 only has through the view's floor for setuptools."""
    (tmp_path / "gui.py").write_text("from PySide import QtGui\n\napp = QtGui.QApplication([])\n")
    (tmp_path / "requirements.txt").write_text("PySide==1.2.4\n")
    code, out, err = _run("lock", str(tmp_path), "--as-of", "2018-08-12")
    assert code == 0, err
    assert out.startswith("Python 2.7: the code runs on 2.7 too, and on Python 3.")
    pins = {p.name: str(p.version) for p in parse_lock((tmp_path / "requirements.lock").read_text())}
    assert pins["pyside"] == "1.2.4"
    lock = (tmp_path / "requirements.lock").read_text()
    assert "# Python 2.7" in lock or "python 2.7" in lock.lower()


@pytest.mark.network
@pytest.mark.slow
def test_sdist_whose_setup_script_imports_numpy_and_cython_gets_them_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pycocotools 2.0.0 (2018, sdist only) imports Cython and numpy in its setup script and declares neither
    for the build. The lock finds both from the failed reads of its metadata (a cache of its own, so that no
    earlier read is remembered), pins them in a hashed lock of their own (numpy at the lock's release, Cython of
    the date), says why in the report, and the venv engine installs that first and then builds the lock, whose
    compiled extension imports."""
    monkeypatch.setenv("EXHUME_CACHE_DIR", str(tmp_path / "cache"))
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "masks.py").write_text("import numpy as np\nfrom pycocotools import mask\n\nencode = mask.encode\n")
    code, _, err = _run("lock", str(repo), "--as-of", "2018-06-01", "--python", "3.6")
    assert code == 0, err
    pins = {p.name: p for p in parse_lock((repo / "requirements.lock").read_text())}
    assert str(pins["pycocotools"].version) == "2.0.0"
    build_text = (repo / "exhume-build-requirements.lock").read_text()
    build = {p.name: p for p in parse_lock(build_text)}
    assert str(build["cython"].version) == "0.28.3"
    assert build["numpy"].version == pins["numpy"].version
    assert all(p.hashes for p in build.values()) and {"setuptools", "wheel"} <= set(build)
    assert "pycocotools: ModuleNotFoundError: No module named 'Cython'" in build_text
    report = json.loads((repo / "exhume-report.json").read_text())
    assert {n["requirement"].split("==")[0] for n in report["build_requirements"]} == {"cython", "numpy"}

    code, out, err = _run("build", str(repo), "--as-of", "2018-06-01", "--python", "3.6", "--engine", "venv")
    assert code == 0, out + err
    # The compiled extension imports in the first round: nothing was left for a repair to find.
    assert "first-party:masks: ok" in out and "round 2" not in out


@pytest.mark.network
def test_unchanged_repository_reads_its_plan_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The lock after the first of an unchanged repository with the same options never infers or resolves (the
    files the first one wrote are no change): the plan is read back under the hash of its inputs. Any change to
    what it follows from (here a new import, then another date) misses."""
    from exhume import workflow

    tf1_locked = _copy("tf1-contrib", tmp_path)
    code, _, err = _run("lock", str(tf1_locked), "--as-of", AS_OF, "--format", "pylock")
    assert code == 0, err
    before = (tf1_locked / "requirements.lock").read_text()

    def no_inference(*args: object, **kwargs: object) -> None:
        raise AssertionError("inferred again")

    monkeypatch.setattr(workflow, "infer", no_inference)
    code, out, err = _run("lock", str(tf1_locked), "--as-of", AS_OF, "--format", "pylock")
    assert code == 0, err
    assert (tf1_locked / "requirements.lock").read_text() == before
    assert "pinned with hashes" in out + err
    (tf1_locked / "extra.py").write_text("import yaml\n")
    try:
        code, _, err = _run("lock", str(tf1_locked), "--as-of", AS_OF, "--format", "pylock")
        assert code == 1 and "inferred again" in err
        # Another option misses too.
        (tf1_locked / "extra.py").unlink()
        code, _, err = _run("lock", str(tf1_locked), "--as-of", "2018-03-16", "--format", "pylock")
        assert code == 1 and "inferred again" in err
    finally:
        (tf1_locked / "extra.py").unlink(missing_ok=True)
