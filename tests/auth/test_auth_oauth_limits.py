"""The OAuth token endpoint gets the API client's limits: a body that never ends or is too big is
refused at the size cap, one that trickles forever ends at the request deadline; no answer makes
memory or time unbounded (emulator faults aimed at ``/token``, over real HTTP)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from fitbit_sync.auth.oauth import TOKEN_BODY_CAP, OAuthClient
from fitbit_sync.emulator.testing import EmulatorServer
from fitbit_sync.errors import SourceError
from support.answer_limits import max_rss_mb, watchdog
from support.emulator import settings_for

pytestmark = pytest.mark.reliability


def test_an_endless_token_answer_is_refused_at_the_cap(emulator_factory: Callable[..., EmulatorServer],
                                                       token_file: Path) -> None:
    server = emulator_factory()
    server.state.set_faults([{"kind": "endless_body", "path_prefix": "/token"}])  # as fast as we read
    settings = settings_for(server, token_file, max_retries=1)
    rss_before = max_rss_mb()
    started = time.monotonic()
    with watchdog(server, 8.0), OAuthClient(settings, sleep=lambda _s: None) as oauth, \
            pytest.raises(SourceError) as info:
        oauth.refresh("1//refresh-token")
    assert time.monotonic() - started < 4.0
    message = str(info.value)
    assert f"over the cap of {TOKEN_BODY_CAP:,} bytes" in message and "\n" not in message
    assert "1//refresh-token" not in message
    # retried once; the emulator logs an endless answer when it notices the client has gone
    deadline = time.monotonic() + 5
    while token_calls(server) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert token_calls(server) == 2
    assert max_rss_mb() - rss_before < 100  # a MiB of body, never the stream


def token_calls(server: EmulatorServer) -> int:
    return sum(1 for e in server.state.stats.log if e.get("path") == "/token")


def test_a_huge_token_answer_is_refused_before_it_is_read(emulator_factory: Callable[..., EmulatorServer],
                                                          token_file: Path) -> None:
    server = emulator_factory()
    refresh_token = server.issue_tokens()["refresh_token"]  # the real answer is a 200, padded
    server.state.set_faults([{"kind": "huge_body", "path_prefix": "/token", "size": 64 * 1024 * 1024}])
    settings = settings_for(server, token_file, max_retries=1)
    with watchdog(server, 8.0), OAuthClient(settings, sleep=lambda _s: None) as oauth, \
            pytest.raises(SourceError) as info:
        oauth.refresh(refresh_token)
    assert f"a body of 67,108,864 bytes, over the cap of {TOKEN_BODY_CAP:,}" in str(info.value)


def test_a_token_answer_that_trickles_forever_ends_at_the_deadline(
        emulator_factory: Callable[..., EmulatorServer], token_file: Path) -> None:
    server = emulator_factory()
    server.state.set_faults([{"kind": "endless_body", "path_prefix": "/token", "seconds": 0.2}])
    settings = settings_for(server, token_file, request_timeout=5.0, request_deadline=1.0, max_retries=1)
    started = time.monotonic()
    with watchdog(server, 8.0), OAuthClient(settings, sleep=lambda _s: None) as oauth, \
            pytest.raises(SourceError) as info:
        oauth.refresh("1//refresh-token")
    assert 2.0 <= time.monotonic() - started < 4.0  # two attempts of one deadline each
    assert "ReadTimeout" in str(info.value)
