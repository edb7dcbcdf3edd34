"""Emulator test fixtures: real HTTP (from fitbit_sync.emulator.testing) and an in-process app."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from emulator_helpers import InProcessClient
from starlette.applications import Starlette

from fitbit_sync.emulator.app import create_app
from fitbit_sync.emulator.config import EmulatorConfig
from fitbit_sync.emulator.state import EmulatorState
from fitbit_sync.emulator.testing import (  # noqa: F401
    DEFAULT_TEST_CONFIG,
    emulator,
    emulator_factory,
    emulator_server,
)


@pytest.fixture(scope="session")
def inproc_app() -> Starlette:
    """One in-process app (no sockets) for fast API tests."""
    return create_app(EmulatorConfig(**DEFAULT_TEST_CONFIG))


@pytest.fixture
def state(inproc_app: Starlette) -> EmulatorState:
    st: EmulatorState = inproc_app.state.emulator
    st.reset()
    st.set_quota(1_000_000)
    return st


@pytest.fixture
def api(inproc_app: Starlette, state: EmulatorState) -> Iterator[InProcessClient]:
    """In-process client with a token for every read scope."""
    client = InProcessClient(inproc_app)
    client.headers["Authorization"] = f"Bearer {state.access_token()}"
    try:
        yield client
    finally:
        client.close()
