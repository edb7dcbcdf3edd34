"""Records -> Google Health API JSON (proto3 JSON conventions).

int64 values are strings, durations ``"123s"``, timestamps RFC 3339 UTC, civil date/times as
``{"date": {...}, "time": {...}}`` with zero time members omitted, zero/false values omitted
(true zeros: a worn-but-idle minute has no ``count``). Sleep and exercise intervals carry no
civil fields, as observed live. Every call builds fresh dicts, so callers may mutate them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import orjson

from fitbit_sync.emulator.generator.day import DERIVED_TYPES, ZONE_NAMES, Record
from fitbit_sync.emulator.generator.exercise import KCAL_SCALE, ExerciseSession, azm_for_zone
from fitbit_sync.emulator.generator.sleep import SleepSession

if TYPE_CHECKING:
    from fitbit_sync.emulator.generator import Generator

DAY = 86400
ACTIVITY_LEVELS = ("", "LIGHT", "MODERATE", "VIGOROUS")
AZM_ZONES = ("", "", "FAT_BURN", "CARDIO", "PEAK")
TRACKER_NAME = "Charge 6"
SCALE_NAME = "Aria Air"
EPOCH_ORDINAL = 719163  # date(1970, 1, 1).toordinal()


@lru_cache(maxsize=65536)
def _minute_prefix(minute: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:", time.gmtime(minute * 60))


def rfc3339(t: int) -> str:
    minute, second = divmod(t, 60)
    return f"{_minute_prefix(minute)}{second:02d}Z"


@lru_cache(maxsize=256)
def duration(seconds: int) -> str:
    return f"{seconds}s"


@lru_cache(maxsize=8192)
def _ymd(days: int) -> tuple[int, int, int]:
    d = time.gmtime(days * DAY)
    return d.tm_year, d.tm_mon, d.tm_mday


def date_json(days: int) -> dict[str, int]:
    y, m, d = _ymd(days)
    return {"year": y, "month": m, "day": d}


def time_json(second_of_day: int) -> dict[str, int]:
    h, rest = divmod(second_of_day, 3600)
    m, s = divmod(rest, 60)
    out = {}
    if h:
        out["hours"] = h
    if m:
        out["minutes"] = m
    if s:
        out["seconds"] = s
    return out


def civil(local_seconds: int) -> dict[str, Any]:
    days, sod = divmod(local_seconds, DAY)
    return {"date": date_json(days), "time": time_json(sod)}


def interval(rec: Record) -> dict[str, Any]:
    start, end, o0, o1 = rec[0], rec[1], rec[2], rec[3]
    return {
        "startTime": rfc3339(start),
        "startUtcOffset": duration(o0),
        "endTime": rfc3339(end),
        "endUtcOffset": duration(o1),
        "civilStartTime": civil(start + o0),
        "civilEndTime": civil(end + o1),
    }


def session_interval(start: int, end: int, o0: int, o1: int) -> dict[str, Any]:
    return {
        "startTime": rfc3339(start),
        "startUtcOffset": duration(o0),
        "endTime": rfc3339(end),
        "endUtcOffset": duration(o1),
    }


def sample_time(rec: Record) -> dict[str, Any]:
    t, o = rec[0], rec[2]
    return {"physicalTime": rfc3339(t), "utcOffset": duration(o), "civilTime": civil(t + o)}


def tracker_source(method: str = "PASSIVELY_MEASURED") -> dict[str, Any]:
    return {
        "recordingMethod": method,
        "device": {"displayName": TRACKER_NAME, "formFactor": "FITNESS_BAND", "manufacturer": "Google"},
        "platform": "FITBIT",
    }


def scale_source() -> dict[str, Any]:
    return {
        "recordingMethod": "ACTIVELY_MEASURED",
        "device": {"displayName": SCALE_NAME, "formFactor": "SCALE", "manufacturer": "Google"},
        "platform": "FITBIT",
    }


def manual_source() -> dict[str, Any]:
    return {"recordingMethod": "MANUAL", "platform": "FITBIT"}


# -- per-type inner bodies ------------------------------------------------------------------
def _count_field(field: str) -> Callable[[Record, Generator], dict[str, Any]]:
    def build(rec: Record, g: Generator) -> dict[str, Any]:
        body: dict[str, Any] = {"interval": interval(rec)}
        if rec[5]:
            body[field] = str(rec[5])
        return body

    return build


def _active_energy(rec: Record, g: Generator) -> dict[str, Any]:
    body: dict[str, Any] = {"interval": interval(rec)}
    if rec[5]:
        body["kcal"] = rec[5] / KCAL_SCALE
    return body


def _active_minutes(rec: Record, g: Generator) -> dict[str, Any]:
    return {
        "interval": interval(rec),
        "activeMinutesByActivityLevel": [{"activityLevel": ACTIVITY_LEVELS[rec[5]], "activeMinutes": "1"}],
    }


def _azm(rec: Record, g: Generator) -> dict[str, Any]:
    return {
        "interval": interval(rec),
        "activeZoneMinutes": str(azm_for_zone(rec[5])),
        "heartRateZone": AZM_ZONES[rec[5]],
    }


def _time_in_zone(rec: Record, g: Generator) -> dict[str, Any]:
    return {"interval": interval(rec), "heartRateZoneType": ZONE_NAMES[rec[5]]}


def _heart_rate(rec: Record, g: Generator) -> dict[str, Any]:
    p = rec[5]
    return {
        "sampleTime": sample_time(rec),
        "beatsPerMinute": str(p >> 1),
        "metadata": {"motionContext": "ACTIVE" if p & 1 else "SEDENTARY", "sensorLocation": "WRIST"},
    }


def _hrv(rec: Record, g: Generator) -> dict[str, Any]:
    rmssd, sdnn, hf, lf = rec[5]
    return {
        "sampleTime": sample_time(rec),
        "rootMeanSquareOfSuccessiveDifferencesMilliseconds": rmssd,
        "standardDeviationMilliseconds": sdnn,
        "metadata": {"highFrequencyPower": hf, "lowFrequencyPower": lf},
    }


def _spo2(rec: Record, g: Generator) -> dict[str, Any]:
    return {"sampleTime": sample_time(rec), "percentage": rec[5]}


def _resp(rec: Record, g: Generator) -> dict[str, Any]:
    body: dict[str, Any] = {"sampleTime": sample_time(rec)}
    for key, field in (
        ("FULL", "fullSleepStats"),
        ("DEEP", "deepSleepStats"),
        ("LIGHT", "lightSleepStats"),
        ("REM", "remSleepStats"),
    ):
        if key in rec[5]:
            bpm, sd, snr = rec[5][key]
            body[field] = {"breathsPerMinute": bpm, "standardDeviation": sd, "signalToNoise": snr}
    return body


def _run_vo2(rec: Record, g: Generator) -> dict[str, Any]:
    return {"sampleTime": sample_time(rec), "runVo2Max": rec[5]}


def _vo2(rec: Record, g: Generator) -> dict[str, Any]:
    vo2, method = rec[5]
    return {"sampleTime": sample_time(rec), "vo2Max": vo2, "measurementMethod": method}


def _weight(rec: Record, g: Generator) -> dict[str, Any]:
    _id, grams, _manual, notes = rec[5]
    body: dict[str, Any] = {"sampleTime": sample_time(rec), "weightGrams": grams}
    if notes:
        body["notes"] = notes
    return body


def _body_fat(rec: Record, g: Generator) -> dict[str, Any]:
    return {"sampleTime": sample_time(rec), "percentage": rec[5][1]}


def _height(rec: Record, g: Generator) -> dict[str, Any]:
    return {"sampleTime": sample_time(rec), "heightMillimeters": str(rec[5][1])}


def _sedentary(rec: Record, g: Generator) -> dict[str, Any]:
    return {"interval": interval(rec)}


def _swim_length(rec: Record, g: Generator) -> dict[str, Any]:
    strokes, stroke = rec[5]
    return {"interval": interval(rec), "strokeCount": str(strokes), "swimStrokeType": stroke}


def _daily(rec: Record, g: Generator) -> dict[str, Any]:
    return {"date": date_json((rec[0] + rec[2]) // DAY), **_copy(rec[5])}


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _sleep(rec: Record, g: Generator) -> dict[str, Any]:
    s: SleepSession = rec[5]
    off = g.timeline.offset_at
    by_type = s.minutes_by_type()
    awake = by_type.get("AWAKE", (0, 0))[0]
    total = (s.end - s.start) // 60
    restless = by_type.get("RESTLESS", (0, 0))[0]
    first, last = s.stages[0], s.stages[-1]
    order = ("ASLEEP", "RESTLESS", "AWAKE") if s.classic else ("AWAKE", "LIGHT", "DEEP", "REM")
    metadata: dict[str, Any] = {"processed": True}
    if s.main:
        metadata["mainSleep"] = True
    if not s.main:
        metadata["nap"] = True
        metadata["stagesStatus"] = "REJECTED_NAP"
    elif s.classic:
        metadata["stagesStatus"] = "REJECTED_COVERAGE"
    else:
        metadata["stagesStatus"] = "SUCCEEDED"
    created = rfc3339(s.end + 17 * 60)
    body: dict[str, Any] = {
        "interval": session_interval(s.start, s.end, rec[2], rec[3]),
        "type": "CLASSIC" if s.classic else "STAGES",
        "metadata": metadata,
        "stages": [
            {
                "startTime": rfc3339(a),
                "startUtcOffset": duration(off(a)),
                "endTime": rfc3339(b),
                "endUtcOffset": duration(off(b)),
                "type": kind,
                "createTime": created,
                "updateTime": created,
            }
            for a, b, kind in s.stages
        ],
    }
    if s.short_awakenings:
        body["shortAwakenings"] = [
            {
                "startTime": rfc3339(a),
                "startUtcOffset": duration(off(a)),
                "endTime": rfc3339(b),
                "endUtcOffset": duration(off(b)),
                "type": "AWAKE",
            }
            for a, b in s.short_awakenings
        ]
    body["summary"] = {
        "minutesInSleepPeriod": str(total),
        "minutesAsleep": str(total - awake - restless),
        "minutesAwake": str(awake),
        "minutesToFallAsleep": str((first[1] - first[0]) // 60 if first[2] == "AWAKE" else 0),
        "minutesAfterWakeUp": str((last[1] - last[0]) // 60 if last[2] == "AWAKE" and len(s.stages) > 1 else 0),
        "stagesSummary": [
            {"type": kind, "minutes": str(by_type[kind][0]), "count": str(by_type[kind][1])}
            for kind in order
            if kind in by_type
        ],
    }
    body["createTime"] = created
    body["updateTime"] = created
    return body


def exercise_body(s: ExerciseSession, g: Generator, o0: int, o1: int) -> dict[str, Any]:
    off = g.timeline.offset_at
    kcal = sum(g.bmr_per_minute + a for a in s.active_kcal) / KCAL_SCALE
    distance = sum(s.distance_mm)
    active = s.active_seconds
    light, moderate, vigorous, peak = s.zone_seconds
    summary: dict[str, Any] = {
        "caloriesKcal": kcal,
        "steps": str(sum(s.steps)),
        "averageHeartRateBeatsPerMinute": str(round(sum(s.hr) / len(s.hr))),
        "heartRateZoneDurations": {
            "lightTime": duration(light),
            "moderateTime": duration(moderate),
            "vigorousTime": duration(vigorous),
            "peakTime": duration(peak),
        },
        "activeZoneMinutes": str(s.azm),
    }
    if distance:
        summary["distanceMillimeters"] = float(distance)
        summary["averagePaceSecondsPerMeter"] = round(active / (distance / 1000.0), 4)
        summary["averageSpeedMillimetersPerSecond"] = round(distance / active, 1)
    if s.gps:
        summary["elevationGainMillimeters"] = float(sum(s.altitude_gain_mm))
    if s.run_vo2_max is not None:
        summary["runVo2Max"] = s.run_vo2_max
    metadata: dict[str, Any] = {"hasGps": s.gps}
    if s.pool_length_mm:
        summary["totalSwimLengths"] = float(len(s.swim_lengths))
        metadata["poolLengthMillimeters"] = str(s.pool_length_mm)
    events = [{"eventTime": rfc3339(s.start), "eventUtcOffset": duration(o0), "exerciseEventType": "START"}]
    if s.pause:
        for t, kind in ((s.pause[0], "PAUSE"), (s.pause[1], "RESUME")):
            events.append({"eventTime": rfc3339(t), "eventUtcOffset": duration(off(t)), "exerciseEventType": kind})
    events.append({"eventTime": rfc3339(s.end), "eventUtcOffset": duration(o1), "exerciseEventType": "STOP"})
    created = rfc3339(s.end + 9 * 60)
    return {
        "interval": session_interval(s.start, s.end, o0, o1),
        "exerciseType": s.kind,
        "displayName": s.display_name,
        "activeDuration": duration(active),
        "metricsSummary": summary,
        "exerciseMetadata": metadata,
        "exerciseEvents": events,
        "createTime": created,
        "updateTime": created,
    }


def _exercise(rec: Record, g: Generator) -> dict[str, Any]:
    return exercise_body(rec[5], g, rec[2], rec[3])


BUILDERS: dict[str, Callable[[Record, Generator], dict[str, Any]]] = {
    "steps": _count_field("count"),
    "distance": _count_field("millimeters"),
    "floors": _count_field("count"),
    "altitude": _count_field("gainMillimeters"),
    "active-energy-burned": _active_energy,
    "active-minutes": _active_minutes,
    "active-zone-minutes": _azm,
    "time-in-heart-rate-zone": _time_in_zone,
    "heart-rate": _heart_rate,
    "heart-rate-variability": _hrv,
    "oxygen-saturation": _spo2,
    "respiratory-rate-sleep-summary": _resp,
    "run-vo2-max": _run_vo2,
    "vo2-max": _vo2,
    "weight": _weight,
    "body-fat": _body_fat,
    "height": _height,
    "sedentary-period": _sedentary,
    "swim-lengths-data": _swim_length,
    "sleep": _sleep,
    "exercise": _exercise,
    "daily-resting-heart-rate": _daily,
    "daily-heart-rate-zones": _daily,
    "daily-heart-rate-variability": _daily,
    "daily-oxygen-saturation": _daily,
    "daily-respiratory-rate": _daily,
    "daily-sleep-temperature-derivations": _daily,
    "daily-vo2-max": _daily,
}

DERIVED = frozenset(DERIVED_TYPES)


def point_id(data_type: str, rec: Record) -> str | None:
    """The id segment of an identifiable point's name."""
    payload = rec[5]
    if data_type in ("sleep", "exercise"):
        return str(payload.id)
    if data_type in ("weight", "body-fat", "height"):
        return str(payload[0])
    return None


def data_source(data_type: str, rec: Record) -> dict[str, Any]:
    if data_type in ("weight", "body-fat"):
        manual = rec[5][2] if data_type == "weight" else False
        return manual_source() if manual else scale_source()
    if data_type == "height":
        return manual_source()
    if data_type == "exercise":
        return tracker_source(rec[5].recording_method)
    if data_type == "swim-lengths-data":
        return tracker_source("ACTIVELY_MEASURED")
    if data_type in DERIVED:
        return tracker_source("DERIVED")
    return tracker_source()


def source_family(data_type: str, rec: Record) -> str:
    """'wearable', 'scale' or 'manual' - what dataSourceFamily filters look at."""
    if data_type == "weight":
        return "manual" if rec[5][2] else "scale"
    if data_type == "height":
        return "manual"
    if data_type == "body-fat":
        return "scale"
    return "wearable"


def render(
    data_type: str, json_key: str, rec: Record, g: Generator, user_id: str, reconciled: bool = False
) -> dict[str, Any]:
    body = BUILDERS[data_type](rec, g)
    pid = point_id(data_type, rec)
    point: dict[str, Any] = {}
    if pid is not None:
        name = f"users/{user_id}/dataTypes/{data_type}/dataPoints/{pid}"
        point["dataPointName" if reconciled else "name"] = name
    if not reconciled:
        point["dataSource"] = data_source(data_type, rec)
    point[json_key] = body
    return point


# -- fast JSON text for the high-volume types -----------------------------------------------
# A day of heart rate is ~17,000 points; building nested dicts and serialising them costs
# ~6 us per point, these templates ~1 us. ``fragment()`` is the one path the API uses, and
# ``Generator.points()`` parses the same text, so tests see exactly what clients get.
_TRACKER_DS = (
    '"dataSource":{"recordingMethod":"PASSIVELY_MEASURED","device":{"displayName":"'
    + TRACKER_NAME
    + '","formFactor":"FITNESS_BAND","manufacturer":"Google"},"platform":"FITBIT"}'
)


@lru_cache(maxsize=65536)
def _civil_minute(local_minute: int) -> tuple[str, bool]:
    days, minute_of_day = divmod(local_minute, 1440)
    y, m, d = _ymd(days)
    h, mi = divmod(minute_of_day, 60)
    parts = []
    if h:
        parts.append(f'"hours":{h}')
    if mi:
        parts.append(f'"minutes":{mi}')
    return f'{{"date":{{"year":{y},"month":{m},"day":{d}}},"time":{{{",".join(parts)}', bool(parts)


def civil_text(local_seconds: int) -> str:
    minute, s = divmod(local_seconds, 60)
    prefix, has = _civil_minute(minute)
    if not s:
        return prefix + "}}"
    return f'{prefix},"seconds":{s}}}}}' if has else f'{prefix}"seconds":{s}}}}}'


def _interval_text(rec: Record) -> str:
    start, end, o0, o1 = rec[0], rec[1], rec[2], rec[3]
    return (
        f'"interval":{{"startTime":"{rfc3339(start)}","startUtcOffset":"{duration(o0)}",'
        f'"endTime":"{rfc3339(end)}","endUtcOffset":"{duration(o1)}",'
        f'"civilStartTime":{civil_text(start + o0)},"civilEndTime":{civil_text(end + o1)}}}'
    )


def _hr_text(rec: Record) -> str:
    t, o, p = rec[0], rec[2], rec[5]
    return (
        f'{{"sampleTime":{{"physicalTime":"{rfc3339(t)}","utcOffset":"{duration(o)}",'
        f'"civilTime":{civil_text(t + o)}}},"beatsPerMinute":"{p >> 1}","metadata":{{"motionContext":'
        f'"{"ACTIVE" if p & 1 else "SEDENTARY"}","sensorLocation":"WRIST"}}}}'
    )


def _count_text(field: str) -> Callable[[Record], str]:
    def build(rec: Record) -> str:
        if rec[5]:
            return f'{{{_interval_text(rec)},"{field}":"{rec[5]}"}}'
        return f"{{{_interval_text(rec)}}}"

    return build


def _energy_text(rec: Record) -> str:
    if rec[5]:
        return f'{{{_interval_text(rec)},"kcal":{rec[5] / KCAL_SCALE!r}}}'
    return f"{{{_interval_text(rec)}}}"


def _am_text(rec: Record) -> str:
    return (
        f'{{{_interval_text(rec)},"activeMinutesByActivityLevel":[{{"activityLevel":'
        f'"{ACTIVITY_LEVELS[rec[5]]}","activeMinutes":"1"}}]}}'
    )


def _azm_text(rec: Record) -> str:
    return (
        f'{{{_interval_text(rec)},"activeZoneMinutes":"{azm_for_zone(rec[5])}","heartRateZone":"{AZM_ZONES[rec[5]]}"}}'
    )


def _tz_text(rec: Record) -> str:
    return f'{{{_interval_text(rec)},"heartRateZoneType":"{ZONE_NAMES[rec[5]]}"}}'


def _sedentary_text(rec: Record) -> str:
    return f"{{{_interval_text(rec)}}}"


FAST: dict[str, Callable[[Record], str]] = {
    "heart-rate": _hr_text,
    "steps": _count_text("count"),
    "distance": _count_text("millimeters"),
    "floors": _count_text("count"),
    "altitude": _count_text("gainMillimeters"),
    "active-energy-burned": _energy_text,
    "active-minutes": _am_text,
    "active-zone-minutes": _azm_text,
    "time-in-heart-rate-zone": _tz_text,
    "sedentary-period": _sedentary_text,
}


def fragment(data_type: str, json_key: str, rec: Record, g: Generator, user_id: str, reconciled: bool = False) -> str:
    """One data point as JSON text (the exact bytes the API puts in ``dataPoints``)."""
    fast = FAST.get(data_type)
    if fast is not None:
        if reconciled:
            return f'{{"{json_key}":{fast(rec)}}}'
        return f'{{{_TRACKER_DS},"{json_key}":{fast(rec)}}}'
    return orjson.dumps(render(data_type, json_key, rec, g, user_id, reconciled)).decode()


_SECONDS = [f"{s:02d}" for s in range(60)]
# civil "time" tails for each second, after members (",") or none ("")
_CIVIL_TAIL_AFTER = ["}}", *(f',"seconds":{s}}}}}' for s in range(1, 60))]
_CIVIL_TAIL_ALONE = ["}}", *(f'"seconds":{s}}}}}' for s in range(1, 60))]
# everything after civilTime, by payload (bpm << 1 | moving)
_HR_TAIL = [
    f'}},"beatsPerMinute":"{p >> 1}","metadata":{{"motionContext":"{"ACTIVE" if p & 1 else "SEDENTARY"}",'
    f'"sensorLocation":"WRIST"}}}}}}'
    for p in range(2 * 301)
]


def _hr_texts(recs: list[Record], head: str) -> list[str]:
    """Heart-rate points as JSON text; consecutive samples share the per-minute pieces."""
    out: list[str] = []
    append = out.append
    last = last_o = None
    pre = mid = ""
    tails = _CIVIL_TAIL_ALONE
    seconds, hr_tail = _SECONDS, _HR_TAIL
    for rec in recs:
        t, o = rec[0], rec[2]
        minute, s = divmod(t, 60)
        if minute != last or o != last_o:
            last, last_o = minute, o
            civ_prefix, has = _civil_minute((t + o) // 60)
            pre = f'{head}{{"sampleTime":{{"physicalTime":"{_minute_prefix(minute)}'
            mid = f'Z","utcOffset":"{duration(o)}","civilTime":{civ_prefix}'
            tails = _CIVIL_TAIL_AFTER if has else _CIVIL_TAIL_ALONE
        append(f"{pre}{seconds[s]}{mid}{tails[s]}{hr_tail[rec[5]]}")
    return out


def fragments(
    data_type: str, json_key: str, recs: list[Record], g: Generator, user_id: str, reconciled: bool = False
) -> list[str]:
    """Many data points as JSON text, in the order given."""
    if data_type == "heart-rate":
        head = f'{{"{json_key}":' if reconciled else f'{{{_TRACKER_DS},"{json_key}":'
        return _hr_texts(recs, head)
    return [fragment(data_type, json_key, rec, g, user_id, reconciled) for rec in recs]
