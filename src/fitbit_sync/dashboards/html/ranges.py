"""Time ranges of the dashboard: presets (24h, 7d, 30d, 1y, all) and custom dates, resolved to ms.

Presets end at the newest stored data, not at the wall clock, so a database that was synced last
week (or a demo database) still opens on a full picture. Day-based presets cover whole local
days, so daily panels never show a half day at the left edge.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fitbit_sync.dashboards.html.source import DAY, HOUR
from fitbit_sync.days import check_ms, local_midnight_ms, parse_day
from fitbit_sync.errors import ConfigError

PRESETS: dict[str, int | None] = {"24h": None, "7d": 7, "30d": 30, "1y": 365, "all": None}
MAX_SPAN_MS = 50 * 366 * DAY


@dataclass(frozen=True, slots=True)
class Window:
    """A resolved range ``[start_ms, end_ms)`` in the time zone ``tz``."""

    start_ms: int
    end_ms: int
    tz: ZoneInfo
    label: str

    @property
    def span_ms(self) -> int:
        return self.end_ms - self.start_ms

    def local_date(self, time_ms: int) -> date:
        return datetime.fromtimestamp(time_ms / 1000, self.tz).date()

    @property
    def first_date(self) -> date:
        return self.local_date(self.start_ms)

    @property
    def last_date(self) -> date:
        return self.local_date(self.end_ms - 1)

    @property
    def days(self) -> int:
        return (self.last_date - self.first_date).days + 1


def zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name``; ConfigError when unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"unknown time zone {name!r}") from None


def local_midnight(day: date, tz: ZoneInfo) -> int:
    return local_midnight_ms(day, tz)


def resolve(
    preset: str | None, bounds: tuple[int, int] | None, tz: ZoneInfo, *,
    first: str | None = None, last: str | None = None, now_ms: int | None = None,
) -> Window:
    """The window for ``preset`` (or the custom dates ``first..last``, inclusive) over data ``bounds``."""
    if first or last:
        if not (first and last):
            raise ConfigError("a custom range needs both a first and a last date")
        d1, d2 = parse_day(first, "the first date"), parse_day(last, "the last date")
        if d2 < d1:
            raise ConfigError(f"the last date {d2} is before the first date {d1}")
        window = Window(local_midnight(d1, tz), local_midnight(d2 + timedelta(days=1), tz), tz, f"{d1} – {d2}")
        if window.span_ms > MAX_SPAN_MS:
            raise ConfigError("a custom range may span at most 50 years")
        return window
    preset = preset or "30d"
    if preset not in PRESETS:
        raise ConfigError(f"unknown range {preset!r}: use one of {', '.join(PRESETS)} or custom dates")
    if bounds is None:  # no data: show the wall clock's range, empty
        clock = now_ms if now_ms is not None else int(datetime.now(tz).timestamp() * 1000)
        bounds = (clock, clock)
    data_first, data_last = bounds
    end_hour = (data_last // HOUR + 1) * HOUR
    if preset == "24h":
        return Window(end_hour - DAY, end_hour, tz, preset)
    last_day = datetime.fromtimestamp(data_last / 1000, tz).date()
    end = local_midnight(last_day + timedelta(days=1), tz)
    if preset == "all":
        first_day = datetime.fromtimestamp(data_first / 1000, tz).date()
        return Window(local_midnight(first_day, tz), end, tz, preset)
    days = PRESETS[preset] or 1
    return Window(local_midnight(last_day - timedelta(days=days - 1), tz), end, tz, preset)


def explicit(start_ms: int, end_ms: int, tz: ZoneInfo) -> Window:
    """A window given in epoch ms (the API's ``start``/``end``)."""
    check_ms(start_ms, "the range start")
    check_ms(end_ms, "the range end")
    if end_ms <= start_ms:
        raise ConfigError("the range end must be after its start")
    if end_ms - start_ms > MAX_SPAN_MS:
        raise ConfigError("a range may span at most 50 years")
    return Window(start_ms, end_ms, tz, "custom")
