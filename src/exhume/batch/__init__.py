"""``exhume batch``: one exhume command over many repositories on Ray, resumable from its results file.

The last stage: it runs the command line of the others, one process per item (:mod:`.task`), on a local Ray
or a cluster (:mod:`.cluster`), from a batch list, into a JSON Lines results file (:mod:`.items`).
"""

from __future__ import annotations

import socket
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from exhume.batch.cluster import JobOverdue, RayPool
from exhume.batch.items import ResultsFile, pending, read_items
from exhume.batch.task import COMMANDS, run_item
from exhume.model.batch import BatchItem, BatchResult, ItemOutcome

__all__ = ["COMMANDS", "BatchOptions", "BatchSummary", "default_results", "read_items", "run_batch"]

#: The time limit of one item unless the list or ``--timeout`` says otherwise (a cold build of a large
#: repository with three repair rounds).
DEFAULT_TIMEOUT = 3600.0


@dataclass(frozen=True, slots=True, kw_only=True)
class BatchOptions:
    """What ``exhume batch`` was asked: the command and its options for every item, where results and output
    go, the cluster, the time limit per item, and whether items that did not succeed run again."""

    command: str = "build"
    options: tuple[str, ...] = ()
    results: Path
    logs: Path
    workers: int | None = None
    address: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    retry: bool = False
    deadline: datetime | None = None


@dataclass(slots=True, kw_only=True)
class BatchSummary:
    """The batch's counts over every item of the list, by its latest record (this run's or an earlier one's):
    ``ran`` now, ``skipped`` (done before), ``not_started`` (the deadline came first)."""

    total: int
    ran: int = 0
    skipped: int = 0
    not_started: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    exits: Counter[str] = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)

    @property
    def all_ok(self) -> bool:
        """Every item of the list has a record, and each says ok."""
        return self.outcomes["ok"] == self.total


def default_results(list_path: Path) -> Path:
    """``LIST.results.jsonl`` beside the list."""
    return list_path.with_name(list_path.name + ".results.jsonl")


def run_batch(
    items: Sequence[BatchItem],
    options: BatchOptions,
    *,
    progress: Callable[[int, int, BatchResult], None] | None = None,
) -> BatchSummary:
    """Run ``options.command`` over every item not yet in the results file, append each result as it ends,
    and count them. ``progress(done, todo, result)`` is called after each."""
    done, warnings = ResultsFile(options.results).read()
    todo, skipped = pending(items, done, retry=options.retry)
    summary = BatchSummary(total=len(items), skipped=skipped, warnings=warnings)
    latest = {item.id: done[item.id] for item in items if item.id in done}
    if todo:
        _run(todo, options, summary, latest, progress)
    for record in latest.values():
        summary.outcomes[record.outcome.value] += 1
        summary.exits[record.exit_name] += 1
    summary.not_started = len(todo) - summary.ran
    return summary


def _run(
    todo: Sequence[BatchItem],
    options: BatchOptions,
    summary: BatchSummary,
    latest: dict[str, BatchResult],
    progress: Callable[[int, int, BatchResult], None] | None,
) -> None:
    kwargs = {
        "command": options.command,
        "options": list(options.options),
        "logs": str(options.logs.resolve()),
        "timeout": options.timeout,
    }
    with RayPool(workers=options.workers, address=options.address) as pool, ResultsFile(options.results) as results:
        for item, value in pool.map(
            run_item,
            todo,
            args=lambda item: (item.to_dict(),),
            limit=lambda item: item.timeout or options.timeout,
            kwargs=kwargs,
            deadline=options.deadline,
        ):
            result = BatchResult.from_dict(value) if isinstance(value, dict) else _lost(item, options, value)
            results.append(result)
            latest[item.id] = result
            summary.ran += 1
            if progress is not None:
                progress(summary.ran, len(todo), result)


def _lost(item: BatchItem, options: BatchOptions, error: object) -> BatchResult:
    """The record of a task the cluster did not finish, or that the pool cancelled."""
    overdue = isinstance(error, JobOverdue)
    return BatchResult(
        id=item.id,
        path=item.path,
        command=options.command,
        outcome=ItemOutcome.TIMEOUT if overdue else ItemOutcome.LOST,
        exit_code=None,
        exit_name="cancelled" if overdue else type(error).__name__,
        seconds=0.0,
        started=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        node=socket.gethostname(),
        error=str(error)[-2000:],
    )
