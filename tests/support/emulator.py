"""The one place that points fitbit-sync at an emulator: ``Settings`` for in-process tests and
``FITBIT_SYNC_*`` variables for CLI runs and subprocesses, so a new address or credential of the
emulator is added once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from fitbit_sync.auth.flow import authorize
from fitbit_sync.config import Settings
from fitbit_sync.emulator.testing import EmulatorServer


def emulator_values(emu: EmulatorServer, token_file: Path) -> dict[str, Any]:
    """The emulator's client credentials and addresses, and where the token lives."""
    return {
        "client_id": emu.client_id,
        "client_secret": emu.client_secret,
        "api_base_url": emu.base_url,
        "auth_url": emu.auth_url,
        "token_url": emu.token_url,
        "revoke_url": emu.revoke_url,
        "token_file": token_file,
    }


def as_env(values: dict[str, Any]) -> dict[str, str]:
    """Settings names as ``FITBIT_SYNC_*`` variables."""
    return {f"FITBIT_SYNC_{name.upper()}": str(value) for name, value in values.items()}


def settings_for(emu: EmulatorServer, token_file: Path, **overrides: Any) -> Settings:
    """Settings for the API client and OAuth against ``emu`` (10 s request timeout)."""
    return Settings(**{**emulator_values(emu, token_file), "request_timeout": 10.0, **overrides})


def env_for(emu: EmulatorServer, token_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same settings as environment variables, for CLI runs in this process."""
    for name, value in as_env(emulator_values(emu, token_file)).items():
        monkeypatch.setenv(name, value)


def emulator_env(emu: EmulatorServer, root: Path, db: Path | None = None, **extra: Any) -> dict[str, str]:
    """``FITBIT_SYNC_*`` variables for a run against ``emu`` with its token and data under ``root``
    and a SQLite store at ``db`` (``root/fitbit.db`` by default); ``extra`` adds or replaces
    settings by name."""
    return as_env({
        **emulator_values(emu, root / "token.json"),
        "data_dir": root / "data",
        "sqlite_path": db if db is not None else root / "fitbit.db",
        "quota_per_minute": 100000,
        **extra,
    })


def emulator_settings(emu: EmulatorServer, tmp: Path, db: Path, *, sign_in: bool = True, **extra: Any) -> Settings:
    """Settings for ``emu``; with ``sign_in`` the token file is made by the real consent flow."""
    values = {k.removeprefix("FITBIT_SYNC_").lower(): v for k, v in emulator_env(emu, tmp, db).items()}
    values.update(extra)
    settings = Settings(**values)
    if sign_in:
        authorize(settings, open_browser=lambda url: httpx.get(url, follow_redirects=True, timeout=30),
                  echo=lambda _line: None, timeout=30)
    return settings
