"""A wheel of exhume carries its knowledge: built from the source tree, installed into a fresh virtual
environment outside the checkout, it answers `exhume kb which` and locks a fixture (network: the wheel's own
dependencies and the lock come from the index)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from exhume.lock.compile import parse_lock

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.network, pytest.mark.slow]


def _run(argv: list[str], *, cwd: Path, env: dict[str, str], timeout: int = 900) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    assert proc.returncode == 0, f"{argv} exited {proc.returncode}:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
    return proc


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel of exhume, built from a copy of the source tree so that the build leaves nothing in the checkout."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(ROOT / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    dist = work / "dist"
    _run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(dist), str(source)],
        cwd=work,
        env=_env(),
    )
    shutil.rmtree(source)
    (built,) = dist.glob("exhume-*.whl")
    return built


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "EXHUME_DATA_DIR", "VIRTUAL_ENV"}}


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin folder of a fresh virtual environment outside the checkout with exhume installed from the wheel."""
    venv = tmp_path_factory.mktemp("venv") / "env"
    _run([sys.executable, "-m", "venv", str(venv)], cwd=venv.parent, env=_env())
    _run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)], cwd=venv.parent, env=_env())
    return venv / "bin"


def test_wheel_holds_every_knowledge_table(wheel: Path) -> None:
    tables = sorted(
        p.relative_to(ROOT / "src").as_posix()
        for p in (ROOT / "src" / "exhume" / "resolvers").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    )
    assert {"exhume/resolvers/breakages.toml", "exhume/resolvers/api/tensorflow.api"} <= set(tables)
    with zipfile.ZipFile(wheel) as archive:
        members = set(archive.namelist())
    assert [t for t in tables if t not in members] == []


def test_installed_wheel_answers_kb_which(installed: Path, tmp_path: Path) -> None:
    bin_dir, env = installed, _env()
    probe = _run([str(bin_dir / "python"), "-c", "import exhume; print(exhume.__file__)"], cwd=tmp_path, env=env)
    assert not Path(probe.stdout.strip()).is_relative_to(ROOT), "the wheel test ran exhume from the checkout"
    proc = _run(
        [str(bin_dir / "exhume"), "kb", "which", "tensorflow", "tensorflow.contrib", "--json"], cwd=tmp_path, env=env
    )
    answer = json.loads(proc.stdout)
    assert answer["versions"], answer
    assert all(v.startswith(("0.", "1.")) for v in answer["versions"]), answer["versions"]


def test_installed_wheel_locks_a_fixture(installed: Path, tmp_path: Path) -> None:
    bin_dir, env = installed, _env()
    repo = tmp_path / "tf1-contrib"
    shutil.copytree(ROOT / "fixtures" / "tf1-contrib", repo)
    _run([str(bin_dir / "exhume"), "lock", str(repo), "--as-of", "2018-03-15"], cwd=tmp_path, env=env)
    pins = {p.name: p for p in parse_lock((repo / "requirements.lock").read_text(encoding="utf-8"))}
    assert str(pins["tensorflow"].version).startswith("1.")
    assert all(p.hashes for p in pins.values())
