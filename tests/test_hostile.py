"""The hostile corpus (tests/hostile.py): every case through scan, lock and dockerfile (offline: nothing to
resolve) and audit, each its own process. Exit 0 with a warning at the damaged file's location, the healthy
file still read, no traceback, no time-out, and memory bounded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hostile import CASES, COMMANDS, Case, build, run_command

pytestmark = pytest.mark.slow

#: Far above what a healthy run takes (~60 MB for these small trees) and far below what an expanded alias
#: bomb, a whole 50 MB file's AST or an unbounded recursion would take.
MEMORY_BOUND = 600 * 1024 * 1024


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in CASES])
def test_hostile_case(case: Case, tmp_path: Path) -> None:
    root = build(case, tmp_path / "repo")
    runs = {command[0]: run_command(case, root, command, tmp_path / "cache") for command in COMMANDS}
    for name, run in runs.items():
        assert run.exit_code == 0, f"{name}: exit {run.exit_code}\n{run.stderr[-2000:]}"
        assert "Traceback" not in run.stderr, f"{name}:\n{run.stderr[-3000:]}"
        assert "internal error" not in run.stderr, f"{name}:\n{run.stderr[-2000:]}"
        assert run.peak_rss < MEMORY_BOUND, f"{name}: {run.peak_rss / 2**20:.0f} MiB"
    scan = json.loads(runs["scan"].stdout)
    stdlib = {m["module"] for m in scan["modules"] if m["kind"] == "stdlib"}
    assert {"os", "json"} <= stdlib  # ok.py is read whatever else is broken
    if case.warning is not None:
        code, path = case.warning
        located = {(w["code"], w["location"]["path"]) for w in scan["warnings"]}
        assert (code, path) in located, scan["warnings"]
    assert (root / "requirements.lock").is_file()
    assert (root / "Dockerfile").is_file()
    audit = json.loads(runs["audit"].stdout)
    assert audit["checklist"]
    assert not (root / "PWNED").exists()  # no setup script was run
