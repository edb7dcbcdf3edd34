"""Converters: Google Health API JSON -> canonical records of ``fitbit_sync.schema``.

One converter per catalogue stream (``CONVERTERS[stream.key]``), each turning the items of one
response page into records. Rules applied everywhere:

* units are converted once, here: millimetres -> metres (km for distances the peer dashboards
  show in km), grams -> kg (and pounds for the peer ``weight`` panel), durations -> minutes/ms;
* int64 values arrive as JSON strings and are parsed; for the true-zero types (steps, distance,
  altitude, floors) an omitted value means 0;
* instants come from each point's own UTC time (or its civil time minus its own UTC offset), never
  from one zone for all history;
* daily values are keyed by their civil ``date``; their ``time`` is local midnight of that date
  in the user's zone;
* every record carries the ``Device`` tag (``settings.device_name``).

A point with a missing or malformed member is skipped and counted (``ConvertContext.skipped``),
never fatal. Adding a data type: one catalogue entry and one function registered here.
"""

from __future__ import annotations

import logging
import math
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from typing import Any
from zoneinfo import ZoneInfo

from fitbit_sync.catalog import Stream
from fitbit_sync.records import Record, rfc3339_from_ms
from fitbit_sync.schema import DEVICE_TAG

log = logging.getLogger(__name__)

Item = dict[str, Any]
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
EPOCH_DATE = date(1970, 1, 1)
MS = timedelta(milliseconds=1)
DAY_MS = 86_400_000
GRAMS_PER_LB = 453.59237
SKIP_LOG_LIMIT = 5  # warnings per stream and run; the rest are only counted


class BadPoint(ValueError):
    """A point that cannot be converted (missing or malformed member)."""


@dataclass
class ConvertContext:
    """What converters need besides the JSON: the Device tag, the user's zone, and (for exercise
    GPS) a way to fetch TCX files. ``skipped`` counts points dropped per stream key."""

    device: str
    zone: ZoneInfo
    fetch_tcx: Callable[[str], str | None] | None = None
    skipped: Counter[str] = field(default_factory=Counter)
    _midnights: dict[date, int] = field(default_factory=dict, repr=False)

    @property
    def tags(self) -> dict[str, str]:
        return {DEVICE_TAG: self.device}

    def local_midnight_ms(self, day: date) -> int:
        ms = self._midnights.get(day)
        if ms is None:
            ms = _exact_ms(datetime.combine(day, dtime(), tzinfo=self.zone))
            self._midnights[day] = ms
        return ms

    def skip(self, stream: Stream, reason: str) -> None:
        self.skip_named(stream.key, reason)

    def skip_named(self, key: str, reason: str) -> None:
        self.skipped[key] += 1
        count = self.skipped[key]
        if count <= SKIP_LOG_LIMIT:
            log.warning("%s: skipped a malformed data point (%s)", key, reason)
        elif count == SKIP_LOG_LIMIT + 1:
            log.warning("%s: more malformed data points; counting them silently", key)


# --- parsing helpers ---------------------------------------------------------------------------------

_minute_cache: dict[str, int] = {}


def _exact_ms(moment: datetime) -> int:
    return (moment - EPOCH) // MS


def parse_time_ms(text: Any) -> int:
    """Epoch ms of an RFC 3339 timestamp (``Z`` or an offset, optional fraction), exactly."""
    if not isinstance(text, str):
        raise BadPoint(f"timestamp {text!r} is not a string")
    # Fast path for the common ``YYYY-MM-DDTHH:MM:SSZ``: one dict lookup per minute.
    if len(text) == 20 and text[19] == "Z" and text[16] == ":":
        minute = _minute_cache.get(text[:16])
        if minute is None:
            minute = _slow_ms(text[:16] + ":00Z")
            if len(_minute_cache) > 200_000:
                _minute_cache.clear()
            _minute_cache[text[:16]] = minute
        seconds = text[17:19]
        if not seconds.isdigit():
            raise BadPoint(f"bad timestamp {text!r}")
        return minute + int(seconds) * 1000
    if len(text) == 24 and text[23] == "Z" and text[19] == "." and text[16] == ":":  # ``...:SS.mmmZ``
        return parse_time_ms(text[:19] + "Z") + int(text[20:23])
    return _slow_ms(text)


def _slow_ms(text: str) -> int:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise BadPoint(f"bad timestamp {text!r}") from None
    if moment.tzinfo is None:
        raise BadPoint(f"timestamp {text!r} has no UTC offset")
    return _exact_ms(moment)


def parse_duration_ms(text: Any) -> int:
    """``"1025s"`` / ``"-14400s"`` / ``"0.5s"`` -> milliseconds."""
    if isinstance(text, str) and text.endswith("s"):
        try:
            value = float(text[:-1])
        except ValueError:
            raise BadPoint(f"bad duration {text!r}") from None
        if math.isfinite(value):
            return round(value * 1000)
    raise BadPoint(f"bad duration {text!r}")


def int64(value: Any, *, default: int | None = None) -> int:
    """An int64 member (a JSON string, or a number); ``default`` when omitted."""
    if value is None:
        if default is None:
            raise BadPoint("missing integer value")
        return default
    if isinstance(value, bool):
        raise BadPoint(f"bad integer {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            raise BadPoint(f"bad integer {value!r}") from None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise BadPoint(f"bad integer {value!r}")


def number(value: Any, *, default: float | None = None) -> float:
    """A double member; ``default`` when omitted (proto3 omits zeros)."""
    if value is None:
        if default is None:
            raise BadPoint("missing number")
        return default
    if isinstance(value, bool):
        raise BadPoint(f"bad number {value!r}")
    if isinstance(value, (int, float)):
        result = float(value)
    elif isinstance(value, str):  # proto3 JSON also allows numbers as strings ("NaN", "1.5")
        try:
            result = float(value)
        except ValueError:
            raise BadPoint(f"bad number {value!r}") from None
    else:
        raise BadPoint(f"bad number {value!r}")
    if not math.isfinite(result):
        raise BadPoint(f"non-finite number {value!r}")
    return result


def optional_number(value: Any) -> float | None:
    return None if value is None else number(value)


def member(item: Item, key: str) -> Item:
    """The type member ``key`` of a data point (must be an object)."""
    value = item.get(key) if isinstance(item, dict) else None
    if not isinstance(value, dict):
        raise BadPoint(f"no {key!r} member")
    return value


def parse_date(value: Any) -> date:
    """``{"year": 2026, "month": 11, "day": 20}`` -> date."""
    if not isinstance(value, dict):
        raise BadPoint(f"bad date {value!r}")
    try:
        return date(int(value["year"]), int(value["month"]), int(value["day"]))
    except (KeyError, TypeError, ValueError):
        raise BadPoint(f"bad date {value!r}") from None


def _civil_ms(civil: Any) -> int:
    """A CivilDateTime on the civil axis (wall-clock time read as UTC)."""
    if not isinstance(civil, dict):
        raise BadPoint("no civil time")
    day = parse_date(civil.get("date"))
    tod = civil.get("time") or {}
    if not isinstance(tod, dict):
        raise BadPoint("bad civil time")
    seconds = int(tod.get("hours", 0)) * 3600 + int(tod.get("minutes", 0)) * 60 + int(tod.get("seconds", 0))
    return (day - EPOCH_DATE).days * DAY_MS + seconds * 1000 + int(tod.get("nanos", 0)) // 1_000_000


def sample_time_ms(value: Any) -> int:
    """Instant of an ObservationSampleTime: ``physicalTime``, else civil time minus its own offset."""
    if not isinstance(value, dict):
        raise BadPoint("no sampleTime")
    physical = value.get("physicalTime")
    if physical is not None:
        return parse_time_ms(physical)
    return _civil_ms(value.get("civilTime")) - parse_duration_ms(value.get("utcOffset"))


def interval_ms(value: Any, edge: str = "start") -> int:
    """Start (or end) instant of an interval: the UTC time, else civil time minus its own offset."""
    if not isinstance(value, dict):
        raise BadPoint("no interval")
    physical = value.get(f"{edge}Time")
    if physical is not None:
        return parse_time_ms(physical)
    civil = value.get("civilStartTime" if edge == "start" else "civilEndTime")
    return _civil_ms(civil) - parse_duration_ms(value.get(f"{edge}UtcOffset"))


def interval_civil_ms(value: Any, edge: str = "start") -> int:
    """Start (or end) of an interval on the civil axis: civil time, else UTC time plus its offset."""
    if not isinstance(value, dict):
        raise BadPoint("no interval")
    civil = value.get("civilStartTime" if edge == "start" else "civilEndTime")
    if civil is not None:
        return _civil_ms(civil)
    return parse_time_ms(value.get(f"{edge}Time")) + parse_duration_ms(value.get(f"{edge}UtcOffset") or "0s")


# --- converter plumbing --------------------------------------------------------------------------------

PointConverter = Callable[[Item, ConvertContext], Iterable[Record]]
CONVERTERS: dict[str, PointConverter] = {}


def converter(*keys: str) -> Callable[[PointConverter], PointConverter]:
    def register(fn: PointConverter) -> PointConverter:
        for key in keys:
            CONVERTERS[key] = fn
        return fn

    return register


def page_items(stream: Stream, page: Any) -> list[Item]:
    """The items of one response page: ``dataPoints``, ``rollupDataPoints`` or ``pairedDevices``."""
    key = {"list": "dataPoints", "rollUp": "rollupDataPoints", "dailyRollUp": "rollupDataPoints",
           "pairedDevices": "pairedDevices"}[stream.method]
    if isinstance(page, list):
        items = page
    elif isinstance(page, dict):
        items = page.get(key) or []
    else:
        raise BadPoint("response page is not a JSON object")
    if not isinstance(items, list):
        raise BadPoint(f"{key} is not a list")
    return items


def convert(stream: Stream, items: Iterable[Item], ctx: ConvertContext) -> list[Record]:
    """Records of ``items`` (one page of ``stream``); bad points are skipped and counted."""
    fn = CONVERTERS.get(stream.key)
    if fn is None:
        raise KeyError(f"no converter for stream {stream.key!r}")
    records: list[Record] = []
    for item in items:
        try:
            records.extend(fn(item, ctx))
        except (BadPoint, KeyError, TypeError, ValueError, AttributeError) as exc:
            ctx.skip(stream, str(exc) or type(exc).__name__)
    return records


def axis_time(stream: Stream, item: Item) -> int | None:
    """Where ``item`` sits on ``stream``'s planner axis (None if unreadable): the key the API
    pages by, used to record coverage after each page."""
    try:
        if stream.method == "list":
            body = member(item, stream.json_key)
            if stream.kind == "daily":
                return (parse_date(body.get("date")) - EPOCH_DATE).days * DAY_MS
            if stream.kind == "sample":
                return sample_time_ms(body.get("sampleTime"))
            if stream.type_id == "exercise":
                return interval_civil_ms(body.get("interval"))
            return interval_ms(body.get("interval"))
        if stream.method == "rollUp":
            return parse_time_ms(item.get("startTime"))
        if stream.method == "dailyRollUp":
            return _civil_ms(item.get("civilStartTime"))
    except (BadPoint, TypeError, ValueError, KeyError, AttributeError):
        return None
    return None


def _record(measurement: str, time_ms: int, fields: dict[str, Any], ctx: ConvertContext,
            extra_tags: dict[str, str] | None = None, day: date | None = None) -> Record:
    tags = {DEVICE_TAG: ctx.device}
    if extra_tags:
        tags.update(extra_tags)
    return Record(measurement, time_ms, fields, tags, day.isoformat() if day else None)


def _daily(measurement: str, day: date, fields: dict[str, Any], ctx: ConvertContext) -> Record:
    return Record(measurement, ctx.local_midnight_ms(day), fields, {DEVICE_TAG: ctx.device}, day.isoformat())


def _rollup_day(item: Item) -> date:
    civil = item.get("civilStartTime")
    if not isinstance(civil, dict):
        raise BadPoint("no civilStartTime")
    return parse_date(civil.get("date"))


# --- intraday (list) -----------------------------------------------------------------------------------


@converter("heart-rate")
def _heart_rate(item: Item, ctx: ConvertContext) -> Iterable[Record]:
    body = member(item, "heartRate")
    bpm = int64(body.get("beatsPerMinute"))
    if not 0 < bpm < 400:
        raise BadPoint(f"heart rate {bpm} out of range")
    return (Record("HeartRate_Intraday", sample_time_ms(body.get("sampleTime")), {"value": bpm}, ctx.tags),)


def _interval_value(key: str, measurement: str, value_key: str, kind: str, scale: float = 1.0) -> PointConverter:
    """An interval type with one value; omitted means a true zero (proto3 omits zero values)."""

    def fn(item: Item, ctx: ConvertContext) -> Iterable[Record]:
        body = member(item, key)
        raw = body.get(value_key)
        value: int | float = int64(raw, default=0) if kind == "int" else number(raw, default=0.0)
        if scale != 1.0:
            value = value * scale
        return (Record(measurement, interval_ms(body.get("interval")), {"value": value}, ctx.tags),)

    return fn


CONVERTERS["steps"] = _interval_value("steps", "Steps_Intraday", "count", "int")
CONVERTERS["distance"] = _interval_value("distance", "Distance_Intraday", "millimeters", "int", 1e-3)  # m
CONVERTERS["altitude"] = _interval_value("altitude", "Elevation_Intraday", "gainMillimeters", "int", 1e-3)  # m
CONVERTERS["active-energy-burned"] = _interval_value("activeEnergyBurned", "Calories_Intraday", "kcal", "float")


@converter("oxygen-saturation")
def _spo2(item: Item, ctx: ConvertContext) -> Iterable[Record]:
    body = member(item, "oxygenSaturation")
    return (Record("SPO2_Intraday", sample_time_ms(body.get("sampleTime")),
                   {"value": number(body.get("percentage"))}, ctx.tags),)


@converter("heart-rate-variability")
def _hrv(item: Item, ctx: ConvertContext) -> Iterable[Record]:
    body = member(item, "heartRateVariability")
    meta = body.get("metadata") or {}
    fields = {
        "rmssd": number(body.get("rootMeanSquareOfSuccessiveDifferencesMilliseconds")),
        "sdnn": optional_number(body.get("standardDeviationMilliseconds")),
        "hf": optional_number(meta.get("highFrequencyPower")),
        "lf": optional_number(meta.get("lowFrequencyPower")),
    }
    return (Record("HRV_Intraday", sample_time_ms(body.get("sampleTime")),
                   {k: v for k, v in fields.items() if v is not None}, ctx.tags),)


# --- rollUp (physical windows) -------------------------------------------------------------------------


@converter("floors:rollup")
def _floors_minute(item: Item, ctx: ConvertContext) -> Iterable[Record]:
    body = member(item, "floors")
    return (Record("Floors_Intraday", parse_time_ms(item.get("startTime")),
                   {"value": int64(body.get("countSum"), default=0)}, ctx.tags),)


@converter("heart-rate:rollup")
def _heart_rate_minute(item: Item, ctx: ConvertContext) -> Iterable[Record]:
    body = member(item, "heartRate")
    avg = number(body.get("beatsPerMinuteAvg"))
    if not 0 < avg < 400:
        raise BadPoint(f"heart rate {avg} out of range")
    return (Record("HeartRate_Intraday", parse_time_ms(item.get("startTime")), {"value": round(avg)}, ctx.tags),)


# --- daily values (list, keyed by date) ------------------------------------------------------------------


def _daily_member(item: Item, key: str) -> tuple[Item, date]:
    body = member(item, key)
    return body, parse_date(body.get("date"))


@converter("daily-resting-heart-rate")
def _resting_hr(item: Item, ctx: ConvertContext) -> Iterable[Record]:
    body, day = _daily_member(item, "dailyRestingHeartRate")
    return (_daily("RestingHR", day, {"value": int64(body.get("beatsPerMinute"))}, ctx),)


@converter("daily-heart-rate-variability")
def _daily_hrv(item: Item, ctx: ConvertContext) -> Iterable[Record]:
    body, day = _daily_member(item, "dailyHeartRateVariability")
    fields: dict[str, Any] = {"dailyRmssd": number(body.get("averageHeartRateVariabilityMilliseconds"))}
    deep = optional_number(body.get("deepSleepRootMeanSquareOfSuccessiveDifferencesMilliseconds"))
    if deep is not None:
        fields["deepRmssd"] = deep
    records = [_daily("HRV", day, fields, ctx)]
    details: dict[str, Any] = {}
    entropy = optional_number(body.get("entropy"))
    if entropy is not None:
        details["entropy"] = entropy
    if body.get("nonRemHeartRateBeatsPerMinute") is not None:
        details["nonRemHR"] = int64(body["nonRemHeartRateBeatsPerMinute"])
    if details:
        records.append(_daily("HRV Details", day, details, ctx))
    return records


@converter("daily-oxygen-saturation")
def _daily_spo2(item: Item, ctx: ConvertContext) -> Iterable[Record]:
    body, day = _daily_member(item, "dailyOxygenSaturation")
    fields = {
        "avg": number(body.get("averagePercentage")),
        "lowerBound": optional_number(body.get("lowerBoundPercentage")),
        "upperBound": optional_number(body.get("upperBoundPercentage")),
        "stddev": optional_number(body.get("standardDeviationPercentage")),
    }
    return (_daily("SPO2", day, {k: v for k, v in fields.items() if v is not None}, ctx),)


@converter("daily-respiratory-rate")
def _daily_breathing(item: Item, ctx: ConvertContext) -> Iterable[Record]:
    body, day = _daily_member(item, "dailyRespiratoryRate")
    return (_daily("BreathingRate", day, {"value": number(body.get("breathsPerMinute"))}, ctx),)


@converter("daily-sleep-temperature-derivations")
def _skin_temperature(item: Item, ctx: ConvertContext) -> Iterable[Record]:
    body, day = _daily_member(item, "dailySleepTemperatureDerivations")
    nightly = number(body.get("nightlyTemperatureCelsius"))
    baseline = optional_number(body.get("baselineTemperatureCelsius"))
    fields: dict[str, Any] = {"nightly": nightly}
    records = []
    if baseline is not None:
        fields["baseline"] = baseline
        records.append(_daily("Skin Temperature Variation", day, {"RelativeValue": round(nightly - baseline, 6)},
                              ctx))
    stddev = optional_number(body.get("relativeNightlyStddev30dCelsius"))
    if stddev is not None:
        fields["stddev30d"] = stddev
    records.append(_daily("Skin Temperature", day, fields, ctx))
    return records


@converter("daily-vo2-max")
def _vo2max(item: Item, ctx: ConvertContext) -> Iterable[Record]:
    body, day = _daily_member(item, "dailyVo2Max")
    fields: dict[str, Any] = {"vo2Max": number(body.get("vo2Max")), "estimated": bool(body.get("estimated", False))}
    level = body.get("cardioFitnessLevel")
    if level is not None:
        if not isinstance(level, str):
            raise BadPoint("bad cardioFitnessLevel")
        fields["cardioFitnessLevel"] = level
    return (_daily("VO2 Max", day, fields, ctx),)


_ZONE_THRESHOLD_FIELDS = {"LIGHT": "lightMin", "MODERATE": "moderateMin", "VIGOROUS": "vigorousMin", "PEAK": "peakMin"}


@converter("daily-heart-rate-zones")
def _zone_thresholds(item: Item, ctx: ConvertContext) -> Iterable[Record]:
    body, day = _daily_member(item, "dailyHeartRateZones")
    zones = body.get("heartRateZones")
    if not isinstance(zones, list) or not zones:
        raise BadPoint("no heartRateZones")
    fields: dict[str, Any] = {}
    for zone in zones:
        name = _ZONE_THRESHOLD_FIELDS.get(zone.get("heartRateZoneType"))
        if name is None:
            continue
        fields[name] = int64(zone.get("minBeatsPerMinute"), default=0)
        if name == "peakMin" and zone.get("maxBeatsPerMinute") is not None:
            fields["peakMax"] = int64(zone.get("maxBeatsPerMinute"))
    if not fields:
        raise BadPoint("no known heart-rate zone")
    return (_daily("HR Zone Thresholds", day, fields, ctx),)


# --- daily totals (dailyRollUp) ----------------------------------------------------------------------------


def _daily_sum(key: str, measurement: str, value_key: str, kind: str, scale: float = 1.0) -> PointConverter:
    """A daily total from dailyRollUp; an omitted sum is a true zero."""

    def fn(item: Item, ctx: ConvertContext) -> Iterable[Record]:
        body = member(item, key)
        raw = body.get(value_key)
        value: int | float = int64(raw, default=0) if kind == "int" else number(raw, default=0.0)
        if scale != 1.0:
            value = value * scale
        return (_daily(measurement, _rollup_day(item), {"value": value}, ctx),)

    return fn


CONVERTERS["steps:daily"] = _daily_sum("steps", "Total Steps", "countSum", "int", 1.0)
CONVERTERS["distance:daily"] = _daily_sum("distance", "distance", "millimetersSum", "int", 1e-6)  # km
CONVERTERS["total-calories:daily"] = _daily_sum("totalCalories", "calories", "kcalSum", "float")
CONVERTERS["active-energy-burned:daily"] = _daily_sum("activeEnergyBurned", "Activity Calories", "kcalSum", "float")
CONVERTERS["floors:daily"] = _daily_sum("floors", "floors", "countSum", "int")
CONVERTERS["altitude:daily"] = _daily_sum("altitude", "elevation", "gainMillimetersSum", "int", 1e-3)  # m

_ACTIVITY_LEVEL_FIELDS = {"LIGHT": "minutesLightlyActive", "MODERATE": "minutesFairlyActive",
                          "VIGOROUS": "minutesVeryActive"}


@converter("active-minutes:daily")
def _active_minutes(item: Item, ctx: ConvertContext) -> Iterable[Record]:
    body = member(item, "activeMinutes")
    levels = body.get("activeMinutesRollupByActivityLevel") or []
    if not isinstance(levels, list):
        raise BadPoint("bad activeMinutesRollupByActivityLevel")
    fields: dict[str, Any] = dict.fromkeys(_ACTIVITY_LEVEL_FIELDS.values(), 0)
    for level in levels:
        name = _ACTIVITY_LEVEL_FIELDS.get(level.get("activityLevel"))
        if name is not None:
            fields[name] = int64(level.get("activeMinutesSum"), default=0)
    return (_daily("Activity Minutes", _rollup_day(item), fields, ctx),)


@converter("sedentary-period:daily")
def _sedentary(item: Item, ctx: ConvertContext) -> Iterable[Record]:
    body = member(item, "sedentaryPeriod")
    raw = body.get("durationSum")
    minutes = 0 if raw is None else round(parse_duration_ms(raw) / 60_000)
    return (_daily("Activity Minutes", _rollup_day(item), {"minutesSedentary": minutes}, ctx),)


@converter("active-zone-minutes:daily")
def _azm(item: Item, ctx: ConvertContext) -> Iterable[Record]:
    body = member(item, "activeZoneMinutes")
    fat = int64(body.get("sumInFatBurnHeartZone"), default=0)
    cardio = int64(body.get("sumInCardioHeartZone"), default=0)
    peak = int64(body.get("sumInPeakHeartZone"), default=0)
    fields = {"fatBurn": fat, "cardio": cardio, "peak": peak, "total": fat + cardio + peak}
    return (_daily("Active Zone Minutes", _rollup_day(item), fields, ctx),)


#: Google's zones -> the peer dashboard's (Fitbit's) zone names.
HR_ZONE_NAMES = {"LIGHT": "Normal", "MODERATE": "Fat Burn", "VIGOROUS": "Cardio", "PEAK": "Peak"}


@converter("time-in-heart-rate-zone:daily")
def _time_in_zones(item: Item, ctx: ConvertContext) -> Iterable[Record]:
    body = member(item, "timeInHeartRateZone")
    zones = body.get("timeInHeartRateZones") or []
    if not isinstance(zones, list):
        raise BadPoint("bad timeInHeartRateZones")
    fields: dict[str, Any] = dict.fromkeys(HR_ZONE_NAMES.values(), 0)
    for zone in zones:
        name = HR_ZONE_NAMES.get(zone.get("heartRateZone"))
        if name is not None:
            raw = zone.get("duration")
            fields[name] = 0 if raw is None else round(parse_duration_ms(raw) / 60_000)
    return (_daily("HR zones", _rollup_day(item), fields, ctx),)


# --- body --------------------------------------------------------------------------------------------------


@converter("weight")
def _weight(item: Item, ctx: ConvertContext) -> Iterable[Record]:
    body = member(item, "weight")
    grams = number(body.get("weightGrams"))
    if grams <= 0:
        raise BadPoint(f"weight {grams} g")
    kg = grams / 1000
    return (Record("weight", sample_time_ms(body.get("sampleTime")),
                   {"value": round(grams / GRAMS_PER_LB, 6), "kg": kg}, ctx.tags),)


@converter("body-fat")
def _body_fat(item: Item, ctx: ConvertContext) -> Iterable[Record]:
    body = member(item, "bodyFat")
    return (Record("BodyFat", sample_time_ms(body.get("sampleTime")),
                   {"value": number(body.get("percentage"))}, ctx.tags),)


@converter("respiratory-rate-sleep-summary")
def _breathing_sleep(item: Item, ctx: ConvertContext) -> Iterable[Record]:
    body = member(item, "respiratoryRateSleepSummary")
    fields: dict[str, Any] = {}
    for source, name in (("fullSleepStats", "full"), ("deepSleepStats", "deep"),
                         ("lightSleepStats", "light"), ("remSleepStats", "rem")):
        stats = body.get(source)
        if isinstance(stats, dict) and stats.get("breathsPerMinute") is not None:
            fields[name] = number(stats["breathsPerMinute"])
    if "full" not in fields:
        raise BadPoint("no fullSleepStats.breathsPerMinute")
    return (Record("BreathingRate_Sleep", sample_time_ms(body.get("sampleTime")), fields, ctx.tags),)


# --- sleep -------------------------------------------------------------------------------------------------

#: (sleep type, stage type) -> (level for the peer dashboard, Fitbit's stage name)
SLEEP_LEVELS: dict[str, tuple[int, str]] = {
    "DEEP": (0, "deep"), "LIGHT": (1, "light"), "REM": (2, "rem"), "AWAKE": (3, "wake"),
    "ASLEEP": (1, "asleep"), "RESTLESS": (2, "restless"),
}


@converter("sleep")
def _sleep(item: Item, ctx: ConvertContext) -> Iterable[Record]:
    body = member(item, "sleep")
    interval = body.get("interval")
    start = interval_ms(interval, "start")
    end = interval_ms(interval, "end")
    if end <= start:
        raise BadPoint("sleep ends before it starts")
    sleep_type = str(body.get("type") or "STAGES")
    meta = body.get("metadata") or {}
    tags = {"isMainSleep": "True" if meta.get("mainSleep") else "False"}
    summary = body.get("summary") or {}
    in_bed = int64(summary.get("minutesInSleepPeriod"), default=round((end - start) / 60_000))
    asleep = int64(summary.get("minutesAsleep"), default=0)
    fields: dict[str, Any] = {
        "minutesInBed": in_bed,
        "minutesAsleep": asleep,
        "minutesAwake": int64(summary.get("minutesAwake"), default=0),
        "minutesToFallAsleep": int64(summary.get("minutesToFallAsleep"), default=0),
        "minutesAfterWakeup": int64(summary.get("minutesAfterWakeUp"), default=0),
        "efficiency": round(100 * asleep / in_bed) if in_bed > 0 else 0,
        "sleepType": sleep_type,
        "endTime": end,
    }
    stage_minutes = {"LIGHT": "minutesLight", "REM": "minutesREM", "DEEP": "minutesDeep"}
    for stage in summary.get("stagesSummary") or []:
        name = stage_minutes.get(stage.get("type"))
        if name is not None:
            fields[name] = int64(stage.get("minutes"), default=0)
    if sleep_type == "STAGES":
        for name in stage_minutes.values():
            fields.setdefault(name, 0)
    records = [_record("Sleep Summary", start, fields, ctx, tags)]
    wake = "awake" if sleep_type == "CLASSIC" else "wake"
    stages = body.get("stages") or []
    for stage in stages:
        stage_start = interval_ms(stage, "start")
        stage_end = interval_ms(stage, "end")
        level, name = SLEEP_LEVELS.get(stage.get("type"), (None, ""))
        if level is None or stage_end < stage_start:
            raise BadPoint(f"bad sleep stage {stage.get('type')!r}")
        if stage.get("type") == "AWAKE":
            name = wake
        records.append(_record("Sleep Levels", stage_start, {
            "level": level, "stage": name, "duration_seconds": (stage_end - stage_start) // 1000,
        }, ctx, tags))
    if stages:  # a level-3 row at the end, as the peer script writes, so state timelines end
        records.append(_record("Sleep Levels", end, {"level": 3, "stage": wake}, ctx, tags))
    return records


# --- exercise and GPS ----------------------------------------------------------------------------------------


def exercise_id(item: Item) -> str:
    name = item.get("name")
    if not isinstance(name, str) or not name.strip("/"):
        raise BadPoint("exercise without a name")
    return name.rstrip("/").rsplit("/", 1)[-1]


@converter("exercise")
def _exercise(item: Item, ctx: ConvertContext) -> Iterable[Record]:
    body = member(item, "exercise")
    point_id = exercise_id(item)
    interval = body.get("interval")
    start = interval_ms(interval, "start")
    end = interval_ms(interval, "end")
    if end < start:
        raise BadPoint("exercise ends before it starts")
    metrics = body.get("metricsSummary") or {}
    meta = body.get("exerciseMetadata") or {}
    has_gps = bool(meta.get("hasGps", False))
    # verbatim (the stores change only what they cannot hold, see stores.values); a missing or
    # blank name falls back to the exercise type
    name = str(body.get("displayName") or "")
    if not name.strip():
        name = str(body.get("exerciseType") or "Exercise").replace("_", " ").title()
    activity_id = f"{rfc3339_from_ms(start)}-{name}"  # as the Takeout importer and the peer script
    distance_mm = metrics.get("distanceMillimeters", metrics.get("distanceMillimiters"))
    fields: dict[str, Any] = {
        "duration": end - start,
        "ActiveDuration": parse_duration_ms(body["activeDuration"]) if body.get("activeDuration") else end - start,
        "calories": round(number(metrics.get("caloriesKcal"), default=0.0)),
        "distance": number(distance_mm, default=0.0) / 1e6,
        "steps": int64(metrics.get("steps"), default=0),
        "elevationGain": number(metrics.get("elevationGainMillimeters"), default=0.0) / 1000,
        "activeZoneMinutes": int64(metrics.get("activeZoneMinutes"), default=0),
        "hasGps": has_gps,
        "ActivityID": activity_id,
    }
    if metrics.get("averageHeartRateBeatsPerMinute") is not None:
        fields["AverageHeartRate"] = int64(metrics["averageHeartRateBeatsPerMinute"])
    records = [_record("Activity Records", start, fields, ctx, {"ActivityName": name})]
    if has_gps and ctx.fetch_tcx is not None:
        tcx = ctx.fetch_tcx(point_id)
        if tcx is not None:
            try:
                records.extend(gps_records(tcx, activity_id, ctx))
            except BadPoint as exc:  # keep the workout, drop its track
                ctx.skip_named("exercise:gps", str(exc))
    return records


def gps_records(tcx: str, activity_id: str, ctx: ConvertContext) -> list[Record]:
    """``GPS`` records from a TCX document (trackpoints with a position); speed from the TCX
    extension when present, else from distance and time between trackpoints."""
    try:
        root = ET.fromstring(tcx.encode() if isinstance(tcx, str) else tcx)
    except ET.ParseError as exc:
        raise BadPoint(f"TCX is not valid XML ({exc})") from None
    ns = root.tag[: root.tag.index("}") + 1] if root.tag.startswith("{") else ""
    t_time, t_pos, t_lat, t_lon = f"{ns}Time", f"{ns}Position", f"{ns}LatitudeDegrees", f"{ns}LongitudeDegrees"
    t_alt, t_dist, t_hr, t_value = f"{ns}AltitudeMeters", f"{ns}DistanceMeters", f"{ns}HeartRateBpm", f"{ns}Value"
    t_ext = f"{ns}Extensions"
    records: list[Record] = []
    tags = {DEVICE_TAG: ctx.device, "ActivityID": activity_id}
    previous: tuple[int, float] | None = None
    for point in root.iter(f"{ns}Trackpoint"):
        when = point.findtext(t_time)
        position = point.find(t_pos)
        if when is None or position is None:
            continue
        lat, lon = position.findtext(t_lat), position.findtext(t_lon)
        if lat is None or lon is None:
            continue
        try:
            time_ms = parse_time_ms(when.strip())
            fields: dict[str, Any] = {"lat": float(lat), "lon": float(lon)}
            altitude = point.findtext(t_alt)
            if altitude is not None:
                fields["altitude"] = float(altitude)
            distance = point.findtext(t_dist)
            if distance is not None:
                fields["distance"] = float(distance)  # metres, as in the TCX (schema: GPS.distance)
            heart = point.find(t_hr)
            if heart is not None and heart.findtext(t_value) is not None:
                fields["heart_rate"] = round(float(heart.findtext(t_value) or 0))
            extensions = point.find(t_ext)
            speed = next((e.text for e in extensions.iter() if _local(e.tag) == "Speed" and e.text), None) \
                if extensions is not None else None
            if speed is not None:
                fields["speed_kph"] = float(speed) * 3.6
            elif distance is not None and previous is not None and time_ms > previous[0]:
                fields["speed_kph"] = (float(distance) - previous[1]) / ((time_ms - previous[0]) / 1000) * 3.6
            if distance is not None:
                previous = (time_ms, float(distance))
        except (BadPoint, ValueError) as exc:
            ctx.skip_named("exercise:gps", str(exc))
            continue
        records.append(Record("GPS", time_ms, fields, dict(tags)))
    return records


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


# --- devices -------------------------------------------------------------------------------------------------


@converter("paired-devices")
def _device(item: Item, ctx: ConvertContext) -> Iterable[Record]:
    if not isinstance(item, dict):
        raise BadPoint("paired device is not an object")
    level = item.get("batteryLevel")
    status = item.get("batteryStatus")
    if level is None and status is None:
        raise BadPoint("paired device without battery information")
    when = parse_time_ms(item["lastSyncTime"]) if item.get("lastSyncTime") else None
    if when is None:
        raise BadPoint("paired device without lastSyncTime")
    fields: dict[str, Any] = {}
    if level is not None:
        fields["value"] = number(level)
    if status is not None:
        fields["status"] = str(status)
    return (Record("DeviceBatteryLevel", when, fields, ctx.tags),)
