"""Where the sync wiring used to live, kept importable: every name is re-exported from its home.

``session.py`` (``SyncSession``, ``choose_streams``, the run state keys), ``locking.py`` (the
store's one-writer lock), ``zone.py`` (the user's time zone), ``logging_setup.py`` (command and
daemon logging) and ``fitbit_sync.days`` (typed dates and sync ranges). New code imports from those.
"""

from __future__ import annotations

from fitbit_sync.days import EARLIEST_DATE, check_range, latest_today, parse_date
from fitbit_sync.sync.locking import StoreLock, lock_path, store_lock
from fitbit_sync.sync.logging_setup import command_logging, log_secrets, stderr_is_terminal
from fitbit_sync.sync.session import STATE_CATCHUP, STATE_HEIGHTS, STATE_LAST_RUN, SyncSession, choose_streams
from fitbit_sync.sync.zone import STATE_ZONE, resolve_zone

__all__ = [
    "EARLIEST_DATE", "STATE_CATCHUP", "STATE_HEIGHTS", "STATE_LAST_RUN", "STATE_ZONE", "StoreLock", "SyncSession",
    "check_range", "choose_streams", "command_logging", "latest_today", "lock_path", "log_secrets", "parse_date",
    "resolve_zone", "stderr_is_terminal", "store_lock",
]
