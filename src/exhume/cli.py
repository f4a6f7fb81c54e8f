"""The command line: ``main(argv) -> int`` is the one place that prints and picks an exit code.

Exit codes (README lists them): 0 ok, 1 internal error, 2 bad usage or input.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from exhume import __version__
from exhume.errors import ExhumeError, InputError

__all__ = ["EXIT_INTERNAL", "EXIT_OK", "EXIT_USAGE", "main", "main_entry"]

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_USAGE = 2


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
    from exhume.scan import scan
    from exhume.scan.report import render_json, render_text

    progress = _progress_printer(stderr) if stderr.isatty() and not args.quiet else None
    result = scan(Path(args.path), jobs=args.jobs, progress=progress)
    if progress is not None:
        stderr.write("\r\033[K")
    text = render_json(result) if args.format == "json" else render_text(result)
    _write_output(text, args.output, stdout)
    return EXIT_OK


def _progress_printer(stderr: TextIO) -> Callable[[int, int], None]:
    def show(done: int, total: int) -> None:
        if done == total or done % 50 == 0:
            stderr.write(f"\rreading files: {done}/{total}")
            stderr.flush()

    return show


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
    scan.set_defaults(handler=_cmd_scan)
    return parser


def main(argv: Sequence[str] | None = None, *, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """Run exhume with ``argv`` (default: ``sys.argv[1:]``) and return the exit code."""
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    try:
        parser = build_parser()
        args = parser.parse_args(list(argv) if argv is not None else sys.argv[1:])
        level = logging.WARNING - 10 * min(args.verbose, 2)
        logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=err)
        handler: Callable[[argparse.Namespace, TextIO, TextIO], int] = args.handler
        return handler(args, out, err)
    except ExhumeError as exc:
        err.write(exc.render() + "\n")
        return exc.exit_code
    except KeyboardInterrupt:
        err.write("ERROR interrupted\n")
        return 130
    except Exception as exc:  # the last line of defence: a short message, not a traceback
        err.write(f"ERROR internal error: {type(exc).__name__}: {exc}\n")
        if os.environ.get("EXHUME_DEBUG"):
            traceback.print_exc(file=err)
        else:
            err.write("hint: this is a bug in exhume; set EXHUME_DEBUG=1 for the traceback and report it\n")
        return EXIT_INTERNAL


def main_entry() -> None:
    """Console-script entry point."""
    sys.exit(main())
