"""Measure exhume on code nobody here wrote: HG2.9K gists and paper repositories, against pipreqs.

Each item (a gist's ``snippet.py`` or a paper repository at a commit) goes through two methods:

- ``exhume``: ``exhume build ITEM --engine venv --allow-unresolved`` (lock, virtualenv of the inferred Python
  with the hashed lock, smoke checks, repair rounds), then the snippet is run in the final environment;
- ``pipreqs``: ``pipreqs --mode no-pin`` as a user runs it today, ``pip install -r`` into a fresh virtualenv
  of the newest Python here that the requirements install on (3.13, else 3.12), exhume's own smoke checks in
  that environment (the same checks, so the same criteria), then the snippet.

Snippets run as ``python snippet.py`` with a timeout, the network cut off (``unshare -n``) when that works.
Every item's result is one JSON line in ``<user cache>/exhume/bench-real/results/<suite>.jsonl``; a run picks
up where the last one stopped. Third-party code is only ever copied into the cache folder.

    python benchmarks/real/bench_real.py run gists --seed 2026 --size 100 --workers 2
    python benchmarks/real/bench_real.py run papers --workers 2
    python benchmarks/real/bench_real.py report --seed 2026 --size 100 --write BENCHMARKS.md
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import functools
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - 3.10
    import tomli as tomllib

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
MIRRORS = Path(os.environ.get("EXHUME_BENCH_MIRRORS", "/work/.mirror"))
GIST_REPO = "dockerizeme/dockerizeme"
# Every hard gist was committed to the DockerizeMe repository on this day, so each one was written before it:
# the as-of date a user who knows only "written before the dataset" would give.
GIST_AS_OF = "2018-08-12"
METHODS = ("exhume", "pipreqs")
PIPREQS_PYTHONS = ("3.13", "3.12")
RUN_TIMEOUT = 60.0
START = "<!-- real-bench:start -->"
END = "<!-- real-bench:end -->"

_EXC_LINE = re.compile(
    r"^(?P<name>(?:[A-Za-z_][\w]*\.)*[A-Za-z_]\w*(?:Error|Exception|Exit|Interrupt|Iteration|Warning))(?::\s?(?P<msg>.*))?$"
)
_IMPORT_ERRORS = frozenset({"ImportError", "ModuleNotFoundError"})
_SYNTAX_ERRORS = frozenset({"SyntaxError", "IndentationError", "TabError"})
_MISSING_MODULE = re.compile(r"No module named '?([\w.]+)'?")


# -- pure logic (tested on recorded data) ---------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class RunVerdict:
    """How ``python snippet.py`` ended: ``ok``, ``timeout``, ``exit`` (non-zero, no traceback),
    ``import-error``, ``syntax-error``, ``exception`` or ``not-run`` (no environment)."""

    outcome: str
    exception: str | None = None
    message: str = ""

    @property
    def no_import_error(self) -> bool:
        return self.outcome in ("ok", "timeout", "exit", "exception", "syntax-error")

    @property
    def no_import_or_syntax_error(self) -> bool:
        return self.outcome in ("ok", "timeout", "exit", "exception")

    @property
    def clean(self) -> bool:
        return self.outcome in ("ok", "timeout")


def classify_run(exit_code: int | None, timed_out: bool, output: str) -> RunVerdict:
    """The verdict on one snippet run from its exit code, whether it hit the timeout, and its merged output.

    The exception is the last line of the output shaped like ``Name: message`` (Python 2 and 3 print the
    same); a run killed at the timeout counts as ``timeout`` unless it had already printed an import or
    syntax error that ended it.
    """
    exception: str | None = None
    message = ""
    for line in output.splitlines():
        match = _EXC_LINE.match(line.strip())
        if match:
            exception = match.group("name").rsplit(".", 1)[-1]
            message = (match.group("msg") or "").strip()
    if exit_code is None:
        return RunVerdict(outcome="not-run")
    if timed_out:
        return RunVerdict(outcome="timeout", exception=exception, message=message[:200])
    if exit_code == 0:
        return RunVerdict(outcome="ok")
    if exception in _IMPORT_ERRORS:
        return RunVerdict(outcome="import-error", exception=exception, message=message[:200])
    if exception in _SYNTAX_ERRORS:
        return RunVerdict(outcome="syntax-error", exception=exception, message=message[:200])
    if exception is not None and "Traceback (most recent call last)" in output:
        return RunVerdict(outcome="exception", exception=exception, message=message[:200])
    return RunVerdict(outcome="exit", exception=exception, message=message[:200])


def sample_ids(ids: Sequence[str], *, seed: int, size: int) -> list[str]:
    """A seeded random sample of ``ids`` in the order the harness runs it (prefixes are samples too)."""
    pool = sorted(set(ids))
    random.Random(seed).shuffle(pool)
    return pool[:size]


def smoke_levels(checks: Iterable[Mapping[str, Any]]) -> dict[str, bool]:
    """The smoke levels from a round's checks (``exhume build``'s JSON): a level holds when no check of its
    kind failed for an environment reason."""
    bad: dict[str, bool] = {"pip-check": False, "import": False, "first-party": False, "api": False}
    for check in checks:
        kind = check["check"]["kind"]
        if kind in bad and check["verdict"] == "environment":
            bad[kind] = True
    return {
        "pip_check_ok": not bad["pip-check"],
        "imports_ok": not bad["import"],
        "first_party_ok": not bad["first-party"],
        "api_ok": not bad["api"],
    }


def lock_cause(text: str) -> str:
    """A failure cause from the message of a lock that failed (exhume's error or pipreqs' traceback)."""
    low = text.lower()
    rules = (
        ("(requirements.lock:", "build aborted: a repair round took exhume's own requirements.lock as evidence"),
        ("no such project on the index", "build aborted: a repair round pinned a project the index lacks"),
        ("no release of", "build aborted: a repair round's pin matches no release"),
        ("no feasible release was uploaded by", "lock: fallback release is newer than the as-of cutoff"),
        ("interpreter found", "lock: no interpreter of the chosen Python here"),
        ('file "<unknown>"', "lock: source does not parse"),
        ("no python version", "lock: no Python version fits"),
        ("no matching distribution", "lock: no release for that Python"),
        ("could not find a version", "lock: no release for that Python"),
        ("resolutionimpossible", "lock: resolution conflict"),
        ("incompatible versions", "lock: resolution conflict"),
        ("conflict", "lock: resolution conflict"),
        ("timed out", "lock: timeout"),
        ("requires macos", "lock: macOS-only distribution (PyObjC) chosen"),
        ("systemversion.plist", "lock: macOS-only distribution (PyObjC) chosen"),
        ("failed to build", "lock: building an sdist for metadata failed"),
        ("metadata", "lock: building an sdist for metadata failed"),
        ("egg_info", "lock: building an sdist for metadata failed"),
        ("no distribution provides", "lock: unresolved import"),
    )
    for needle, cause in rules:
        if needle in low:
            return cause
    return "lock: other"


def build_cause(log_tail: str) -> str:
    """A failure cause from the tail of a failed environment build (pip's output)."""
    low = log_tail.lower()
    rules = (
        ("timed out", "build: timeout"),
        ("no matching distribution", "build: no release for that Python"),
        ("could not find a version", "build: no release for that Python"),
        ("resolutionimpossible", "build: resolution conflict"),
        ("conflicting dependencies", "build: resolution conflict"),
        # (not "hashes" alone: the engine echoes its own `--require-hashes` command line)
        ("do not match the hashes", "build: hash mismatch"),
        ("fatal error:", "build: compiling an sdist failed (a header or system library is missing)"),
        ("pkg-config", "build: compiling an sdist failed (a header or system library is missing)"),
        ("mysql_config", "build: compiling an sdist failed (a header or system library is missing)"),
        ("failed building wheel", "build: compiling an sdist failed"),
        ("failed to build", "build: compiling an sdist failed"),
        ("error: command", "build: compiling an sdist failed"),
        ("subprocess-exited-with-error", "build: compiling an sdist failed"),
        ("setup.py", "build: compiling an sdist failed"),
    )
    for needle, cause in rules:
        if needle in low:
            return cause
    return "build: other"


_REASONS = (
    (re.compile(r"^module \S+ is not installed"), "a module is not installed"),
    (re.compile(r"\S+ does not exist|API reference\(s\) do not resolve"), "a name the code uses does not exist"),
    (re.compile(r"(?i)shared librar|\.so\b|lib\S+\.so"), "a shared library is missing"),
    (re.compile(r"(?i)syntax"), "syntax error from the wrong Python"),
    (re.compile(r"^cannot import "), "a name the code imports is missing"),
    (
        re.compile(r"(?i)crash|raised|error at import|third-party module failed|^import failed"),
        "a third-party module raised",
    ),
)


def generic_reason(reason: str) -> str:
    """A smoke failure reason without the names in it, so that failures group by kind."""
    for pattern, label in _REASONS:
        if pattern.search(reason):
            return label
    return reason[:60]


def failure_cause(record: Mapping[str, Any]) -> str | None:
    """The first failing level of one item, as a cause to group by (None when it passed every level)."""
    # Causes are worked out again from the recorded error text, so that a better rule applies to old records.
    if not record.get("lock_ok"):
        stored = record.get("lock_cause") or "lock: other"
        text = record.get("lock_error")
        return lock_cause(text) if text and not stored.endswith(("timeout", "harness error")) else stored
    if not record.get("built"):
        stored = record.get("build_cause") or "build: other"
        text = record.get("build_error")
        return build_cause(text) if text and not stored.endswith("timeout") else stored
    unresolved = set(record.get("unresolved", []))
    for failure in record.get("smoke_failures", []):
        missing = re.match(r"module (\S+) is not installed", failure["reason"])
        if missing and missing.group(1).split(".")[0] in unresolved:
            return "smoke: imports a module no distribution provides (unresolved)"
    for level, name in (("imports_ok", "import"), ("first_party_ok", "first-party"), ("api_ok", "api")):
        if record.get(level) is False:
            return f"smoke: {name} check failed ({generic_reason(record.get('smoke_reason') or 'environment')})"
    run = record.get("run")
    if run is None:
        return None
    outcome = run["outcome"]
    if outcome == "import-error":
        module = run.get("missing_module")
        if module and module.split(".")[0] in unresolved:
            return "run: ImportError of an import no distribution provides"
        return "run: ImportError (" + (run.get("exception") or "?") + ")"
    if outcome == "syntax-error":
        return "run: SyntaxError (wrong Python)"
    return None


def _rate(n: int, total: int) -> str:
    return f"{n}/{total} ({100.0 * n / total:.0f}%)" if total else "0/0"


def _median(values: Iterable[float | None]) -> str:
    data = [v for v in values if v is not None]
    return f"{statistics.median(data):.0f}" if data else "-"


def render_gists(
    records: Sequence[Mapping[str, Any]],
    published: Mapping[str, Mapping[str, bool]],
    *,
    seed: int,
    size: int,
    command: str,
) -> str:
    """The gist section of BENCHMARKS.md: levels per method on the items every method finished, published
    verdicts on the same items, failure causes."""
    by_item: dict[str, dict[str, Mapping[str, Any]]] = defaultdict(dict)
    for record in records:
        by_item[record["id"]][record["method"]] = record
    done = sorted(i for i, methods in by_item.items() if all(m in methods for m in METHODS))
    lines = [
        f"### HG2.9K gists (development split, random sample: seed {seed}, size {size}; {len(done)} finished)",
        "",
        f"Reproduce: `{command}`",
        "",
        "| level | " + " | ".join(METHODS) + " |",
        "| --- | " + " | ".join("---" for _ in METHODS) + " |",
    ]
    levels: list[tuple[str, Any]] = [
        ("lock / requirements produced", lambda r: r.get("lock_ok")),
        ("+ environment built", lambda r: r.get("lock_ok") and r.get("built")),
        ("+ every third-party module imports", lambda r: _upto(r, "imports_ok")),
        ("+ no first-party module fails for the environment", lambda r: _upto(r, "first_party_ok")),
        ("+ every API reference resolves", lambda r: _upto(r, "api_ok")),
        ("snippet: no ImportError (published criterion)", lambda r: _run(r).no_import_error),
        ("snippet: no ImportError and no SyntaxError", lambda r: _run(r).no_import_or_syntax_error),
        ("snippet: ran without any exception", lambda r: _run(r).clean),
    ]
    for label, test in levels:
        cells = [_rate(sum(bool(test(by_item[i][m])) for i in done), len(done)) for m in METHODS]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    for stage in ("lock_seconds", "build_seconds", "smoke_seconds", "run_seconds", "total_seconds"):
        cells = [_median(by_item[i][m].get(stage) for i in done) for m in METHODS]
        lines.append(f"| median {stage.replace('_seconds', '')} time (s) | " + " | ".join(cells) + " |")
    with_pub = [i for i in done if i in published]
    if with_pub:
        lines += [
            "",
            f"Side by side with the published per-gist verdicts (PyEGo/exp-gist `result_hard_gists.csv`, "
            f"criterion: no ImportError), on the {len(with_pub)} finished items that have one:",
            "",
            "| approach | no ImportError |",
            "| --- | --- |",
        ]
        for tool in ("PyEGo", "DockerizeMe", "pipreqs"):
            n = sum(published[i][tool] for i in with_pub)
            lines.append(f"| {tool} (published) | {_rate(n, len(with_pub))} |")
        for method in METHODS:
            n = sum(_run(by_item[i][method]).no_import_error for i in with_pub)
            m = sum(_run(by_item[i][method]).no_import_or_syntax_error for i in with_pub)
            lines.append(
                f"| {method} (measured here) | {_rate(n, len(with_pub))}; with SyntaxError as failure: "
                f"{_rate(m, len(with_pub))} |"
            )
    lines += ["", *_causes(by_item, done)]
    return "\n".join(lines)


_SMOKE_LEVELS = ("imports_ok", "first_party_ok", "api_ok")


def _upto(record: Mapping[str, Any], level: str) -> bool:
    """Levels are cumulative: built, and this smoke level and every one before it held."""
    wanted = _SMOKE_LEVELS[: _SMOKE_LEVELS.index(level) + 1]
    return bool(record.get("built")) and all(record.get(k) for k in wanted)


def _run(record: Mapping[str, Any]) -> RunVerdict:
    run = record.get("run")
    if not run:
        return RunVerdict(outcome="not-run")
    return RunVerdict(outcome=run["outcome"], exception=run.get("exception"), message=run.get("message", ""))


def _causes(by_item: Mapping[str, Mapping[str, Mapping[str, Any]]], done: Sequence[str]) -> list[str]:
    lines: list[str] = []
    for method in METHODS:
        causes: dict[str, list[str]] = defaultdict(list)
        for item in done:
            cause = failure_cause(by_item[item][method])
            if cause:
                causes[cause].append(item)
        lines += [f"Failure causes, {method} (first failing level per item):", ""]
        if not causes:
            lines += ["- none", ""]
            continue
        for cause, items in sorted(causes.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            lines.append(f"- {cause}: {len(items)} (e.g. " + ", ".join(f"`{i}`" for i in items[:4]) + ")")
        lines.append("")
    return lines


def render_papers(records: Sequence[Mapping[str, Any]], papers: Sequence[Mapping[str, Any]], *, command: str) -> str:
    """The paper-repository section: one row per repository and method, with the ground-truth match."""
    by_item: dict[str, dict[str, Mapping[str, Any]]] = defaultdict(dict)
    for record in records:
        by_item[record["id"]][record["method"]] = record
    lines = [
        f"### Paper repositories ({len(papers)} listed in `benchmarks/real/papers.toml`)",
        "",
        f"Reproduce: `{command}`",
        "",
        "| repository | truth | method | Python | lock | built | imports | first-party | API | truth match |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    totals: dict[str, Counter[str]] = {m: Counter() for m in METHODS}

    def mark(value: Any) -> str:
        return "-" if value is None else ("yes" if value else "no")

    for paper in papers:
        truth = ", ".join(f"{k} {v}" for k, v in sorted(paper.get("truth", {}).items()))
        for method in METHODS:
            found = by_item.get(paper["id"], {}).get(method)
            if found is None:
                lines.append(f"| {paper['repo']} | {truth} | {method} | not run | | | | | | |")
                continue
            record = found
            built = bool(record.get("built"))
            matches = record.get("truth_match", {})
            match = f"{sum(matches.values())}/{len(matches)}" if matches else "-"
            row = [
                paper["repo"],
                truth,
                method,
                record.get("python") or "-",
                mark(record.get("lock_ok")),
                mark(built),
                mark(record.get("imports_ok") if built else None),
                mark(record.get("first_party_ok") if built else None),
                mark(record.get("api_ok") if built else None),
                match,
            ]
            lines.append("| " + " | ".join(str(c) for c in row) + " |")
            counter = totals[method]
            counter["items"] += 1
            counter["lock"] += bool(record.get("lock_ok"))
            counter["built"] += built
            counter["all smoke levels"] += built and all(
                record.get(k) for k in ("imports_ok", "first_party_ok", "api_ok")
            )
            counter["truth"] += bool(matches) and all(matches.values())
    lines += [
        "",
        "| method | lock | built | all smoke levels pass | every ground-truth version matched |",
        "| --- | --- | --- | --- | --- |",
    ]
    for method in METHODS:
        c = totals[method]
        lines.append(
            f"| {method} | {_rate(c['lock'], c['items'])} | {_rate(c['built'], c['items'])} | "
            f"{_rate(c['all smoke levels'], c['items'])} | {_rate(c['truth'], c['items'])} |"
        )
    lines += ["", *_causes(by_item, sorted(i for i, m in by_item.items() if all(x in m for x in METHODS)))]
    return "\n".join(lines)


def truth_match(truth: Mapping[str, str], python: str | None, pins: Mapping[str, str]) -> dict[str, bool]:
    """Whether each ground-truth entry holds: ``python`` against the environment's X.Y, a distribution's
    specifier against its installed version (absent: False)."""
    from packaging.specifiers import SpecifierSet
    from packaging.utils import canonicalize_name
    from packaging.version import InvalidVersion, Version

    normal = {canonicalize_name(k): v for k, v in pins.items()}
    out: dict[str, bool] = {}
    for name, spec in sorted(truth.items()):
        if name == "python":
            out[name] = python is not None and python in SpecifierSet(spec)
            continue
        version = normal.get(canonicalize_name(name))
        try:
            out[name] = version is not None and Version(version) in SpecifierSet(spec)
        except InvalidVersion:
            out[name] = False
    return out


def splice(document: str, section: str) -> str:
    """``document`` with the text between the real-bench markers replaced by ``section`` (markers appended
    at the end when missing); nothing outside them changes."""
    block = f"{START}\n{section.rstrip()}\n{END}"
    if START in document and END in document:
        head, rest = document.split(START, 1)
        _, tail = rest.split(END, 1)
        return head + block + tail
    sep = "" if not document or document.endswith("\n\n") else ("\n" if document.endswith("\n") else "\n\n")
    return document + sep + block + "\n"


# -- running (subprocesses, files) ------------------------------------------------------------------------


def cache_dir() -> Path:
    """``<user cache>/exhume/bench-real``: gist copies, clones, environments, results."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("exhume")) / "bench-real"


def _tail(text: str, lines: int = 25) -> str:
    return "\n".join(text.splitlines()[-lines:])


_CHILDREN: set[int] = set()


def _stop(signum: int, _frame: object) -> None:
    """SIGTERM: kill every child process group still running (each has its own session), then exit."""
    for pgid in list(_CHILDREN):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)
    os._exit(128 + signum)


def _proc(
    argv: Sequence[str], *, cwd: Path | None = None, env: Mapping[str, str] | None = None, timeout: float
) -> tuple[int | None, bool, str, float]:
    """Run ``argv`` (stdin closed, stdout+stderr merged, own process group killed at the timeout):
    exit code, timed out, output, seconds."""
    started = time.monotonic()
    proc = subprocess.Popen(
        list(argv),
        cwd=cwd,
        env=dict(env) if env is not None else None,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    _CHILDREN.add(proc.pid)
    try:
        out, _ = proc.communicate(timeout=timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        timed_out = True
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    _CHILDREN.discard(proc.pid)
    return proc.returncode, timed_out, out.decode("utf-8", "replace"), time.monotonic() - started


def _interpreter(version: str) -> str | None:
    from exhume.toolenv.interpreters import find_interpreter

    found = find_interpreter(version)
    return str(found.path) if found is not None else None


def _run_env(env_dir: Path) -> dict[str, str]:
    environ = {
        k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP")
    }
    environ["PATH"] = os.pathsep.join([str(env_dir / "bin"), environ.get("PATH", os.defpath)])
    environ["VIRTUAL_ENV"] = str(env_dir)
    return environ


@functools.cache
def _can_unshare() -> bool:
    path = shutil.which("unshare")
    if not path:
        return False
    return subprocess.run([path, "-n", "true"], check=False, capture_output=True).returncode == 0


def _net_off_prefix() -> list[str]:
    return ["unshare", "-n"] if _can_unshare() else []


def run_snippet(env_dir: Path, workdir: Path, script: str = "snippet.py") -> tuple[dict[str, Any], float]:
    """``python snippet.py`` in the environment, network off when possible, with the timeout, and a fresh
    empty home: what one snippet's libraries write under ~ (Keras's backend in ~/.keras/keras.json) must not
    decide how the next one runs."""
    with tempfile.TemporaryDirectory(prefix="home-") as home:
        code, timed_out, out, seconds = _proc(
            [*_net_off_prefix(), str(env_dir / "bin" / "python"), script],
            cwd=workdir,
            env={**_run_env(env_dir), "HOME": home},
            timeout=RUN_TIMEOUT,
        )
    verdict = classify_run(code, timed_out, out)
    record: dict[str, Any] = {
        "outcome": verdict.outcome,
        "exit_code": code,
        "network_off": bool(_net_off_prefix()),
        "tail": _tail(out, 8),
    }
    if verdict.exception:
        record["exception"] = verdict.exception
        record["message"] = verdict.message
        missing = _MISSING_MODULE.search(verdict.message)
        if missing:
            record["missing_module"] = missing.group(1)
    return record, seconds


def _exhume_bin() -> str:
    return str(Path(sys.executable).with_name("exhume"))


def method_exhume(item: Item, work: Path, *, keep_env: bool = False) -> dict[str, Any]:
    """``exhume build`` with the venv engine, then the snippet in the final environment; the environment is
    removed afterwards (also when the build failed half-way) unless ``keep_env``."""
    from exhume.engines.engine import VenvEngine

    tag = f"bench-real-{item.suite}-{item.id}"
    try:
        return _measure_exhume(item, work, tag)
    finally:
        if not keep_env:
            shutil.rmtree(VenvEngine().env_dir(tag), ignore_errors=True)


def _measure_exhume(item: Item, work: Path, tag: str) -> dict[str, Any]:
    report_path = work.parent / "exhume-build.json"
    report_path.unlink(missing_ok=True)
    argv = [
        _exhume_bin(),
        "build",
        str(work),
        "--engine",
        "venv",
        "--allow-unresolved",
        "--format",
        "json",
        "--report",
        str(report_path),
        "--tag",
        tag,
        "-q",
    ]
    if item.as_of:
        argv += ["--as-of", item.as_of]
    code, timed_out, out, seconds = _proc(argv, timeout=item.timeout)
    record: dict[str, Any] = {"exit_code": code, "total_seconds": round(seconds, 1)}
    report_file = work / "exhume-report.json"
    if report_file.is_file():
        inference = json.loads(report_file.read_text(encoding="utf-8")).get("inference", {})
        record["unresolved"] = sorted({str(u.get("module", "")).split(".")[0] for u in inference.get("unresolved", [])})
    if not report_path.is_file():
        record.update(
            lock_ok=False,
            built=False,
            lock_cause="lock: timeout" if timed_out else lock_cause(out),
            lock_error=_tail(out, 12),
            lock_seconds=round(seconds, 1),
        )
        return record
    report = json.loads(report_path.read_text(encoding="utf-8"))
    rounds = report["rounds"]
    final = rounds[-1]
    build_s = sum(r["build_seconds"] for r in rounds)
    smoke_s = sum(r["smoke_seconds"] for r in rounds)
    record.update(
        lock_ok=True,
        rounds=len(rounds),
        python=final["python"],
        pins={p["name"]: p["version"] for p in final["pins"]},
        built=final["built"],
        lock_seconds=round(max(seconds - build_s - smoke_s, 0.0), 1),
        build_seconds=round(build_s, 1),
        smoke_seconds=round(smoke_s, 1),
    )
    if not final["built"]:
        record["build_cause"] = build_cause(final.get("build_log_tail", ""))
        record["build_error"] = _tail(final.get("build_log_tail", ""), 12)
        return record
    record.update(smoke_levels(final["checks"]))
    failing = [c for c in final["checks"] if c["verdict"] == "environment"]
    record["smoke_failures"] = [{"id": c["check"]["id"], "reason": c["reason"][:200]} for c in failing]
    if failing:
        record["smoke_reason"] = failing[0]["reason"][:80]
    env_dir = Path(final["image"])
    if item.script:
        record["run"], run_s = run_snippet(env_dir, work, item.script)
        record["run_seconds"] = round(run_s, 1)
    return record


def _pipreqs_bin(root: Path) -> str:
    """A pipreqs installed the way a user installs it today (the newest release, in its own venv)."""
    tool = root / "tools" / "pipreqs"
    exe = tool / "bin" / "pipreqs"
    if not exe.exists():
        python = _interpreter("3.12") or sys.executable
        subprocess.run([python, "-m", "venv", str(tool)], check=True)
        subprocess.run(
            [str(tool / "bin" / "python"), "-m", "pip", "install", "--quiet", "pipreqs"], check=True, env=_pip_env()
        )
    return str(exe)


def pypi_json_base() -> str:
    """The JSON API base (``.../pypi/``) of the index pip uses, for pipreqs' ``--pypi-server``: pipreqs' own
    default is an old alias of the index host that does not resolve on every machine."""
    from exhume.index import index_url

    url = index_url().rstrip("/")
    if url.endswith("/simple"):
        url = url[: -len("/simple")]
    return url + "/pypi/"


def _pip_env() -> dict[str, str]:
    from exhume.toolenv.venvs import isolated_pip_env

    return isolated_pip_env()


def smoke_in(env_dir: Path, work: Path) -> tuple[dict[str, Any], float]:
    """exhume's smoke checks for ``work`` run in an environment exhume did not make (same plan, same runner,
    same classification), so the baseline is held to the same criteria."""
    from exhume.engines.smoke import Outcome, classify, make_plan, parse_results, runner_source
    from exhume.scan import scan

    plan = make_plan(scan(work), workdir=str(work))
    runner = runner_source()
    by_id = plan.by_id()
    outcomes: list[Outcome] = []
    started = time.monotonic()
    for chunk in plan.chunks():
        budget = sum(c.timeout for c in by_id.values()) + 60
        env = _run_env(env_dir)
        env["EXHUME_SMOKE_PLAN"] = chunk
        _, _, out, _ = _proc([str(env_dir / "bin" / "python"), "-c", runner], cwd=work, env=env, timeout=budget)
        _, results = parse_results(out)
        outcomes.extend(classify(r, third_party=plan.third_party, first_party=plan.first_party) for r in results)
    checks = [o.to_dict() for o in outcomes]
    record: dict[str, Any] = dict(smoke_levels(checks))
    failing = [c for c in checks if c["verdict"] == "environment"]
    record["smoke_failures"] = [{"id": c["check"]["id"], "reason": c["reason"][:200]} for c in failing]
    if failing:
        record["smoke_reason"] = failing[0]["reason"][:80]
    return record, time.monotonic() - started


def bare_run(item: Item, work: Path, root: Path, record: dict[str, Any]) -> None:
    """When pipreqs gave no environment, run the snippet the way its user still would: in a fresh venv of the
    newest Python with nothing installed (so a Python 2 snippet ends in a SyntaxError, as in the published
    pipreqs figures). Adds ``run`` (marked ``bare``) and ``run_seconds`` to ``record``."""
    python = _interpreter(PIPREQS_PYTHONS[0])
    if not item.script or python is None:
        return
    env_dir = root / "envs" / f"{item.suite}-{item.id}-bare"
    shutil.rmtree(env_dir, ignore_errors=True)
    code, _, _, _ = _proc([python, "-m", "venv", "--without-pip", str(env_dir)], timeout=300)
    if code == 0:
        run, seconds = run_snippet(env_dir, work, item.script)
        record["run"] = {**run, "bare": True}
        record["run_seconds"] = round(seconds, 1)
    shutil.rmtree(env_dir, ignore_errors=True)


def method_pipreqs(item: Item, work: Path, root: Path) -> dict[str, Any]:
    """pipreqs --mode no-pin, pip install on the newest Python that takes it, smoke checks, the snippet."""
    started = time.monotonic()
    reqs = work.parent / "pipreqs-requirements.txt"
    reqs.unlink(missing_ok=True)
    code, timed_out, out, lock_s = _proc(
        [_pipreqs_bin(root), "--mode", "no-pin", "--pypi-server", pypi_json_base(), "--savepath", str(reqs), str(work)],
        timeout=600,
    )
    record: dict[str, Any] = {"lock_seconds": round(lock_s, 1)}
    if code != 0 or not reqs.is_file():
        record.update(
            lock_ok=False,
            built=False,
            lock_cause="lock: timeout" if timed_out else lock_cause(out),
            lock_error=_tail(out, 12),
        )
        bare_run(item, work, root, record)
        record["total_seconds"] = round(time.monotonic() - started, 1)
        return record
    requirements = [ln.strip() for ln in reqs.read_text(encoding="utf-8").splitlines() if ln.strip()]
    record.update(lock_ok=True, requirements=requirements)
    env_dir = root / "envs" / f"{item.suite}-{item.id}-pipreqs"
    build_s = 0.0
    error = ""
    built = False
    for version in PIPREQS_PYTHONS:
        python = _interpreter(version)
        if python is None:
            continue
        shutil.rmtree(env_dir, ignore_errors=True)
        code, _, out, s1 = _proc([python, "-m", "venv", str(env_dir)], timeout=300)
        build_s += s1
        if code != 0:
            error = out
            continue
        if requirements:
            code, timed_out, out, s2 = _proc(
                [str(env_dir / "bin" / "python"), "-m", "pip", "install", "-r", str(reqs)],
                env=_pip_env(),
                timeout=item.timeout,
            )
            build_s += s2
            if code != 0:
                error = ("timed out\n" if timed_out else "") + out
                continue
        built = True
        record["python"] = version
        break
    record.update(built=built, build_seconds=round(build_s, 1))
    if not built:
        record.update(build_cause=build_cause(error), build_error=_tail(error, 12))
        shutil.rmtree(env_dir, ignore_errors=True)
        bare_run(item, work, root, record)
        record["total_seconds"] = round(time.monotonic() - started, 1)
        return record
    freeze = subprocess.run(
        [str(env_dir / "bin" / "python"), "-m", "pip", "list", "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
        env=_pip_env(),
    )
    with contextlib.suppress(json.JSONDecodeError):
        record["pins"] = {p["name"]: p["version"] for p in json.loads(freeze.stdout)}
    smoke, smoke_s = smoke_in(env_dir, work)
    record.update(smoke)
    record["smoke_seconds"] = round(smoke_s, 1)
    if item.script:
        record["run"], run_s = run_snippet(env_dir, work, item.script)
        record["run_seconds"] = round(run_s, 1)
    shutil.rmtree(env_dir, ignore_errors=True)
    record["total_seconds"] = round(time.monotonic() - started, 1)
    return record


@dataclass(frozen=True, slots=True, kw_only=True)
class Item:
    """One thing to measure: a gist (``script`` set) or a repository at a commit."""

    suite: str
    id: str
    as_of: str | None = None
    script: str | None = None
    timeout: float = 1200.0
    repo: str | None = None
    commit: str | None = None
    truth: Mapping[str, str] | None = None


def _mirror(repo: str) -> Path:
    base = MIRRORS / repo.replace("/", "+") / "repo"
    return base / ".git" if (base / ".git").is_dir() else base


def materialise(item: Item, method: str, root: Path) -> Path:
    """A fresh copy of the item's code for one method, under the cache folder."""
    work = root / "items" / item.suite / item.id / method / "src"
    shutil.rmtree(work, ignore_errors=True)
    work.parent.mkdir(parents=True, exist_ok=True)
    if item.suite == "gists":
        text = subprocess.run(
            ["git", "--git-dir", str(_mirror(GIST_REPO)), "show", f"HEAD:hard-gists/{item.id}/snippet.py"],
            capture_output=True,
            check=True,
        ).stdout
        work.mkdir()
        (work / "snippet.py").write_bytes(text)
        return work
    assert item.repo and item.commit
    source = _mirror(item.repo)
    origin = str(source) if source.exists() else f"https://github.com/{item.repo}"
    subprocess.run(["git", "clone", "--quiet", "--no-checkout", origin, str(work)], check=True)
    # HEAD at the commit (exhume reads the code's date from git), then every file whose content the snapshot
    # holds: a mirror may leave out its largest blobs (images, weights), which no scan needs.
    subprocess.run(["git", "-C", str(work), "reset", "--quiet", "--soft", item.commit], check=True)
    listing = subprocess.run(
        ["git", "-C", str(work), "ls-tree", "-r", "-z", item.commit], capture_output=True, check=True
    ).stdout.decode("utf-8", "surrogateescape")
    entries = [entry.split("\t", 1) for entry in listing.split("\0") if entry]
    blobs = [(meta.split()[2], path) for meta, path in entries if meta.split()[1] == "blob"]
    check = subprocess.run(
        ["git", "-C", str(work), "cat-file", "--batch-check"],
        input="".join(f"{sha}\n" for sha, _ in blobs).encode(),
        capture_output=True,
        check=True,
    ).stdout.decode()
    missing = {line.split()[0] for line in check.splitlines() if line.endswith(" missing")}
    present = [path for sha, path in blobs if sha not in missing]
    subprocess.run(
        ["git", "-C", str(work), "checkout", item.commit, "--pathspec-from-file=-", "--pathspec-file-nul"],
        input="\0".join(present).encode("utf-8", "surrogateescape"),
        capture_output=True,
        check=True,
    )
    (work.parent / "missing-blobs.txt").write_text("".join(f"{p}\n" for sha, p in blobs if sha in missing))
    return work


def gist_items(seed: int, size: int) -> list[Item]:
    """The seeded sample of the development split, in run order."""
    ids = (HERE / "hg29k-dev.txt").read_text(encoding="utf-8").split()
    return [
        Item(suite="gists", id=i, as_of=GIST_AS_OF, script="snippet.py", timeout=900.0)
        for i in sample_ids(ids, seed=seed, size=size)
    ]


def load_papers() -> list[dict[str, Any]]:
    """The paper repositories with their commits and ground truth (``papers.toml``)."""
    with (HERE / "papers.toml").open("rb") as handle:
        return list(tomllib.load(handle)["paper"])


def paper_items() -> list[Item]:
    return [
        Item(suite="papers", id=p["id"], repo=p["repo"], commit=p["commit"], timeout=2400.0, truth=p.get("truth", {}))
        for p in load_papers()
    ]


def load_published() -> dict[str, dict[str, bool]]:
    """Published per-gist verdicts (no ImportError) of PyEGo, DockerizeMe and pipreqs for the dev split."""
    out: dict[str, dict[str, bool]] = {}
    with (HERE / "hg29k-published.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            out[row["id"]] = {k: row[k] == "1" for k in ("PyEGo", "DockerizeMe", "pipreqs")}
    return out


def read_results(path: Path) -> list[dict[str, Any]]:
    """Every record in a results file; the last one wins for an (id, method) pair."""
    if not path.is_file():
        return []
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            seen[(record["id"], record["method"])] = record
    return list(seen.values())


def measure(item: Item, method: str, root: str) -> dict[str, Any]:
    """One (item, method) measured in a batch worker; a harness failure is the item's record, not the run's."""
    try:
        work = materialise(item, method, Path(root))
        record = method_exhume(item, work) if method == "exhume" else method_pipreqs(item, work, Path(root))
    except Exception as exc:
        record = harness_error(item, method, exc)
    record.update(id=item.id, method=method, suite=item.suite)
    if item.truth:
        record["truth_match"] = truth_match(item.truth, record.get("python"), record.get("pins", {}))
    return record


def harness_error(item: Item, method: str, error: BaseException) -> dict[str, Any]:
    """The record of a measurement the harness itself failed (in the worker, or a task the pool lost)."""
    return {
        "lock_ok": False,
        "built": False,
        "lock_cause": "harness error",
        "lock_error": repr(error),
        "id": item.id,
        "method": method,
        "suite": item.suite,
    }


def run_suite(
    items: Sequence[Item],
    methods: Sequence[str],
    *,
    workers: int,
    deadline: datetime | None,
    address: str | None = None,
) -> None:
    """Measure every (item, method) not yet in the results file on exhume's batch engine (a local Ray of
    ``workers`` CPUs, or the cluster at ``address``), one task per pair; no new one starts after ``deadline``."""
    from exhume.batch.cluster import RayPool

    root = cache_dir()
    results = root / "results" / f"{items[0].suite}.jsonl" if items else root / "results" / "none.jsonl"
    results.parent.mkdir(parents=True, exist_ok=True)
    # pipreqs records from before the bare-Python fallback existed are measured again (a few seconds each).
    done = {
        (r["id"], r["method"])
        for r in read_results(results)
        if not (r["method"] == "pipreqs" and r.get("suite") == "gists" and not r.get("built") and "run" not in r)
    }
    todo = [(item, m) for item in items for m in methods if (item.id, m) not in done]
    if "pipreqs" in methods:
        _pipreqs_bin(root)
    print(f"{len(todo)} to do, {len(done)} done already; results in {results}", flush=True)
    # A local Ray's workers start with this environment and import this module by name.
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(HERE), os.environ.get("PYTHONPATH", "")) if p)
    started = time.monotonic()
    with RayPool(workers=workers, address=address) as pool:
        for (item, method), value in pool.map(
            measure,
            todo,
            args=lambda job: (job[0], job[1], str(root)),
            limit=lambda job: job[0].timeout + 2 * RUN_TIMEOUT,
            deadline=deadline,
        ):
            record = value if isinstance(value, dict) else harness_error(item, method, value)
            with results.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(record, sort_keys=True) + "\n")
            verdict = record.get("run", {}).get("outcome", "-")
            print(
                f"{item.id} {method}: lock={record.get('lock_ok')} built={record.get('built')} run={verdict} "
                f"({time.monotonic() - started:.0f}s since start)",
                flush=True,
            )


def report(seed: int, size: int, write: Path | None, measured: str | None = None) -> str:
    """Render both sections from the results files; splice them into ``write`` when given."""
    root = cache_dir()
    sample = {i.id for i in gist_items(seed, size)}
    gists = [r for r in read_results(root / "results" / "gists.jsonl") if r["id"] in sample]
    papers = read_results(root / "results" / "papers.jsonl")
    script = "python benchmarks/real/bench_real.py"
    net = "network cut off with `unshare -n`" if _net_off_prefix() else "network ON (unshare -n unavailable)"
    head = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    section = "\n".join(
        [
            "## Real code: HG2.9K gists and paper repositories (issue 6)",
            "",
            measured
            or f"Measured with exhume at commit {head or '?'} plus the working tree of the day (other work was "
            "landing while it ran); 2 items at a time on a shared 2-core machine.",
            "",
            "Each (item, method) pair is one task on exhume's batch engine (`exhume.batch.cluster.RayPool`, the Ray "
            "pool `exhume batch` runs on: a local Ray of `--workers` CPUs, or a cluster with `--address`), its "
            "record appended to the results file as it ends, so a stopped run resumes where it was.",
            "",
            "exhume runs as `exhume build ITEM --engine venv --allow-unresolved` (the venv engine: a virtualenv of the "
            "inferred Python from /root/.pyenv with the hashed lock, smoke checks and up to 3 repair rounds; the "
            "Docker engine was not used). Gists have no dates of their own, so exhume gets `--as-of "
            f"{GIST_AS_OF}` (the day the dataset was committed: every gist predates it); repositories use their "
            "git history. The baseline is pipreqs as a user runs it today: `pipreqs --mode no-pin`, then "
            "`pip install -r` into a fresh virtualenv of Python 3.13, or 3.12 when 3.13 fails; the same smoke checks "
            "(exhume's runner and classification) are then run there; when pipreqs fails (it cannot parse Python 2) "
            "or nothing installs, the snippet still runs in a bare Python 3.13 venv, as its user would run it. "
            f"Levels marked + are cumulative. Snippets run as `python snippet.py`, "
            f"{RUN_TIMEOUT:.0f} s timeout, {net}; a run killed at the timeout counts as passing (no error seen), a "
            "non-zero exit without a traceback (argparse, sys.exit) passes the ImportError/SyntaxError criteria but "
            'not "ran without any exception".',
            "",
            render_gists(
                gists,
                load_published(),
                seed=seed,
                size=size,
                command=f"{script} run gists --seed {seed} --size {size} --workers 2 && "
                f"{script} report --seed {seed} --size {size} --write BENCHMARKS.md",
            ),
            "",
            render_papers(papers, load_papers(), command=f"{script} run papers --workers 2"),
        ]
    )
    findings = HERE / "findings.md"
    if findings.is_file():
        section += "\n\n" + findings.read_text(encoding="utf-8").strip()
    if write is not None:
        document = write.read_text(encoding="utf-8") if write.is_file() else "# Benchmarks\n"
        write.write_text(splice(document, section), encoding="utf-8")
    return section


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="measure a suite (resumable)")
    run.add_argument("suite", choices=["gists", "papers"])
    run.add_argument("--seed", type=int, default=2026)
    run.add_argument("--size", type=int, default=100)
    run.add_argument("--workers", type=int, default=2)
    run.add_argument("--methods", default=",".join(METHODS))
    run.add_argument("--only", help="comma-separated item ids")
    run.add_argument("--deadline", help="UTC time HH:MM after which no new item starts")
    run.add_argument("--address", help="a Ray cluster to run on (default: a local Ray of --workers CPUs)")
    rep = sub.add_parser("report", help="render the tables")
    rep.add_argument("--seed", type=int, default=2026)
    rep.add_argument("--size", type=int, default=100)
    rep.add_argument("--write", type=Path)
    rep.add_argument("--measured", help="the sentence saying which exhume was measured, and how (default: HEAD)")
    args = parser.parse_args(argv)
    if args.command == "report":
        print(report(args.seed, args.size, args.write, args.measured))
        return 0
    items = gist_items(args.seed, args.size) if args.suite == "gists" else paper_items()
    if args.only:
        wanted = set(args.only.split(","))
        items = [i for i in items if i.id in wanted]
    deadline = None
    if args.deadline:
        hour, minute = (int(x) for x in args.deadline.split(":"))
        deadline = datetime.now(timezone.utc).replace(hour=hour, minute=minute, second=0, microsecond=0)
    signal.signal(signal.SIGTERM, _stop)
    methods = [m for m in args.methods.split(",") if m]
    run_suite(items, methods, workers=args.workers, deadline=deadline, address=args.address)
    return 0


if __name__ == "__main__":
    # Run as the module `bench_real`, not as `__main__`, so that the batch engine's workers import the functions
    # they run by name (the script's folder is on their PYTHONPATH).
    import bench_real

    sys.exit(bench_real.main())
