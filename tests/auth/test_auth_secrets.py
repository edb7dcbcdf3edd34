"""No token, code or client secret ever reaches logs, stdout, stderr or error messages."""

from __future__ import annotations

import logging
import time
import webbrowser
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from fitbit_sync.auth.tokens import StoredTokenProvider, TokenStore
from fitbit_sync.cli import main
from fitbit_sync.emulator.testing import EmulatorServer
from fitbit_sync.errors import FitbitSyncError
from fitbit_sync.sources.google_health.client import HealthApiClient
from support.emulator import env_for, settings_for

pytestmark = pytest.mark.reliability  # bad input, crashes, secrets


def test_a_whole_session_leaks_no_secret(emulator: EmulatorServer, token_file: Path,
                                         monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
                                         capfd: pytest.CaptureFixture[str]) -> None:
    caplog.set_level(logging.DEBUG)  # everything, including httpx/httpcore debug output
    env_for(emulator, token_file, monkeypatch)
    secrets: set[str] = {emulator.client_secret}
    errors: list[str] = []

    def remember_tokens() -> None:
        tokens = TokenStore(token_file).load()
        if tokens is not None:
            secrets.add(tokens.access_token.get_secret_value())
            if tokens.refresh_token is not None:
                secrets.add(tokens.refresh_token.get_secret_value())

    def browser(url: str) -> bool:
        first = httpx.get(url, timeout=10)
        location = first.headers["Location"]
        secrets.update(parse_qs(urlsplit(location).query)["code"])
        httpx.get(location, timeout=10)
        return True

    monkeypatch.setattr(webbrowser, "open", browser)

    # consent, status
    assert main(["auth"]) == 0
    remember_tokens()
    assert main(["auth", "--status"]) == 0

    # a sync-like session: 401 -> refresh, injected faults -> retries, refresh before expiry
    settings = settings_for(emulator, token_file, max_retries=4)
    provider = StoredTokenProvider(settings)
    client = HealthApiClient(settings, provider, sleep=lambda s: None)
    client.identity()
    emulator.state.expire_access_tokens()
    emulator.state.set_faults([{"kind": "http_503", "count": 1}, {"kind": "reset", "count": 1},
                               {"kind": "malformed", "count": 1}])
    client.profile()
    remember_tokens()
    assert client.calls["retry"] >= 4
    early = StoredTokenProvider(settings, now=lambda: time.time() + 3500)
    early.access_token()
    remember_tokens()
    emulator.state.clear_faults()
    # an API error answer and a missing-scope answer
    for call in (lambda: client.list_data_points("steps", filter="nonsense ==", page_size=5),
                 lambda: client.export_exercise_tcx("123456789")):
        with pytest.raises(FitbitSyncError) as info:
            call()
        errors.append(str(info.value))
    client.close()

    # the refresh token dies (7-day Testing expiry), then a new consent and a revoke
    emulator.state.expire_refresh_tokens()
    with pytest.raises(FitbitSyncError) as info:
        StoredTokenProvider(settings, now=lambda: time.time() + 7200).access_token()
    errors.append(str(info.value))
    assert main(["auth", "--status"]) == 4
    assert main(["auth"]) == 0
    remember_tokens()
    assert main(["auth", "--revoke"]) == 0
    # a wrong client secret
    monkeypatch.setenv("FITBIT_SYNC_CLIENT_SECRET", "GOCSPX-wrong-secret-1234")
    secrets.add("GOCSPX-wrong-secret-1234")
    assert main(["auth"]) == 2

    out, err = capfd.readouterr()
    logged = caplog.text + "\n".join(str(r.args) for r in caplog.records)
    assert len(secrets) >= 8  # client secret, 2 codes, access tokens, refresh tokens, wrong secret
    assert "HTTP Request" in logged and "retry" in logged  # the logs were really captured
    for secret in secrets:
        assert secret not in out, "secret on stdout"
        assert secret not in err, "secret on stderr"
        assert secret not in logged, "secret in the logs"
        for message in errors:
            assert secret not in message, "secret in an error message"
