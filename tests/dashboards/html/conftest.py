"""Fixtures of the dashboard tests: a demo database, the live server on a free port, headless Chromium."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from dash_live import LiveServer

from fitbit_sync.dashboards.html.sqlite_source import SQLiteSource
from fitbit_sync.stores.sqlite import SQLiteStore
from support.dash_demo import TZ, DemoSummary, fill_demo

DEMO_END = date(2026, 11, 15)
DEMO_DAYS = 35
ARTIFACTS = Path(__file__).resolve().parents[2] / "_artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--hide-scrollbars",
]


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DemoSummary]:
    """35 days of demo data (5-second heart rate) ending 2026-11-15, in a real SQLite file."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    with SQLiteStore(path) as store:
        summary = fill_demo(store, DEMO_DAYS, end=DEMO_END, tz=TZ)
    return path, summary


@pytest.fixture(scope="session")
def demo_source(demo_db: tuple[Path, DemoSummary]) -> Iterator[SQLiteSource]:
    source = SQLiteSource(demo_db[0])
    yield source
    source.close()


@pytest.fixture(scope="session")
def live_server(demo_source: SQLiteSource) -> Iterator[LiveServer]:
    with LiveServer(demo_source) as server:
        yield server


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's headless Chromium driven by Playwright (skips when either is missing)."""
    executable = chromium_path()
    if executable is None:
        pytest.skip("chromium not installed: apt-get install -y chromium (.ci/run does)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture()
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
