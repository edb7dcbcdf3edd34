"""Open the store the settings name: sqlite (default), influxdb1/2/3 or postgres."""

from __future__ import annotations

from fitbit_sync.config import Settings
from fitbit_sync.stores.base import Store


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
