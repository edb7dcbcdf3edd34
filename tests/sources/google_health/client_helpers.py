"""Helpers for client tests: settings pointing at an emulator with a seeded token file."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from fitbit_sync.auth.tokens import StoredTokenProvider, TokenSet, TokenStore
from fitbit_sync.config import Settings
from fitbit_sync.emulator.testing import EmulatorServer
from support.emulator import settings_for


def signed_in(server: EmulatorServer, tmp_path: Path, scopes: tuple[str, ...] | None = None,
              **overrides: Any) -> tuple[Settings, StoredTokenProvider]:
    """Settings and a refreshing token provider, as after `fitbit-sync auth` (consent skipped)."""
    token_file = tmp_path / "token.json"
    data = server.issue_tokens(scopes) if scopes is not None else server.issue_tokens()
    TokenStore(token_file).save(TokenSet.from_response(data, now=time.time(), client_id=server.client_id))
    settings = settings_for(server, token_file, **overrides)
    return settings, StoredTokenProvider(settings)
