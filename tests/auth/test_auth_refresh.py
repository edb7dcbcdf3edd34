"""Refreshing tokens against the emulator: before expiry, after a 401, invalid_grant, two processes."""

from __future__ import annotations

import multiprocessing
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from fitbit_sync.auth.tokens import REAUTH_MESSAGE, StoredTokenProvider, TokenSet, TokenStore
from fitbit_sync.emulator.testing import EmulatorServer
from fitbit_sync.errors import AuthRequiredError, ExitCode, ReauthRequiredError
from fitbit_sync.sources.google_health.client import HealthApiClient, open_client
from support.emulator import settings_for


def seed_tokens(emulator: EmulatorServer, token_file: Path, *, testing: bool = False) -> TokenSet:
    """Tokens as after a consent (the browser step is covered in test_auth_flow)."""
    data = emulator.issue_tokens(testing=testing)
    tokens = TokenSet.from_response(data, now=time.time(), client_id=emulator.client_id)
    TokenStore(token_file).save(tokens)
    return tokens


def token_requests(emulator: EmulatorServer) -> int:
    return sum(1 for entry in emulator.state.stats.log if entry.get("path") == "/token")


def test_fresh_token_is_used_without_refreshing(emulator: EmulatorServer, token_file: Path) -> None:
    seeded = seed_tokens(emulator, token_file)
    provider = StoredTokenProvider(settings_for(emulator, token_file))
    assert provider.access_token() == seeded.access_token.get_secret_value()
    assert provider.access_token() == seeded.access_token.get_secret_value()
    assert provider.refresh_count == 0 and token_requests(emulator) == 0


def test_refreshes_five_minutes_before_expiry(emulator: EmulatorServer, token_file: Path) -> None:
    seeded = seed_tokens(emulator, token_file)
    settings = settings_for(emulator, token_file)
    clock = [seeded.expires_at - 301]  # an injected clock: a slow machine must not eat the 1 s margin
    provider = StoredTokenProvider(settings, now=lambda: clock[0])
    # 5 min 1 s left: still used as is
    assert provider.access_token() == seeded.access_token.get_secret_value()
    clock[0] += 2  # 4 min 59 s left: refreshed
    fresh = provider.access_token()
    assert fresh != seeded.access_token.get_secret_value()
    assert provider.refresh_count == 1 and token_requests(emulator) == 1
    stored = TokenStore(token_file).load()
    assert stored is not None and stored.access_token.get_secret_value() == fresh
    # Google sends no new refresh token on refresh: the old one is kept
    assert stored.refresh_token == seeded.refresh_token
    assert stored.scopes == seeded.scopes
    # and the refreshed token is accepted by the API
    with HealthApiClient(settings, provider) as client:
        assert client.identity()["healthUserId"]
    assert client.calls == {"identity": 1}


def test_a_401_triggers_one_refresh(emulator: EmulatorServer, token_file: Path) -> None:
    seed_tokens(emulator, token_file)
    settings = settings_for(emulator, token_file)
    with open_client(settings) as client:
        client.identity()
        emulator.state.expire_access_tokens()  # Google revoked the access token early
        assert client.profile()
        assert client.calls == {"identity": 1, "profile": 1, "retry": 1}
    assert token_requests(emulator) == 1


@pytest.mark.reliability
def test_invalid_grant_is_reauth_required_and_does_not_loop(emulator: EmulatorServer, token_file: Path) -> None:
    seed_tokens(emulator, token_file, testing=True)
    settings = settings_for(emulator, token_file)
    emulator.state.expire_refresh_tokens()  # the 7-day Testing expiry passed
    emulator.state.expire_access_tokens()
    provider = StoredTokenProvider(settings, now=lambda: time.time() + 7200)
    with pytest.raises(ReauthRequiredError) as info:
        provider.access_token()
    assert str(info.value) == REAUTH_MESSAGE
    assert "publish the app" in str(info.value) and info.value.exit_code == ExitCode.REAUTH_REQUIRED == 4
    assert token_requests(emulator) == 1
    # the next run (say, a restarted daemon) gets the same line without asking Google again
    for _ in range(3):
        with pytest.raises(ReauthRequiredError):
            open_client(settings)
        with pytest.raises(ReauthRequiredError):
            StoredTokenProvider(settings).access_token()
    assert token_requests(emulator) == 1
    stored = TokenStore(token_file).load()
    assert stored is not None and stored.refresh_token is not None  # nothing thrown away


def test_no_token_file_is_auth_required(emulator: EmulatorServer, token_file: Path) -> None:
    with pytest.raises(AuthRequiredError) as info:
        open_client(settings_for(emulator, token_file))
    assert "fitbit-sync auth" in str(info.value) and info.value.exit_code == ExitCode.AUTH_REQUIRED


def test_token_of_another_client_is_reauth_required(emulator: EmulatorServer, token_file: Path) -> None:
    seed_tokens(emulator, token_file)
    settings = settings_for(emulator, token_file, client_id="someone-else.apps.googleusercontent.com")
    with pytest.raises(ReauthRequiredError) as info:
        StoredTokenProvider(settings).access_token()
    assert "another OAuth client" in str(info.value)


def _refresh_in_child(settings_json: str, secret: str, offset: float, barrier: multiprocessing.synchronize.Barrier,
                      out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    from pydantic import SecretStr

    from fitbit_sync.config import Settings

    settings = Settings.model_validate_json(settings_json).model_copy(update={"client_secret": SecretStr(secret)})
    provider = StoredTokenProvider(settings, now=lambda: time.time() + offset)
    barrier.wait(30)
    try:
        out.put(("ok", provider.access_token(), provider.refresh_count))
    except Exception as exc:  # reported to the parent, which fails the test
        out.put(("error", f"{type(exc).__name__}: {exc}", -1))


@pytest.mark.reliability
def test_two_processes_refreshing_at_once_refresh_once(emulator: EmulatorServer, token_file: Path) -> None:
    seeded = seed_tokens(emulator, token_file)
    settings = settings_for(emulator, token_file)
    offset = seeded.expires_at - time.time() - 60  # both see a token about to expire
    ctx = multiprocessing.get_context("spawn")
    barrier, out = ctx.Barrier(3), ctx.Queue()
    args = (settings.model_dump_json(), emulator.client_secret, offset, barrier, out)
    children = [ctx.Process(target=_refresh_in_child, args=args) for _ in range(3)]
    for child in children:
        child.start()
    results = [out.get(timeout=60) for _ in children]
    for child in children:
        child.join(30)
        assert child.exitcode == 0
    assert all(kind == "ok" for kind, _, _ in results), results
    tokens = {token for _, token, _ in results}
    assert len(tokens) == 1 and seeded.access_token.get_secret_value() not in tokens
    assert sorted(count for _, _, count in results) == [0, 0, 1]  # the others re-read the file
    assert token_requests(emulator) == 1
    stored = TokenStore(token_file).load()
    assert stored is not None and stored.access_token.get_secret_value() in tokens


def test_workers_hitting_401_together_refresh_once(emulator: EmulatorServer, token_file: Path) -> None:
    seed_tokens(emulator, token_file)
    with open_client(settings_for(emulator, token_file)) as client:
        client.identity()
        emulator.state.expire_access_tokens()
        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(lambda _: client.identity()["healthUserId"], range(8)))
    assert len(set(results)) == 1
    assert token_requests(emulator) == 1
