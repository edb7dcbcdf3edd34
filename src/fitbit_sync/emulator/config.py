"""Emulator settings: one frozen dataclass, validated once.

``EmulatorConfig`` holds everything that shapes the emulated world: the seed and date range of
the synthetic history, the user's time-zone history (travel and DST), the registered OAuth
client, token lifetimes, the per-user quota, fault rules and the clock.

Time-zone history: a tuple of ``ZonePeriod(start, zone)``. The first period applies to all time
before the second one; every later period begins at **12:00 UTC on its start date** (a flight
lands). Switching at noon UTC never moves the local date across midnight for zones within
±12 h of UTC, so every civil day maps to one contiguous physical interval.

The clock is a callable returning POSIX seconds (float). Tests pass their own, or move the
emulator's clock with ``EmulatorState.advance_clock()`` / ``POST /_emulator/control``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fitbit_sync.emulator.faults import FaultRule
from fitbit_sync.errors import ConfigError

DEFAULT_CLIENT_ID = "fitbit-sync-emulator.apps.googleusercontent.com"
DEFAULT_CLIENT_SECRET = "emulator-secret"
DEFAULT_HOME_ZONE = "Europe/Berlin"
SWITCH_HOUR_UTC = 12

# Earliest and latest dates the emulator accepts for its history.
MIN_DATE = date(2000, 1, 1)
MAX_DATE = date(2099, 12, 31)


@dataclass(frozen=True)
class ZonePeriod:
    """The user lives in ``zone`` from 12:00 UTC on ``start`` until the next period begins."""

    start: date
    zone: str


def default_time_zone_history(start: date, end: date, home: str = DEFAULT_HOME_ZONE) -> tuple[ZonePeriod, ...]:
    """Home zone plus two trips a year: Tokyo 14-21 February, New York 10-17 June.

    The trips are fixed calendar dates (not relative to the range), so a given day looks the
    same whatever range the emulator serves. Home-zone DST transitions come from the IANA rules.
    """
    periods = [ZonePeriod(MIN_DATE, home)]
    for year in range(start.year - 1, end.year + 2):
        periods += [
            ZonePeriod(date(year, 2, 14), "Asia/Tokyo"),
            ZonePeriod(date(year, 2, 21), home),
            ZonePeriod(date(year, 6, 10), "America/New_York"),
            ZonePeriod(date(year, 6, 17), home),
        ]
    return tuple(periods)


def _default_clock() -> float:
    return time.time()


@dataclass(frozen=True)
class EmulatorConfig:
    """Everything configurable about the emulator. Unset dates resolve against the clock."""

    seed: int = 1
    start: date | None = None  # first civil day with data (default: end - 364 days)
    end: date | None = None  # last civil day with data (default: today per the clock, UTC)
    time_zones: tuple[ZonePeriod, ...] | None = None  # default: default_time_zone_history()
    home_zone: str = DEFAULT_HOME_ZONE

    # OAuth client registration (Desktop-app rules: any loopback port is accepted).
    client_id: str = DEFAULT_CLIENT_ID
    client_secret: str = DEFAULT_CLIENT_SECRET
    allow_loopback_redirects: bool = True
    allowed_redirect_uris: tuple[str, ...] = ()  # exact URIs, Web-client style
    require_pkce: bool = True
    access_token_ttl: int = 3600
    auth_code_ttl: int = 600
    testing_mode_refresh_expiry: bool = False  # "Testing" publishing status: 7-day refresh tokens
    testing_refresh_ttl: int = 604800
    max_refresh_tokens: int = 100  # per client and user; the oldest is revoked past it

    # Data plane.
    quota_per_minute: int = 300
    quota_window_seconds: float = 60.0
    quota_retry_after: bool = False  # Google does not document Retry-After; off by default
    hide_future_data: bool = True  # points after the clock's "now" are not served yet
    account_linked: bool = True  # False: every v4 call fails with ACCOUNT_NOT_LINKED
    scope_overrides: Mapping[str, str] = field(default_factory=dict)  # data type -> scope suffix
    cache_days: int = 16  # fully generated days kept in memory (each ~2-3 MB)

    faults: tuple[FaultRule, ...] = ()
    fault_seed: int = 0

    clock: Callable[[], float] = _default_clock
    health_user_id: str | None = None  # default: derived from the seed
    legacy_user_id: str | None = None  # default: derived from the seed

    def __post_init__(self) -> None:
        today = datetime.fromtimestamp(self.clock(), UTC).date()
        end = self.end or today
        start = self.start or (end - timedelta(days=364))
        if start > end:
            raise ConfigError(f"emulator start date {start} is after end date {end}")
        if start < MIN_DATE or end > MAX_DATE:
            raise ConfigError(f"emulator dates must lie between {MIN_DATE} and {MAX_DATE}")
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)
        zones = self.time_zones or default_time_zone_history(start, end, self.home_zone)
        object.__setattr__(self, "time_zones", tuple(zones))
        _validate_zones(self.time_zones or ())
        if self.quota_per_minute < 1:
            raise ConfigError("quota_per_minute must be at least 1")
        if self.access_token_ttl < 1 or self.auth_code_ttl < 1:
            raise ConfigError("token lifetimes must be positive")
        if self.cache_days < 1:
            raise ConfigError("cache_days must be at least 1")

    @property
    def first_day(self) -> date:
        assert self.start is not None
        return self.start

    @property
    def last_day(self) -> date:
        assert self.end is not None
        return self.end

    def with_changes(self, **changes: object) -> EmulatorConfig:
        """A copy with some fields replaced (dates and zones are re-validated)."""
        return replace(self, **changes)  # type: ignore[arg-type]


def _validate_zones(periods: tuple[ZonePeriod, ...]) -> None:
    if not periods:
        raise ConfigError("the time-zone history needs at least one period")
    previous: date | None = None
    for period in periods:
        try:
            zone = ZoneInfo(period.zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f"unknown time zone {period.zone!r}") from None
        if previous is not None and period.start <= previous:
            raise ConfigError("time-zone periods must have strictly increasing start dates")
        previous = period.start
        for month in (1, 7):
            probe = datetime(2026, month, 1, tzinfo=zone).utcoffset()
            if probe is not None and abs(probe.total_seconds()) >= 12 * 3600:
                raise ConfigError(f"time zone {period.zone} is 12 hours or more from UTC (unsupported)")
