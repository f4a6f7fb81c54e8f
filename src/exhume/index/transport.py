"""One HTTP GET with retries and backoff, shared by the index client and remote zip reads."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping

import requests
from requests.adapters import HTTPAdapter

from exhume import __version__
from exhume.errors import IndexUnreachable

__all__ = ["USER_AGENT", "get", "new_session"]

log = logging.getLogger(__name__)

USER_AGENT = f"exhume/{__version__}"
TIMEOUT = (15.0, 90.0)  # (connect, read) seconds
ATTEMPTS = 4
BACKOFF = 0.5  # seconds before the 2nd attempt, doubling after


def new_session() -> requests.Session:
    """A session with exhume's User-Agent and a connection pool large enough for ~16 worker threads."""
    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    adapter = HTTPAdapter(pool_connections=8, pool_maxsize=32)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def get(session: requests.Session, url: str, headers: Mapping[str, str] | None = None) -> requests.Response:
    """GET ``url``, retrying connection errors, timeouts, 429 and 5xx with exponential backoff.

    Any other status (including 404 and 304) is returned to the caller to interpret. Raises
    :class:`IndexUnreachable` once the attempts are used up.
    """
    reason = "no attempt made"
    for attempt in range(ATTEMPTS):
        if attempt:
            time.sleep(BACKOFF * 2 ** (attempt - 1))
        try:
            response = session.get(url, headers=dict(headers or {}), timeout=TIMEOUT)
        except (requests.ConnectionError, requests.Timeout) as exc:
            reason = f"{type(exc).__name__}: {exc}"
            log.debug("GET %s failed (attempt %d): %s", url, attempt + 1, reason)
            continue
        except requests.RequestException as exc:
            # Not transient (an invalid URL, too many redirects): retrying will not help.
            raise IndexUnreachable(url, f"{type(exc).__name__}: {exc}") from exc
        if response.status_code == 429 or response.status_code >= 500:
            reason = f"HTTP {response.status_code}"
            log.debug("GET %s answered %s (attempt %d)", url, reason, attempt + 1)
            response.close()
            continue
        return response
    raise IndexUnreachable(url, f"{reason} after {ATTEMPTS} attempts")
