"""Pytest fixtures and helpers: the emulator over real HTTP on a free port.

Use from any test directory, either by importing the fixtures into a ``conftest.py``::

    from fitbit_sync.emulator.testing import emulator, emulator_factory, emulator_server  # noqa: F401

or from the rootdir ``conftest.py`` with ``pytest_plugins = ["fitbit_sync.emulator.testing"]``.

Fixtures:

- ``emulator_server`` (session): one server for the whole run, ``DEFAULT_TEST_CONFIG``.
- ``emulator`` (function): the same server, ``reset()`` before the test (clock, quota, faults,
  stats, consent back to the configuration).
- ``emulator_factory`` (function): ``emulator_factory(seed=3, quota_per_minute=10, ...)`` starts
  a server with a custom ``EmulatorConfig``; all are stopped after the test.

An ``EmulatorServer`` has ``base_url``, ``api_root`` (``base_url + "/v4"``), ``auth_url``,
``token_url``, ``revoke_url``, ``client_id``/``client_secret``, ``app``, ``state``
(``EmulatorState``: clock, quota, faults, tokens, stats), ``generator`` and ``access_token()``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import date
from typing import Any

import httpx
import pytest

from fitbit_sync.closing import Closing
from fitbit_sync.emulator.config import EmulatorConfig
from fitbit_sync.emulator.datatypes import ALL_READ_SCOPES
from fitbit_sync.emulator.generator import Generator
from fitbit_sync.emulator.server import RunningServer, run_in_thread
from fitbit_sync.emulator.state import EmulatorState

# One year with a New York trip (June 2025), both DST switches and a Tokyo trip (February 2026).
DEFAULT_TEST_CONFIG: dict[str, Any] = {"seed": 7, "start": date(2025, 6, 1), "end": date(2026, 5, 31)}


class EmulatorServer(Closing):
    """A running emulator plus the handles tests need."""

    def __init__(self, running: RunningServer) -> None:
        self._running = running
        self.base_url = running.base_url
        self.api_root = running.base_url + "/v4"
        self.auth_url = running.base_url + "/o/oauth2/v2/auth"
        self.token_url = running.base_url + "/token"
        self.revoke_url = running.base_url + "/revoke"
        self.app = running.app

    @property
    def state(self) -> EmulatorState:
        return self._running.state

    @property
    def generator(self) -> Generator:
        return self.state.generator

    @property
    def config(self) -> EmulatorConfig:
        return self.state.config

    @property
    def client_id(self) -> str:
        return self.config.client_id

    @property
    def client_secret(self) -> str:
        return self.config.client_secret

    @property
    def port(self) -> int:
        return self._running.port

    def access_token(self, scopes: Iterable[str] = ALL_READ_SCOPES) -> str:
        """A fresh access token for ``scopes`` (no browser, no refresh token)."""
        return self.state.access_token(scopes)

    def issue_tokens(self, scopes: Iterable[str] = ALL_READ_SCOPES, **kw: Any) -> dict[str, Any]:
        """A token-endpoint response (with refresh token) for ``scopes``."""
        return self.state.issue_tokens(scopes, **kw)

    def client(self, scopes: Iterable[str] = ALL_READ_SCOPES, **kw: Any) -> httpx.Client:
        """An ``httpx.Client`` on ``base_url`` that sends a bearer token."""
        headers = {"Authorization": f"Bearer {self.access_token(scopes)}", **kw.pop("headers", {})}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=kw.pop("timeout", 30.0), **kw)

    def reset(self) -> None:
        self.state.reset()

    def stop(self) -> None:
        self._running.stop()

    def close(self) -> None:
        self.stop()


def start_emulator(config: EmulatorConfig | None = None, **overrides: Any) -> EmulatorServer:
    """Start an emulator in a background thread (``DEFAULT_TEST_CONFIG`` + ``overrides``)."""
    if config is None:
        config = EmulatorConfig(**{**DEFAULT_TEST_CONFIG, **overrides})
    elif overrides:
        config = config.with_changes(**overrides)
    return EmulatorServer(run_in_thread(config))


@pytest.fixture(scope="session")
def emulator_server() -> Iterator[EmulatorServer]:
    server = start_emulator()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def emulator(emulator_server: EmulatorServer) -> EmulatorServer:
    emulator_server.reset()
    return emulator_server


@pytest.fixture
def emulator_factory() -> Iterator[Callable[..., EmulatorServer]]:
    started: list[EmulatorServer] = []

    def make(config: EmulatorConfig | None = None, **overrides: Any) -> EmulatorServer:
        server = start_emulator(config, **overrides)
        started.append(server)
        return server

    try:
        yield make
    finally:
        for server in started:
            server.stop()
