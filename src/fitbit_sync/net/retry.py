"""When and how long to wait before retrying a request: one policy for every HTTP peer we talk to.

The Google Health API client, the OAuth token endpoints and the InfluxDB writer all retry with
this: exponential backoff with jitter, a ``Retry-After`` (seconds or an HTTP date, read by the one
``parse_retry_after``) honoured up to a cap, at most ``max_retries`` retries and, when set, a total
time ``budget`` per request. A loop takes a ``Backoff`` per request and asks it for each wait.

Retried: HTTP 429, 500, 502, 503, 504, timeouts, connection resets and protocol errors, and
2xx answers whose body is malformed, truncated or over its size cap. Never other 4xx. (The
InfluxDB writer also retries 408, see ``stores.influx_writer``.)
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
    """A 2xx answer whose body is not what we expect (truncated, HTML, over the size cap, ...);
    ``status`` is the answer's HTTP status when known."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


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


def retry_after_of(response: httpx.Response) -> float | None:
    """The wait a response asks for in its ``Retry-After`` header, in seconds (None: none/bad)."""
    return parse_retry_after(response.headers.get("Retry-After"))


@dataclass
class RetryPolicy:
    """``max_retries`` retries after the first attempt. Before retry ``n`` (0 for the first) it
    waits ``uniform(floor * c, c)`` with ``c = min(cap, base * 2**n)`` (full jitter when ``floor``
    is 0), or what ``Retry-After`` asked, up to ``retry_after_cap``, plus up to
    ``min(retry_after_spread, base)`` so parallel workers do not all return at once. With a
    ``budget``, no retry starts once it would wait past ``budget`` seconds after the first attempt."""

    max_retries: int = 6
    base: float = 1.0
    cap: float = 60.0
    retry_after_cap: float = 300.0
    rng: random.Random = field(default_factory=random.Random)
    floor: float = 0.0
    retry_after_spread: float = 1.0
    budget: float | None = None

    def delay(self, retry_number: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry ``retry_number`` (0 for the first retry)."""
        if retry_after is not None:
            return min(retry_after, self.retry_after_cap) + self.rng.uniform(0, min(self.retry_after_spread,
                                                                                    self.base))
        ceiling = min(self.cap, self.base * (2 ** min(retry_number, 30)))
        return self.rng.uniform(self.floor * ceiling, ceiling)

    def should_retry(self, retry_number: int) -> bool:
        return retry_number < self.max_retries

    def backoff(self, *, clock: Callable[[], float] = time.monotonic) -> Backoff:
        """The retries of one request, starting now."""
        return Backoff(self, clock)


class Backoff:
    """The retries of one request under a ``RetryPolicy``: ``next_delay`` is the wait before the
    next attempt, or None once the retries or the time budget are spent."""

    def __init__(self, policy: RetryPolicy, clock: Callable[[], float] = time.monotonic) -> None:
        self.policy = policy
        self.retries = 0  # retries granted so far
        self._clock = clock
        self._started = clock()

    @property
    def attempts(self) -> int:
        """Attempts made once the current one has failed: the first plus every retry granted."""
        return self.retries + 1

    def next_delay(self, retry_after: float | None = None) -> float | None:
        policy = self.policy
        if not policy.should_retry(self.retries):
            return None
        delay = policy.delay(self.retries, retry_after)
        if policy.budget is not None and self._clock() - self._started + delay > policy.budget:
            return None
        self.retries += 1
        return delay
