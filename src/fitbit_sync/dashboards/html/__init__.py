"""The built-in HTML dashboard: ``fitbit-sync dashboard`` serves it, ``--out`` writes a report.

``open_source(settings)`` gives the ``DashboardSource`` for the configured store, whichever it is
(the store opened read-only, with its kind's dashboard reader from ``stores/registry.py``);
``server.create_app`` and ``report.build_report`` draw from it. ``user_zone`` is the
zone every view is drawn in, the one daily values are dated in: one rule for page, report and ``status``.
"""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fitbit_sync.config import Settings
from fitbit_sync.dashboards.html.source import DashboardSource
from fitbit_sync.stores.registry import SQLITE, kind_of


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
    """The dashboard's reader for the configured store (or the SQLite file ``sqlite_path``), opened
    only to read: nothing is created."""
    if sqlite_path is not None:
        settings = settings.model_copy(update={"store": SQLITE.name, "sqlite_path": sqlite_path})
    kind = kind_of(settings)
    store = kind.open(settings, read_only=True)
    try:
        return kind.open_dashboard(store)
    except BaseException:
        store.close()
        raise
