"""Records of ``exhume batch``: one item of a batch list (a repository and its own options, with the line it
was read from) and the result of running the pipeline over it, one JSON Lines record each."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["BatchItem", "BatchResult", "ItemOutcome"]


class ItemOutcome(enum.Enum):
    """How one item ended. ``crashed`` is a bug in exhume (a traceback or the internal-error exit), ``lost`` a
    task the cluster could not finish (a worker died, the node went away)."""

    OK = "ok"
    FAILED = "failed"
    TIMEOUT = "timeout"
    CRASHED = "crashed"
    LOST = "lost"


@dataclass(frozen=True, slots=True, kw_only=True)
class BatchItem:
    """One repository of a batch list: ``path`` is absolute, ``args`` are exhume options for this item only
    (after the batch's own), ``timeout`` overrides the batch's time limit; ``source`` is ``list-file:line``."""

    id: str
    path: str
    args: tuple[str, ...] = ()
    timeout: float | None = None
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "path": self.path}
        if self.args:
            data["args"] = list(self.args)
        if self.timeout is not None:
            data["timeout"] = self.timeout
        if self.source:
            data["source"] = self.source
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BatchItem:
        timeout = data.get("timeout")
        return cls(
            id=str(data["id"]),
            path=str(data["path"]),
            args=tuple(str(a) for a in data.get("args", ())),
            timeout=None if timeout is None else float(timeout),
            source=str(data.get("source", "")),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class BatchResult:
    """What running one item gave. ``exit_code`` is the exhume command's (README's table; None when it never
    ended on its own), ``exit_name`` its name there (``unresolved``, ``smoke`` …), ``argv`` the command as run,
    ``stdout``/``stderr`` the files that hold its whole output, ``error`` the last lines of standard error when
    it did not succeed, ``summary`` what its report says in a few fields (Python, pins, unresolved imports,
    built, failing checks), ``node`` the host that ran it."""

    id: str
    path: str
    command: str
    outcome: ItemOutcome
    exit_code: int | None
    exit_name: str
    seconds: float
    started: str
    node: str
    argv: tuple[str, ...] = ()
    stdout: str = ""
    stderr: str = ""
    error: str = ""
    summary: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "path": self.path,
            "command": self.command,
            "outcome": self.outcome.value,
            "exit_code": self.exit_code,
            "exit_name": self.exit_name,
            "seconds": self.seconds,
            "started": self.started,
            "node": self.node,
            "argv": list(self.argv),
            "stdout": self.stdout,
            "stderr": self.stderr,
        }
        if self.error:
            data["error"] = self.error
        if self.summary:
            data["summary"] = dict(self.summary)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BatchResult:
        code = data.get("exit_code")
        return cls(
            id=str(data["id"]),
            path=str(data["path"]),
            command=str(data["command"]),
            outcome=ItemOutcome(data["outcome"]),
            exit_code=None if code is None else int(code),
            exit_name=str(data.get("exit_name", "")),
            seconds=float(data.get("seconds", 0.0)),
            started=str(data.get("started", "")),
            node=str(data.get("node", "")),
            argv=tuple(str(a) for a in data.get("argv", ())),
            stdout=str(data.get("stdout", "")),
            stderr=str(data.get("stderr", "")),
            error=str(data.get("error", "")),
            summary=dict(data.get("summary", {})),
        )
