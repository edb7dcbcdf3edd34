"""A ``Retry-After`` (seconds or an HTTP date) is honoured by every user of the shared retry policy:
the Google Health API client, the OAuth token endpoint and the InfluxDB writer, over real HTTP."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import orjson
import pytest

from fitbit_sync.auth.oauth import OAuthClient
from fitbit_sync.config import Settings
from fitbit_sync.net.retry import RetryPolicy
from fitbit_sync.records import Record
from fitbit_sync.sources.google_health.client import HealthApiClient
from fitbit_sync.stores.influx_writer import LineProtocolWriter, WriteEndpoint, write_retry
from fitbit_sync.stores.spool import Spool
from support.capture_server import CaptureServer, Reply, sequence

WAIT = 30  # seconds the server asks for


def retry_after(form: str) -> str:
    """``WAIT`` seconds from now, as delta-seconds or as an HTTP date (whole seconds: 29-30 s)."""
    return str(WAIT) if form == "seconds" else email.utils.formatdate(time.time() + WAIT, usegmt=True)


class FakeTokens:
    def access_token(self) -> str:
        return "ya29.token"

    def invalidate(self) -> None:
        pass


def settings(server: CaptureServer) -> Settings:
    return Settings(client_id="c.apps.googleusercontent.com", client_secret="s3cret", api_base_url=server.url,
                    token_url=server.url + "/token", max_retries=3)


def via_api_client(server: CaptureServer, tmp_path: Path) -> list[float]:
    sleeps: list[float] = []
    now = [0.0]

    def sleep(seconds: float) -> None:  # a fake clock that moves only when the client waits
        sleeps.append(seconds)
        now[0] += seconds

    client = HealthApiClient(settings(server), FakeTokens(), sleep=sleep, clock=lambda: now[0],
                             policy=RetryPolicy(max_retries=3, base=0.01))
    with client:
        assert client.identity() == {"healthUserId": "u1"}
    return sleeps


def via_oauth(server: CaptureServer, tmp_path: Path) -> list[float]:
    sleeps: list[float] = []
    with OAuthClient(settings(server), sleep=sleeps.append, policy=RetryPolicy(max_retries=3, base=0.01)) as oauth:
        assert oauth.refresh("1//refresh")["access_token"] == "ya29.new"
    return sleeps


def via_influx_writer(server: CaptureServer, tmp_path: Path) -> list[float]:
    sleeps: list[float] = []
    writer = LineProtocolWriter(httpx.Client(timeout=5), WriteEndpoint(server.url + "/write", {"db": "fitbit"}),
                                Spool(tmp_path / "spool"), retry=write_retry(retries=3, base_seconds=0.01,
                                                                             max_seconds=60.0),
                                sleep=sleeps.append)
    try:
        assert writer.write([Record("HeartRate_Intraday", 0, {"value": 60}, {"Device": "Charge 6"})]) == 1
    finally:
        writer.close()
    assert len(writer.spool) == 0
    return sleeps


USERS: dict[str, tuple[Callable[[CaptureServer, Path], list[float]], bytes]] = {
    "api client": (via_api_client, orjson.dumps({"healthUserId": "u1"})),
    "oauth": (via_oauth, orjson.dumps({"access_token": "ya29.new", "expires_in": 3599, "token_type": "Bearer"})),
    "influx writer": (via_influx_writer, b""),
}


@pytest.mark.parametrize("form", ["seconds", "http-date"])
@pytest.mark.parametrize("user", sorted(USERS))
def test_retry_after_is_honoured(user: str, form: str, tmp_path: Path) -> None:
    run, ok_body = USERS[user]
    ok = Reply(200, ok_body, {"Content-Type": "application/json"}) if ok_body else Reply(204)
    with CaptureServer(sequence(Reply(503, b"{}", {"Retry-After": retry_after(form)}), then=ok)) as server:
        sleeps = run(server, tmp_path)
    assert len(server.requests) == 2  # the refusal, then the retry
    assert len(sleeps) == 1 and WAIT - 2 <= sleeps[0] <= WAIT + 1, sleeps
