"""A corpus of hostile repositories, generated (never committed): each case writes one small repository that
is healthy but for one kind of damage, and names the warning a scan must give for it (its code and the path it
is located at) or None where the damage is not the scan's to report (a file it never reads).

Every repository also holds ``ok.py``, a healthy file importing only the standard library, so a command that
gives up on the whole repository because of one bad file is seen: its facts must still be there.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["CASES", "COMMANDS", "Case", "Run", "build", "run_command"]

#: Each command of the corpus run, with the options that keep it off the network (nothing to resolve: the
#: repositories import only the standard library).
COMMANDS: tuple[tuple[str, ...], ...] = (
    ("scan", "--format", "json", "-q"),
    ("lock", "--offline", "--force"),
    ("dockerfile", "--offline", "--force"),
    ("audit", "--format", "json"),
)
#: Root without the power to read what its permissions forbid (for the permission cases).
UNPRIVILEGED = ("setpriv", "--bounding-set=-dac_override,-dac_read_search", "--inh-caps=-dac_override,-dac_read_search")
#: Seconds one command may take on one case: a read of a FIFO or an unbounded expansion would never end.
COMMAND_TIMEOUT = 300

HEALTHY = "import os\nimport json\n\n\ndef main():\n    print(json.dumps(os.listdir('.')))\n"


@dataclass(frozen=True)
class Case:
    """One kind of damage. ``warning`` is (code, path) of the scan warning it must cause; ``unprivileged`` runs
    the commands without the power to read any file (root's DAC override dropped), for permission cases."""

    name: str
    make: Callable[[Path], None]
    warning: tuple[str, str] | None = None
    unprivileged: bool = False


def _write(root: Path, name: str, data: bytes | str) -> None:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)


def _notebook(cells: object, *, nbformat: int = 4) -> str:
    return json.dumps({"nbformat": nbformat, "nbformat_minor": 2, "metadata": {}, "cells": cells})


def _deep_parens(root: Path) -> None:
    _write(root, "deep.py", "x = " + "(" * 5000 + "1" + ")" * 5000 + "\n")


def _deep_unary(root: Path) -> None:
    # No brackets, so the tokenizer's nesting limit does not stop it: the parser's own recursion must.
    _write(root, "deep.py", "x = " + "-" * 200_000 + "1\n")


def _long_sum(root: Path) -> None:
    _write(root, "sum.py", "x = " + "1+" * 1_000_000 + "1\n")


def _deep_lists(root: Path) -> None:
    _write(root, "deep.py", "x = " + "[" * 100 + "]" * 100 + "\n" + "y = " + "{'a': " * 150 + "1" + "}" * 150 + "\n")


def _huge(root: Path) -> None:
    line = "import numpy as np  # " + "x" * 100 + "\n"
    with (root / "huge.py").open("w", encoding="utf-8") as handle:
        for _ in range(50 * 1024 * 1024 // len(line) + 1):
            handle.write(line)


def _link_loop(root: Path) -> None:
    (root / "sub").mkdir()
    os.symlink("..", root / "sub" / "loop")
    os.symlink("self.py", root / "self.py")


def _link_out(root: Path) -> None:
    outside = root.parent / f"{root.name}-outside"
    outside.mkdir()
    (outside / "secret.py").write_text("import requests\n", encoding="utf-8")
    os.symlink(outside, root / "external")
    os.symlink(outside / "secret.py", root / "linked.py")
    os.symlink("/nonexistent/dangling.py", root / "dangling.py")


def _fifo(root: Path) -> None:
    os.mkfifo(root / "x.py")


def _unreadable(root: Path) -> None:
    _write(root, "locked.py", "import requests\n")
    (root / "locked.py").chmod(0)
    _write(root, "closed/inner.py", "import requests\n")
    (root / "closed").chmod(0)
    _write(root, "requirements.txt", "requests==2.0\n")
    (root / "requirements.txt").chmod(0)
    _write(root, "README.md", "# r\n")
    (root / "README.md").chmod(0)


def _include_cycle(root: Path) -> None:
    _write(root, "requirements.txt", "-r requirements-dev.txt\n")
    _write(root, "requirements-dev.txt", "-r requirements.txt\n-c requirements-dev.txt\n")


def _include_out(root: Path) -> None:
    _write(root, "requirements.txt", "-r ../../../../etc/passwd\n-r /etc/hostname\n-c ../constraints.txt\n")


def _alias_bomb(root: Path) -> None:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 12):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    bomb = "\n".join(lines) + "\n"
    _write(root, "environment.yml", "name: bomb\n" + bomb + "dependencies:\n  - *a11\n")
    _write(root, "config.yaml", bomb)


def _empty_and_bom(root: Path) -> None:
    _write(root, "empty.py", b"")
    _write(root, "bom.py", b"\xef\xbb\xbfimport os\n")


def _many_files(root: Path) -> None:
    for i in range(20_000):
        folder = root / "pkg" / f"d{i // 500:03d}"
        if i % 500 == 0:
            folder.mkdir(parents=True)
        (folder / f"m{i}.py").write_text(f"X = {i}\n", encoding="utf-8")


CASES: tuple[Case, ...] = (
    Case("undecodable", lambda r: _write(r, "bad.py", b"x = '\xff\xfe\xfa'\n"), ("undecodable", "bad.py")),
    Case(
        "latin1-no-cookie",
        lambda r: _write(r, "latin.py", "# caf\xe9\nimport os\n".encode("latin-1")),
        ("undecodable", "latin.py"),
    ),
    Case("nul-bytes", lambda r: _write(r, "nul.py", b"import os\x00\x00\n"), ("binary", "nul.py")),
    Case("fifty-megabytes", _huge, ("too-large", "huge.py")),
    Case("deep-parentheses", _deep_parens, ("syntax", "deep.py")),
    Case("deep-unary", _deep_unary, ("syntax", "deep.py")),
    Case("million-term-sum", _long_sum, None),
    Case("deep-literals", _deep_lists, None),
    Case("notebook-invalid-json", lambda r: _write(r, "nb.ipynb", '{"cells": [}'), ("notebook", "nb.ipynb")),
    Case("notebook-nbformat-99", lambda r: _write(r, "nb.ipynb", _notebook([], nbformat=99)), ("notebook", "nb.ipynb")),
    Case(
        "notebook-cells-not-a-list",
        lambda r: _write(r, "nb.ipynb", _notebook({"0": {"cell_type": "code"}})),
        ("notebook", "nb.ipynb"),
    ),
    Case(
        "notebook-cell-source-not-text",
        lambda r: _write(r, "nb.ipynb", _notebook([{"cell_type": "code", "source": 42}, "not a cell"])),
        ("notebook", "nb.ipynb"),
    ),
    Case("notebook-top-not-an-object", lambda r: _write(r, "nb.ipynb", "[1, 2, 3]"), ("notebook", "nb.ipynb")),
    Case("symlink-loops", _link_loop, ("link", "self.py")),
    Case("links-out-of-the-tree", _link_out, ("link", "linked.py")),
    Case("fifo-named-x-py", _fifo, None),
    Case("unreadable-files-and-folders", _unreadable, ("unreadable", "locked.py"), unprivileged=True),
    Case("requirements-include-cycle", _include_cycle, None),
    Case("requirements-include-outside", _include_out, ("declaration", "requirements.txt")),
    Case(
        "invalid-toml",
        lambda r: _write(r, "pyproject.toml", '[project\nname = "x"\ndependencies = [1, 2\n'),
        ("declaration", "pyproject.toml"),
    ),
    Case(
        "invalid-yaml",
        lambda r: _write(r, "environment.yml", "name: x\ndependencies:\n  - numpy\n - : : [\n"),
        ("declaration", "environment.yml"),
    ),
    Case("yaml-alias-bomb", _alias_bomb, ("declaration", "environment.yml")),
    Case("twenty-thousand-files", _many_files, None),
    Case(
        "setup-py-that-runs",
        lambda r: _write(r, "setup.py", "import os\nos.system('touch PWNED')\nraise SystemExit(3)\n"),
        None,
    ),
    Case("binary-named-py", lambda r: _write(r, "img.py", bytes(range(256)) * 64), ("binary", "img.py")),
    Case(
        "empty-and-bom", lambda r: (_write(r, "empty.py", b""), _write(r, "bom.py", b"\xef\xbb\xbfimport os\n")), None
    ),
)


def build(case: Case, root: Path) -> Path:
    """Write ``case``'s repository into the empty folder ``root`` (with its healthy ``ok.py``)."""
    root.mkdir(parents=True, exist_ok=True)
    _write(root, "ok.py", HEALTHY)
    case.make(root)
    return root


@dataclass(frozen=True)
class Run:
    """One command on one case: exit code (None: killed at the time limit), standard output and error,
    seconds, and the peak resident memory of the process and the workers it waited for."""

    command: str
    exit_code: int | None
    stdout: str
    stderr: str
    seconds: float
    peak_rss: int


def run_command(case: Case, root: Path, command: tuple[str, ...], cache: Path) -> Run:
    """Run one exhume command on a built case as its own process (``python -m exhume``), offline, reaped
    with ``os.wait4`` for its resource usage (its peak memory, workers it waited for included)."""
    argv = [sys.executable, "-m", "exhume", command[0], str(root), *command[1:]]
    if case.unprivileged and os.geteuid() == 0:
        argv = [*UNPRIVILEGED, *argv]
    env = {**os.environ, "EXHUME_CACHE_DIR": str(cache)}
    started = time.monotonic()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(argv, stdout=out, stderr=err, env=env)
        code: int | None = None
        peak = 0
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                code = os.waitstatus_to_exitcode(status)
                peak = usage.ru_maxrss * 1024
                proc.returncode = code
                break
            if time.monotonic() - started > COMMAND_TIMEOUT:
                proc.kill()
                proc.wait()
                break
            time.sleep(0.02)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")
    return Run(
        command=command[0],
        exit_code=code,
        stdout=stdout,
        stderr=stderr,
        seconds=time.monotonic() - started,
        peak_rss=peak,
    )
