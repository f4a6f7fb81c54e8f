"""The as-of date: the last commit touching code or dependency files, from throwaway git repositories."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import pytest

from exhume.scan import scan
from exhume.scan.gitdate import as_of_date
from exhume.scan.report import render_json, render_text

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

CODE = "import numpy as np\n\n\ndef mean(x):\n    return np.mean(x)\n"

# A history is a list of commits, oldest first: (date, {path: text}).
Commit = tuple[str, dict[str, str]]


def _git(repo: Path, *args: str, date: str | None = None) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Ada Researcher",
        "GIT_AUTHOR_EMAIL": "ada@example.org",
        "GIT_COMMITTER_NAME": "Ada Researcher",
        "GIT_COMMITTER_EMAIL": "ada@example.org",
        # Keep the user's and the machine's git configuration (hooks, signing, templates) out of it.
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    if date is not None:
        env["GIT_AUTHOR_DATE"] = date
        env["GIT_COMMITTER_DATE"] = date
    proc = subprocess.run(["git", "-C", str(repo), *args], env=env, capture_output=True, text=True, check=True)
    return proc.stdout.strip()


def make_repo(root: Path, history: list[Commit]) -> list[str]:
    """Create a git repository at ``root`` with ``history``; return the commit ids, oldest first."""
    root.mkdir(parents=True, exist_ok=True)
    _git(root, "init", "-q", "-b", "main")
    commits = []
    for index, (date, files) in enumerate(history):
        for rel, text in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        _git(root, "add", "-A")
        _git(root, "commit", "-q", "-m", f"change {index}", date=date)
        commits.append(_git(root, "rev-parse", "HEAD"))
    return commits


@pytest.mark.parametrize(
    ("history", "expected_index"),
    [
        pytest.param(
            [("2018-03-01T10:00:00+00:00", {"train.py": CODE}), ("2019-06-01T09:00:00+00:00", {"README.md": "# x\n"})],
            0,
            id="readme_only_commit__does_not_move_the_date",
        ),
        pytest.param(
            [
                ("2018-03-01T10:00:00+00:00", {"train.py": CODE}),
                ("2018-05-02T11:00:00+00:00", {"requirements.txt": "tensorflow\n"}),
                ("2019-06-01T09:00:00+00:00", {"README.md": "# x\n", "docs/figure.svg": "<svg/>\n"}),
            ],
            1,
            id="requirements_commit__moves_the_date",
        ),
        pytest.param(
            [
                ("2017-01-10T08:00:00+00:00", {"model.py": CODE}),
                ("2017-02-10T08:00:00+00:00", {"model.py": CODE + "\nX = 1\n"}),
                ("2017-12-24T18:00:00+00:00", {"LICENSE": "MIT\n", "README.md": "# y\n"}),
            ],
            1,
            id="code_change__moves_the_date",
        ),
        pytest.param(
            [
                ("2016-09-01T08:00:00+00:00", {"src/pkg/core.py": CODE}),
                ("2016-10-01T08:00:00+00:00", {"notebooks/explore.ipynb": '{"cells": [], "nbformat": 4}\n'}),
                ("2017-03-01T08:00:00+00:00", {"paper/results.md": "| a | b |\n"}),
            ],
            1,
            id="notebook_commit__moves_the_date",
        ),
        pytest.param(
            [
                ("2018-01-01T00:00:00+00:00", {"run.py": CODE}),
                ("2018-02-01T00:00:00+00:00", {"environment.yml": "dependencies:\n  - python=3.6\n"}),
                ("2018-03-01T00:00:00+00:00", {"setup.cfg": "[metadata]\nname = x\n"}),
                ("2018-09-01T00:00:00+00:00", {"README.md": "# z\n"}),
            ],
            2,
            id="environment_and_setup_cfg__move_the_date",
        ),
        pytest.param(
            [
                ("2018-01-01T00:00:00+00:00", {"run.py": CODE}),
                ("2018-04-01T00:00:00+00:00", {"Dockerfile": "FROM python:3.6\n"}),
                ("2018-09-01T00:00:00+00:00", {"README.md": "# z\n"}),
            ],
            1,
            id="dockerfile__moves_the_date",
        ),
        pytest.param(
            [("2017-11-05T23:30:00-08:00", {"train.py": CODE}), ("2018-01-01T00:00:00+00:00", {"README.md": "# x\n"})],
            0,
            id="timezone_offset__is_kept",
        ),
    ],
)
def test_as_of_is_last_code_or_dependency_commit(tmp_path: Path, history: list[Commit], expected_index: int) -> None:
    commits = make_repo(tmp_path / "repo", history)
    as_of = as_of_date(tmp_path / "repo")
    assert as_of.date == datetime.fromisoformat(history[expected_index][0])
    assert as_of.date is not None and as_of.date.utcoffset() is not None
    assert as_of.commit == commits[expected_index]
    assert as_of.reason


def test_no_git_history__no_date_and_a_reason(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text(CODE, encoding="utf-8")
    as_of = as_of_date(tmp_path)
    assert as_of.date is None
    assert as_of.commit is None
    assert as_of.reason


def test_only_readme_commits__no_date_and_a_reason(tmp_path: Path) -> None:
    make_repo(tmp_path / "repo", [("2018-03-01T10:00:00+00:00", {"README.md": "# nothing yet\n"})])
    as_of = as_of_date(tmp_path / "repo")
    assert as_of.date is None
    assert as_of.reason


def test_subfolder__only_its_own_commits_count(tmp_path: Path) -> None:
    # Scanning one project of a monorepo: a later change to a sibling project does not date this one.
    history: list[Commit] = [
        ("2018-03-01T10:00:00+00:00", {"proj_a/train.py": CODE}),
        ("2019-06-01T09:00:00+00:00", {"proj_b/train.py": CODE}),
    ]
    commits = make_repo(tmp_path / "repo", history)
    as_of = as_of_date(tmp_path / "repo" / "proj_a")
    assert as_of.date == datetime.fromisoformat(history[0][0])
    assert as_of.commit == commits[0]


def test_scan_reports_the_as_of_date(tmp_path: Path) -> None:
    history: list[Commit] = [
        ("2018-03-01T10:00:00+00:00", {"train.py": CODE, "requirements.txt": "numpy\n"}),
        ("2019-06-01T09:00:00+00:00", {"README.md": "# x\n"}),
    ]
    commits = make_repo(tmp_path / "repo", history)
    result = scan(tmp_path / "repo")
    data = json.loads(render_json(result))
    assert data["as_of"]["date"] == datetime.fromisoformat(history[0][0]).isoformat()
    assert data["as_of"]["commit"] == commits[0]
    assert "2018-03-01" in render_text(result)


def test_scan_without_history_says_so(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text(CODE, encoding="utf-8")
    result = scan(tmp_path)
    data = json.loads(render_json(result))
    assert data["as_of"]["date"] is None
    assert data["as_of"]["reason"]
    assert data["as_of"]["reason"] in render_text(result)
