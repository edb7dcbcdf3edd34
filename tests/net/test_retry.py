"""Backoff arithmetic, the time budget and Retry-After parsing of the one retry policy (``net.retry``)."""

from __future__ import annotations

import email.utils
import random

import httpx
import pytest

from fitbit_sync.net.retry import (
    Backoff,
    MalformedResponse,
    RetryPolicy,
    is_retryable_exception,
    is_retryable_status,
    parse_retry_after,
)


def test_full_jitter_stays_within_the_exponential_ceiling_and_the_cap() -> None:
    policy = RetryPolicy(max_retries=10, base=0.5, cap=8.0, rng=random.Random(3))
    for n in range(10):
        ceiling = min(8.0, 0.5 * 2**n)
        delays = [policy.delay(n) for _ in range(300)]
        assert all(0 <= d <= ceiling for d in delays)
        assert max(delays) > 0.8 * ceiling  # jitter spans the whole range
        assert min(delays) < 0.2 * ceiling


def test_retry_after_is_honoured_and_capped() -> None:
    policy = RetryPolicy(base=1.0, retry_after_cap=120.0, rng=random.Random(1))
    assert 30.0 <= policy.delay(0, 30.0) <= 31.0
    assert 120.0 <= policy.delay(5, 10_000.0) <= 121.0


def test_should_retry_counts_retries_not_attempts() -> None:
    policy = RetryPolicy(max_retries=2)
    assert [policy.should_retry(n) for n in range(4)] == [True, True, False, False]
    assert not RetryPolicy(max_retries=0).should_retry(0)


def test_parse_retry_after() -> None:
    now = 1_800_000_000.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(" 2.5 ") == 2.5
    assert parse_retry_after("-3") == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after("nan") is None
    http_date = email.utils.formatdate(now + 42, usegmt=True)
    assert parse_retry_after(http_date, now=lambda: now) == pytest.approx(42, abs=1)
    assert parse_retry_after(email.utils.formatdate(now - 100, usegmt=True), now=lambda: now) == 0.0


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_retryable_statuses(status: int) -> None:
    assert is_retryable_status(status)


@pytest.mark.parametrize("status", [200, 400, 401, 403, 404, 409, 410, 501])
def test_not_retryable_statuses(status: int) -> None:
    assert not is_retryable_status(status)


def test_retryable_exceptions() -> None:
    request = httpx.Request("GET", "http://x")
    for exc in (httpx.ReadTimeout("t", request=request), httpx.ConnectError("c", request=request),
                httpx.ReadError("reset", request=request), httpx.RemoteProtocolError("closed", request=request),
                httpx.PoolTimeout("p", request=request), MalformedResponse("bad json")):
        assert is_retryable_exception(exc), exc
    for exc in (httpx.UnsupportedProtocol("ftp", request=request), ValueError("x")):
        assert not is_retryable_exception(exc), exc


def test_a_floor_keeps_part_of_the_ceiling() -> None:
    policy = RetryPolicy(base=0.5, cap=8.0, floor=0.5, rng=random.Random(5))
    for n in range(6):
        ceiling = min(8.0, 0.5 * 2**n)
        assert all(ceiling / 2 <= policy.delay(n) <= ceiling for _ in range(200))


def test_retry_after_without_spread_is_exact() -> None:
    policy = RetryPolicy(base=1.0, retry_after_cap=10.0, retry_after_spread=0.0)
    assert policy.delay(0, 0.0) == 0.0 and policy.delay(3, 4.0) == 4.0 and policy.delay(0, 99.0) == 10.0


def test_backoff_counts_retries_and_stops_at_max_retries() -> None:
    backoff = RetryPolicy(max_retries=2, base=0.1, rng=random.Random(2)).backoff(clock=lambda: 0.0)
    assert backoff.attempts == 1
    assert backoff.next_delay() is not None and backoff.next_delay(5.0) is not None
    assert backoff.next_delay() is None and backoff.attempts == 3


def test_the_budget_bounds_the_time_of_all_attempts_and_waits() -> None:
    now = [100.0]
    policy = RetryPolicy(max_retries=50, base=1.0, cap=1.0, floor=1.0, budget=3.5)  # every wait is 1 s
    backoff = Backoff(policy, clock=lambda: now[0])
    waits = []
    while (delay := backoff.next_delay()) is not None:
        waits.append(delay)
        now[0] += delay + 0.1  # the wait, then an attempt that takes 0.1 s
    assert waits == [1.0, 1.0, 1.0]  # a 4th wait would end past 3.5 s
    assert backoff.attempts == 4


def test_a_retry_after_past_the_budget_gives_up_at_once() -> None:
    backoff = RetryPolicy(budget=60.0, retry_after_spread=0.0).backoff(clock=lambda: 0.0)
    assert backoff.next_delay(120.0) is None and backoff.attempts == 1
    assert RetryPolicy(budget=None, retry_after_spread=0.0).backoff().next_delay(120.0) == 120.0
