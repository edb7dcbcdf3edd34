"""When and how long to wait before retrying a request: exponential backoff with full jitter.

Retried: HTTP 429, 500, 502, 503, 504, timeouts, connection resets and protocol errors, and
2xx answers whose JSON body is malformed or truncated. Never other 4xx. ``Retry-After`` (seconds
or an HTTP date) is honoured, up to ``retry_after_cap``.
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

RETRY_STATUSES: frozenset[int] = frozenset({429, 500, 502, 503, 504})

# httpx.TransportError covers timeouts, connect errors, read/write errors (connection reset) and
# RemoteProtocolError (server closed the connection mid-answer). Invalid URLs or unsupported
# protocols are programming errors and are not retried.
_NOT_RETRYABLE = (httpx.UnsupportedProtocol, httpx.LocalProtocolError, httpx.ProxyError)


class MalformedResponse(Exception):
    """A 2xx answer whose body is not the JSON object we expect (truncated, HTML, ...)."""


def is_retryable_exception(exc: BaseException) -> bool:
    if isinstance(exc, MalformedResponse | httpx.DecodingError):  # e.g. a gzip body cut short
        return True
    return isinstance(exc, httpx.TransportError) and not isinstance(exc, _NOT_RETRYABLE)


def is_retryable_status(status: int) -> bool:
    return status in RETRY_STATUSES


def parse_retry_after(value: str | None, *, now: Callable[[], float] = time.time) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date); None if absent/bad."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        seconds = when.timestamp() - now()
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


@dataclass
class RetryPolicy:
    """``max_retries`` retries after the first attempt; waits ``uniform(0, min(cap, base * 2**n))``."""

    max_retries: int = 6
    base: float = 1.0
    cap: float = 60.0
    retry_after_cap: float = 300.0
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, retry_number: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry ``retry_number`` (0 for the first retry)."""
        if retry_after is not None:
            # the server said when; add a little jitter so parallel workers do not return at once
            return min(retry_after, self.retry_after_cap) + self.rng.uniform(0, min(1.0, self.base))
        ceiling = min(self.cap, self.base * (2 ** min(retry_number, 30)))
        return self.rng.uniform(0, ceiling)

    def should_retry(self, retry_number: int) -> bool:
        return retry_number < self.max_retries
