"""The planner: which Google Health API requests are still missing, as pure functions.

Input: catalogue streams, a range of local dates (or "since the last bookmark"), the coverage the
store has recorded, the current time and the user's zone. Output: the fewest requests that cover
what is missing, long-range streams first so dashboards fill early.

Every stream lives on one *time axis*, the one its API filter speaks, and its coverage is kept in
that axis's milliseconds:

* ``physical``: UTC epoch ms (``heart_rate.sample_time.physical_time``, rollUp ranges, sleep end);
* ``civil``: the user's local wall-clock time read as if it were UTC (``exercise`` filters on
  ``interval.civil_start_time``);
* ``date``: civil dates as UTC-midnight ms (daily values and dailyRollUp), so a changed zone
  never moves a day.

A ``list`` gap is one paged request: its pages come newest first and the engine records coverage
after each page, so one request per gap costs ``ceil(points / pageSize)`` calls and a restart
asks only for what is left. Rollups are cut into chunks that fit the range cap and one page.
Coverage fetched shortly after its range ended is provisional (devices sync late, daily values
are recomputed): the part newer than ``fetched_at - settle`` is asked again on the next run.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fitbit_sync.catalog import ALL_STREAMS_BY_KEY, DAY_MS, VARIANTS, Axis, Stream

# Re-exported for callers of the planner: the coverage source and the settle windows (each stream
# declares its own in the catalogue).
from fitbit_sync.catalog import SETTLE_DAILY_MS as SETTLE_DAILY_MS
from fitbit_sync.catalog import SETTLE_INTRADAY_MS as SETTLE_INTRADAY_MS
from fitbit_sync.catalog import SOURCE as SOURCE
from fitbit_sync.days import local_midnight_ms as local_midnight_ms
from fitbit_sync.records import rfc3339_from_ms
from fitbit_sync.stores.base import Coverage, subtract_intervals

SECOND_MS = 1000
MINUTE_MS = 60 * SECOND_MS
EPOCH = date(1970, 1, 1)

#: heart-rate as 1-minute averages (``heart_rate_resolution = "1min"``): the catalogue's one variant.
(HEART_RATE_ROLLUP,) = VARIANTS


# --- axes and conversions --------------------------------------------------------------------------


def axis_of(stream: Stream) -> Axis:
    """The time axis of ``stream``'s filter and coverage (declared in the catalogue)."""
    return stream.axis


def date_ms(day: date) -> int:
    """A civil date on the ``date`` (and ``civil``) axis: its midnight read as UTC."""
    return (day - EPOCH).days * DAY_MS


def date_of_ms(value: int) -> date:
    """The civil date of a ``date``/``civil`` axis value (floor)."""
    return EPOCH + timedelta(days=value // DAY_MS)


def civil_ms(physical_ms: int, zone: ZoneInfo) -> int:
    """The local wall-clock time of an instant, on the ``civil`` axis."""
    local = datetime.fromtimestamp(physical_ms / 1000, tz=zone).replace(tzinfo=None)
    return int(local.replace(tzinfo=UTC).timestamp() * 1000)


def local_date(physical_ms: int, zone: ZoneInfo) -> date:
    return datetime.fromtimestamp(physical_ms / 1000, tz=zone).date()


def day_start_on_axis(axis: Axis, day: date, zone: ZoneInfo) -> int:
    """Where local day ``day`` starts on ``axis``."""
    return local_midnight_ms(day, zone) if axis == "physical" else date_ms(day)


def now_on_axis(axis: Axis, now_ms: int, zone: ZoneInfo) -> int:
    """The current instant on ``axis``; on the date axis, the end of today (today is included)."""
    if axis == "physical":
        return now_ms
    if axis == "civil":
        return civil_ms(now_ms, zone)
    return date_ms(local_date(now_ms, zone)) + DAY_MS


def settle_ms(stream: Stream) -> int:
    return stream.settle_ms


def settled_until(stream: Stream, fetched_at_ms: int, zone: ZoneInfo) -> int:
    """Axis value before which data fetched at ``fetched_at_ms`` is final."""
    axis = axis_of(stream)
    if axis == "physical":
        return fetched_at_ms - settle_ms(stream)
    cut = civil_ms(fetched_at_ms, zone) - settle_ms(stream)
    return cut - cut % DAY_MS if axis == "date" else cut


def effective_coverage(stream: Stream, coverage: Iterable[Coverage], zone: ZoneInfo) -> list[tuple[int, int]]:
    """Intervals of ``stream`` that are stored and final (provisional tails cut off)."""
    pieces = []
    for c in coverage:
        end = min(c.end_ms, settled_until(stream, c.fetched_at_ms, zone))
        if end > c.start_ms:
            pieces.append((c.start_ms, end))
    return pieces


# --- requests ----------------------------------------------------------------------------------------


def window_ms(stream: Stream) -> int:
    """The rollUp window of ``stream`` in ms (``"60s"`` -> 60000)."""
    if not stream.window:
        raise ValueError(f"stream {stream.key} has no rollUp window")
    return int(float(stream.window.rstrip("s")) * 1000)


def chunk_ms(stream: Stream) -> int:
    """The longest range one request of a rollup stream may cover: range cap, and one page."""
    cap = (stream.max_range_days or 90) * DAY_MS
    if stream.method == "rollUp":
        return min(cap, stream.page_size * window_ms(stream))
    if stream.method == "dailyRollUp":
        return min(cap, stream.page_size * DAY_MS)
    raise ValueError(f"stream {stream.key} is not a rollup")


def _literal(axis: Axis, value: int, *, ceil: bool) -> str:
    if axis == "physical":
        return rfc3339_from_ms(value)
    if axis == "date":
        days = -(-value // DAY_MS) if ceil else value // DAY_MS
        return (EPOCH + timedelta(days=days)).isoformat()
    seconds = -(-value // SECOND_MS) if ceil else value // SECOND_MS
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _civil_json(day: date) -> dict[str, Any]:
    return {"date": {"year": day.year, "month": day.month, "day": day.day}}


@dataclass(frozen=True, slots=True)
class Request:
    """One request (paged for ``list``) over ``[start_ms, end_ms)`` of ``stream``'s axis."""

    stream: Stream
    start_ms: int
    end_ms: int

    @property
    def axis(self) -> Axis:
        return axis_of(self.stream)

    @property
    def method(self) -> str:
        return self.stream.method

    def list_filter(self) -> str:
        """``{field} >= "start" AND {field} < "end"`` (end rounded up: re-reading a tie is harmless)."""
        field = self.stream.filter_field
        if field is None:
            raise ValueError(f"stream {self.stream.key} is not read with list")
        lo = _literal(self.axis, self.start_ms, ceil=False)
        hi = _literal(self.axis, self.end_ms, ceil=True)
        return f'{field} >= "{lo}" AND {field} < "{hi}"'

    def rollup_body(self) -> dict[str, Any]:
        return {
            "range": {"startTime": rfc3339_from_ms(self.start_ms), "endTime": rfc3339_from_ms(self.end_ms)},
            "windowSize": self.stream.window,
            "pageSize": self.stream.page_size,
        }

    def daily_rollup_body(self) -> dict[str, Any]:
        return {
            "range": {"start": _civil_json(date_of_ms(self.start_ms)), "end": _civil_json(date_of_ms(self.end_ms))},
            "windowSizeDays": 1,
        }

    def describe(self) -> str:
        lo = _literal(self.axis, self.start_ms, ceil=False)
        hi = _literal(self.axis, self.end_ms, ceil=True)
        return f"{self.stream.key} [{lo}, {hi})"


#: A list gap is split into parallel parts only when each part still has this many pages: every
#: extra part costs at most one partly filled page.
MIN_PAGES_PER_PART = 40


def expected_pages(stream: Stream, start_ms: int, end_ms: int) -> float:
    """A guess of the pages a ``list`` request needs (for splitting and progress, not minimality)."""
    days = max(0.0, (end_ms - start_ms) / DAY_MS)
    return days * stream.points_per_day / stream.page_size


def split_gap(stream: Stream, start_ms: int, end_ms: int, parallel: int = 1) -> list[Request]:
    """Requests covering one missing interval: for ``list`` one paged request (or up to
    ``parallel`` equal parts when the gap is long enough that each part still fills
    ``MIN_PAGES_PER_PART`` pages), chunks for rollups (aligned to the rollUp window or whole days).
    Newest first."""
    if stream.method == "list":
        parts = max(1, min(parallel, int(expected_pages(stream, start_ms, end_ms) // MIN_PAGES_PER_PART)))
        if parts == 1:
            return [Request(stream, start_ms, end_ms)]
        bounds = [start_ms + (end_ms - start_ms) * i // parts for i in range(parts + 1)]
        return [Request(stream, bounds[i], bounds[i + 1]) for i in reversed(range(parts))]
    if stream.method == "pairedDevices":
        return [Request(stream, start_ms, end_ms)]
    unit = window_ms(stream) if stream.method == "rollUp" else DAY_MS
    start = start_ms - start_ms % unit
    end = end_ms + (-end_ms) % unit
    size = chunk_ms(stream)
    size -= size % unit
    requests = []
    cursor = start
    while cursor < end:
        upper = min(cursor + size, end)
        requests.append(Request(stream, cursor, upper))
        cursor = upper
    requests.reverse()  # newest chunk first: recent dashboards fill first
    return requests


def effective_streams(streams: Sequence[Stream], heart_rate_resolution: str = "raw") -> list[Stream]:
    """``streams``, with raw heart-rate swapped for 1-minute rollups when asked, in priority order."""
    chosen: dict[str, Stream] = {}
    for stream in streams:
        if heart_rate_resolution == "1min" and stream.minute_variant:
            stream = ALL_STREAMS_BY_KEY[stream.minute_variant]
        chosen[stream.key] = stream
    return sorted(chosen.values(), key=lambda s: s.priority)


CoverageSource = Mapping[str, Sequence[Coverage]]


def plan_range(
    streams: Sequence[Stream],
    start: date,
    end: date,
    coverage: CoverageSource,
    now_ms: int,
    zone: ZoneInfo,
    *,
    heart_rate_resolution: str = "raw",
    parallel: int = 1,
) -> list[Request]:
    """Requests for local dates ``start``..``end`` (inclusive) not yet covered, capped at now.
    ``parallel``: how many parts a long ``list`` gap may be split into (the engine's workers)."""
    if end < start:
        raise ValueError("end date before start date")
    requests: list[Request] = []
    for stream in effective_streams(streams, heart_rate_resolution):
        if not stream.backfill:
            requests.append(Request(stream, now_ms, now_ms))
            continue
        if stream.whole_history:
            requests.append(whole_history_request(stream, now_ms, zone))
            continue
        axis = axis_of(stream)
        lo = day_start_on_axis(axis, start, zone)
        hi = min(day_start_on_axis(axis, end + timedelta(days=1), zone), now_on_axis(axis, now_ms, zone))
        requests.extend(_missing(stream, lo, hi, coverage.get(stream.key, ()), zone, parallel))
    return in_plan_order(requests)


def whole_history_request(stream: Stream, now_ms: int, zone: ZoneInfo) -> Request:
    """A stream a backfill (and a first sync) reads whole (``Stream.whole_history``: a few points a
    year that other converters need, e.g. the latest height before a weigh-in): one request from
    the start of its axis to now, whatever is covered; one call, as a request for the range would
    be. Later syncs read it from its bookmark like any stream."""
    return Request(stream, 0, now_on_axis(axis_of(stream), now_ms, zone))


def _reads_whole(request: Request) -> bool:
    return request.stream.whole_history and request.start_ms == 0


def in_plan_order(requests: list[Request]) -> list[Request]:
    """Catalogue priority first (daily and long-range streams fill dashboards early); within one
    priority the newest ranges first, streams interleaved, so recent days complete first (and a
    server answers neighbouring requests about the same days)."""
    return sorted(requests, key=lambda r: (r.stream.priority, -r.end_ms, r.stream.key))


def plan_incremental(
    streams: Sequence[Stream],
    coverage: CoverageSource,
    now_ms: int,
    zone: ZoneInfo,
    *,
    heart_rate_resolution: str = "raw",
    first_run_days: int = 2,
    parallel: int = 1,
    catchup: Mapping[str, int] | None = None,
) -> list[Request]:
    """A ``sync``: per stream, from its bookmark to now; on a first run, ``first_run_days`` local
    days ending today (yesterday and today).

    The bookmark is the end of the stream's final coverage, or the start of a catch-up that has not
    finished (``catchup``: stream key -> axis ms, see ``catchup_marks``), whichever is older. Pages
    and chunks arrive newest first, so a stopped catch-up leaves coverage *above* a hole; without
    the mark the next run would resume from the newest covered end and never ask for the hole."""
    today = local_date(now_ms, zone)
    marks = catchup or {}
    requests: list[Request] = []
    for stream in effective_streams(streams, heart_rate_resolution):
        if not stream.backfill:
            requests.append(Request(stream, now_ms, now_ms))
            continue
        if stream.whole_history and not coverage.get(stream.key):  # its first sync reads it whole
            requests.append(whole_history_request(stream, now_ms, zone))
            continue
        axis = axis_of(stream)
        final = effective_coverage(stream, coverage.get(stream.key, ()), zone)
        first = day_start_on_axis(axis, today - timedelta(days=first_run_days - 1), zone)
        lo = max(end for _, end in final) if final else first
        pending = marks.get(stream.key)
        if pending is not None:
            lo = min(lo, pending)
        hi = now_on_axis(axis, now_ms, zone)
        requests.extend(_missing(stream, min(lo, hi), hi, coverage.get(stream.key, ()), zone, parallel))
    return in_plan_order(requests)


def catchup_marks(
    streams: Sequence[Stream],
    requests: Sequence[Request],
    previous: Mapping[str, int],
    *,
    heart_rate_resolution: str = "raw",
) -> dict[str, int]:
    """The catch-up marks to store *before* running ``requests`` (a ``plan_incremental`` result for
    ``streams``): for each planned stream, where its oldest request starts; a stream with nothing
    left to ask loses its mark (everything from the old mark on is covered). Marks of streams that
    were not planned (the daemon plans its groups separately) are kept as they were."""
    marks = dict(previous)
    oldest: dict[str, int] = {}
    for request in requests:
        if request.stream.backfill and not _reads_whole(request):  # a whole read leaves no hole
            key = request.stream.key
            oldest[key] = min(oldest.get(key, request.start_ms), request.start_ms)
    for stream in effective_streams(streams, heart_rate_resolution):
        if stream.key in oldest:
            marks[stream.key] = oldest[stream.key]
        else:
            marks.pop(stream.key, None)
    return marks


def _missing(stream: Stream, lo: int, hi: int, coverage: Sequence[Coverage], zone: ZoneInfo,
             parallel: int = 1) -> list[Request]:
    if hi <= lo:
        return []
    requests: list[Request] = []
    for gap_start, gap_end in reversed(subtract_intervals((lo, hi), effective_coverage(stream, coverage, zone))):
        requests.extend(split_gap(stream, gap_start, gap_end, parallel))
    return requests


def coverage_by_stream(coverage: Iterable[Coverage]) -> dict[str, list[Coverage]]:
    grouped: dict[str, list[Coverage]] = {}
    for c in coverage:
        grouped.setdefault(c.stream, []).append(c)
    return grouped


# --- theoretical minimum -------------------------------------------------------------------------------


def minimum_calls(request: Request, points: int) -> int:
    """The fewest calls that can return ``points`` points for ``request`` (page size, range cap).

    ``list``: ``ceil(points / pageSize)``, at least one call to learn there is nothing;
    rollUp: ``max(chunks the range cap forces, ceil(windows / pageSize))``;
    dailyRollUp: one call per chunk of at most ``min(range cap, page size)`` days."""
    stream = request.stream
    if stream.method in ("list", "pairedDevices"):
        return max(1, math.ceil(points / stream.page_size))
    span = request.end_ms - request.start_ms
    if stream.method == "rollUp":
        forced = math.ceil(span / ((stream.max_range_days or 90) * DAY_MS))
        return max(1, forced, math.ceil(points / stream.page_size))
    return max(1, math.ceil(span / chunk_ms(stream)))


def with_range(request: Request, start_ms: int, end_ms: int) -> Request:
    return replace(request, start_ms=start_ms, end_ms=end_ms)
