"""Every error exhume raises on purpose, and the exit codes README documents. Each error renders its own
message and a hint; its ``exit_code`` is what the CLI returns for it.

The library raises these and never prints or exits; ``exhume.cli.main`` is the only place that does.
"""

from __future__ import annotations

import enum

__all__ = [
    "BadRemoteFile",
    "BreakageDataError",
    "BuildFailed",
    "ClusterUnavailable",
    "EngineUnavailable",
    "ExhumeError",
    "ExitCode",
    "HashMismatch",
    "IndexUnreachable",
    "InferenceError",
    "InputError",
    "InterpreterNotFound",
    "KnowledgeDataError",
    "KnowledgeError",
    "MemberNotFound",
    "ProjectNotFound",
    "ResolutionError",
    "StdlibDataError",
    "ToolSetupError",
    "UnknownDistributionError",
    "UnknownNameError",
    "UnresolvedImports",
]

#: Lines of a build log an error message shows (the report keeps more).
MESSAGE_LINES = 30
_ENGINE_HINT = (
    "start one (as root: scripts/engine.sh up, then export the DOCKER_HOST it prints) "
    "or validate without Docker: --engine venv"
)


class ExitCode(enum.IntEnum):
    """The exit codes of README's table, in its order."""

    OK = 0
    INTERNAL = 1  # a bug in exhume
    USAGE = 2  # bad usage or input
    UNRESOLVED = 3  # lock: an import no distribution on the index provides
    UNSATISFIABLE = 4  # lock: no Python version or resolution fits, or the index cannot be reached
    BUILD = 5  # build: the image build failed, or no engine answers
    SMOKE = 6  # build: smoke tests failed with environment errors after the last repair round
    FINDINGS = 7  # audit --fail-on: a finding of that severity or worse
    ITEMS = 8  # batch: at least one item did not succeed (its record says why)
    STALE = 9  # check: the committed lock no longer fits the code
    INTERRUPTED = 130  # Ctrl-C, as shells report SIGINT


class ExhumeError(Exception):
    """Root of every error exhume raises on purpose. ``exit_code`` is what README documents for it."""

    exit_code: ExitCode = ExitCode.INTERNAL

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def render(self) -> str:
        """The message, then the hint on its own line where there is one."""
        text = f"ERROR {self.message}"
        if self.hint:
            text += f"\nhint: {self.hint}"
        return text


class InputError(ExhumeError):
    """Bad usage or bad input given on the command line (a path that does not exist, a malformed option)."""

    exit_code: ExitCode = ExitCode.USAGE


class KnowledgeError(ExhumeError):
    """The knowledge base cannot answer: unknown distribution, unknown name, missing data."""

    exit_code: ExitCode = ExitCode.USAGE


class UnknownDistributionError(KnowledgeError):
    def __init__(self, distribution: str, *, known: list[str] | None = None) -> None:
        hint = None
        if known:
            hint = "distributions with an API index: " + ", ".join(sorted(known))
        super().__init__(f"no knowledge of distribution {distribution!r}", hint=hint)
        self.distribution = distribution


class UnknownNameError(KnowledgeError):
    def __init__(self, distribution: str, name: str, *, hint: str | None = None) -> None:
        super().__init__(f"{name!r} is not a name any indexed release of {distribution} provides", hint=hint)
        self.distribution = distribution
        self.name = name


class KnowledgeDataError(KnowledgeError):
    """A knowledge table is missing or unreadable: the install is incomplete or the override points wrong."""


class StdlibDataError(KnowledgeError):
    """The stdlib table is missing or does not match this code (regenerate it with scripts/gen_stdlib.py)."""


class BreakageDataError(KnowledgeError):
    """The breakage table is missing or has a malformed row (the message names the row and the field)."""


class ProjectNotFound(ExhumeError):
    """The index has no project of that name (HTTP 404), or offline mode has no cached page for it."""

    exit_code: ExitCode = ExitCode.USAGE

    def __init__(self, name: str, *, index: str, offline: bool = False) -> None:
        if offline:
            message = f"no cached index page for project {name!r} (offline mode)"
            hint = "run once without --offline to fill the cache"
        else:
            message = f"project {name!r} not found on the index {index}"
            hint = "check the spelling, or the index your pip configuration names (index-url)"
        super().__init__(message, hint=hint)
        self.name = name
        self.index = index
        self.offline = offline


class IndexUnreachable(ExhumeError):
    """The index (or a file it links to) could not be reached, even after retries."""

    exit_code: ExitCode = ExitCode.UNSATISFIABLE

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(
            f"cannot reach {url}: {reason}",
            hint="check the network and the index-url in your pip configuration (or PIP_INDEX_URL)",
        )
        self.url = url
        self.reason = reason


class BadRemoteFile(ExhumeError):
    """A remote file is not the zip archive it was expected to be."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"cannot read {url} as a zip archive: {reason}")
        self.url = url


class HashMismatch(ExhumeError):
    """A file's bytes do not have the hash its index page gives: a corrupted or substituted file."""

    exit_code: ExitCode = ExitCode.UNSATISFIABLE

    def __init__(self, url: str, algorithm: str, expected: str, actual: str) -> None:
        super().__init__(
            f"{url}: {algorithm} is {actual}, the index page says {expected}; not used",
            hint="the file was corrupted on the way or changed on the index; run again, or ask the index's operator",
        )
        self.url = url


class MemberNotFound(ExhumeError):
    """A member name asked of a remote zip archive is not in it."""

    def __init__(self, url: str, name: str) -> None:
        super().__init__(f"{name!r} is not a member of {url}")
        self.url = url
        self.name = name


class UnresolvedImports(ExhumeError):
    """Imports that no distribution on the index provides (exit 3 unless ``--allow-unresolved``)."""

    exit_code: ExitCode = ExitCode.UNRESOLVED


class InferenceError(ExhumeError):
    """No Python version or release set fits the evidence; the message names the conflicting evidence."""

    exit_code: ExitCode = ExitCode.UNSATISFIABLE


class InterpreterNotFound(ExhumeError):
    """No interpreter of the target Python version is on this machine."""

    exit_code: ExitCode = ExitCode.UNSATISFIABLE

    def __init__(self, python: str) -> None:
        key = "EXHUME_PYTHON_" + python.replace(".", "_")
        super().__init__(
            f"no Python {python} interpreter found to resolve the lock in",
            hint=f"install one (pyenv install {python}, or uv python install {python}) or set {key} to its path",
        )
        self.python = python


class ToolSetupError(ExhumeError):
    """The tool environment (a virtualenv holding pip-tools) could not be made; carries the output tail."""

    exit_code: ExitCode = ExitCode.UNSATISFIABLE

    def __init__(self, message: str, *, tail: str) -> None:
        super().__init__(f"{message}\n{tail}" if tail else message, hint="check the network and the index")
        self.tail = tail


class ResolutionError(ExhumeError):
    """pip-compile could not resolve the requirements as of the date; carries the tail of its output."""

    exit_code: ExitCode = ExitCode.UNSATISFIABLE

    def __init__(self, message: str, *, tail: str, hint: str | None = None) -> None:
        super().__init__(f"{message}\n{tail}" if tail else message, hint=hint)
        self.tail = tail


class ClusterUnavailable(ExhumeError):
    """``exhume batch`` has no Ray to run on: the extra is not installed, or ``--address`` does not answer."""

    exit_code: ExitCode = ExitCode.USAGE


class EngineUnavailable(ExhumeError):
    """No container engine answers (or the chosen one cannot work here); the hint says what to do."""

    exit_code: ExitCode = ExitCode.BUILD

    def __init__(self, message: str, *, hint: str | None = _ENGINE_HINT) -> None:
        super().__init__(message, hint=hint)


class BuildFailed(ExhumeError):
    """An image (or venv) build failed; carries the tag, the last :data:`TAIL_LINES` lines of the build log
    (the message shows the last :data:`MESSAGE_LINES`) and the time taken."""

    exit_code: ExitCode = ExitCode.BUILD

    def __init__(self, tag: str, *, reason: str, log_tail: str, seconds: float, hint: str | None = None) -> None:
        message = f"building {tag} failed: {reason}"
        if log_tail:
            message += "\n" + "\n".join(log_tail.splitlines()[-MESSAGE_LINES:])
        super().__init__(message, hint=hint or "the log tail above shows the failing step")
        self.tag = tag
        self.reason = reason
        self.log_tail = log_tail
        self.seconds = seconds
