"""Every kind of store in one table: the only place that knows the kinds apart.

A ``StoreKind`` says how to open the store (to write, or only to read: then nothing is created),
where its sync lock lives, which ``Settings`` group holds its options, which Grafana provisioning
flavour (query dialect) it has, and which reader draws the HTML dashboard from it. Commands,
the sync runner, the dashboards and the Grafana build look a kind up here (``kind_of``) and never
test a kind's name; tests/stores/test_store_registry.py greps ``src`` to keep it so.

Openers and dashboard readers are named as ``"module:function"`` and imported on first use, so
naming a kind never imports a database driver.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fitbit_sync.errors import ConfigError

if TYPE_CHECKING:
    from fitbit_sync.config import Settings
    from fitbit_sync.dashboards.html.source import DashboardSource
    from fitbit_sync.stores.base import Store

STORE_SOURCE = "fitbit_sync.dashboards.html.store_source:open_store_source"


@dataclass(frozen=True, slots=True)
class StoreKind:
    name: str  # the ``store`` setting's value and the opened store's ``name``
    title: str  # in words, for messages and dashboard titles
    settings_group: str  # the ``Settings`` attribute holding its options (config.py)
    opener: str  # ``module:function(settings, kind, *, read_only) -> Store``
    dashboard: str = STORE_SOURCE  # ``module:function(store) -> DashboardSource``
    grafana_dialect: str | None = None  # its Grafana provisioning's query dialect (dashboards/grafana/dialects.py)
    local_file: bool = False  # one file on this machine: the lock sits next to it, reading needs it to exist

    def open(self, settings: Settings, *, read_only: bool = False) -> Store:
        """The store, opened; ``read_only``: never creates a file, database, schema or table."""
        opened: Store = _load(self.opener)(settings, self, read_only=read_only)
        return opened

    def open_dashboard(self, store: Store) -> DashboardSource:
        """The HTML dashboard's reader over ``store`` (opened to read)."""
        source: DashboardSource = _load(self.dashboard)(store)
        return source

    def lock_path(self, settings: Settings) -> Path:
        """The file lock one writer (sync, backfill, daemon, import) holds while it writes."""
        if self.local_file:
            db = settings.database_path
            return db.with_name(db.name + ".lock")
        return settings.data_dir / "sync.lock"

    def describe(self, settings: Settings) -> str:
        """The store in words, for messages: ``the SQLite database demo.db``, ``the influxdb1 store``."""
        if self.local_file:
            return f"the {self.title} database {settings.database_path}"
        return f"the {self.name} store"

    def options(self, settings: Settings) -> Any:
        """Its settings group (``settings.influxdb`` ...)."""
        return getattr(settings, self.settings_group)


def _load(target: str) -> Any:
    module, function = target.split(":")
    return getattr(import_module(module), function)


SQLITE = StoreKind("sqlite", "SQLite", "sqlite", "fitbit_sync.stores.sqlite:open_sqlite_store",
                   dashboard="fitbit_sync.dashboards.html.sqlite_source:open_sqlite_source", local_file=True)
INFLUXDB1 = StoreKind("influxdb1", "InfluxDB 1.x", "influxdb", "fitbit_sync.stores.influx:open_influx_store",
                      dashboard="fitbit_sync.dashboards.html.influx_source:open_influx_source",
                      grafana_dialect="influxql")
INFLUXDB2 = StoreKind("influxdb2", "InfluxDB 2.x", "influxdb", "fitbit_sync.stores.influx:open_influx_store",
                      grafana_dialect="flux")
INFLUXDB3 = StoreKind("influxdb3", "InfluxDB 3.x", "influxdb", "fitbit_sync.stores.influx:open_influx_store",
                      grafana_dialect="influxsql")
POSTGRES = StoreKind("postgres", "PostgreSQL", "postgres", "fitbit_sync.stores.postgres:open_postgres_store",
                     grafana_dialect="postgresql")

KINDS: dict[str, StoreKind] = {k.name: k for k in (SQLITE, INFLUXDB1, INFLUXDB2, INFLUXDB3, POSTGRES)}
DEFAULT = SQLITE


def kind_of(settings_or_name: Settings | str) -> StoreKind:
    """The kind the settings (or a kind name) name; ConfigError for an unknown one."""
    name = settings_or_name if isinstance(settings_or_name, str) else settings_or_name.store
    kind = KINDS.get(name)
    if kind is None:
        raise ConfigError(f"unknown store {name!r} (known: {', '.join(KINDS)})")
    return kind
