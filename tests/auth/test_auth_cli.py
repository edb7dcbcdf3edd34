"""`fitbit-sync auth` end to end against the emulator: login, status, revoke, and every bad input
giving one line, a distinct exit code, no traceback and nothing stored lost."""

from __future__ import annotations

import os
import socket
import stat
import time
import webbrowser
from pathlib import Path

import orjson
import pytest
from oauth_helpers import browser, redirect_of

from fitbit_sync.auth.oauth import OAuthClient, OAuthError
from fitbit_sync.auth.tokens import StoredTokenProvider, TokenStore
from fitbit_sync.cli import main
from fitbit_sync.emulator.testing import EmulatorServer
from fitbit_sync.errors import ExitCode
from support.emulator import env_for, settings_for

pytestmark = pytest.mark.reliability  # bad input, crashes, secrets


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(err: str, *fragments: str) -> None:
    assert err.startswith("fitbit-sync: error: ")
    assert err.count("\n") == 1 and "Traceback" not in err
    for fragment in fragments:
        assert fragment in err


@pytest.fixture
def cli_env(emulator: EmulatorServer, token_file: Path, monkeypatch: pytest.MonkeyPatch) -> EmulatorServer:
    env_for(emulator, token_file, monkeypatch)
    monkeypatch.setattr(webbrowser, "open", browser)
    return emulator


def test_login_status_revoke(cli_env: EmulatorServer, token_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["auth"], capsys)
    assert code == 0, err
    assert "signed in" in out and str(token_file) in out
    assert stat.S_IMODE(os.stat(token_file).st_mode) == 0o600
    tokens = TokenStore(token_file).load()
    assert tokens is not None and tokens.refresh_token is not None
    refresh = tokens.refresh_token.get_secret_value()

    code, out, err = run(["auth", "--status"], capsys)
    assert code == 0, err
    assert "activity_and_fitness.readonly" in out and "access token:    expires" in out
    assert "missing scopes" not in out
    assert tokens.access_token.get_secret_value() not in out and refresh not in out

    code, out, err = run(["auth", "--revoke"], capsys)
    assert code == 0, err
    assert "revoked" in out and not token_file.exists()
    with OAuthClient(settings_for(cli_env, token_file)) as oauth, pytest.raises(OAuthError) as info:
        oauth.refresh(refresh)  # Google no longer honours the grant
    assert info.value.error == "invalid_grant"

    code, out, _ = run(["auth", "--revoke"], capsys)
    assert code == 0 and "nothing to revoke" in out
    code, _, err = run(["auth", "--status"], capsys)
    assert code == ExitCode.AUTH_REQUIRED
    assert_one_line_error(err, "fitbit-sync auth")


def test_no_browser_paste(cli_env: EmulatorServer, token_file: Path, capsys: pytest.CaptureFixture[str],
                          monkeypatch: pytest.MonkeyPatch) -> None:
    def paste(question: str = "") -> str:
        printed = capsys.readouterr().out
        url = next(line.strip() for line in printed.splitlines() if line.strip().startswith(cli_env.auth_url))
        return redirect_of(url)

    monkeypatch.setattr("builtins.input", paste)
    monkeypatch.setattr(webbrowser, "open", lambda url: pytest.fail("--no-browser must not open a browser"))
    code, _, err = run(["auth", "--no-browser"], capsys)
    assert code == 0, err
    assert TokenStore(token_file).load() is not None


def test_revoke_failure_keeps_the_token(cli_env: EmulatorServer, token_file: Path,
                                        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    assert run(["auth"], capsys)[0] == 0
    before = token_file.read_bytes()
    with socket.socket() as sock:  # a port with nothing listening
        sock.bind(("127.0.0.1", 0))
        dead = sock.getsockname()[1]
    monkeypatch.setenv("FITBIT_SYNC_REVOKE_URL", f"http://127.0.0.1:{dead}/revoke")
    monkeypatch.setenv("FITBIT_SYNC_MAX_RETRIES", "0")
    code, _, err = run(["auth", "--revoke"], capsys)
    assert code == ExitCode.SOURCE_UNAVAILABLE
    assert_one_line_error(err, "revoke")
    assert token_file.read_bytes() == before


def test_missing_client_id(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["auth"], ["auth", "--status"], ["auth", "--revoke"], ["auth", "--no-browser"]):
        code, _, err = run(argv, capsys)
        assert code == ExitCode.USAGE
        assert_one_line_error(err, "FITBIT_SYNC_CLIENT_ID", "README: Google Health API credentials")


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("CLIENT_ID", "22BXYZ"),
        ("API_BASE_URL", "https://api.fitbit.com"),
        ("TOKEN_URL", "https://api.fitbit.com/oauth2/token"),
        ("AUTH_URL", "https://www.fitbit.com/oauth2/authorize"),
    ],
)
def test_legacy_fitbit_settings_get_the_410_line(variable: str, value: str, cli_env: EmulatorServer,
                                                 capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(f"FITBIT_SYNC_{variable}", value)
    for argv in (["auth"], ["auth", "--status"]):
        code, _, err = run(argv, capsys)
        assert code == ExitCode.USAGE
        assert_one_line_error(err, "410 Gone", "README: Google Health API credentials", variable)


def test_legacy_fitbit_token_file_gets_the_410_line(cli_env: EmulatorServer, token_file: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    token_file.parent.mkdir(parents=True)
    fitbit = {"access_token": "eyJhbGciOiJIUzI1NiJ9.fitbit", "expires_in": 28800, "refresh_token": "f00d" * 16,
              "scope": "activity heartrate sleep weight", "token_type": "Bearer", "user_id": "26FWFL"}
    token_file.write_bytes(orjson.dumps(fitbit))
    token_file.chmod(0o600)
    code, _, err = run(["auth", "--status"], capsys)
    assert code == ExitCode.USAGE
    assert_one_line_error(err, "410 Gone", "README: Google Health API credentials")
    assert "eyJ" not in err and "f00d" not in err
    assert orjson.loads(token_file.read_bytes()) == fitbit


def test_legacy_token_endpoint_answering_410(cli_env: EmulatorServer, token_file: Path,
                                             capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    # a Fitbit-style token path on a non-Fitbit host: the emulator answers 410 like Fitbit does now
    monkeypatch.setenv("FITBIT_SYNC_TOKEN_URL", cli_env.base_url + "/oauth2/token")
    code, _, err = run(["auth"], capsys)
    assert code == ExitCode.USAGE
    assert_one_line_error(err, "410 Gone", "README: Google Health API credentials")
    assert not token_file.exists()


def test_corrupt_token_file(cli_env: EmulatorServer, token_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    token_file.parent.mkdir(parents=True)
    token_file.write_bytes(b'{"format": "fitbit-sync/google-oauth/1", "access_tok')
    token_file.chmod(0o600)
    for argv in (["auth", "--status"], ["auth", "--revoke"]):
        code, _, err = run(argv, capsys)
        assert code == ExitCode.AUTH_REQUIRED
        assert_one_line_error(err, "corrupt", str(token_file))
        assert token_file.read_bytes() == b'{"format": "fitbit-sync/google-oauth/1", "access_tok'


def test_world_readable_token_file(cli_env: EmulatorServer, token_file: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["auth"], capsys)[0] == 0
    token_file.chmod(0o644)
    before = token_file.read_bytes()
    code, _, err = run(["auth", "--status"], capsys)
    assert code == ExitCode.AUTH_REQUIRED
    assert_one_line_error(err, f"chmod 600 {token_file}")
    assert token_file.read_bytes() == before and stat.S_IMODE(token_file.stat().st_mode) == 0o644


def test_invalid_grant_exit_code_4(cli_env: EmulatorServer, token_file: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["auth"], capsys)[0] == 0
    cli_env.state.expire_refresh_tokens()
    settings = settings_for(cli_env, token_file)
    with pytest.raises(Exception) as info:
        StoredTokenProvider(settings, now=lambda: time.time() + 7200).access_token()
    assert getattr(info.value, "exit_code", None) == ExitCode.REAUTH_REQUIRED
    code, out, err = run(["auth", "--status"], capsys)
    assert code == ExitCode.REAUTH_REQUIRED
    assert "refused by Google (invalid_grant)" in out
    assert_one_line_error(err, "invalid_grant", "publish the app", "fitbit-sync auth")
    # a new consent fixes it
    assert run(["auth"], capsys)[0] == 0
    assert run(["auth", "--status"], capsys)[0] == 0


def test_revoke_and_status_together_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["auth", "--revoke", "--status"], capsys)
    assert code == ExitCode.USAGE
    assert_one_line_error(err, "--revoke", "--status")
