"""The user's time zone for a sync: ``settings.time_zone``, else ``users/me/settings`` from the API,
else the zone an earlier run stored, else UTC (with a warning).

Daily values are keyed by the user's local date, so the zone must be known before anything is
planned; it is remembered in the store's state (``STATE_ZONE``) for ``status``, the dashboard and
a later run whose token lacks the settings scope.
"""

from __future__ import annotations

import logging
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fitbit_sync.config import Settings
from fitbit_sync.sources.google_health.errors import MissingScopeError
from fitbit_sync.sources.google_health.planner import SOURCE
from fitbit_sync.stores.base import Store

log = logging.getLogger(__name__)

STATE_ZONE = f"{SOURCE}:time_zone"


def resolve_zone(settings: Settings, client: Any, store: Store) -> ZoneInfo:
    """``settings.time_zone``, else the zone from ``users/me/settings`` (remembered in the store)."""
    if settings.time_zone:
        return ZoneInfo(settings.time_zone)
    name: str | None = None
    try:
        name = client.user_settings().get("timeZone")
    except MissingScopeError as exc:
        log.warning("cannot read the user's time zone (%s)", exc)
    stored = store.get_state(STATE_ZONE)
    for candidate in (name, stored):
        if isinstance(candidate, str) and candidate:
            try:
                zone = ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                log.warning("unknown time zone %r from the API", candidate)
                continue
            if candidate != stored:
                store.set_state(STATE_ZONE, candidate)
            return zone
    log.warning("no time zone from the API or settings: using UTC for daily values (set FITBIT_SYNC_TIME_ZONE)")
    return ZoneInfo("UTC")
