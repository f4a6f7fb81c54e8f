"""Errors raised while talking to the package index."""

from __future__ import annotations

from exhume.errors import ExhumeError

__all__ = ["BadRemoteFile", "IndexUnreachable", "MemberNotFound", "ProjectNotFound"]


class ProjectNotFound(ExhumeError):
    """The index has no project of that name (HTTP 404), or offline mode has no cached page for it."""

    exit_code = 2

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


class IndexUnreachable(ExhumeError):
    """The index (or a file it links to) could not be reached, even after retries."""

    exit_code = 4

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


class MemberNotFound(ExhumeError):
    """A member name asked of a remote zip archive is not in it."""

    def __init__(self, url: str, name: str) -> None:
        super().__init__(f"{name!r} is not a member of {url}")
        self.url = url
        self.name = name
