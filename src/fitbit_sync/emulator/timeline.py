"""The user's clock on the wall: physical instants <-> UTC offsets and civil days.

All instants are integer POSIX seconds. A *civil day* is a calendar date in whatever zone the
user was in at the time; its physical interval runs from local midnight to the next local
midnight (23, 24 or 25 hours around DST, up to 30 hours on a westward travel day).

"Local seconds" are POSIX-style seconds of the naive local time (instant + UTC offset); civil
filters and civil rollups compare those directly.
"""

from __future__ import annotations

import bisect
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from fitbit_sync.emulator.config import SWITCH_HOUR_UTC, ZonePeriod

EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
DAY = 86400


def date_to_days(day: date) -> int:
    """Days since 1970-01-01."""
    return day.toordinal() - EPOCH_ORDINAL


def days_to_date(days: int) -> date:
    return date.fromordinal(days + EPOCH_ORDINAL)


class Timeline:
    """Offsets, zones and civil-day bounds for one user's time-zone history."""

    def __init__(self, periods: tuple[ZonePeriod, ...]) -> None:
        self.periods = periods
        self._zones = [ZoneInfo(p.zone) for p in periods]
        self._switches = [int(datetime.combine(p.start, time(SWITCH_HOUR_UTC), UTC).timestamp()) for p in periods[1:]]
        self._bounds: dict[date, tuple[int, int]] = {}
        self._segments: dict[date, list[tuple[int, int, int]]] = {}

    # -- instants ---------------------------------------------------------------------------
    def zone_at(self, t: int) -> ZoneInfo:
        return self._zones[bisect.bisect_right(self._switches, t)]

    def zone_name_at(self, t: int) -> str:
        return self.periods[bisect.bisect_right(self._switches, t)].zone

    def offset_at(self, t: int) -> int:
        """UTC offset in seconds at instant ``t``."""
        return _offset(self.zone_at(t), t)

    def day_of(self, t: int) -> date:
        """Civil date at instant ``t``."""
        return days_to_date((t + self.offset_at(t)) // DAY)

    # -- civil days -------------------------------------------------------------------------
    def day_start(self, day: date) -> int:
        """Instant of local midnight starting ``day``."""
        return self.day_bounds(day)[0]

    def day_bounds(self, day: date) -> tuple[int, int]:
        """Physical ``[start, end)`` of a civil day."""
        bounds = self._bounds.get(day)
        if bounds is None:
            bounds = (self._midnight(day), self._midnight(day + timedelta(days=1)))
            if len(self._bounds) > 20000:
                self._bounds.clear()
            self._bounds[day] = bounds
        return bounds

    def _midnight(self, day: date) -> int:
        # Local midnight lies within (day-1 12:00 UTC, day 12:00 UTC], before that day's switch.
        noon = int(datetime.combine(day, time(SWITCH_HOUR_UTC), UTC).timestamp())
        zone = self.zone_at(noon - 1)
        return int(datetime.combine(day, time(0), zone).timestamp())

    def segments(self, day: date) -> list[tuple[int, int, int]]:
        """``[(start, end, offset)]`` pieces of constant UTC offset covering the civil day."""
        segs = self._segments.get(day)
        if segs is not None:
            return segs
        t0, t1 = self.day_bounds(day)
        segs = []
        start, off = t0, self.offset_at(t0)
        probe = t0
        while probe < t1:
            nxt = min(probe + 3600, t1)
            if nxt < t1 and self.offset_at(nxt) == off:
                probe = nxt
                continue
            if nxt == t1:
                if self.offset_at(t1 - 1) == off:
                    break
                nxt = t1 - 1
            # The offset changes within (probe, nxt]: find the first second with the new offset.
            lo, hi = probe, nxt
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if self.offset_at(mid) == off:
                    lo = mid
                else:
                    hi = mid
            segs.append((start, hi, off))
            start, off, probe = hi, self.offset_at(hi), hi
        segs.append((start, t1, off))
        if len(self._segments) > 20000:
            self._segments.clear()
        self._segments[day] = segs
        return segs

    def civil_to_instant(self, day: date, local_seconds_of_day: int) -> int:
        """Instant at which the wall clock on ``day`` shows ``local_seconds_of_day``.

        Repeated wall times (DST fall-back, westward travel) resolve to the earlier instant;
        skipped ones (spring-forward) to the instant the gap ends.
        """
        local = date_to_days(day) * DAY + local_seconds_of_day
        segs = self.segments(day)
        for start, end, off in segs:
            t = local - off
            if start <= t < end:
                return t
        for start, _end, off in segs:
            if local - off < start:
                return start
        return segs[-1][1] - 1

    def local_seconds(self, t: int) -> int:
        return t + self.offset_at(t)


@lru_cache(maxsize=65536)
def _offset_hour(zone: ZoneInfo, hour: int) -> tuple[int, int]:
    """Offset at the start and end of one UTC hour (equal unless a transition falls inside)."""
    a = datetime.fromtimestamp(hour * 3600, zone).utcoffset()
    b = datetime.fromtimestamp(hour * 3600 + 3599, zone).utcoffset()
    assert a is not None and b is not None
    return int(a.total_seconds()), int(b.total_seconds())


def _offset(zone: ZoneInfo, t: int) -> int:
    a, b = _offset_hour(zone, t // 3600)
    if a == b:
        return a
    off = datetime.fromtimestamp(t, zone).utcoffset()
    assert off is not None
    return int(off.total_seconds())
