"""`exhume build` for real: lock, Dockerfile, image build through the Docker Engine, smoke tests with the network
off, repair. Each test builds an image FROM a local stand-in base image (no registry is reachable here)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

from exhume.engines.engine import DockerEngine, Engine, VenvEngine
from exhume.engines.pipeline import BuildOptions, build_repository
from exhume.engines.report import BuildReport, render_junit, render_text
from exhume.engines.smoke import Verdict
from exhume.workflow import LockOptions

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
TEMPLATE = "exhume-local/python:{python}-slim"

pytestmark = [pytest.mark.network, pytest.mark.slow]


def _copy(name: str, tmp_path: Path) -> Path:
    target = tmp_path / name
    shutil.copytree(FIXTURES / name, target)
    return target


def _options(as_of: str, **lock: object) -> BuildOptions:
    date = datetime.fromisoformat(as_of).replace(tzinfo=timezone.utc)
    return BuildOptions(lock=replace(LockOptions(as_of=date, force=True), **lock), base_image=TEMPLATE, max_repairs=2)


def _checks(report: BuildReport) -> dict[str, Verdict]:
    return {o.check.id: o.verdict for o in report.final.outcomes}


def _verify(name: str, engine: Engine, image: str) -> None:
    """Run ``fixtures/<name>.verify.py`` (when the fixture has one) with the image's own Python, network off:
    the code does what it is for in the built environment, beyond the smoke tests' imports."""
    script = FIXTURES / f"{name}.verify.py"
    if not script.is_file():
        return
    result = engine.run(image, ["python", "-c", script.read_text(encoding="utf-8")], timeout=600, network=False)
    assert result.exit_code == 0, result.output
    assert "verified:" in result.output, result.output


def _build(
    name: str, as_of: str, tmp_path: Path, *, engine: DockerEngine, base_image: Callable[[str], str], python: str
) -> BuildReport:
    base_image(python)
    repo = _copy(name, tmp_path)
    # A tag of its own per test: tests run in parallel and must not build over each other's images.
    options = replace(_options(as_of), tag=f"exhume-test/{name}:{tmp_path.name.lower()}")
    report = build_repository(str(repo), options, engine=engine)
    if report.passed:
        _verify(name, engine, report.tag)
    return report


@pytest.mark.docker
def test_tf1_image_resolves_contrib(
    tmp_path: Path, docker_engine: DockerEngine, base_image: Callable[[str], str]
) -> None:
    report = _build("tf1-contrib", "2018-03-15", tmp_path, engine=docker_engine, base_image=base_image, python="3.6")
    assert report.passed, report.to_dict()
    final = report.final
    assert final.python == "3.6"
    assert dict(final.pins)["tensorflow"].startswith("1.")
    checks = _checks(report)
    assert checks["import:tensorflow"] is Verdict.PASSED
    api = next(o for o in final.outcomes if o.check.id == "api:tensorflow")
    resolved = {name for name, ok, _ in api.check.names if ok}
    assert "tensorflow.contrib.layers.xavier_initializer" in resolved
    assert "<testsuite" in render_junit(report)


@pytest.mark.docker
def test_python2_image(tmp_path: Path, docker_engine: DockerEngine, base_image: Callable[[str], str]) -> None:
    report = _build("python2-only", "2016-06-01", tmp_path, engine=docker_engine, base_image=base_image, python="2.7")
    assert report.final.python == "2.7"
    assert report.passed, report.to_dict()


@pytest.mark.docker
def test_pytorch_image(tmp_path: Path, docker_engine: DockerEngine, base_image: Callable[[str], str]) -> None:
    report = _build("pytorch-0x", "2018-03-01", tmp_path, engine=docker_engine, base_image=base_image, python="3.6")
    assert report.passed, report.to_dict()
    # The index holds no torch before 1.0.0, so the README's 0.3.1 cannot be had; the oldest 1.x that
    # resolves with torchvision is taken, and the code's 0.x idioms (Variable, volatile=) still import.
    assert dict(report.final.pins)["torch"].startswith("1.")


@pytest.mark.docker
def test_notebook_image(tmp_path: Path, docker_engine: DockerEngine, base_image: Callable[[str], str]) -> None:
    report = _build("notebooks-only", "2018-01-15", tmp_path, engine=docker_engine, base_image=base_image, python="3.6")
    assert report.passed, report.to_dict()


@pytest.mark.docker
def test_repair_adds_the_hidden_dependency(
    tmp_path: Path, docker_engine: DockerEngine, base_image: Callable[[str], str]
) -> None:
    report = _build(
        "repair-hidden-import", "2019-06-01", tmp_path, engine=docker_engine, base_image=base_image, python="3.7"
    )
    assert len(report.rounds) == 2, report.to_dict()
    first, second = report.rounds
    assert not first.passed
    assert any(r.requirement is not None and r.requirement.name == "pyyaml" for r in first.repairs)
    assert second.passed
    assert "pyyaml" in dict(second.pins)


@pytest.mark.docker
def test_code_only_change_reuses_the_dependency_layer(
    tmp_path: Path, docker_engine: DockerEngine, base_image: Callable[[str], str]
) -> None:
    base_image("3.7")
    repo = _copy("repair-hidden-import", tmp_path)
    options = replace(_options("2019-06-01"), max_repairs=0, tag=f"exhume-test/code-only:{tmp_path.name.lower()}")
    logs: list[str] = []
    build_repository(str(repo), options, engine=docker_engine)
    (repo / "run.py").write_text((repo / "run.py").read_text() + "\n# a code-only change\n")
    build_repository(str(repo), options, engine=docker_engine, progress=logs.append)
    text = "\n".join(logs)
    install_step = text.index("--require-hashes")
    assert "Using cache" in text[install_step : install_step + 400]


def test_venv_engine_validates_tf1_lock(tmp_path: Path) -> None:
    """Issue 4's integration test: the TF1 lock installs with --require-hashes into a fresh interpreter of the
    chosen version, and tensorflow.contrib.layers.xavier_initializer resolves there."""
    repo = _copy("tf1-contrib", tmp_path)
    engine = VenvEngine()
    report = build_repository(str(repo), replace(_options("2018-03-15"), base_image=None), engine=engine)
    assert report.passed, report.to_dict()
    _verify("tf1-contrib", engine, report.tag)
    api = next(o for o in report.final.outcomes if o.check.id == "api:tensorflow")
    assert ("tensorflow.contrib.layers.xavier_initializer", True, None) in api.check.names


def test_repair_that_cannot_be_locked_keeps_the_last_round(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A repair whose lock fails (here a range no release meets, as two rounds' evidence can make) does not
    abort the build: the round that built stays final, its files stay on disk, and the report says why."""
    from exhume.engines import pipeline
    from exhume.model import Repair

    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "main.py").write_text("import six\n\nprint(six.moves.no_such_name_in_any_release)\n", encoding="utf-8")

    def unlockable(outcomes: object, **_: object) -> list[Repair]:
        return [Repair(reason="test: a range no release meets", check="api:six", requirement=Requirement("six<0.1"))]

    monkeypatch.setattr(pipeline, "propose_repairs", unlockable)
    options = replace(_options("2021-06-01", python="3.9"), base_image=None)
    report = build_repository(str(repo), options, engine=VenvEngine())
    assert len(report.rounds) == 1
    assert report.final.built
    assert "six" in dict(report.final.pins)
    assert "no release of six matches" in report.final.repair_error
    assert "six==" in (repo / "requirements.lock").read_text(encoding="utf-8")
    assert "could not be locked" in render_text(report)


def test_venv_engine_takes_a_later_wheel_when_the_sdist_cannot_build(tmp_path: Path) -> None:
    """pyodbc 4.0.23 (the release of mid-2018) is an sdist that needs unixODBC's headers, which the venv engine
    cannot install: the build fails, and the repair takes the first later pyodbc with a wheel for Python 3.7."""
    if Path("/usr/include/sql.h").exists():
        pytest.skip("unixODBC's headers are installed here: pyodbc's sdist builds")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "query.py").write_text("import pyodbc\n\nprint(pyodbc.version)\n", encoding="utf-8")
    options = replace(_options("2018-08-12", python="3.7"), base_image=None)
    report = build_repository(str(repo), options, engine=VenvEngine())
    assert report.passed, report.to_dict()
    first, *_ = report.rounds
    assert not first.built
    assert [str(r.requirement) for r in first.repairs if r.requirement is not None] == ["pyodbc>=4.0.34"]
    assert Version(dict(report.final.pins)["pyodbc"]) >= Version("4.0.34")
