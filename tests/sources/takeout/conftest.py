"""Fixtures for the Takeout tests: a real SQLite store and an import runner."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from fitbit_sync.sources.takeout import ImportOptions, ImportSummary, import_archives
from fitbit_sync.stores.sqlite import SQLiteStore
from support.servers import influx_server, postgres_server  # noqa: F401  (session fixtures: real servers)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    with SQLiteStore(tmp_path / "fitbit.db") as s:
        yield s


@pytest.fixture
def run_import(store: SQLiteStore) -> Callable[..., ImportSummary]:
    def run(paths: list[Path] | Path, **options: Any) -> ImportSummary:
        options.setdefault("device", "Charge 6")
        return import_archives(paths if isinstance(paths, list) else [paths], store, ImportOptions(**options))

    return run
