"""The built-in HTML dashboard: ``fitbit-sync dashboard`` serves it, ``--out`` writes a report.

``open_source(settings)`` gives the ``DashboardSource`` for the configured store (SQLite or
InfluxDB 1.x); ``server.create_app`` and ``report.build_report`` draw from it. ``user_zone`` is the
zone every view is drawn in, the one daily values are dated in: one rule for page, report and ``status``.
"""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fitbit_sync.config import Settings
from fitbit_sync.dashboards.html.source import DashboardSource
from fitbit_sync.errors import ConfigError

SUPPORTED_STORES = ("sqlite", "influxdb1")


def user_zone(settings_zone: str | None, source: DashboardSource) -> str | None:
    """The user's zone: the settings' zone, else the zone stored with the data (as ``status`` reads it);
    None when neither names a known zone."""
    for name in (settings_zone, source.stored_zone()):
        if name:
            try:
                ZoneInfo(name)
                return name
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return None


def open_source(settings: Settings, sqlite_path: Path | None = None) -> DashboardSource:
    """The dashboard's reader for the configured store; ConfigError for stores it cannot read."""
    if sqlite_path is not None or settings.store == "sqlite":
        from fitbit_sync.dashboards.html.sqlite_source import SQLiteSource

        return SQLiteSource(sqlite_path or settings.database_path)
    if settings.store == "influxdb1":
        from fitbit_sync.dashboards.html.influx_source import InfluxSource

        url = settings.influxdb_url.rstrip("/")
        if not url.startswith(("http://", "https://")):
            raise ConfigError("invalid setting influxdb_url (env FITBIT_SYNC_INFLUXDB_URL): not an http(s) URL")
        return InfluxSource(
            url, settings.influxdb_database, username=settings.influxdb_username,
            password=settings.influxdb_password.get_secret_value(), zone=ZoneInfo(settings.time_zone or "UTC"),
            timeout=settings.request_timeout,
        )
    raise ConfigError(
        f"the HTML dashboard reads the sqlite and influxdb1 stores, not {settings.store}: "
        "use the Grafana dashboards, or `fitbit-sync dashboard --db FILE` on a SQLite copy"
    )
