"""The as-of date: when the code or its dependency declarations last changed, from git history."""

from __future__ import annotations

import shutil
import subprocess
from datetime import datetime
from pathlib import Path

from exhume.model.scan import AsOf

__all__ = ["CODE_PATHSPECS", "as_of_date"]

# What counts as "code or dependency files": a commit touching only a README or images does not move the
# date, since it does not change what the code needs.
CODE_PATHSPECS = (
    ":(glob)**/*.py",
    ":(glob)**/*.pyw",
    ":(glob)**/*.pyx",
    ":(glob)**/*.ipynb",
    ":(glob)**/requirements*",
    ":(glob)**/requirements/**",
    ":(glob)**/*.in",
    ":(glob)**/setup.cfg",
    ":(glob)**/pyproject.toml",
    ":(glob)**/Pipfile",
    ":(glob)**/Pipfile.lock",
    ":(glob)**/environment*.yml",
    ":(glob)**/environment*.yaml",
    ":(glob)**/Dockerfile*",
    ":(glob)**/tox.ini",
    ":(glob)**/.travis.yml",
)


def as_of_date(root: Path) -> AsOf:
    """Author date of the last commit under ``root`` that touched code or dependency files.

    Never raises: no git, no repository or no such commit give ``date=None`` and say why.
    """
    git = shutil.which("git")
    if git is None:
        return AsOf(date=None, reason="git is not installed; no as-of date")
    cmd = [
        git,
        "-c",
        "safe.directory=*",
        "-C",
        str(root),
        "log",
        "-1",
        "--format=%H %aI",
        "--",
        *CODE_PATHSPECS,
    ]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return AsOf(date=None, reason=f"git log failed: {exc}")
    if proc.returncode != 0:
        if "not a git repository" in proc.stderr:
            return AsOf(date=None, reason="no git history; no as-of date")
        return AsOf(date=None, reason=f"git log failed: {proc.stderr.strip().splitlines()[-1:]}")
    out = proc.stdout.strip()
    if not out:
        return AsOf(date=None, reason="no commit touches code or dependency files; no as-of date")
    commit, iso = out.split(" ", 1)
    return AsOf(
        date=datetime.fromisoformat(iso),
        commit=commit,
        reason="author date of the last commit touching code or dependency files",
    )
