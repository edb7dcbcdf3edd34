"""Helpers for client tests: settings pointing at an emulator, and a seeded token file."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from fitbit_sync.auth.tokens import StoredTokenProvider, TokenSet, TokenStore
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


def signed_in(server: EmulatorServer, tmp_path: Path, scopes: tuple[str, ...] | None = None,
              **overrides: Any) -> tuple[Settings, StoredTokenProvider]:
    """Settings and a refreshing token provider, as after `fitbit-sync auth` (consent skipped)."""
    token_file = tmp_path / "token.json"
    data = server.issue_tokens(scopes) if scopes is not None else server.issue_tokens()
    TokenStore(token_file).save(TokenSet.from_response(data, now=time.time(), client_id=server.client_id))
    settings = settings_for(server, token_file, **overrides)
    return settings, StoredTokenProvider(settings)
