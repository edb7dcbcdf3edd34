"""``SyncSession``: what ``sync``, ``backfill``, the daemon and the demo share for one command (or
one daemon lifetime).

It opens the client (which checks the OAuth settings and the token file first) and the store, takes
the store's one-writer lock around each run (``locking.py``), resolves the user's time zone
(``zone.py``), plans against the stored coverage and runs the plan; each run's calls are remembered
in the store's state for ``status``, and the heights it saw for the BMI of later weigh-ins.
``choose_streams`` turns ``--types`` (else ``settings.types``) into the streams to sync.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import date
from types import TracebackType
from typing import Any
from zoneinfo import ZoneInfo

import orjson

from fitbit_sync.catalog import Stream, select_streams
from fitbit_sync.config import Settings
from fitbit_sync.errors import ConfigError, FitbitSyncError, StoreError
from fitbit_sync.sources.google_health import planner
from fitbit_sync.sources.google_health.planner import SOURCE, Request
from fitbit_sync.stores.base import Store
from fitbit_sync.sync.engine import Engine, RunReport, interruptible_sleep
from fitbit_sync.sync.locking import StoreLock
from fitbit_sync.sync.zone import resolve_zone

log = logging.getLogger(__name__)

STATE_LAST_RUN = f"{SOURCE}:last_run"
STATE_HEIGHTS = f"{SOURCE}:heights"  # every height seen, for the BMI of later weigh-ins
#: stream key -> axis ms where its unfinished catch-up starts (``planner.catchup_marks``)
STATE_CATCHUP = f"{SOURCE}:catchup"


def choose_streams(settings: Settings, types: str | None) -> list[Stream]:
    """Streams for ``--types a,b`` (else ``settings.types``, else all); ConfigError for unknown names."""
    names = [t.strip() for t in types.split(",") if t.strip()] if types else list(settings.types)
    try:
        return select_streams(names)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


class SyncSession:
    """Client, store, lock and zone for one command (or one daemon lifetime)."""

    def __init__(
        self,
        settings: Settings,
        *,
        client: Any | None = None,
        store: Store | None = None,
        stop: threading.Event | None = None,
        progress: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.stop = stop or threading.Event()
        self.clock = clock
        self.show_progress = progress
        self._own_client = client is None
        self._own_store = store is None
        self.client = client
        self.store = store
        self._lock = StoreLock(settings)
        self.zone: ZoneInfo | None = None

    # --- lifecycle -----------------------------------------------------------------------------------

    def __enter__(self) -> SyncSession:
        try:
            if self.client is None:
                from fitbit_sync.sources.google_health.client import open_client

                # a stop wakes the client from a retry wait and aborts a request in flight
                self.client = open_client(self.settings, sleep=interruptible_sleep(self.stop), stop=self.stop)
            if self.store is None:
                from fitbit_sync.stores.factory import open_store

                self.store = open_store(self.settings)
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self.release()
        if self._own_client and self.client is not None:
            self.client.close()
            self.client = None
        if self._own_store and self.store is not None:
            self.store.close()
            self.store = None

    def acquire(self, timeout: float = 0.0) -> None:
        """Take the store's sync lock (LockedError when another process holds it)."""
        self._lock.acquire(timeout)

    def release(self) -> None:
        self._lock.release()

    # --- zone ------------------------------------------------------------------------------------------

    def resolve_zone(self) -> ZoneInfo:
        """``settings.time_zone``, else the zone from ``users/me/settings`` (remembered in the store)."""
        assert self.store is not None and self.client is not None
        self.zone = resolve_zone(self.settings, self.client, self.store)
        return self.zone

    # --- running -------------------------------------------------------------------------------------

    def coverage(self) -> dict[str, list[Any]]:
        assert self.store is not None
        return planner.coverage_by_stream(self.store.coverage(SOURCE))

    def now_ms(self) -> int:
        return int(self.clock() * 1000)

    def plan_backfill(self, streams: Sequence[Stream], start: date, end: date) -> list[Request]:
        zone = self.zone or self.resolve_zone()
        return planner.plan_range(streams, start, end, self.coverage(), self.now_ms(), zone,
                                  heart_rate_resolution=self.settings.heart_rate_resolution,
                                  parallel=self.settings.max_concurrency)

    def plan_sync(self, streams: Sequence[Stream]) -> list[Request]:
        """The catch-up from each stream's bookmark to now. Where each stream's catch-up starts is
        stored before anything is fetched, so a run stopped at any moment resumes the whole
        catch-up, not only its newest part (see ``planner.catchup_marks``)."""
        assert self.store is not None
        zone = self.zone or self.resolve_zone()
        resolution = self.settings.heart_rate_resolution
        previous = self._catchup_marks()
        requests = planner.plan_incremental(streams, self.coverage(), self.now_ms(), zone,
                                            heart_rate_resolution=resolution,
                                            parallel=self.settings.max_concurrency, catchup=previous)
        marks = planner.catchup_marks(streams, requests, previous, heart_rate_resolution=resolution)
        if marks != previous:
            self.store.set_state(STATE_CATCHUP, orjson.dumps(marks, option=orjson.OPT_SORT_KEYS).decode())
        return requests

    def _catchup_marks(self) -> dict[str, int]:
        assert self.store is not None
        text = self.store.get_state(STATE_CATCHUP)
        if not text:
            return {}
        try:
            value = orjson.loads(text)
        except orjson.JSONDecodeError:
            value = None
        if not isinstance(value, dict) or not all(
                isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) for k, v in value.items()):
            raise StoreError(f"the store's catch-up state ({STATE_CATCHUP}) is unreadable; "
                             "run `fitbit-sync backfill` over the days since the last complete sync, then sync again")
        return value

    def engine(self, description: str) -> Engine:
        assert self.store is not None and self.client is not None
        progress = None
        if self.show_progress:
            from fitbit_sync.sync.progress import SyncProgress

            client = self.client
            progress = SyncProgress(calls=lambda: sum(client.calls.values()),
                                    quota_per_minute=self.settings.quota_per_minute, description=description)
        return Engine(self.client, self.store, zone=self.zone or self.resolve_zone(),
                      device=self.settings.device_name, max_workers=self.settings.max_concurrency,
                      stop=self.stop, progress=progress, clock=self.clock)

    def run(self, requests: Sequence[Request], description: str) -> RunReport:
        """Run ``requests`` under the lock; remembers the run for ``status``."""
        assert self.client is not None
        self.acquire()
        calls_before = sum(self.client.calls.values())
        engine = self.engine(description)
        if self.store is not None:  # the heights earlier runs saw: BMI of this run's weigh-ins
            engine.ctx.body.load_heights(self.store.get_state(STATE_HEIGHTS))
        report: RunReport | None = None
        try:
            report = engine.run(requests)
            return report
        finally:
            self._remember(description, report or engine.report, sum(self.client.calls.values()) - calls_before)
            self._keep_heights(engine)
            self.release()

    def _keep_heights(self, engine: Engine) -> None:
        text = engine.ctx.body.heights_text()
        if self.store is None or text == "[]":
            return
        try:
            self.store.set_state(STATE_HEIGHTS, text)
        except FitbitSyncError as exc:
            log.warning("could not keep the heights for BMI: %s", exc)

    def _remember(self, command: str, report: RunReport, calls: int) -> None:
        if self.store is None:
            return
        record = {
            "command": command, "finished_at": self.now_ms(), "calls": calls, "pages": report.pages,
            "records": report.records, "seconds": round(report.seconds, 3), "interrupted": report.interrupted,
            "failed": len(report.failures), "skipped_points": sum(report.skipped.values()),
        }
        try:
            self.store.set_state(STATE_LAST_RUN, orjson.dumps(record).decode())
        except FitbitSyncError as exc:
            log.warning("could not record the run: %s", exc)
