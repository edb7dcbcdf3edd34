"""Open the store the settings name: sqlite (default), influxdb1/2/3 or postgres.

``open_store`` is for commands that write (it creates a missing SQLite file); ``open_store_to_read``
is for commands that only read (``status``, ``export``): a missing SQLite file is an error, never
created, and a store without any rows says so in one line instead of showing or exporting nothing.
"""

from __future__ import annotations

import sqlite3

from fitbit_sync.config import Settings
from fitbit_sync.errors import StoreError
from fitbit_sync.stores.base import Store

FIRST_STEP = "run `fitbit-sync sync` or `fitbit-sync demo` first"


def open_store(settings: Settings) -> Store:
    """The configured store, opened; expected failures raise ``StoreError`` with one line."""
    if settings.store == "sqlite":
        from fitbit_sync.stores.sqlite import SQLiteStore

        return SQLiteStore(settings.database_path)
    if settings.store in ("influxdb1", "influxdb2", "influxdb3"):
        from fitbit_sync.stores.influx import open_influx_store

        return open_influx_store(settings)
    from fitbit_sync.stores.postgres import open_postgres_store

    return open_postgres_store(settings)


def open_store_to_read(settings: Settings) -> Store:
    """The configured store for a command that only reads: ``StoreError`` (one line, exit 5) for a
    SQLite file that does not exist (nothing is created) and for a store that holds no rows."""
    if settings.store == "sqlite" and not settings.database_path.is_file():
        raise StoreError(f"no SQLite database at {settings.database_path}: {FIRST_STEP}")
    store = open_store(settings)
    try:
        empty = not store.measurement_stats()
    except sqlite3.Error as exc:  # a damaged file: one line, like every other store failure
        store.close()
        raise StoreError(f"cannot read {describe(store, settings)}: {str(exc).strip() or type(exc).__name__}") from None
    except BaseException:
        store.close()
        raise
    if empty:
        store.close()
        raise StoreError(f"{describe(store, settings)} holds no data yet: {FIRST_STEP}")
    return store


def describe(store: Store, settings: Settings) -> str:
    """The store in words, for messages: ``the SQLite database demo.db``, ``the influxdb1 store``."""
    if store.name == "sqlite":
        return f"the SQLite database {settings.database_path}"
    return f"the {store.name} store"
