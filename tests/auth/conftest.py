"""Emulator fixtures (real HTTP on a free port) for the auth tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from fitbit_sync.emulator.testing import emulator, emulator_factory, emulator_server  # noqa: F401


@pytest.fixture
def token_file(tmp_path: Path) -> Path:
    return tmp_path / "config" / "token.json"
