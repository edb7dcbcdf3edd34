"""The catalogue: every stream we fetch from the Google Health API, as data.

A *stream* is one (data type, method) pair, e.g. ``steps`` read with ``list`` for per-minute
values and ``steps`` read with ``dailyRollUp`` for daily totals. Each entry says how the API
serves it (record kind, filter field, page size, range cap, scope) and which measurements of
``fitbit_sync.schema`` its converter fills. Adding a data type means one entry here and one
converter in ``fitbit_sync.sources.google_health.converters``.
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

LIST_PAGE_MAX = 10_000
SESSION_PAGE_MAX = 25
ROLLUP_PAGE_MAX = 10_000
DAILY_ROLLUP_PAGE_MAX = 90
SHORT_RANGE_DAYS = 14  # heart-rate, total-calories, active-minutes, calories-in-heart-rate-zone
LONG_RANGE_DAYS = 90
SHORT_RANGE_TYPES = frozenset({"heart-rate", "total-calories", "active-minutes", "calories-in-heart-rate-zone"})


def json_key(type_id: str) -> str:
    """``daily-resting-heart-rate`` -> ``dailyRestingHeartRate`` (the member name in a DataPoint)."""
    head, *rest = type_id.split("-")
    return head + "".join(part.capitalize() for part in rest)


def filter_id(type_id: str) -> str:
    """``body-fat`` -> ``body_fat`` (the name used inside ``filter`` expressions)."""
    return type_id.replace("-", "_")


@dataclass(frozen=True, slots=True)
class Stream:
    """One thing we fetch: ``type_id`` read with ``method``, filling ``measurements``."""

    type_id: str
    method: Method
    kind: RecordKind
    scope: str
    measurements: tuple[str, ...]
    window: str | None = None  # rollUp window size, e.g. "60s"
    backfill: bool = True  # False: a snapshot of now (paired devices), no history
    priority: int = 50  # lower first: long-range, cheap streams fill dashboards early

    @property
    def key(self) -> str:
        """Stable id used in checkpoints and on the command line: ``steps`` or ``steps:daily``."""
        suffix = {"list": "", "rollUp": ":rollup", "dailyRollUp": ":daily", "pairedDevices": ""}[self.method]
        return self.type_id + suffix

    @property
    def json_key(self) -> str:
        return json_key(self.type_id)

    @property
    def filter_field(self) -> str | None:
        """The filter member for ``list`` (None for rollups and devices)."""
        if self.method != "list":
            return None
        fid = filter_id(self.type_id)
        return {
            "interval": f"{fid}.interval.start_time",
            "sample": f"{fid}.sample_time.physical_time",
            "daily": f"{fid}.date",
            "session": f"{fid}.interval.end_time" if self.type_id == "sleep" else f"{fid}.interval.civil_start_time",
        }.get(self.kind)

    @property
    def page_size(self) -> int:
        if self.method == "list":
            return SESSION_PAGE_MAX if self.type_id in ("sleep", "exercise") else LIST_PAGE_MAX
        if self.method == "dailyRollUp":
            return SHORT_RANGE_DAYS if self.type_id in SHORT_RANGE_TYPES else DAILY_ROLLUP_PAGE_MAX
        if self.method == "rollUp":
            return ROLLUP_PAGE_MAX
        return 100

    @property
    def max_range_days(self) -> int | None:
        """The API's cap on one request's range (rollups only; list has none)."""
        if self.method in ("rollUp", "dailyRollUp"):
            return SHORT_RANGE_DAYS if self.type_id in SHORT_RANGE_TYPES else LONG_RANGE_DAYS
        return None


def _s(type_id: str, method: Method, kind: RecordKind, scope: str, *measurements: str, **kw: object) -> Stream:
    return Stream(type_id, method, kind, scope, tuple(measurements), **kw)  # type: ignore[arg-type]


STREAMS: tuple[Stream, ...] = (
    # daily values: one point a day, a few calls for years of history
    _s("daily-resting-heart-rate", "list", "daily", SCOPE_HEALTH, "RestingHR", priority=10),
    _s("daily-heart-rate-variability", "list", "daily", SCOPE_HEALTH, "HRV", "HRV Details", priority=10),
    _s("daily-oxygen-saturation", "list", "daily", SCOPE_HEALTH, "SPO2", priority=10),
    _s("daily-respiratory-rate", "list", "daily", SCOPE_HEALTH, "BreathingRate", priority=10),
    _s("daily-sleep-temperature-derivations", "list", "daily", SCOPE_HEALTH, "Skin Temperature Variation",
       "Skin Temperature", priority=10),
    _s("daily-vo2-max", "list", "daily", SCOPE_ACTIVITY, "VO2 Max", priority=10),
    _s("daily-heart-rate-zones", "list", "daily", SCOPE_HEALTH, "HR Zone Thresholds", priority=10),
    _s("steps", "dailyRollUp", "rollup", SCOPE_ACTIVITY, "Total Steps", priority=20),
    _s("distance", "dailyRollUp", "rollup", SCOPE_ACTIVITY, "distance", priority=20),
    _s("total-calories", "dailyRollUp", "rollup", SCOPE_ACTIVITY, "calories", priority=20),
    _s("active-energy-burned", "dailyRollUp", "rollup", SCOPE_ACTIVITY, "Activity Calories", priority=20),
    _s("floors", "dailyRollUp", "rollup", SCOPE_ACTIVITY, "floors", priority=20),
    _s("altitude", "dailyRollUp", "rollup", SCOPE_ACTIVITY, "elevation", priority=20),
    _s("active-minutes", "dailyRollUp", "rollup", SCOPE_ACTIVITY, "Activity Minutes", priority=20),
    _s("sedentary-period", "dailyRollUp", "rollup", SCOPE_ACTIVITY, "Activity Minutes", priority=20),
    _s("active-zone-minutes", "dailyRollUp", "rollup", SCOPE_ACTIVITY, "Active Zone Minutes", priority=20),
    _s("time-in-heart-rate-zone", "dailyRollUp", "rollup", SCOPE_ACTIVITY, "HR zones", priority=20),
    # body and sessions: sparse
    _s("weight", "list", "sample", SCOPE_HEALTH, "weight", priority=30),
    _s("body-fat", "list", "sample", SCOPE_HEALTH, "BodyFat", priority=30),
    _s("sleep", "list", "session", SCOPE_SLEEP, "Sleep Summary", "Sleep Levels", priority=30),
    _s("respiratory-rate-sleep-summary", "list", "sample", SCOPE_HEALTH, "BreathingRate_Sleep", priority=30),
    _s("exercise", "list", "session", SCOPE_ACTIVITY, "Activity Records", "GPS", priority=30),
    _s("heart-rate-variability", "list", "sample", SCOPE_HEALTH, "HRV_Intraday", priority=40),
    _s("oxygen-saturation", "list", "sample", SCOPE_HEALTH, "SPO2_Intraday", priority=40),
    # per-minute and per-sample streams: the bulk of the calls
    _s("steps", "list", "interval", SCOPE_ACTIVITY, "Steps_Intraday", priority=50),
    _s("distance", "list", "interval", SCOPE_ACTIVITY, "Distance_Intraday", priority=50),
    _s("active-energy-burned", "list", "interval", SCOPE_ACTIVITY, "Calories_Intraday", priority=50),
    _s("altitude", "list", "interval", SCOPE_ACTIVITY, "Elevation_Intraday", priority=50),
    _s("floors", "rollUp", "rollup", SCOPE_ACTIVITY, "Floors_Intraday", window="60s", priority=50),
    _s("heart-rate", "list", "sample", SCOPE_HEALTH, "HeartRate_Intraday", priority=60),
    # a snapshot of now, no history
    _s("paired-devices", "pairedDevices", "sample", SCOPE_SETTINGS, "DeviceBatteryLevel", backfill=False,
       priority=0),
)

STREAMS_BY_KEY: dict[str, Stream] = {s.key: s for s in STREAMS}
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
