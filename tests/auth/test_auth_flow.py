"""The consent flow against the emulator over real HTTP: PKCE, loopback, paste, state, errors."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from oauth_helpers import browser, redirect_of

from fitbit_sync import catalog
from fitbit_sync.auth.flow import authorize, build_auth_url
from fitbit_sync.auth.oauth import OAuthClient, OAuthError
from fitbit_sync.auth.pkce import PkcePair
from fitbit_sync.auth.tokens import StoredTokenProvider, TokenStore
from fitbit_sync.emulator.testing import EmulatorServer
from fitbit_sync.errors import AuthRequiredError, ConfigError
from fitbit_sync.sources.google_health.client import HealthApiClient
from support.emulator import settings_for


def test_full_loopback_flow_with_pkce(emulator: EmulatorServer, token_file: Path) -> None:
    settings = settings_for(emulator, token_file)
    seen: list[str] = []

    def open_browser(url: str) -> bool:
        seen.append(url)
        return browser(url)

    lines: list[str] = []
    result = authorize(settings, open_browser=open_browser, echo=lines.append, timeout=20)

    (url,) = seen
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert url.startswith(emulator.auth_url + "?")
    assert query["client_id"] == emulator.client_id
    assert query["response_type"] == "code"
    assert query["access_type"] == "offline" and query["prompt"] == "consent"
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert query["scope"].split() == list(catalog.ALL_SCOPES)
    assert urlsplit(query["redirect_uri"]).hostname == "127.0.0.1"
    assert len(query["state"]) >= 32
    assert any(url in line for line in lines)  # printed in case the browser does not open

    stored = TokenStore(token_file).load()
    assert stored == result.tokens
    assert stat.S_IMODE(os.stat(token_file).st_mode) == 0o600
    assert stored is not None and stored.refresh_token is not None
    assert set(stored.scopes) == set(catalog.ALL_SCOPES) and result.missing_scopes == ()
    # the tokens work on the API
    with HealthApiClient(settings, StoredTokenProvider(settings)) as client:
        assert "healthUserId" in client.identity()


def test_pasted_redirect_flow(emulator: EmulatorServer, token_file: Path) -> None:
    settings = settings_for(emulator, token_file)
    printed: list[str] = []

    def prompt(question: str) -> str:
        url = next(line.strip() for line in printed if line.strip().startswith(emulator.auth_url))
        return "  " + redirect_of(url) + "\n"

    result = authorize(settings, no_browser=True, echo=printed.append, prompt=prompt,
                       open_browser=lambda url: pytest.fail("no browser in --no-browser mode"))
    assert TokenStore(token_file).load() == result.tokens


def test_wrong_pkce_verifier_is_invalid_grant(emulator: EmulatorServer, token_file: Path) -> None:
    settings = settings_for(emulator, token_file)
    pkce, other = PkcePair.generate(), PkcePair.generate()
    redirect_uri = "http://127.0.0.1:9/"
    url = build_auth_url(settings, redirect_uri=redirect_uri, state="s", pkce=pkce)
    code = parse_qs(urlsplit(redirect_of(url)).query)["code"][0]
    with OAuthClient(settings) as oauth:
        with pytest.raises(OAuthError) as info:
            oauth.exchange_code(code, verifier=other.verifier, redirect_uri=redirect_uri)
        assert info.value.error == "invalid_grant"
        assert other.verifier not in str(info.value) and code not in str(info.value)
        # the right verifier still works: the emulator checked the verifier, not just its presence
        tokens = oauth.exchange_code(code, verifier=pkce.verifier, redirect_uri=redirect_uri)
        assert tokens["access_token"].startswith("ya29.")


def test_wrong_state_is_rejected_and_nothing_stored(emulator: EmulatorServer, token_file: Path) -> None:
    settings = settings_for(emulator, token_file)

    def forged(question: str) -> str:  # a redirect from a different sign-in (CSRF)
        url = build_auth_url(settings, redirect_uri="http://127.0.0.1:9/", state="attacker", pkce=PkcePair.generate())
        return redirect_of(url)

    with pytest.raises(AuthRequiredError) as info:
        authorize(settings, no_browser=True, echo=lambda line: None, prompt=forged)
    assert "state mismatch" in str(info.value)
    assert not token_file.exists()


def test_wrong_state_on_the_loopback_is_rejected(emulator: EmulatorServer, token_file: Path) -> None:
    settings = settings_for(emulator, token_file)

    def open_browser(url: str) -> bool:
        query = parse_qs(urlsplit(url).query)
        forged = url.replace(f"state={query['state'][0]}", "state=forged")
        httpx.get(forged, follow_redirects=True, timeout=10)
        return True

    with pytest.raises(AuthRequiredError) as info:
        authorize(settings, open_browser=open_browser, echo=lambda line: None, timeout=20)
    assert "state mismatch" in str(info.value)
    assert not token_file.exists()


def test_consent_denied(emulator: EmulatorServer, token_file: Path) -> None:
    emulator.state.oauth.set_consent(deny=True)
    settings = settings_for(emulator, token_file)
    with pytest.raises(AuthRequiredError) as info:
        authorize(settings, open_browser=browser, echo=lambda line: None, timeout=20)
    assert "access_denied" in str(info.value)
    assert not token_file.exists()


def test_partial_consent_is_reported(emulator: EmulatorServer, token_file: Path) -> None:
    emulator.state.oauth.set_consent(grant_only=[catalog.SCOPE_ACTIVITY, catalog.SCOPE_SLEEP])
    settings = settings_for(emulator, token_file)
    result = authorize(settings, open_browser=browser, echo=lambda line: None, timeout=20)
    assert set(result.missing_scopes) == set(catalog.ALL_SCOPES) - {catalog.SCOPE_ACTIVITY, catalog.SCOPE_SLEEP}


def test_browser_that_never_answers_times_out(emulator: EmulatorServer, token_file: Path) -> None:
    settings = settings_for(emulator, token_file)
    with pytest.raises(AuthRequiredError) as info:
        authorize(settings, open_browser=lambda url: False, echo=lambda line: None, timeout=0.3)
    assert "--no-browser" in str(info.value)
    assert not token_file.exists()


def test_garbage_paste_is_a_one_line_error(emulator: EmulatorServer, token_file: Path) -> None:
    settings = settings_for(emulator, token_file)
    with pytest.raises(AuthRequiredError) as info:
        authorize(settings, no_browser=True, echo=lambda line: None, prompt=lambda q: "4/0Aabc")
    assert "whole address" in str(info.value)


def test_bad_client_secret_is_a_config_error(emulator: EmulatorServer, token_file: Path) -> None:
    settings = settings_for(emulator, token_file, client_secret="wrong-secret-value")
    with pytest.raises(ConfigError) as info:
        authorize(settings, open_browser=browser, echo=lambda line: None, timeout=20)
    assert "FITBIT_SYNC_CLIENT_SECRET" in str(info.value)
    assert "wrong-secret-value" not in str(info.value)
    assert not token_file.exists()


def test_corrupt_previous_file_is_kept_aside(emulator: EmulatorServer, token_file: Path) -> None:
    token_file.parent.mkdir(parents=True)
    token_file.write_bytes(b"{ not json")
    result = authorize(settings_for(emulator, token_file), open_browser=browser, echo=lambda line: None, timeout=20)
    assert result.set_aside is not None and Path(result.set_aside).read_bytes() == b"{ not json"
    assert TokenStore(token_file).load() == result.tokens


def test_closed_stdin_in_paste_mode(emulator: EmulatorServer, token_file: Path) -> None:
    def closed(question: str) -> str:
        raise EOFError

    with pytest.raises(AuthRequiredError) as info:
        authorize(settings_for(emulator, token_file), no_browser=True, echo=lambda line: None, prompt=closed)
    assert "standard input is closed" in str(info.value)
