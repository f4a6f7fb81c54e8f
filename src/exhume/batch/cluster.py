"""Ray, behind one small interface: map a function over jobs on a cluster, results as they finish.

By default a local Ray is started for the batch (on 127.0.0.1, no dashboard, no usage statistics sent, a small
object store: records are small) and stopped after it; ``address`` joins a running cluster instead, whose
nodes must have exhume installed and see the items' paths (a shared file system). Each job is one task of one
CPU. A job that outlives its time limit plus a grace period is cancelled (its worker process is killed) and
reported as a :class:`JobOverdue`; a task the cluster lost (a worker or node died) as the exception Ray gave.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Generic, TypeVar

from exhume.errors import ClusterUnavailable

__all__ = ["JobOverdue", "RayPool"]

J = TypeVar("J")

#: Seconds a task may run past its job's own time limit before the pool cancels it.
GRACE = 60.0
#: How often (seconds) the pool looks for overdue tasks while it waits.
POLL = 5.0
#: The object store of a local Ray: job records are a few kilobytes.
OBJECT_STORE_BYTES = 100 * 1024 * 1024


class JobOverdue(Exception):
    """A task ran past its limit and was cancelled."""


@dataclass(frozen=True, slots=True)
class _Running(Generic[J]):
    job: J
    deadline: float


class RayPool:
    """``with RayPool(workers=2) as pool: for job, value in pool.map(fn, jobs, limit=...)``. ``workers`` is the
    number of CPUs a local Ray gets (default: the machine's); with ``address`` it is ignored and the cluster's
    CPUs are used."""

    def __init__(self, *, workers: int | None = None, address: str | None = None) -> None:
        self.workers = workers
        self.address = address
        self._ray: Any = None
        self._started = False
        self.slots = 1

    def __enter__(self) -> RayPool:
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        try:
            import ray
        except ImportError as exc:
            raise ClusterUnavailable(
                "exhume batch runs on Ray, which is not installed",
                hint="pip install 'exhume[batch]' (Ray publishes wheels for Python 3.10-3.13)",
            ) from exc
        self._ray = ray
        # Ray's own notices (token authentication, the local instance started) are not the user's business;
        # its errors still show.
        logging.getLogger("ray").setLevel(logging.ERROR)
        try:
            if self.address:
                ray.init(address=self.address, log_to_driver=False, logging_level=logging.ERROR)
            else:
                ray.init(
                    address="local",
                    num_cpus=self.workers or os.cpu_count() or 1,
                    include_dashboard=False,
                    _node_ip_address="127.0.0.1",
                    object_store_memory=OBJECT_STORE_BYTES,
                    log_to_driver=False,
                    logging_level=logging.ERROR,
                )
        except (ConnectionError, RuntimeError, ValueError) as exc:
            where = self.address or "a local Ray"
            raise ClusterUnavailable(
                f"cannot start or reach {where}: {exc}",
                hint="check --address (ray://HOST:10001 or HOST:6379), or leave it out for a local Ray",
            ) from exc
        self._started = True
        resources: dict[str, float] = ray.cluster_resources()  # type: ignore[no-untyped-call]
        self.slots = max(1, int(resources.get("CPU", 1)))
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._started:
            self._ray.shutdown()
            self._started = False

    def map(
        self,
        fn: Callable[..., Any],
        jobs: Iterable[J],
        *,
        args: Callable[[J], tuple[Any, ...]],
        limit: Callable[[J], float],
        kwargs: dict[str, Any] | None = None,
        deadline: datetime | None = None,
    ) -> Iterator[tuple[J, Any]]:
        """Run ``fn(*args(job), **kwargs)`` for every job, at most ``slots`` at a time, and yield ``(job, value)``
        as each ends; ``value`` is the exception when the task failed or was cancelled. No job starts after
        ``deadline``."""
        ray = self._ray
        remote = ray.remote(num_cpus=1, max_retries=1)(fn)
        pending = iter(jobs)
        running: dict[Any, _Running[J]] = {}

        def submit() -> None:
            while len(running) < self.slots:
                if deadline is not None and datetime.now(timezone.utc) >= deadline:
                    return
                job = next(pending, None)
                if job is None:
                    return
                ref = remote.remote(*args(job), **(kwargs or {}))
                running[ref] = _Running(job, time.monotonic() + limit(job) + GRACE)

        submit()
        while running:
            ready, _ = ray.wait(list(running), num_returns=1, timeout=POLL)
            for ref in ready:
                entry = running.pop(ref)
                try:
                    value = ray.get(ref)
                except Exception as exc:  # the task's own failure or the cluster's, both the job's result
                    value = exc
                yield entry.job, value
            now = time.monotonic()
            for ref, entry in list(running.items()):
                if now > entry.deadline:
                    ray.cancel(ref, force=True)
                    del running[ref]
                    yield entry.job, JobOverdue(f"still running {GRACE:.0f} s past its time limit; cancelled")
            submit()
