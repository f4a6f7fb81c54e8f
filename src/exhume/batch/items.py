"""The batch list and the results file.

A batch list is a text file, one item per line: a repository folder (relative to the list's own folder), or a
JSON object ``{"path": ..., "id": ..., "args": [...], "timeout": ...}`` for an item with its own id, exhume
options or time limit. Blank lines and lines starting with ``#`` are skipped. A malformed line stops the batch
before anything runs, with the list's name and the line number.

The results file holds one JSON record per finished item, appended as each ends and flushed to disk, so a
batch that was stopped (Ctrl-C, a crash, a lost node) resumes from it: the last record of an id wins, and a
line cut short by the stop is skipped with a warning.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, TextIO

from exhume.errors import InputError
from exhume.model.batch import BatchItem, BatchResult

__all__ = ["ResultsFile", "pending", "read_items"]

_KEYS = frozenset({"id", "path", "args", "timeout"})


def read_items(list_path: Path) -> list[BatchItem]:
    """The items of a batch list, in its order; :class:`InputError` at ``LIST:line`` for a line that is not an
    item, for a repeated id, and for a list with no item at all."""
    try:
        text = list_path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise InputError(f"{list_path}: no such batch list") from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"{list_path}: not UTF-8 text (byte {exc.start})") from exc
    except OSError as exc:
        raise InputError(f"{list_path}: cannot read: {exc.strerror or exc}") from exc
    base = list_path.resolve().parent
    items: list[BatchItem] = []
    first_line: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        where = f"{list_path}:{number}"
        entry: Any = line
        if line.startswith("{"):
            try:
                entry = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"{where}:{exc.colno}: not a JSON object: {exc.msg}") from exc
        item = _item(entry, base, where)
        if item.id in first_line:
            raise InputError(
                f"{where}: item id {item.id!r} already given on line {first_line[item.id]}",
                hint='give each item its own id: {"path": "...", "id": "..."}',
            )
        first_line[item.id] = number
        items.append(item)
    if not items:
        raise InputError(f"{list_path}: the batch list has no items", hint="one repository folder per line")
    return items


def _item(entry: Any, base: Path, where: str) -> BatchItem:
    if isinstance(entry, str):
        return BatchItem(id=entry, path=str(base / entry), source=where)
    if not isinstance(entry, dict):
        raise InputError(f"{where}: an item is a path or a JSON object, not {type(entry).__name__}")
    unknown = sorted(set(entry) - _KEYS)
    if unknown:
        raise InputError(f"{where}: unknown key {unknown[0]!r}", hint=f"an item's keys are {', '.join(sorted(_KEYS))}")
    path = entry.get("path")
    if not isinstance(path, str) or not path:
        raise InputError(f'{where}: an item needs a "path" (a string)')
    ident = entry.get("id", path)
    if not isinstance(ident, str) or not ident:
        raise InputError(f'{where}: "id" must be a non-empty string')
    args = entry.get("args", [])
    if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
        raise InputError(f'{where}: "args" must be a list of strings')
    timeout = entry.get("timeout")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0):
        raise InputError(f'{where}: "timeout" must be a positive number of seconds')
    return BatchItem(
        id=ident,
        path=str(base / path),
        args=tuple(args),
        timeout=None if timeout is None else float(timeout),
        source=where,
    )


class ResultsFile:
    """A batch's JSON Lines results: read to resume, appended one flushed record at a time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: TextIO | None = None

    def read(self) -> tuple[dict[str, BatchResult], list[str]]:
        """The last record of every id, and a warning (``FILE:line``) for each line that is not a record."""
        records: dict[str, BatchResult] = {}
        warnings: list[str] = []
        try:
            text = self.path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return records, warnings
        except OSError as exc:
            raise InputError(f"{self.path}: cannot read the results: {exc.strerror or exc}") from exc
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                record = BatchResult.from_dict(data)
            except (ValueError, KeyError, TypeError) as exc:
                warnings.append(f"{self.path}:{number}: not a result record, skipped ({type(exc).__name__})")
                continue
            records[record.id] = record
        return records, warnings

    def __enter__(self) -> ResultsFile:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = self.path.open("a+", encoding="utf-8")
        except OSError as exc:
            raise InputError(f"{self.path}: cannot write the results: {exc.strerror or exc}") from exc
        # A run stopped mid-write leaves a line without its newline: the next record starts on a line of its own.
        self._handle.seek(0, os.SEEK_END)
        if self._handle.tell() > 0:
            with self.path.open("rb") as raw:
                raw.seek(-1, os.SEEK_END)
                if raw.read(1) != b"\n":
                    self._handle.write("\n")
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def append(self, result: BatchResult) -> None:
        """Write one record and put it on disk before the next item is counted."""
        assert self._handle is not None, "append inside `with ResultsFile(...)`"
        self._handle.write(json.dumps(result.to_dict(), sort_keys=True, ensure_ascii=False) + "\n")
        self._handle.flush()
        os.fsync(self._handle.fileno())


def pending(items: Iterable[BatchItem], done: Mapping[str, BatchResult], *, retry: bool) -> tuple[list[BatchItem], int]:
    """The items still to run and how many are skipped: an item with a record is done, unless ``retry`` and
    that record did not succeed."""
    todo: list[BatchItem] = []
    skipped = 0
    for item in items:
        record = done.get(item.id)
        if record is None or (retry and record.outcome.value != "ok"):
            todo.append(item)
        else:
            skipped += 1
    return todo, skipped
