"""Helpers for tests that talk to the emulator: settings pointing at it, a scripted browser."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from fitbit_sync.config import Settings
from fitbit_sync.emulator.testing import EmulatorServer


def settings_for(server: EmulatorServer, token_file: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "client_id": server.client_id,
        "client_secret": server.client_secret,
        "auth_url": server.auth_url,
        "token_url": server.token_url,
        "revoke_url": server.revoke_url,
        "api_base_url": server.base_url,
        "token_file": token_file,
        "request_timeout": 10.0,
    }
    values.update(overrides)
    return Settings(**values)


def env_for(server: EmulatorServer, token_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same settings as environment variables, for CLI runs."""
    for name, value in {
        "CLIENT_ID": server.client_id,
        "CLIENT_SECRET": server.client_secret,
        "AUTH_URL": server.auth_url,
        "TOKEN_URL": server.token_url,
        "REVOKE_URL": server.revoke_url,
        "API_BASE_URL": server.base_url,
        "TOKEN_FILE": str(token_file),
    }.items():
        monkeypatch.setenv(f"FITBIT_SYNC_{name}", value)


def browser(url: str) -> bool:
    """The user's browser: Google (the emulator) consents and redirects to the loopback server."""
    response = httpx.get(url, follow_redirects=True, timeout=10)
    response.raise_for_status()
    return True


def redirect_of(url: str) -> str:
    """What the address bar shows after consent on a machine where nothing listens on the port."""
    response = httpx.get(url, follow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text
    return response.headers["Location"]
