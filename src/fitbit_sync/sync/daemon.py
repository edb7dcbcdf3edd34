"""The daemon: sync on a schedule per group of streams, for as long as it runs.

Intraday streams (samples, per-minute values, sessions, devices) are synced every
``sync_interval_minutes``; daily values and daily totals every ``daily_interval_minutes``. On start
every group is due at once, and each sync starts from the stored coverage (the bookmark), so the
daemon catches up after any downtime. Transient failures (API unreachable after retries, store
unavailable, another process holding the lock) are logged and retried with growing backoff,
never ending the daemon. A refused refresh token (or no token at all) logs one line and exits
with its code (4, or 3), and so does an account the API refuses as a whole (not linked to Google
Health, not a test user of the app: 9), so a supervisor does not restart into a crash loop. SIGTERM and Ctrl-C
stop it within a fraction of a second, even in a retry wait or a hung request (exit 0).
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType

from fitbit_sync.catalog import Stream
from fitbit_sync.config import Settings
from fitbit_sync.errors import (
    AuthRequiredError,
    ConfigError,
    ExitCode,
    FitbitSyncError,
    LockedError,
    ReauthRequiredError,
    SourceError,
    StoreError,
)
from fitbit_sync.net.transport import Stopped
from fitbit_sync.sources.google_health.errors import AccountError
from fitbit_sync.sources.google_health.planner import axis_of, effective_streams
from fitbit_sync.sync.engine import Interrupted
from fitbit_sync.sync.logging_setup import DAEMON_FORMAT, daemon_logging
from fitbit_sync.sync.session import SyncSession

log = logging.getLogger(__name__)

LOG_FORMAT = DAEMON_FORMAT
LOG_FILE_BYTES = 5 * 1024 * 1024
LOG_FILE_BACKUPS = 3
BACKOFF_FIRST_S = 30.0
TRANSIENT = (SourceError, StoreError, LockedError)


def setup_logging(settings: Settings, *, stream: object = None) -> list[logging.Handler]:
    """Log to stderr, and to ``settings.log_file`` (rotating) when set; returns the handlers."""
    return daemon_logging(settings, stream=stream, file_bytes=LOG_FILE_BYTES, file_backups=LOG_FILE_BACKUPS,
                          fmt=LOG_FORMAT)


@dataclass
class Group:
    """Streams synced together on one interval."""

    name: str
    streams: list[Stream]
    interval_s: float
    next_due: float = 0.0
    failures: int = 0


def make_groups(streams: list[Stream], settings: Settings, *, intraday_s: float | None = None,
                daily_s: float | None = None) -> list[Group]:
    chosen = effective_streams(streams, settings.heart_rate_resolution)
    daily = [s for s in chosen if axis_of(s) == "date"]
    intraday = [s for s in chosen if axis_of(s) != "date"]
    groups = [
        Group("intraday", intraday, intraday_s if intraday_s is not None else settings.sync_interval_minutes * 60),
        Group("daily", daily, daily_s if daily_s is not None else settings.daily_interval_minutes * 60),
    ]
    return [g for g in groups if g.streams]


class Daemon:
    """The scheduling loop around a ``SyncSession``."""

    def __init__(
        self,
        settings: Settings,
        streams: list[Stream],
        *,
        session: SyncSession | None = None,
        stop: threading.Event | None = None,
        clock: Callable[[], float] = time.time,
        intraday_s: float | None = None,
        daily_s: float | None = None,
        backoff_first_s: float = BACKOFF_FIRST_S,
    ) -> None:
        self.settings = settings
        self.stop = stop or (session.stop if session else threading.Event())
        self.session = session or SyncSession(settings, stop=self.stop, clock=clock)
        self.clock = clock
        self.groups = make_groups(streams, settings, intraday_s=intraday_s, daily_s=daily_s)
        self.backoff_first_s = backoff_first_s
        self.runs = 0
        self.failed_runs = 0
        self._stop_requested = False

    def request_stop(self, signum: int | None = None, frame: FrameType | None = None) -> None:
        """Stop the daemon (the SIGTERM handler); use this rather than setting ``stop`` directly."""
        log.info("stopping (signal %s)", signum) if signum else log.info("stopping")
        self._stop_requested = True
        if signum is None:
            self.stop.set()
            return
        # In a signal handler the main thread may be inside ``self.stop.wait()``, holding the
        # Event's non-reentrant lock: ``set()`` here would wait for it forever. Another thread
        # can take it as soon as the main thread's wait lets go.
        threading.Thread(target=self.stop.set, name="daemon-stop", daemon=True).start()

    def _rearm(self) -> None:
        """A fatal error inside a sync (a store failure) sets the shared stop event to end that
        sync's other requests at once; unless a stop was asked for, the daemon goes on."""
        if self._stop_requested or not self.stop.is_set():
            return
        self.stop.clear()
        if self._stop_requested:  # SIGTERM arrived just now
            self.stop.set()

    def run(self) -> int:
        """Loop until stopped; the process exit code."""
        failures = 0
        while True:
            try:
                self.session.__enter__()
                break
            except (ReauthRequiredError, AuthRequiredError, ConfigError) as exc:  # no token, bad settings
                log.error("%s", exc)
                return exc.exit_code
            except TRANSIENT as exc:  # e.g. the database server is not up yet
                failures += 1
                delay = min(min(g.interval_s for g in self.groups), self.backoff_first_s * 2 ** (failures - 1))
                log.warning("cannot start syncing (%s); retrying in %.0f s", exc, delay)
                if self.stop.wait(delay):
                    return ExitCode.OK
        try:
            return self._loop()
        finally:
            self.session.close()

    def _loop(self) -> int:
        now = self.clock()
        for group in self.groups:
            group.next_due = now  # catch up at once
        log.info("daemon started: %s", "; ".join(
            f"{g.name} ({len(g.streams)} streams) every {g.interval_s / 60:g} min" for g in self.groups))
        while not self.stop.is_set():
            now = self.clock()
            due = [g for g in self.groups if g.next_due <= now]
            if due:
                code = self._tick(due)
                if code is not None:
                    return code
                continue
            wait = min(g.next_due for g in self.groups) - self.clock()
            self.stop.wait(max(0.05, wait))
        log.info("daemon stopped")
        return ExitCode.OK

    def _tick(self, due: list[Group]) -> int | None:
        """One sync of the due groups; an exit code when the daemon must end."""
        streams = [s for g in due for s in g.streams]
        names = "+".join(g.name for g in due)
        started = self.clock()
        self.runs += 1
        try:
            if any(g.name == "daily" for g in due):
                self.session.zone = None  # the user may have travelled: ask again once in a while
            requests = self.session.plan_sync(streams)
            report = self.session.run(requests, f"daemon:{names}")
            report.raise_for_failures()
        except (Interrupted, Stopped):  # Stopped: from a request outside the engine (the user's zone)
            log.info("daemon stopped during a sync; what was fetched is stored")
            self.stop.set()
            return ExitCode.OK
        except (ReauthRequiredError, AccountError) as exc:
            log.error("%s", exc)
            return exc.exit_code
        except AuthRequiredError as exc:
            from fitbit_sync.sources.google_health.errors import MissingScopeError

            if isinstance(exc, MissingScopeError):
                return self._transient(due, exc)
            log.error("%s", exc)
            return exc.exit_code
        except TRANSIENT as exc:
            return self._transient(due, exc)
        except FitbitSyncError as exc:  # anything else expected: keep running, try later
            return self._transient(due, exc)
        for group in due:
            group.failures = 0
            group.next_due = started + group.interval_s
        log.info("%s sync: %d requests, %d records in %.1f s", names, report.completed, report.records,
                 report.seconds)
        return None

    def _transient(self, due: list[Group], exc: FitbitSyncError) -> int | None:
        self._rearm()
        self.failed_runs += 1
        now = self.clock()
        for group in due:
            group.failures += 1
            backoff = min(group.interval_s, self.backoff_first_s * 2 ** (group.failures - 1))
            group.next_due = now + backoff
        retry_in = min(g.next_due for g in due) - now
        log.warning("sync failed (%s); retrying in %.0f s", exc, retry_in)
        return None


def install_signal_handlers(daemon: Daemon) -> None:
    """SIGTERM stops the daemon cleanly within a fraction of a second (a request in flight is dropped)."""
    signal.signal(signal.SIGTERM, daemon.request_stop)
