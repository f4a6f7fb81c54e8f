"""Interpreter discovery: fake layouts of tiny shell-script interpreters in tmp dirs, then the real machine."""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path

import pytest
from packaging.version import Version

from exhume.errors import InputError
from exhume.target import parse_python
from exhume.toolenv.interpreters import (
    CondaStrategy,
    EnvVarStrategy,
    PathStrategy,
    PyenvStrategy,
    Strategy,
    UvStrategy,
    available_pythons,
    default_strategies,
    find_interpreter,
    probe,
)

PYENV_VERSIONS = ("2.7.18", "3.6.15", "3.7.9", "3.7.16", "3.8.18", "3.9.18", "3.10.13", "3.11.7", "3.12.1", "3.13.0")


def fake_python(path: Path, version: str, *, status: int = 0) -> Path:
    """A shell script that answers the probe as an interpreter of ``version`` would (or fails)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if status:
        path.write_text(f"#!/bin/sh\necho 'broken' >&2\nexit {status}\n", encoding="utf-8")
    else:
        path.write_text(f"#!/bin/sh\nprintf '%s\\n%s' '{version}' \"$0\"\n", encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A home directory with pyenv builds of 2.7 and 3.6-3.13 (and an older 3.7 patch, a -dev build)."""
    home = tmp_path / "home"
    for version in PYENV_VERSIONS:
        fake_python(home / ".pyenv" / "versions" / version / "bin" / "python", version)
    fake_python(home / ".pyenv" / "versions" / "3.7-dev" / "bin" / "python", "3.7.99")
    (tmp_path / "bin").mkdir()
    return home


def chain(home: Path, **env: str) -> list[Strategy]:
    environ = {"HOME": str(home), "PATH": str(home.parent / "bin"), **env}
    return default_strategies(environ, home)


@pytest.mark.parametrize(
    ("python", "expected"),
    [
        pytest.param("2.7", "2.7.18", id="py27"),
        pytest.param("3.6", "3.6.15", id="py36"),
        pytest.param("3.7", "3.7.16", id="py37__newest_patch_not_3_7_9_or_dev"),
        pytest.param("3.8", "3.8.18", id="py38"),
        pytest.param("3.9", "3.9.18", id="py39"),
        pytest.param("3.10", "3.10.13", id="py310"),
        pytest.param("3.11", "3.11.7", id="py311"),
        pytest.param("3.12", "3.12.1", id="py312"),
        pytest.param("3.13", "3.13.0", id="py313"),
    ],
)
def test_pyenv_layout(home: Path, python: str, expected: str) -> None:
    found = find_interpreter(python, strategies=chain(home))
    assert found is not None
    assert found.version == Version(expected)
    assert found.source == "pyenv"
    assert found.path == home / ".pyenv" / "versions" / expected / "bin" / "python"
    assert found.python == python


def test_missing_version_is_none(home: Path) -> None:
    assert find_interpreter("3.14", strategies=chain(home)) is None


def test_env_var_beats_everything(home: Path, tmp_path: Path) -> None:
    explicit = fake_python(tmp_path / "opt" / "py37" / "python", "3.7.3")
    fake_python(tmp_path / "bin" / "python3.7", "3.7.5")
    found = find_interpreter("3.7", strategies=chain(home, EXHUME_PYTHON_3_7=str(explicit)))
    assert found is not None
    assert (found.path, found.version, found.source) == (explicit, Version("3.7.3"), "env")


def test_path_beats_pyenv(home: Path, tmp_path: Path) -> None:
    on_path = fake_python(tmp_path / "bin" / "python3.7", "3.7.5")
    found = find_interpreter("3.7", strategies=chain(home))
    assert found is not None
    assert (found.path, found.source) == (on_path, "path")


@pytest.mark.parametrize(
    ("reported", "status"),
    [
        pytest.param("3.7.5", 127, id="broken_shim__skipped"),
        pytest.param("3.11.7", 0, id="mislabelled__other_version_skipped"),
        pytest.param("not a version", 0, id="garbage_output__skipped"),
    ],
)
def test_bad_candidates_fall_through(home: Path, tmp_path: Path, reported: str, status: int) -> None:
    fake_python(tmp_path / "bin" / "python3.7", reported, status=status)
    found = find_interpreter("3.7", strategies=chain(home))
    assert found is not None
    assert (found.version, found.source) == (Version("3.7.16"), "pyenv")


def test_not_executable_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "python"
    path.write_text("#!/bin/sh\nprintf '3.7.1\\n/x'\n", encoding="utf-8")
    assert probe(path) is None
    assert probe(tmp_path / "absent") is None


def test_pyenv_root_variable(tmp_path: Path) -> None:
    root = tmp_path / "elsewhere"
    fake_python(root / "versions" / "3.6.8" / "bin" / "python", "3.6.8")
    strategy = PyenvStrategy({"PYENV_ROOT": str(root)}, tmp_path / "nohome")
    assert strategy.candidates("3.6") == [root / "versions" / "3.6.8" / "bin" / "python"]


@pytest.mark.parametrize(
    ("env_key", "subdir"),
    [
        pytest.param(None, Path(".local/share/uv/python"), id="uv_default_dir"),
        pytest.param("UV_PYTHON_INSTALL_DIR", Path("uvpy"), id="uv_install_dir_variable"),
        pytest.param("XDG_DATA_HOME", Path("xdg/uv/python"), id="uv_xdg_data_home"),
    ],
)
def test_uv_layout(tmp_path: Path, env_key: str | None, subdir: Path) -> None:
    home = tmp_path / "home"
    root = home / subdir
    fake_python(root / "cpython-3.7.17-linux-x86_64-gnu" / "bin" / "python3", "3.7.17")
    fake_python(root / "cpython-3.7.9-linux-x86_64-gnu" / "bin" / "python3", "3.7.9")
    fake_python(root / "cpython-3.13.0+freethreaded-linux-x86_64-gnu" / "bin" / "python3", "3.13.0")
    environ = {"HOME": str(home)}
    if env_key == "UV_PYTHON_INSTALL_DIR":
        environ[env_key] = str(root)
    elif env_key == "XDG_DATA_HOME":
        environ[env_key] = str(home / "xdg")
    strategy = UvStrategy(environ, home)
    found = find_interpreter("3.7", strategies=[strategy])
    assert found is not None
    assert (found.version, found.source) == (Version("3.7.17"), "uv")
    assert find_interpreter("3.13", strategies=[strategy]) is None  # free-threaded builds are left out


def test_asdf_and_conda_layouts(tmp_path: Path) -> None:
    home = tmp_path / "home"
    fake_python(home / ".asdf" / "installs" / "python" / "3.8.10" / "bin" / "python", "3.8.10")
    env = home / "miniconda3" / "envs" / "old"
    fake_python(env / "bin" / "python", "3.6.13")
    (env / "lib" / "python3.6").mkdir(parents=True)
    other = home / "miniconda3" / "envs" / "new"
    fake_python(other / "bin" / "python", "3.10.4")
    (other / "lib" / "python3.10").mkdir(parents=True)
    strategies = chain(home)
    py38 = find_interpreter("3.8", strategies=strategies)
    py36 = find_interpreter("3.6", strategies=strategies)
    assert py38 is not None and py38.source == "asdf"
    assert py36 is not None and (py36.source, py36.path) == ("conda", env / "bin" / "python")
    # Only environments with the wanted lib/pythonX.Y are proposed, so the others are never run.
    assert CondaStrategy({"HOME": str(home)}, home).candidates("3.6") == [env / "bin" / "python"]


def test_available_pythons_one_per_version(home: Path) -> None:
    found = available_pythons(strategies=chain(home))
    versions = [str(i.version) for i in found]
    # 3.7.99 is the -dev build, which the pyenv strategy does not propose; the running interpreter comes
    # last in the chain and does not displace a version pyenv already has.
    assert versions == [v for v in PYENV_VERSIONS if v != "3.7.9"]


def test_env_var_strategy_lists_all_when_asked(tmp_path: Path) -> None:
    a = fake_python(tmp_path / "a", "2.7.5")
    b = fake_python(tmp_path / "b", "3.7.5")
    strategy = EnvVarStrategy({"EXHUME_PYTHON_3_7": str(b), "EXHUME_PYTHON_2_7": str(a), "OTHER": "x"})
    assert strategy.candidates(None) == [a, b]
    assert strategy.candidates("3.7") == [b]


def test_path_strategy_lists_versioned_names(tmp_path: Path) -> None:
    fake_python(tmp_path / "bin" / "python3.7", "3.7.1")
    fake_python(tmp_path / "bin" / "python3", "3.7.1")
    fake_python(tmp_path / "bin" / "python3.7-config", "3.7.1")
    strategy = PathStrategy({"PATH": str(tmp_path / "bin")})
    assert strategy.candidates(None) == [tmp_path / "bin" / "python3.7"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("3.7", (3, 7), id="plain"),
        pytest.param(" 2.7 ", (2, 7), id="spaces"),
        pytest.param("3.10", (3, 10), id="two_digit_minor"),
    ],
)
def test_parse_python(text: str, expected: tuple[int, int]) -> None:
    assert parse_python(text) == expected


@pytest.mark.parametrize("text", [pytest.param(t, id=t or "empty") for t in ("3", "3.7.1", "py37", "")])
def test_parse_python_rejects(text: str) -> None:
    with pytest.raises(InputError):
        parse_python(text)


@pytest.mark.parametrize("python", [pytest.param("2.7", id="py27"), pytest.param("3.7", id="py37")])
def test_real_discovery(python: str) -> None:
    """This machine has 2.7 and 3.7 (pyenv builds); the default chain must find and run them."""
    found = find_interpreter(python)
    assert found is not None, f"no Python {python} found on this machine"
    assert found.python == python
    assert found.path.is_file()
    assert probe(found.path) == (found.version, found.path)


def test_real_available_pythons_include_27_and_37() -> None:
    versions = {i.python for i in available_pythons()}
    assert {"2.7", "3.7"} <= versions


def test_probe_answers_of_binaries_are_remembered_and_scripts_are_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from exhume.toolenv import interpreters

    monkeypatch.setenv("EXHUME_CACHE_DIR", str(tmp_path / "cache"))
    binary = Path(sys.executable).resolve()
    shim = tmp_path / "python3.99"
    shim.write_text(f'#!/bin/sh\nexec {binary} "$@"\n')
    shim.chmod(0o755)
    memo = interpreters._ProbeMemo()
    first = memo.probe(binary)
    assert first is not None and memo.probe(shim) == first
    memo.save()
    stored = json.loads((tmp_path / "cache" / "interpreters.json").read_text())
    assert len(stored) == 1 and str(binary) in next(iter(stored))  # the binary, not the shim
    # A later run answers the binary from the file without running it (a probe would fail here).
    monkeypatch.setattr(interpreters, "probe", lambda path: None)
    again = interpreters._ProbeMemo()
    assert again.probe(binary) == first
    assert again.probe(shim) is None
    # The fingerprint of the candidates changes with a candidate's file, without running anything.
    strategies = [interpreters.EnvVarStrategy({"EXHUME_PYTHON_3_99": str(shim)})]
    before = interpreters.candidates_fingerprint(strategies=strategies)
    shim.write_text(shim.read_text() + "# changed\n")
    assert interpreters.candidates_fingerprint(strategies=strategies) != before
