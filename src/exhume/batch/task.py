"""One batch item, run where a worker has it: the exhume command as its own process, in its own session and
scratch folder, under a time limit, its output kept in files and read back into a :class:`BatchResult`.

This runs inside a Ray worker, so it takes and returns plain dicts (what crosses the cluster) and never raises
for what the item did: a crash, a time-out or a bad path is the item's result, not the batch's.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from exhume.errors import ExitCode
from exhume.lockfiles import report_unresolved
from exhume.model.batch import BatchItem, BatchResult, ItemOutcome

__all__ = ["COMMANDS", "classify", "item_argv", "log_name", "run_item", "summarise"]

#: The exhume commands a batch runs over each item.
COMMANDS = ("scan", "lock", "dockerfile", "build", "audit")
#: Lines of standard error a record keeps (the whole of it is in the item's .err file).
ERROR_LINES = 12
#: Seconds a process group gets between SIGTERM and SIGKILL.
KILL_GRACE = 10.0
_TRACEBACK = "Traceback (most recent call last):"


def log_name(item_id: str) -> str:
    """A file name for an item's output: readable, safe on every file system, distinct for distinct ids."""
    readable = re.sub(r"[^A-Za-z0-9._-]+", "_", item_id).strip("._")[:80] or "item"
    return f"{readable}-{hashlib.sha256(item_id.encode()).hexdigest()[:8]}"


def item_argv(item: BatchItem, command: str, options: Sequence[str]) -> list[str]:
    """The command line for one item: the batch's options, then the item's own (later ones win in argparse).
    ``lock`` and ``build`` report in JSON unless a format was chosen, so the record can summarise them."""
    args = [*options, *item.args]
    if command in ("lock", "build") and not any(a == "--format" or a.startswith("--format=") for a in args):
        args = ["--format", "json", *args]
    return [sys.executable, "-m", "exhume", command, item.path, *args]


def run_item(
    item_data: Mapping[str, Any], *, command: str, options: Sequence[str], logs: str, timeout: float
) -> dict[str, Any]:
    """Run one item and return its :class:`BatchResult` as a dict. The process gets its own session (its whole
    group is stopped at the time limit and after it ends: no stray builds), the item's folder as its working
    folder (an item's relative ``-o`` is inside it), standard input closed, a scratch
    folder as ``TMPDIR`` removed afterwards, and ``EXHUME_BATCH_ITEM`` naming the item."""
    item = BatchItem.from_dict(item_data)
    limit = item.timeout or timeout
    argv = item_argv(item, command, options)
    log_dir = Path(logs)
    log_dir.mkdir(parents=True, exist_ok=True)
    out_path = log_dir / f"{log_name(item.id)}.out"
    err_path = log_dir / f"{log_name(item.id)}.err"
    started_at = datetime.now(timezone.utc)
    started = time.monotonic()
    timed_out = False
    with tempfile.TemporaryDirectory(prefix="exhume-batch-") as scratch:
        env = dict(os.environ, TMPDIR=scratch, EXHUME_BATCH_ITEM=item.id)
        with out_path.open("wb") as out, err_path.open("wb") as err:
            try:
                proc = subprocess.Popen(
                    argv,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=err,
                    env=env,
                    cwd=item.path if Path(item.path).is_dir() else None,
                    start_new_session=True,
                )
            except OSError as exc:
                err.write(f"cannot start {argv[0]}: {exc}\n".encode())
                code: int | None = None
            else:
                try:
                    code = proc.wait(timeout=limit)
                except subprocess.TimeoutExpired:
                    timed_out = True
                    _stop_group(proc)
                    code = None
                finally:
                    _kill_group(proc.pid)
    seconds = time.monotonic() - started
    stderr_text = err_path.read_text(encoding="utf-8", errors="replace")
    outcome, name = classify(code, timed_out=timed_out, stderr=stderr_text)
    result = BatchResult(
        id=item.id,
        path=item.path,
        command=command,
        outcome=outcome,
        exit_code=code,
        exit_name=name,
        seconds=round(seconds, 1),
        started=started_at.isoformat(timespec="seconds"),
        node=socket.gethostname(),
        argv=tuple(argv),
        stdout=str(out_path),
        stderr=str(err_path),
        error=_error(outcome, stderr_text, limit),
        summary=summarise(command, item, out_path, since=started_at.timestamp() - 1),
    )
    return result.to_dict()


def _error(outcome: ItemOutcome, stderr: str, limit: float) -> str:
    tail = "\n".join(stderr.splitlines()[-ERROR_LINES:])
    if outcome is ItemOutcome.TIMEOUT:
        return f"stopped at the time limit of {limit:g} s" + (f"; its last words:\n{tail}" if tail else "")
    return "" if outcome is ItemOutcome.OK else tail


def classify(code: int | None, *, timed_out: bool, stderr: str) -> tuple[ItemOutcome, str]:
    """The outcome and the exit code's name (README's table): a traceback or the internal-error exit is a crash
    of exhume whatever the code; a signal names itself."""
    if timed_out:
        return ItemOutcome.TIMEOUT, "timeout"
    if code is None:
        return ItemOutcome.CRASHED, "did not start"
    if _TRACEBACK in stderr or code == ExitCode.INTERNAL:
        return ItemOutcome.CRASHED, "internal error"
    if code < 0:
        try:
            return ItemOutcome.FAILED, f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return ItemOutcome.FAILED, f"killed by signal {-code}"
    if code == ExitCode.OK:
        return ItemOutcome.OK, "ok"
    try:
        return ItemOutcome.FAILED, ExitCode(code).name.lower()
    except ValueError:
        return ItemOutcome.FAILED, f"exit {code}"


def summarise(command: str, item: BatchItem, stdout: Path, *, since: float) -> dict[str, Any]:
    """A few fields from what this run wrote: the lock report (Python, pins, imports left unresolved) and, for
    ``build``, its JSON report (passed, built, rounds, failing checks). Files older than the run are not read."""
    summary: dict[str, Any] = {}
    if command in ("lock", "dockerfile", "build"):
        report = _output_folder(item) / "exhume-report.json"
        data = _json_since(report, since)
        if isinstance(data, dict):
            lock = data.get("lock") or {}
            if lock:
                summary["python"] = lock.get("python")
                summary["pins"] = len(lock.get("pins", ()))
            unresolved = sorted({u.module.split(".")[0] for u in report_unresolved(data)})
            if unresolved:
                summary["unresolved"] = unresolved
    if command == "build":
        data = _json_since(stdout, since)
        if isinstance(data, dict) and data.get("rounds"):
            final = data["rounds"][-1]
            failing = [c for c in final.get("checks", ()) if c.get("verdict") == "environment"]
            summary.update(passed=bool(data.get("passed")), built=bool(final.get("built")), rounds=len(data["rounds"]))
            if failing:
                summary["failing_checks"] = len(failing)
                summary["first_failure"] = str(failing[0].get("reason", ""))[:200]
    return summary


def _output_folder(item: BatchItem) -> Path:
    """Where the command wrote its files: ``-o``/``--output`` among the item's options, else the item itself."""
    args = list(item.args)
    for i, arg in enumerate(args):
        if arg in ("-o", "--output") and i + 1 < len(args):
            return Path(item.path) / args[i + 1]
        if arg.startswith("--output="):
            return Path(item.path) / arg.split("=", 1)[1]
    return Path(item.path)


def _json_since(path: Path, since: float) -> Any:
    try:
        if path.stat().st_mtime < since:
            return None
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _stop_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=KILL_GRACE)
    except subprocess.TimeoutExpired:
        _kill_group(proc.pid)
        proc.wait()


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
