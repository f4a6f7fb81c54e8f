"""`exhume kb which` and `exhume kb info` against the shipped API index."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from exhume.cli import main


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_which_prints_a_specifier_and_the_explanation() -> None:
    code, out, err = _run("kb", "which", "tensorflow", "tensorflow.contrib.layers.xavier_initializer")
    assert code == 0, err
    first = out.splitlines()[0]
    # tf.contrib is gone from TensorFlow 2.0 on (TensorFlow 2.0 release notes, "tf.contrib has been deprecated").
    assert first.startswith("<2.0")
    assert "last in 1.15" in out


def test_which_json() -> None:
    code, out, _ = _run("kb", "which", "tensorflow", "tensorflow.contrib.slim", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["distribution"] == "tensorflow"
    assert data["name"] == "tensorflow.contrib.slim"
    assert "1.15.0" in data["versions"] and "2.0.0" not in data["versions"]
    assert data["specifier"].startswith("<2.0")


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        pytest.param(
            ("kb", "which", "no-such-dist", "x.y", "--offline-only"),
            "no knowledge of distribution",
            id="unknown_distribution",
        ),
        pytest.param(("kb", "which", "tensorflow", "tensorflow.no_such_name"), "not a name", id="unknown_name"),
        pytest.param(("kb", "info", "no-such-dist"), "no knowledge of distribution", id="info_unknown"),
        pytest.param(("kb", "frobnicate"), "invalid choice", id="bad_query"),
    ],
)
def test_bad_queries_exit_2_without_traceback(argv: tuple[str, ...], needle: str) -> None:
    code, _, err = _run(*argv)
    assert code == 2
    assert needle in err
    assert "Traceback" not in err


def test_info_lists_releases_with_completeness() -> None:
    code, out, _ = _run("kb", "info", "keras")
    assert code == 0
    assert out.startswith("keras: ")
    assert "incomplete" in out.splitlines()[1]
    assert any(line.startswith("2.2.4") for line in out.splitlines())


@pytest.mark.network
def test_which_reads_names_on_demand_for_other_distributions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXHUME_CACHE_DIR", str(tmp_path))
    code, out, err = _run("kb", "which", "gevent", "gevent.wsgi.WSGIServer", "--as-of", "2018-08-12")
    assert code == 0, err
    assert out.splitlines()[0] == "<1.3.0"
    assert "names read on demand" in out
    code, out, err = _run("kb", "which", "zz-no-such-project-exhume", "x.y")
    assert code == 2
    assert "zz-no-such-project-exhume" in err and "Traceback" not in err
