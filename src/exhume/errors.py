"""exhume's one exception root. Each error renders its own message and a hint; the CLI maps it to an exit code.

The library raises these and never prints or exits; ``exhume.cli.main`` is the only place that does.
"""

from __future__ import annotations

__all__ = ["ExhumeError", "InputError", "KnowledgeError", "UnknownDistributionError", "UnknownNameError"]


class ExhumeError(Exception):
    """Root of every error exhume raises on purpose. ``exit_code`` is what README documents for it."""

    exit_code = 1

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

    exit_code = 2


class KnowledgeError(ExhumeError):
    """The knowledge base cannot answer: unknown distribution, unknown name, missing data."""

    exit_code = 2


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
