"""The command line: ``main(argv) -> int`` is the one place that prints and picks an exit code.

Exit codes are :class:`exhume.errors.ExitCode` (README lists them); an error carries its own.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from exhume import __version__
from exhume.errors import ExhumeError, ExitCode, InputError

__all__ = ["main", "main_entry"]

#: The commands ``exhume batch`` runs (exhume.batch.task.COMMANDS, without importing the batch stage).
COMMAND_NAMES = ("scan", "lock", "dockerfile", "build", "audit")


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so main() keeps control of output and exit codes."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise InputError(f"{self.prog}: {message}", hint=f"run '{self.prog} --help' for usage")


def _write_output(text: str, output: str | None, stdout: TextIO) -> None:
    if output is None or output == "-":
        stdout.write(text)
        return
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{output}: cannot write: {exc.strerror or exc}") from exc


def _cmd_scan(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from exhume.scan import scan, tree_fingerprint
    from exhume.scan.cache import TreeCache
    from exhume.scan.report import render_json, render_text

    progress = _progress_printer(stderr) if stderr.isatty() and not args.quiet else None
    from exhume.scan.cache import default_scan_cache_dir

    cache = None if args.no_cache else default_scan_cache_dir()
    form = f"json{args.indent}" if args.format == "json" else "text"
    root = Path(args.path)
    text = None
    if cache is not None and root.is_dir() and not args.no_cache:
        # An unchanged tree: the rendering of its last scan, without reading a file.
        text = TreeCache(cache).text(tree_fingerprint(root, cache), form)
    if text is None:
        result = scan(root, jobs=args.jobs, progress=progress, cache_dir=cache)
        if progress is not None:
            stderr.write("\r\033[K")
        text = render_json(result, indent=args.indent) if args.format == "json" else render_text(result)
        if cache is not None and result.fingerprint:
            TreeCache(cache).store_text(result.fingerprint, form, text)
    _write_output(text, args.output, stdout)
    return ExitCode.OK


def _lock_options(args: argparse.Namespace) -> Any:
    from datetime import datetime, timezone

    from packaging.utils import canonicalize_name

    from exhume.model import BuildRequirement
    from exhume.workflow import LockOptions, parse_pins

    as_of = None
    if args.as_of:
        try:
            as_of = datetime.fromisoformat(args.as_of)
        except ValueError as exc:
            raise InputError(f"--as-of {args.as_of!r}: not a date", hint="write it as YYYY-MM-DD") from exc
        if as_of.tzinfo is None:
            as_of = as_of.replace(tzinfo=timezone.utc)
    return LockOptions(
        output=Path(args.output) if getattr(args, "output", None) else None,
        python=args.python,
        as_of=as_of,
        pins=parse_pins(args.pin),
        build_constraints=tuple(str(r) for r in parse_pins(args.build_constraint, flag="--build-constraint")),
        build_requirements=tuple(
            BuildRequirement(
                requirement=canonicalize_name(r.name),
                needed_by="the lock's sdists",
                evidence="--build-requirement",
                reason="given with --build-requirement",
            )
            for r in parse_pins(args.build_requirement, flag="--build-requirement")
        ),
        pylock=getattr(args, "format", None) == "pylock",
        offline=args.offline,
        resolver=args.resolver,
        force=args.force,
        allow_unresolved=args.allow_unresolved,
    )


def _cmd_lock(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    import json

    from exhume.workflow import lock_repository

    options = _lock_options(args)
    outcome = lock_repository(args.path, options)
    if args.format == "json":
        data = {
            "inference": outcome.inference.to_dict(),
            "lock": outcome.lock.to_dict(),
            "written": [str(p) for p in outcome.written],
        }
        stdout.write(json.dumps(data, indent=2, sort_keys=True) + "\n")
    else:
        stdout.write(_render_lock_text(outcome))
    return ExitCode.OK


def _render_lock_text(outcome: Any) -> str:
    inf = outcome.inference
    lines = [f"Python {inf.python}: {inf.python_reason}", f"as of {inf.as_of.date()}: {inf.as_of_reason}", ""]
    for c in inf.constraints:
        version = c.version if c.version is not None else "?"
        lines.append(f"{c.distribution}{c.specifier or ''} -> {version}  [{c.confidence}] {c.reason}")
        for e in c.evidence:
            mark = "  " if e.used else "x "
            note = f"  ({e.note})" if e.note else ""
            lines.append(f"    {mark}{e.kind:<9} {e.specifier or '(any)':<18} {e.comment()}{note}")
    for c in inf.extra:
        lines.append(f"limit {c.distribution}{c.specifier}  {c.reason}")
    for u in inf.unresolved:
        lines.append(f"unresolved {u.module}: {u.reason}")
    lines.append("")
    lines.append(f"{len(outcome.lock.pins)} packages pinned with hashes")
    lines.extend(f"wrote {p}" for p in outcome.written)
    return "\n".join(lines) + "\n"


def _build_options(args: argparse.Namespace) -> Any:
    from exhume.engines.pipeline import BuildOptions

    return BuildOptions(
        lock=_lock_options(args),
        base_image=args.base_image,
        gpu=args.gpu,
        tag=getattr(args, "tag", None),
        smoke_cmd=getattr(args, "smoke_cmd", None),
        max_repairs=getattr(args, "max_repairs", 3),
        engine=getattr(args, "engine", None),
        apptainer=getattr(args, "apptainer", False) or getattr(args, "container_format", "docker") == "apptainer",
    )


def _cmd_dockerfile(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from exhume.engines.pipeline import dockerfile_repository

    outcome, emitted, written = dockerfile_repository(args.path, _build_options(args))
    lines = [f"Python {outcome.inference.python}, base image {emitted.base_image}"]
    lines.extend(f"system package {name}: {why}" for name, why in emitted.reasons)
    lines.extend(f"note: {note}" for note in emitted.notes)
    lines.extend(f"wrote {p}" for p in [*outcome.written, *written])
    stdout.write("\n".join(lines) + "\n")
    return ExitCode.OK


def _cmd_build(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from exhume.engines import report as build_report
    from exhume.engines.pipeline import build_repository

    def progress(line: str) -> None:
        if not args.quiet:
            stderr.write(line.rstrip("\n") + "\n")

    report = build_repository(args.path, _build_options(args), progress=progress)
    renderers = {
        "text": build_report.render_text,
        "json": build_report.render_json,
        "junit": build_report.render_junit,
    }
    _write_output(renderers[args.format](report), args.report, stdout)
    if report.passed:
        return ExitCode.OK
    return ExitCode.BUILD if report.rounds and not report.final.built else ExitCode.SMOKE


def _cmd_audit(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from exhume.audit import audit
    from exhume.audit.report import render_json, render_text
    from exhume.index import IndexClient
    from exhume.model.audit import Severity

    root = Path(args.path)
    report = audit(root)
    if args.format == "html":
        from exhume.audit.html import render_html
        from exhume.audit.timeline import timelines

        drawn, note = (
            timelines(root.resolve(), client=IndexClient(offline=args.offline)) if args.timelines else ((), None)
        )
        text = render_html(report, title=root.resolve().name, timelines=drawn, timeline_note=note)
    elif args.format == "json":
        text = render_json(report)
    else:
        text = render_text(report)
    _write_output(text, args.output, stdout)
    if args.fail_on is not None:
        threshold = Severity(args.fail_on)
        worst = report.worst()
        if worst is not None and worst.rank >= threshold.rank:
            return ExitCode.FINDINGS
    return ExitCode.OK


def _cmd_check(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from exhume.check import LOCK_NAME, check, failed
    from exhume.check.report import render_json, render_junit, render_text
    from exhume.index import IndexClient

    root = Path(args.path)
    if not root.is_dir():
        raise InputError(f"{root}: no such folder")
    lock = Path(args.lock) if args.lock else None
    results = check(root, lock=lock, client=None if args.offline else IndexClient())
    name = str(lock) if lock is not None else LOCK_NAME
    render = {"json": render_json, "junit": render_junit}.get(args.format, render_text)
    _write_output(render(results, lock=name), args.output, stdout)
    return ExitCode.STALE if failed(results) else ExitCode.OK


def _cmd_batch(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    import json

    from exhume.batch import BatchOptions, default_results, read_items, run_batch
    from exhume.model.batch import BatchResult

    if args.workers is not None and args.workers < 1:
        raise InputError(f"--workers {args.workers}: at least 1")
    if args.timeout <= 0:
        raise InputError(f"--timeout {args.timeout:g}: a positive number of seconds")
    list_path = Path(args.list)
    items = read_items(list_path)
    results = Path(args.results) if args.results else default_results(list_path)
    logs = Path(args.logs) if args.logs else results.with_name(results.name.removesuffix(".jsonl") + ".logs")
    extra = list(getattr(args, "passthrough", ()))
    options = BatchOptions(
        command=args.batch_command,
        options=tuple(extra),
        results=results,
        logs=logs,
        workers=args.workers,
        address=args.address,
        timeout=args.timeout,
        retry=args.retry,
    )

    def progress(done: int, todo: int, result: BatchResult) -> None:
        line = f"[{done}/{todo}] {result.id}: {result.outcome.value}"
        if result.outcome.value != "ok":
            line += f" ({result.exit_name})"
        stderr.write(f"{line} {result.seconds:.0f} s\n")
        stderr.flush()

    summary = run_batch(items, options, progress=None if args.quiet else progress)
    for warning in summary.warnings:
        stderr.write(f"WARNING {warning}\n")
    if args.format == "json":
        data = {
            "items": summary.total,
            "ran": summary.ran,
            "skipped": summary.skipped,
            "not_started": summary.not_started,
            "outcomes": dict(sorted(summary.outcomes.items())),
            "exits": dict(sorted(summary.exits.items())),
            "results": str(results),
            "logs": str(logs),
        }
        stdout.write(json.dumps(data, indent=2, sort_keys=True) + "\n")
    else:
        counts = ", ".join(f"{n} {o}" for o, n in sorted(summary.outcomes.items())) or "none finished"
        stdout.write(f"{summary.total} items: {counts} ({summary.ran} run now, {summary.skipped} done before")
        stdout.write(f", {summary.not_started} not started)\n" if summary.not_started else ")\n")
        failed = {e: n for e, n in summary.exits.items() if e != "ok"}
        if failed:
            stdout.write("not ok: " + ", ".join(f"{e} {n}" for e, n in sorted(failed.items())) + "\n")
        stdout.write(f"results: {results}\noutput of each item: {logs}\n")
    return ExitCode.OK if summary.all_ok else ExitCode.ITEMS


def _cmd_kb_which(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    import json

    from exhume.errors import UnknownDistributionError
    from exhume.knowledge.api import which_versions

    try:
        result = which_versions(args.distribution, args.name, args.kw)
    except UnknownDistributionError:
        if args.offline_only:
            raise
        return _kb_which_on_demand(args, stdout)
    if args.json:
        data = {
            "distribution": result.distribution,
            "name": result.name,
            "specifier": str(result.specifier),
            "versions": [str(v) for v in result.versions],
            "keywords": list(result.keywords),
            "complete": result.complete,
            "explanation": result.explanation,
        }
        stdout.write(json.dumps(data, indent=2, sort_keys=True) + "\n")
    else:
        stdout.write(f"{result.specifier or '(every indexed release)'}\n{result.explanation}\n")
    return ExitCode.OK


def _kb_which_on_demand(args: argparse.Namespace, stdout: TextIO) -> int:
    """``kb which`` for a distribution the shipped index lacks: the names read from its releases on demand."""
    import json
    from datetime import datetime, timezone

    from exhume.index import IndexClient
    from exhume.knowledge.ondemand import NameReader

    as_of = None
    if args.as_of:
        try:
            as_of = datetime.fromisoformat(args.as_of).replace(tzinfo=timezone.utc)
        except ValueError as exc:
            raise InputError(f"--as-of {args.as_of!r}: not a date", hint="write it as YYYY-MM-DD") from exc
    client = IndexClient()
    client.project(args.distribution)  # a project the index does not have is the user's error, said as such
    answer = NameReader(client).which(args.distribution, args.name, args.kw, as_of=as_of)
    if answer is None:
        text = (
            f"no bound: {args.name} is in the newest release of {args.distribution} read"
            f"{f' (uploaded by {as_of.date()})' if as_of else ''}, or in none of those probed"
        )
        specifier = ""
    else:
        text, specifier = answer.explanation, answer.specifier
    if args.json:
        data = {
            "distribution": args.distribution,
            "name": args.name,
            "keywords": sorted(args.kw),
            "specifier": specifier,
            "versions": sorted(str(v) for v in answer.versions) if answer else [],
            "source": "names read on demand",
            "explanation": text,
        }
        stdout.write(json.dumps(data, indent=2, sort_keys=True) + "\n")
    else:
        stdout.write(f"{specifier or '(no bound)'}\n{text} (names read on demand)\n")
    return ExitCode.OK


def _cmd_kb_info(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    import json

    from exhume.knowledge.api import distribution_info

    info = distribution_info(args.distribution)
    if args.json:
        stdout.write(json.dumps(info.to_dict(), indent=2, sort_keys=True) + "\n")
        return ExitCode.OK
    lines = [f"{info.distribution}: {len(info.releases)} releases indexed; import names: {', '.join(info.tops)}"]
    lines.append(f"{'release':<14}{'names':>9}{'modules':>9}{'incomplete':>12}")
    for v, n, m, i in zip(info.releases, info.names, info.modules, info.incomplete_modules, strict=True):
        lines.append(f"{v!s:<14}{n:>9}{m:>9}{i:>12}")
    stdout.write("\n".join(lines) + "\n")
    return ExitCode.OK


def _progress_printer(stderr: TextIO) -> Callable[[int, int], None]:
    def show(done: int, total: int) -> None:
        if done == total or done % 50 == 0:
            stderr.write(f"\rreading files: {done}/{total}")
            stderr.flush()

    return show


def _add_lock_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", help="the repository folder")
    parser.add_argument("--python", help="target Python version X.Y (default: inferred)")
    parser.add_argument("--as-of", help="date YYYY-MM-DD (default: the last code change in git)")
    parser.add_argument("--pin", action="append", default=[], help="force a requirement, e.g. 'tensorflow==1.4.1'")
    parser.add_argument(
        "--build-constraint",
        action="append",
        default=[],
        metavar="REQ",
        help="a build tool old sdists need where pip builds them, e.g. 'setuptools<58' (found on its own when a "
        "build fails)",
    )
    parser.add_argument(
        "--build-requirement",
        action="append",
        default=[],
        metavar="NAME",
        help="a distribution old sdists' setup scripts import without declaring it, e.g. 'numpy': installed "
        "before the lock (found on its own when a build fails)",
    )
    parser.add_argument(
        "--resolver",
        choices=("auto", "uv", "pip-compile"),
        default="auto",
        help="what resolves the lock (default auto: uv for Python 3.7 and later, pip-compile for 2.7 and 3.6 and "
        "wherever uv fails)",
    )
    parser.add_argument("--offline", action="store_true", help="use cached index data only")
    parser.add_argument("--force", action="store_true", help="overwrite files exhume did not write")
    parser.add_argument("--allow-unresolved", action="store_true", help="lock even if some imports have no provider")


def _add_image_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--base-image", help="base image template, {python} is replaced (default python:{python}-slim)")
    parser.add_argument("--gpu", action="store_true", help="a CUDA base image matching the framework release")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    parser = _Parser(prog="exhume", description="Reconstruct the environment old Python code was written for.")
    parser.add_argument("--version", action="version", version=f"exhume {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="log more (repeat for debug)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    scan = sub.add_parser("scan", help="read a repository and report located evidence")
    scan.add_argument("path", help="the repository folder")
    scan.add_argument("--format", choices=("text", "json"), default="text")
    scan.add_argument("-o", "--output", help="write the report to this file instead of standard output")
    scan.add_argument("-j", "--jobs", type=int, default=None, help="worker processes (default: CPU count)")
    scan.add_argument("-q", "--quiet", action="store_true", help="no progress on standard error")
    scan.add_argument(
        "--no-cache",
        action="store_true",
        help="read every file again (neither the per-file nor the whole-tree result cache)",
    )
    scan.add_argument("--indent", type=int, default=None, help="with --format json: indent the JSON by this many")
    scan.set_defaults(handler=_cmd_scan)

    lock = sub.add_parser("lock", help="infer versions and write requirements.in, requirements.lock and a report")
    _add_lock_arguments(lock)
    lock.add_argument("-o", "--output", help="folder for the files (default: the repository)")
    lock.add_argument(
        "--format", choices=("text", "json", "pylock"), default="text", help="pylock also writes pylock.toml"
    )
    lock.set_defaults(handler=_cmd_lock)

    dockerfile = sub.add_parser("dockerfile", help="lock, then write a Dockerfile and .dockerignore")
    _add_lock_arguments(dockerfile)
    _add_image_arguments(dockerfile)
    dockerfile.add_argument(
        "--format",
        dest="container_format",
        choices=("docker", "apptainer"),
        default="docker",
        help="apptainer: also an Apptainer.def carrying over the Dockerfile's steps (for HPC clusters)",
    )
    dockerfile.set_defaults(handler=_cmd_dockerfile)

    build = sub.add_parser("build", help="lock, write the Dockerfile, build the image and smoke-test it")
    _add_lock_arguments(build)
    _add_image_arguments(build)
    build.add_argument("--tag", help="image tag (default exhume/<folder>:latest)")
    build.add_argument("--smoke-cmd", help="a shell command to run in the image after the built-in checks")
    build.add_argument("--max-repairs", type=int, default=3, help="repair rounds at most (default 3)")
    build.add_argument("--engine", choices=("docker", "venv"), help="default: docker if it answers, else venv")
    build.add_argument("--format", choices=("text", "json", "junit"), default="text")
    build.add_argument("--apptainer", action="store_true", help="also write an Apptainer.def beside the Dockerfile")
    build.add_argument("--report", help="write the report to this file instead of standard output")
    build.add_argument("-q", "--quiet", action="store_true", help="no build log on standard error")
    build.set_defaults(handler=_cmd_build)

    audit = sub.add_parser(
        "audit", help="report what else stands in the way of reproducing: README, hyperparameters, data, compute"
    )
    audit.add_argument("path", help="the repository folder")
    audit.add_argument(
        "--format", choices=("text", "json", "html"), default="text", help="html: one self-contained page"
    )
    audit.add_argument(
        "--no-timelines",
        dest="timelines",
        action="store_false",
        help="with --format html: no release timelines (they read release dates from the index)",
    )
    audit.add_argument("--offline", action="store_true", help="release dates for the timelines from the cache only")
    audit.add_argument("-o", "--output", help="write the report to this file instead of standard output")
    audit.add_argument(
        "--fail-on",
        choices=("info", "warning", "error"),
        help="exit 7 when a finding of this severity or worse is found (for CI); default: always exit 0",
    )
    audit.set_defaults(handler=_cmd_audit)

    check = sub.add_parser(
        "check",
        help="does the committed requirements.lock still fit the code? (for CI and pre-commit)",
        description="Check the lock against the code: every import pinned, every name used present in the pinned "
        "release, the lock's Python allowed by the code's syntax, every hash still on the index. Exit 0 when it "
        "fits, 9 when it does not.",
    )
    check.add_argument("path", nargs="?", default=".", help="the repository folder (default: .)")
    check.add_argument("--lock", help="the lock file (default: PATH/requirements.lock)")
    check.add_argument("--offline", action="store_true", help="do not ask the index (the hashes check is skipped)")
    check.add_argument("--format", choices=("text", "json", "junit"), default="text")
    check.add_argument("-o", "--output", help="write the report to this file instead of standard output")
    check.set_defaults(handler=_cmd_check)

    batch = sub.add_parser(
        "batch",
        help="run one command over every repository of a list, on Ray (resumable)",
        description="Run an exhume command over each item of LIST (a folder per line, or a JSON object with "
        "path, id, args, timeout), each in its own process, on a local Ray or a cluster. One JSON record per "
        "item goes to the results file as it ends; run the same command again to resume.",
    )
    batch.add_argument("list", help="the batch list")
    batch.add_argument("--command", dest="batch_command", choices=COMMAND_NAMES, default="build")
    batch.add_argument("--results", help="the JSON Lines results file (default LIST.results.jsonl)")
    batch.add_argument("--logs", help="folder for each item's output (default: beside the results)")
    batch.add_argument("--workers", type=int, help="items at a time on a local Ray (default: CPU count)")
    batch.add_argument("--address", help="an existing Ray cluster to run on instead of a local Ray")
    batch.add_argument("--timeout", type=float, default=3600.0, help="seconds per item (default 3600)")
    batch.add_argument("--retry", action="store_true", help="run again the items whose last record is not ok")
    batch.add_argument("--format", choices=("text", "json"), default="text", help="the summary's format")
    batch.add_argument("-q", "--quiet", action="store_true", help="no line per item on standard error")
    batch.epilog = "Options after -- go to the command of every item: exhume batch LIST -- --engine venv"
    batch.set_defaults(handler=_cmd_batch)

    kb = sub.add_parser("kb", help="query the knowledge base")
    kb_sub = kb.add_subparsers(dest="kb_command", metavar="QUERY", parser_class=_Parser)
    kb_sub.required = True
    which = kb_sub.add_parser("which", help="which releases of DIST provide NAME (and keywords)")
    which.add_argument("distribution")
    which.add_argument("name", help="a dotted name, e.g. tensorflow.contrib.layers.xavier_initializer")
    which.add_argument("--kw", action="append", default=[], help="a keyword the call site uses (repeatable)")
    which.add_argument("--json", action="store_true")
    which.add_argument(
        "--as-of", help="for a distribution without a shipped index: only its releases uploaded by this date"
    )
    which.add_argument(
        "--offline-only",
        action="store_true",
        help="only the shipped index: no names read on demand from the releases of other distributions",
    )
    which.set_defaults(handler=_cmd_kb_which)
    info = kb_sub.add_parser("info", help="releases covered, names per release, completeness")
    info.add_argument("distribution")
    info.add_argument("--json", action="store_true")
    info.set_defaults(handler=_cmd_kb_info)
    return parser


def _split_passthrough(words: list[str]) -> tuple[list[str], list[str]]:
    """``exhume batch LIST [options] -- OPTIONS``: the words after ``--`` are the items' command's, not batch's."""
    if "batch" in words and "--" in words and words.index("batch") < words.index("--"):
        cut = words.index("--")
        return words[:cut], words[cut + 1 :]
    return words, []


def main(argv: Sequence[str] | None = None, *, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """Run exhume with ``argv`` (default: ``sys.argv[1:]``) and return the exit code."""
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    try:
        parser = build_parser()
        words = list(argv) if argv is not None else sys.argv[1:]
        words, passthrough = _split_passthrough(words)
        args = parser.parse_args(words)
        args.passthrough = passthrough
        level = logging.WARNING - 10 * min(args.verbose, 2)
        logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=err)
        handler: Callable[[argparse.Namespace, TextIO, TextIO], int] = args.handler
        return handler(args, out, err)
    except ExhumeError as exc:
        err.write(exc.render() + "\n")
        return exc.exit_code
    except KeyboardInterrupt:
        err.write("ERROR interrupted\n")
        return ExitCode.INTERRUPTED
    except Exception as exc:  # the last line of defence: a short message, not a traceback
        err.write(f"ERROR internal error: {type(exc).__name__}: {exc}\n")
        if os.environ.get("EXHUME_DEBUG"):
            traceback.print_exc(file=err)
        else:
            err.write("hint: this is a bug in exhume; set EXHUME_DEBUG=1 for the traceback and report it\n")
        return ExitCode.INTERNAL


def main_entry() -> None:
    """Console-script entry point."""
    sys.exit(main())
