"""One HTTP GET with retries and backoff, shared by the index client and remote zip reads."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping
from email.utils import parsedate_to_datetime

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
#: The longest Retry-After (seconds) a 429 or 503 is waited for; a server asking for more is reported.
RETRY_AFTER_MAX = 120.0
#: Errors that mean the answer was cut short or garbled on the way: asking again can help.
_CUT_SHORT = (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError)


def timeout() -> tuple[float, float]:
    """(connect, read) seconds: ``EXHUME_HTTP_TIMEOUT`` (one number, used for both, the connect part capped
    at 15 s) or the default."""
    value = os.environ.get("EXHUME_HTTP_TIMEOUT", "").strip()
    if not value:
        return TIMEOUT
    try:
        seconds = float(value)
    except ValueError:
        log.warning("EXHUME_HTTP_TIMEOUT=%r is not a number of seconds; using %s", value, TIMEOUT)
        return TIMEOUT
    if seconds <= 0:
        log.warning("EXHUME_HTTP_TIMEOUT=%r is not positive; using %s", value, TIMEOUT)
        return TIMEOUT
    return (min(seconds, TIMEOUT[0]), seconds)


def retry_after(response: requests.Response) -> float | None:
    """The seconds a 429/503 answer's Retry-After asks for (a number or an HTTP date), None without one."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())


def new_session() -> requests.Session:
    """A session with exhume's User-Agent and a connection pool large enough for ~16 worker threads."""
    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    adapter = HTTPAdapter(pool_connections=8, pool_maxsize=32)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def get(session: requests.Session, url: str, headers: Mapping[str, str] | None = None) -> requests.Response:
    """GET ``url``, retrying what asking again can help: a refused or dropped connection, a stall past the
    timeout, a body cut short, 429 and 5xx answers, with exponential backoff, waiting as long as a 429/503
    answer's Retry-After asks (up to :data:`RETRY_AFTER_MAX`).

    Any other status (including 404 and 304) is returned to the caller to interpret. Raises
    :class:`IndexUnreachable`, naming the URL and the last fault, once the attempts are used up.
    """
    reason = "no attempt made"
    wait = 0.0
    limits = timeout()
    for attempt in range(ATTEMPTS):
        if attempt:
            time.sleep(max(wait, BACKOFF * 2 ** (attempt - 1)))
        wait = 0.0
        try:
            response = session.get(url, headers=dict(headers or {}), timeout=limits)
        except requests.Timeout as exc:
            reason = f"no answer within {limits[1]:g} s ({type(exc).__name__})"
        except requests.ConnectionError as exc:
            reason = f"connection failed ({_root_cause(exc)})"
        except _CUT_SHORT as exc:
            reason = f"the answer was cut short ({_root_cause(exc)})"
        except requests.RequestException as exc:
            # Not transient (an invalid URL, too many redirects): retrying will not help.
            raise IndexUnreachable(url, f"{type(exc).__name__}: {exc}") from exc
        else:
            if response.status_code != 429 and response.status_code < 500:
                return response
            reason = f"HTTP {response.status_code}"
            asked = retry_after(response) if response.status_code in (429, 503) else None
            response.close()
            if asked is not None:
                if asked > RETRY_AFTER_MAX:
                    raise IndexUnreachable(url, f"{reason}, asked to retry after {asked:.0f} s")
                reason += f" (Retry-After {asked:g} s)"
                wait = asked
        log.debug("GET %s failed (attempt %d): %s", url, attempt + 1, reason)
    raise IndexUnreachable(url, f"{reason} after {ATTEMPTS} attempts")


def _root_cause(exc: BaseException) -> str:
    """The innermost error's name and words: urllib3 wraps the socket's error two or three times over."""
    inner: BaseException = exc
    while True:
        nxt = inner.__cause__ or inner.__context__
        if nxt is None and inner.args and isinstance(inner.args[0], BaseException):
            nxt = inner.args[0]
        if nxt is None or nxt is inner:
            break
        inner = nxt
    words = str(inner).split(": ", 1)[-1] if "Max retries" in str(inner) else str(inner)
    return f"{type(inner).__name__}: {words}" if words else type(inner).__name__
