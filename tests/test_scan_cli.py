"""`exhume scan` on the command line: exit codes, JSON and text output, -o, and errors without tracebacks."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from exhume.cli import main
from exhume.scan import scan
from exhume.scan.report import render_json

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def run(argv: list[str]) -> tuple[int, str, str]:
    """Run the CLI in this process; return (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def tf1(tmp_path: Path) -> Path:
    root = tmp_path / "tf1-contrib"
    shutil.copytree(FIXTURES / "tf1-contrib", root)
    return root


def test_json_output(tf1: Path) -> None:
    code, out, err = run(["scan", str(tf1), "--format", "json"])
    assert code == 0, err
    data = json.loads(out)
    assert "schema" in data
    assert isinstance(data["schema"], int)
    assert out == render_json(scan(tf1))


def test_json_output_quiet_matches(tf1: Path) -> None:
    code, out, _ = run(["scan", str(tf1), "--format", "json", "-q", "-j", "1"])
    assert code == 0
    assert out == render_json(scan(tf1))


def _text_groups(text: str) -> dict[str, list[str]]:
    """The lines under each distribution heading of the "Third-party distributions" section."""
    lines = text.splitlines()
    start = lines.index("Third-party distributions")
    groups: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in lines[start + 1 :]:
        if not line.strip():
            break
        indent = len(line) - len(line.lstrip(" "))
        if indent == 2:
            current = groups.setdefault(line.split()[0], [])
        elif current is not None:
            current.append(line.strip())
    return groups


def test_text_output_groups_by_distribution(tf1: Path) -> None:
    code, out, err = run(["scan", str(tf1)])
    assert code == 0, err
    groups = _text_groups(out)
    imported = {d["name"] for d in json.loads(render_json(scan(tf1)))["distributions"] if d["imported"]}
    assert set(groups) == imported
    tensorflow = "\n".join(groups["tensorflow"])
    assert "tensorflow.contrib.layers.xavier_initializer" in tensorflow
    assert "tensorflow.Session" in tensorflow
    assert "requirements.txt" in tensorflow  # the declared, unpinned requirement sits under its distribution
    scipy = "\n".join(groups["scipy"])
    assert "scipy.misc.imread" in scipy
    assert "tensorflow." not in scipy
    assert "scipy." not in tensorflow


def test_output_file(tf1: Path, tmp_path: Path) -> None:
    target = tmp_path / "out" / "scan.json"
    target.parent.mkdir()
    code, out, err = run(["scan", str(tf1), "--format", "json", "-o", str(target)])
    assert code == 0, err
    assert out == ""
    assert target.read_text(encoding="utf-8") == render_json(scan(tf1))


def test_output_file_text(tf1: Path, tmp_path: Path) -> None:
    target = tmp_path / "scan.txt"
    code, out, _ = run(["scan", str(tf1), "-o", str(target)])
    assert code == 0
    assert out == ""
    assert "Third-party distributions" in target.read_text(encoding="utf-8")


def test_broken_input_still_exits_zero(tmp_path: Path) -> None:
    root = tmp_path / "broken-files"
    shutil.copytree(FIXTURES / "broken-files", root)
    code, out, err = run(["scan", str(root), "--format", "json"])
    assert code == 0, err
    assert json.loads(out)["warnings"]


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["scan", "{tmp}/no/such/folder"], id="missing_path"),
        pytest.param(["scan", "{tmp}/no/such/folder", "--format", "json"], id="missing_path_json"),
    ],
)
def test_missing_path__exit_2_one_line(tmp_path: Path, argv: list[str]) -> None:
    code, out, err = run([a.replace("{tmp}", str(tmp_path)) for a in argv])
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err
    assert "no/such/folder" in err


def test_missing_path_in_a_real_process(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    proc = subprocess.run(
        [sys.executable, "-m", "exhume", "scan", str(missing)], check=False, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["scan"], id="no_path"),
        pytest.param(["scan", ".", "--format", "yaml"], id="unknown_format"),
        pytest.param(["scan", ".", "--no-such-option"], id="unknown_option"),
        pytest.param(["frobnicate"], id="unknown_command"),
    ],
)
def test_bad_usage__exit_2_without_traceback(argv: list[str]) -> None:
    code, _, err = run(argv)
    assert code == 2
    assert err.strip()
    assert "Traceback" not in err


def test_a_file_is_not_a_repository(tf1: Path) -> None:
    code, out, err = run(["scan", str(tf1 / "train.py")])
    assert code == 2
    assert out == ""
    assert "Traceback" not in err


def test_unwritable_output__exit_2(tf1: Path, tmp_path: Path) -> None:
    code, _, err = run(["scan", str(tf1), "-o", str(tmp_path / "missing-dir" / "scan.json")])
    assert code == 2
    assert "Traceback" not in err


def test_scan_cache_gives_the_same_result_and_reads_changes(tmp_path: Path) -> None:
    from exhume.scan import scan as scan_tree

    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "a.py").write_text("import numpy as np\nnp.zeros(3)\n")
    (repo / "b.py").write_text("import yaml\n")
    cache = tmp_path / "cache"
    cold = render_json(scan_tree(repo, cache_dir=cache))
    assert any(cache.rglob("*")), "nothing was cached"
    assert render_json(scan_tree(repo, cache_dir=cache)) == cold
    assert render_json(scan_tree(repo)) == cold
    (repo / "b.py").write_text("import scipy\n")
    changed = json.loads(render_json(scan_tree(repo, cache_dir=cache)))
    assert {d["name"] for d in changed["distributions"]} == {"numpy", "scipy"}


def test_files_exhume_wrote_are_not_evidence(tmp_path: Path) -> None:
    from exhume.scan import scan as scan_tree

    (tmp_path / "run.py").write_text("import numpy\n")
    (tmp_path / "requirements.in").write_text("# generated by exhume 0.1.0: ...\nnumpy==1.14.2\npillow\n")
    (tmp_path / "Dockerfile").write_text("# Generated by exhume 0.1.0 from requirements.lock\nFROM python:3.6-slim\n")
    (tmp_path / "requirements.txt").write_text("numpy>=1.10\n")
    result = scan_tree(tmp_path)
    assert [(d.location.path, d.text) for d in result.declared] == [("requirements.txt", "numpy>=1.10")]
    assert result.python == ()


def _age(root: Path, seconds: float = 60.0) -> None:
    """Date every file of the tree ``seconds`` back, as files are that were not just written."""
    import os
    import time

    when = time.time() - seconds
    for path in root.rglob("*"):
        os.utime(path, (when, when))


def test_unchanged_tree_is_not_read_again(tf1: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The tree cache: a second scan of an unchanged tree reads no file, and its output is the same bytes;
    a file that changes (another size or time) makes the next scan read again."""
    import exhume.scan as scanning

    cache = tmp_path / "cache"
    _age(tf1)
    first = scan(tf1, cache_dir=cache)
    assert first.fingerprint

    def no_reading(*args: object, **kwargs: object) -> None:
        raise AssertionError("a file was read")

    monkeypatch.setattr(scanning, "read_file", no_reading)
    again = scan(tf1, cache_dir=cache)
    assert again == first and again.fingerprint == first.fingerprint
    # The command line keeps the rendering too, and gives it back without scanning.
    monkeypatch.undo()
    monkeypatch.setenv("EXHUME_CACHE_DIR", str(tmp_path / "cli-cache"))
    code, out, err = run(["scan", str(tf1), "--format", "json", "-q"])
    assert code == 0, err
    monkeypatch.setattr(scanning, "read_file", no_reading)
    code, cached, err = run(["scan", str(tf1), "--format", "json", "-q"])
    assert code == 0, err
    assert cached == out == render_json(first)

    (tf1 / "model.py").write_text((tf1 / "model.py").read_text() + "\nimport yaml\n")
    _age(tf1, 30.0)
    with pytest.raises(AssertionError, match="a file was read"):
        scan(tf1, cache_dir=cache)


def test_a_tree_with_a_file_just_written_is_not_kept(tf1: Path, tmp_path: Path) -> None:
    """A file written in the last moments may be written again in the same tick of the file system's clock
    with the same size: such a state of the tree is never kept."""
    cache = tmp_path / "cache"
    (tf1 / "model.py").write_text((tf1 / "model.py").read_text() + "\n# just now\n")
    assert scan(tf1, cache_dir=cache).fingerprint == ""
    assert not (cache / "trees").exists()
