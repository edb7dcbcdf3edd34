"""``fitbit-sync emulator``: one-line errors, and a real server from the command line."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from fitbit_sync.cli import main
from fitbit_sync.emulator.config import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from fitbit_sync.emulator.datatypes import ALL_READ_SCOPES
from fitbit_sync.emulator.oauth import pkce_pair


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--start", "2025-13-01"], "--start must be a date like"),
        (["--start", "2025-05-01", "--end", "2025-01-01"], "is after end date"),
        (["--fault", "explode"], "unknown fault kind"),
        (["--quota", "0"], "quota_per_minute must be at least 1"),
        (["--port", "70000"], "--port must be between"),
    ],
)
def test_bad_options_are_one_line_errors(capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    assert main(["emulator", *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and "Traceback" not in err


def test_port_in_use(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        assert main(["emulator", "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert f"port {port} on 127.0.0.1 is already in use" in err and err.count("\n") == 1


def test_the_command_serves_api_and_oauth_until_interrupted() -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    cmd = [
        sys.executable,
        "-m",
        "fitbit_sync.cli",
        "emulator",
        "--port",
        "0",
        "--seed",
        "3",
        "--start",
        "2025-01-01",
        "--end",
        "2025-01-31",
        "--log-level",
        "warning",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout is not None
        banner = proc.stdout.readline()
        base = banner.split(" on ", 1)[1].split()[0]
        for _ in range(200):
            try:
                if httpx.get(base + "/_emulator/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
        verifier, challenge = pkce_pair()
        redirect = "http://127.0.0.1:9/cb"
        auth = httpx.get(
            base + "/o/oauth2/v2/auth",
            params={
                "client_id": DEFAULT_CLIENT_ID,
                "redirect_uri": redirect,
                "response_type": "code",
                "scope": " ".join(ALL_READ_SCOPES),
                "access_type": "offline",
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            },
        )
        code = parse_qs(urlsplit(auth.headers["location"]).query)["code"][0]
        tokens = httpx.post(
            base + "/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "client_id": DEFAULT_CLIENT_ID,
                "client_secret": DEFAULT_CLIENT_SECRET,
                "redirect_uri": redirect,
                "code_verifier": verifier,
            },
        ).json()
        steps = httpx.get(
            base + "/v4/users/me/dataTypes/steps/dataPoints",
            headers={"Authorization": f"Bearer {tokens['access_token']}"},
        )
        assert steps.status_code == 200 and steps.json()["dataPoints"]
        assert httpx.get(base + "/1/user/-/profile.json").status_code == 410
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=15)
    assert proc.returncode in (0, 130)
