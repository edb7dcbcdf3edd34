"""The catalogue: every stream we fetch from the Google Health API, as data.

A *stream* is one (data type, method) pair, e.g. ``steps`` read with ``list`` for per-minute
values and ``steps`` read with ``dailyRollUp`` for daily totals. Each entry says how the API
serves it (record kind, filter field, page size, range cap, scope) and which measurements of
``fitbit_sync.schema`` its converter fills, plus what the planner needs (axis, settle window,
typical points per day). Nothing else in the tool tests a data type by name (a test checks): adding
a data type is one entry here, one converter (``sources/google_health/converters/``) and its
measurements in ``schema.py``; docs/ARCHITECTURE.md has the recipe.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

RecordKind = Literal["interval", "sample", "daily", "session", "rollup"]
Method = Literal["list", "rollUp", "dailyRollUp", "pairedDevices"]

SCOPE_PREFIX = "https://www.googleapis.com/auth/googlehealth."
SCOPE_ACTIVITY = SCOPE_PREFIX + "activity_and_fitness.readonly"
SCOPE_HEALTH = SCOPE_PREFIX + "health_metrics_and_measurements.readonly"
SCOPE_SLEEP = SCOPE_PREFIX + "sleep.readonly"
SCOPE_LOCATION = SCOPE_PREFIX + "location.readonly"
SCOPE_PROFILE = SCOPE_PREFIX + "profile.readonly"
SCOPE_SETTINGS = SCOPE_PREFIX + "settings.readonly"

#: Everything fitbit-sync asks for at consent (read-only).
ALL_SCOPES: tuple[str, ...] = (
    SCOPE_ACTIVITY, SCOPE_HEALTH, SCOPE_SLEEP, SCOPE_LOCATION, SCOPE_PROFILE, SCOPE_SETTINGS,
)

#: The ``source`` of every coverage row the Google Health API fills (the Takeout importer records
#: coverage for the same streams under the same name).
SOURCE = "google-health"

DAY_MS = 86_400_000
LIST_PAGE_MAX = 10_000
SESSION_PAGE_MAX = 25
ROLLUP_PAGE_MAX = 10_000
DAILY_ROLLUP_PAGE_MAX = 90
SHORT_RANGE_DAYS = 14  # heart-rate, total-calories, active-minutes, calories-in-heart-rate-zone
LONG_RANGE_DAYS = 90
DEVICES_PAGE_SIZE = 100

#: Coverage newer than ``fetched_at - settle`` is refetched: intraday data arrives after the
#: device syncs; daily values and sleep are recomputed by Google for a few days.
SETTLE_INTRADAY_MS = 2 * 86_400_000
SETTLE_DAILY_MS = 3 * 86_400_000

#: The filter member of a ``list`` stream, by record kind (sessions name theirs in the entry).
DEFAULT_FILTER_MEMBERS: dict[str, str] = {
    "interval": "interval.start_time",
    "sample": "sample_time.physical_time",
    "daily": "date",
}

#: A Takeout rule: (measurement, fields that must all be present) per local day.
Requirement = tuple[str, tuple[str, ...]]
#: The measurement name Takeout imports use for "a sleep log ends on this local day".
ARCHIVE_SLEEP_END = "_sleep_end"

#: The time axis a stream's filter and coverage speak (see ``sources.google_health.planner``):
#: UTC ms (``physical``), local wall-clock time read as UTC (``civil``), civil dates (``date``).
Axis = Literal["physical", "civil", "date"]


def json_key(type_id: str) -> str:
    """``daily-resting-heart-rate`` -> ``dailyRestingHeartRate`` (the member name in a DataPoint)."""
    head, *rest = type_id.split("-")
    return head + "".join(part.capitalize() for part in rest)


def filter_id(type_id: str) -> str:
    """``body-fat`` -> ``body_fat`` (the name used inside ``filter`` expressions)."""
    return type_id.replace("-", "_")


@dataclass(frozen=True, slots=True)
class Stream:
    """One thing we fetch: ``type_id`` read with ``method``, filling ``measurements``.

    Every fact is a field, filled by ``stream()`` from the method and record kind unless the entry
    says otherwise, so nothing outside this module needs to know a data type by name."""

    type_id: str
    method: Method
    kind: RecordKind
    scope: str
    measurements: tuple[str, ...]
    filter_field: str | None  # the filter member for ``list`` (None for rollups and devices)
    axis: Axis  # the time axis of the filter and of coverage
    page_size: int
    max_range_days: int | None  # the API's cap on one request's range (rollups only; list has none)
    settle_ms: int  # coverage this young is provisional and fetched again
    points_per_day: float  # a typical day's points (splitting long list gaps, progress)
    window: str | None = None  # rollUp window size, e.g. "60s"
    backfill: bool = True  # False: a snapshot of now (paired devices), no history
    whole_history: bool = False  # every plan reads all of it (a few points that other converters need)
    minute_variant: str | None = None  # the key of the 1-minute rollup read instead when asked
    #: What a Takeout import must hold for a whole local day so the day need not be fetched
    #: (docs/takeout.md): every (measurement, fields) pair; empty = an import never covers it.
    archive_rule: tuple[Requirement, ...] = ()
    priority: int = 50  # lower first: long-range, cheap streams fill dashboards early

    @property
    def key(self) -> str:
        """Stable id used in checkpoints and on the command line: ``steps`` or ``steps:daily``."""
        suffix = {"list": "", "rollUp": ":rollup", "dailyRollUp": ":daily", "pairedDevices": ""}[self.method]
        return self.type_id + suffix

    @property
    def json_key(self) -> str:
        return json_key(self.type_id)


def stream(
    type_id: str,
    method: Method,
    kind: RecordKind,
    scope: str,
    *measurements: str,
    filter_member: str | None = None,
    page_size: int | None = None,
    range_cap_days: int = LONG_RANGE_DAYS,
    settle_ms: int | None = None,
    points_per_day: float = 1.0,
    window: str | None = None,
    backfill: bool = True,
    whole_history: bool = False,
    minute_variant: str | None = None,
    archive: tuple[Requirement, ...] = (),
    priority: int = 50,
) -> Stream:
    """A catalogue entry; what it does not say follows from the method and the record kind:

    * ``list``: filter on ``DEFAULT_FILTER_MEMBERS[kind]`` (a session names its ``filter_member``),
      page size 10,000; no range cap;
    * ``rollUp``: page size 10,000, range cap ``range_cap_days``; ``dailyRollUp``: page size and
      range cap ``range_cap_days`` (90, or 14 for the short-range family);
    * axis: ``date`` for daily values and dailyRollUp, ``civil`` when the filter member is a civil
      time, else ``physical``; settle window: 3 days on the date axis, else 2 days."""
    field: str | None = None
    if method == "list":
        member = filter_member or DEFAULT_FILTER_MEMBERS.get(kind)
        if member is None:
            raise ValueError(f"{type_id}: a {kind} stream read with list names its filter_member")
        field = f"{filter_id(type_id)}.{member}"
    if method == "dailyRollUp" or kind == "daily":
        axis: Axis = "date"
    else:
        axis = "civil" if ".civil_" in (field or "") else "physical"
    if page_size is None:
        page_size = {"list": LIST_PAGE_MAX, "rollUp": ROLLUP_PAGE_MAX,
                     "dailyRollUp": min(range_cap_days, DAILY_ROLLUP_PAGE_MAX)}.get(method, DEVICES_PAGE_SIZE)
    if settle_ms is None:
        settle_ms = SETTLE_DAILY_MS if axis == "date" else SETTLE_INTRADAY_MS
    return Stream(
        type_id, method, kind, scope, tuple(measurements),
        filter_field=field, axis=axis, page_size=page_size,
        max_range_days=range_cap_days if method in ("rollUp", "dailyRollUp") else None,
        settle_ms=settle_ms, points_per_day=points_per_day, window=window, backfill=backfill,
        whole_history=whole_history, minute_variant=minute_variant, archive_rule=archive, priority=priority,
    )


_s = stream
SHORT = SHORT_RANGE_DAYS  # the range cap of the short-range family
MINUTES = 1440.0  # points a day of a per-minute interval stream

STREAMS: tuple[Stream, ...] = (
    # daily values: one point a day, a few calls for years of history
    _s("daily-resting-heart-rate", "list", "daily", SCOPE_HEALTH, "RestingHR", priority=10,
       archive=(("RestingHR", ("value",)),)),
    _s("daily-heart-rate-variability", "list", "daily", SCOPE_HEALTH, "HRV", "HRV Details", priority=10,
       archive=(("HRV", ("dailyRmssd", "deepRmssd")), ("HRV Details", ("entropy", "nonRemHR")))),
    _s("daily-oxygen-saturation", "list", "daily", SCOPE_HEALTH, "SPO2", priority=10,
       archive=(("SPO2", ("avg", "lowerBound", "upperBound", "stddev")),)),
    _s("daily-respiratory-rate", "list", "daily", SCOPE_HEALTH, "BreathingRate", priority=10,
       archive=(("BreathingRate", ("value",)),)),
    _s("daily-sleep-temperature-derivations", "list", "daily", SCOPE_HEALTH, "Skin Temperature Variation",
       "Skin Temperature", priority=10,
       archive=(("Skin Temperature", ("nightly", "baseline", "stddev30d")),
                ("Skin Temperature Variation", ("RelativeValue",)))),
    _s("daily-vo2-max", "list", "daily", SCOPE_ACTIVITY, "VO2 Max", priority=10),
    _s("daily-heart-rate-zones", "list", "daily", SCOPE_HEALTH, "HR Zone Thresholds", priority=10),
    _s("steps", "dailyRollUp", "rollup", SCOPE_ACTIVITY, "Total Steps", priority=20,
       archive=(("Total Steps", ("value",)),)),
    _s("distance", "dailyRollUp", "rollup", SCOPE_ACTIVITY, "distance", priority=20,
       archive=(("distance", ("value",)),)),
    _s("total-calories", "dailyRollUp", "rollup", SCOPE_ACTIVITY, "calories", priority=20, range_cap_days=SHORT,
       archive=(("calories", ("value",)),)),
    _s("active-energy-burned", "dailyRollUp", "rollup", SCOPE_ACTIVITY, "Activity Calories", priority=20),
    _s("floors", "dailyRollUp", "rollup", SCOPE_ACTIVITY, "floors", priority=20),
    _s("altitude", "dailyRollUp", "rollup", SCOPE_ACTIVITY, "elevation", priority=20),
    _s("active-minutes", "dailyRollUp", "rollup", SCOPE_ACTIVITY, "Activity Minutes", priority=20, range_cap_days=SHORT,
       archive=(("Activity Minutes", ("minutesLightlyActive", "minutesFairlyActive", "minutesVeryActive")),)),
    _s("sedentary-period", "dailyRollUp", "rollup", SCOPE_ACTIVITY, "Activity Minutes", priority=20,
       archive=(("Activity Minutes", ("minutesSedentary",)),)),
    _s("active-zone-minutes", "dailyRollUp", "rollup", SCOPE_ACTIVITY, "Active Zone Minutes", priority=20),
    _s("time-in-heart-rate-zone", "dailyRollUp", "rollup", SCOPE_ACTIVITY, "HR zones", priority=20),
    # body and sessions: sparse
    _s("weight", "list", "sample", SCOPE_HEALTH, "weight", priority=30),
    _s("body-fat", "list", "sample", SCOPE_HEALTH, "BodyFat", priority=30),
    # entered by hand every few months: read whole on every run (one call) so each weigh-in of the
    # run finds the latest height before it, for its BMI
    _s("height", "list", "sample", SCOPE_HEALTH, "height", "bmi", whole_history=True, points_per_day=1 / 91,
       priority=30),
    # sleep pages by its end; Google recomputes sleep (and what derives from it) for days
    _s("sleep", "list", "session", SCOPE_SLEEP, "Sleep Summary", "Sleep Levels", filter_member="interval.end_time",
       page_size=SESSION_PAGE_MAX, settle_ms=SETTLE_DAILY_MS, points_per_day=1.2, priority=30,
       archive=((ARCHIVE_SLEEP_END, ()),)),
    _s("respiratory-rate-sleep-summary", "list", "sample", SCOPE_HEALTH, "BreathingRate_Sleep",
       settle_ms=SETTLE_DAILY_MS, points_per_day=1.2, priority=30),
    _s("exercise", "list", "session", SCOPE_ACTIVITY, "Activity Records", "GPS",
       filter_member="interval.civil_start_time", page_size=SESSION_PAGE_MAX, priority=30),
    _s("vo2-max", "list", "sample", SCOPE_ACTIVITY, "VO2 Max Samples", priority=30),
    _s("heart-rate-variability", "list", "sample", SCOPE_HEALTH, "HRV_Intraday", points_per_day=100.0, priority=40),
    _s("oxygen-saturation", "list", "sample", SCOPE_HEALTH, "SPO2_Intraday", points_per_day=480.0, priority=40),
    # per-minute and per-sample streams: the bulk of the calls
    _s("steps", "list", "interval", SCOPE_ACTIVITY, "Steps_Intraday", points_per_day=MINUTES, priority=50,
       archive=(("Steps_Intraday", ()),)),
    _s("distance", "list", "interval", SCOPE_ACTIVITY, "Distance_Intraday", points_per_day=MINUTES, priority=50,
       archive=(("Distance_Intraday", ()),)),
    _s("active-energy-burned", "list", "interval", SCOPE_ACTIVITY, "Calories_Intraday", points_per_day=MINUTES,
       priority=50),
    _s("altitude", "list", "interval", SCOPE_ACTIVITY, "Elevation_Intraday", points_per_day=MINUTES, priority=50),
    _s("floors", "rollUp", "rollup", SCOPE_ACTIVITY, "Floors_Intraday", window="60s", priority=50),
    _s("heart-rate", "list", "sample", SCOPE_HEALTH, "HeartRate_Intraday", points_per_day=17_280.0,
       minute_variant="heart-rate:rollup", priority=60,
       archive=(("HeartRate_Intraday", ()),)),
    # a snapshot of now, no history
    _s("paired-devices", "pairedDevices", "sample", SCOPE_SETTINGS, "DeviceBatteryLevel", backfill=False,
       priority=0),
)

#: Streams read only instead of a catalogue stream (its ``minute_variant``): heart-rate as 1-minute
#: averages instead of raw samples (``heart_rate_resolution = "1min"``).
VARIANTS: tuple[Stream, ...] = (
    _s("heart-rate", "rollUp", "rollup", SCOPE_HEALTH, "HeartRate_Intraday", window="60s", range_cap_days=SHORT,
       priority=60, archive=(("HeartRate_Intraday", ()),)),  # raw samples are finer than 1-minute averages
)

STREAMS_BY_KEY: dict[str, Stream] = {s.key: s for s in STREAMS}
#: Every stream that may appear in a plan or in coverage: the catalogue and its variants.
ALL_STREAMS_BY_KEY: dict[str, Stream] = {s.key: s for s in (*STREAMS, *VARIANTS)}
TYPE_IDS: tuple[str, ...] = tuple(dict.fromkeys(s.type_id for s in STREAMS))


def select_streams(names: list[str] | None) -> list[Stream]:
    """Streams for ``names`` (stream keys like ``steps:daily`` or type ids like ``steps``, which
    select every stream of that type); all streams when ``names`` is empty. Raises ValueError
    naming the first unknown name."""
    if not names:
        return sorted(STREAMS, key=lambda s: s.priority)
    chosen: dict[str, Stream] = {}
    for name in names:
        name = name.strip()
        matches = [s for s in STREAMS if s.type_id == name]
        if not matches and name in STREAMS_BY_KEY:
            matches = [STREAMS_BY_KEY[name]]
        if not matches:
            known = ", ".join(TYPE_IDS)
            raise ValueError(f"unknown data type {name!r} (known: {known})")
        for stream in matches:
            chosen[stream.key] = stream
    return sorted(chosen.values(), key=lambda s: s.priority)
