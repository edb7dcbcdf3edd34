"""Open the store the settings name (``stores/registry.py`` knows how each kind opens).

``open_store`` is for commands that write (it creates a missing SQLite file, database or schema);
``open_store_to_read`` is for commands that only read (``status``, ``export``, ``dashboard``): the
store is opened read-only, so nothing is ever created (a missing SQLite file is an error), and a
store without any rows says so in one line instead of showing or exporting nothing.
"""

from __future__ import annotations

import sqlite3

from fitbit_sync.config import Settings
from fitbit_sync.errors import StoreError
from fitbit_sync.stores.base import Store
from fitbit_sync.stores.registry import kind_of

FIRST_STEP = "run `fitbit-sync sync` or `fitbit-sync demo` first"


def open_store(settings: Settings) -> Store:
    """The configured store, opened to write; expected failures raise ``StoreError`` with one line."""
    return kind_of(settings).open(settings)


def open_store_to_read(settings: Settings) -> Store:
    """The configured store for a command that only reads: opened read-only (nothing is created;
    ``StoreError``, one line, exit 5, for a SQLite file that does not exist) and ``StoreError`` for
    a store that holds no rows."""
    store = kind_of(settings).open(settings, read_only=True)
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
    return kind_of(store.name).describe(settings)
