"""Which package index the user's pip is configured to use."""

from __future__ import annotations

import ast
import functools
import logging
import os
import subprocess
import sys

from exhume.errors import IndexUnreachable

__all__ = ["index_url"]

log = logging.getLogger(__name__)

# Sections pip reads index-url from for `pip install`, most specific last: [install] overrides [global].
_CONFIG_KEYS = ("global.index-url", "install.index-url")


@functools.cache
def index_url() -> str:
    """The primary package index the user's pip uses, without a trailing slash.

    In order: the ``PIP_INDEX_URL`` environment variable; ``index-url`` from pip's configuration files (as
    ``python -m pip config list`` reports them, merged across global/user/site); else pip's own default.
    Extra indexes and find-links are ignored. The answer is cached for the life of the process
    (``index_url.cache_clear()`` forgets it).
    """
    env = os.environ.get("PIP_INDEX_URL", "").strip()
    if env:
        return _first_url(env)
    configured = _from_pip_config()
    if configured:
        return configured
    return _pip_default()


def _first_url(value: str) -> str:
    # pip accepts whitespace-separated lists in config values; index-url takes the first.
    return value.split(maxsplit=1)[0].rstrip("/")


def _from_pip_config() -> str | None:
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "pip", "config", "list"],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        log.debug("pip config list failed: %s", exc)
        return None
    if proc.returncode != 0:
        log.debug("pip config list exited %d: %s", proc.returncode, proc.stderr.strip())
        return None
    found: dict[str, str] = {}
    for line in proc.stdout.splitlines():
        key, sep, raw = line.partition("=")
        if not sep or key.strip() not in _CONFIG_KEYS:
            continue
        try:
            value = ast.literal_eval(raw.strip())
        except (ValueError, SyntaxError):
            value = raw.strip().strip("'\"")
        if isinstance(value, str) and value.strip():
            found[key.strip()] = _first_url(value)
    for key in reversed(_CONFIG_KEYS):
        if key in found:
            return found[key]
    return None


def _pip_default() -> str:
    # pip keeps its built-in default index in pip._internal.models.index.PyPI; we read it from pip in a
    # subprocess (never importing pip's internals into our process) so that no registry host name is ever
    # written in exhume's own files.
    code = "from pip._internal.models.index import PyPI; print(PyPI.simple_url)"
    try:
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as exc:
        raise IndexUnreachable("pip's default index", f"pip could not tell its default index: {exc}") from exc
    url = proc.stdout.strip()
    if not url:
        raise IndexUnreachable("pip's default index", "pip printed no default index URL")
    return url.rstrip("/")
