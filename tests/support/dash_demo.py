"""Realistic, time-consistent demo records for every measurement the dashboard draws.

A deterministic (seeded) day-by-day simulation: a night of sleep (staged; every fifth night
"classic", as a watch records when it cannot tell stages apart), heart rate every few
seconds that follows sleep, everyday walking and workouts, per-minute steps, daily totals derived
from those minutes, workouts with 1-second GPS tracks, a watch battery that drains and charges.
Written through ``fitbit_sync.records.Record`` and ``SQLiteStore`` (or any ``Store``), one
transaction per day, with the user's zone stored as a sync stores it. Used by the dashboard tests
and by ``bench/dashboard_render.py``.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from fitbit_sync.records import FieldValue, Record
from fitbit_sync.stores.base import Store
from fitbit_sync.sync.runner import STATE_ZONE

DEVICE = "Pixel Watch 3"
TZ = "Europe/Budapest"
ZONES = {"lightMin": 88, "moderateMin": 114, "vigorousMin": 138, "peakMin": 168, "peakMax": 200}
HOME = (47.4979, 19.0402)  # Budapest, as in the peer dashboard's screenshot
LEVEL_OF = {"deep": 0, "light": 1, "rem": 2, "wake": 3, "asleep": 1, "restless": 2, "awake": 3}
CLASSIC_EVERY = 5  # every fifth night (by the evening's date) is a CLASSIC sleep
SPORTS = (("Walk", 5.0, 105, 112), ("Run", 10.5, 152, 165), ("Bike", 21.0, 132, 0))


@dataclass(frozen=True, slots=True)
class DemoSummary:
    days: int
    records: int
    first_ms: int
    last_ms: int
    workouts: list[str]  # ActivityIDs


def _ms(moment: datetime) -> int:
    return int(moment.timestamp()) * 1000  # whole seconds, as devices record


class _Day:
    """Everything simulated for one local day, built minute by minute."""

    def __init__(self, rng: random.Random, day: date, tz: ZoneInfo, hr_step_s: int, fitness: float) -> None:
        self.rng, self.day, self.tz, self.hr_step_s, self.fitness = rng, day, tz, hr_step_s, fitness
        self.midnight = _ms(datetime.combine(day, time(0), tz))
        self.next_midnight = _ms(datetime.combine(day + timedelta(days=1), time(0), tz))
        self.records: list[Record] = []

    def add(self, measurement: str, time_ms: int, fields: dict[str, FieldValue], **tags: str) -> None:
        self.records.append(Record(measurement, time_ms, fields, {"Device": DEVICE, **tags}))

    def add_daily(self, measurement: str, fields: dict[str, FieldValue]) -> None:
        self.records.append(Record(measurement, self.midnight, fields, {"Device": DEVICE}, date=self.day.isoformat()))


@dataclass(frozen=True, slots=True)
class _Workout:
    name: str
    speed: float  # km/h
    hr: int
    cadence: int  # steps a minute (0: cycling)
    start: int
    end: int
    id: str


Night = tuple[int, int, list[tuple[int, int, str]], bool]


def _sleep(d: _Day) -> Night:
    """Tonight's main sleep (it starts this evening): start, end, [(start_ms, seconds, stage)], classic.

    The stages simulate the body; a classic night records them as asleep / restless / awake."""
    rng = d.rng
    bed = datetime.combine(d.day, time(22, 30), d.tz) + timedelta(minutes=rng.gauss(25, 30))
    start = _ms(bed)
    length_s = int(max(4.5, min(9.5, rng.gauss(7.3, 0.8))) * 3600)
    segments: list[tuple[int, int, str]] = []
    t = start
    end = start + length_s * 1000
    segments.append((t, int(rng.uniform(300, 1200)), "light"))
    t += segments[-1][1] * 1000
    cycle = 0
    while t < end:
        cycle += 1
        deep_share = max(0.15, 0.55 - 0.12 * cycle)
        plan = [("light", rng.uniform(600, 1500)), ("deep", 5400 * deep_share * rng.uniform(0.6, 1.2)),
                ("light", rng.uniform(300, 900)), ("rem", rng.uniform(400, 900) + 300 * cycle)]
        if rng.random() < 0.6:
            plan.append(("wake", rng.uniform(60, 420)))
        for stage, seconds in plan:
            seconds = int(min(seconds, (end - t) / 1000))
            if seconds < 30:
                break
            segments.append((t, seconds, stage))
            t += seconds * 1000
        else:
            continue
        break
    segments.append((t, int(rng.uniform(120, 600)), "wake"))
    return start, t + segments[-1][1] * 1000, segments, d.day.toordinal() % CLASSIC_EVERY == 0


def _workout(d: _Day) -> _Workout | None:
    """Maybe a workout this evening: three or four a week."""
    rng = d.rng
    if rng.random() > 0.5:
        return None
    name, speed, hr_avg, cadence = SPORTS[rng.randrange(len(SPORTS))]
    start = datetime.combine(d.day, time(17, 30), d.tz) + timedelta(minutes=rng.uniform(-60, 90))
    minutes = int(rng.uniform(25, 70))
    activity_id = f"{start.astimezone(UTC).replace(microsecond=0).isoformat()}-{name}"  # as the schema says
    return _Workout(name, speed * rng.uniform(0.9, 1.1), hr_avg, cadence, _ms(start), _ms(start) + minutes * 60_000,
                    activity_id)


def _simulate_day(d: _Day, asleep: list[tuple[int, int, str]], battery: list[float], counter: int) -> list[str]:
    rng = d.rng
    workout = _workout(d)
    stage_at: dict[int, str] = {}
    for seg_start, seconds, stage in asleep:
        for m in range(seg_start // 60_000, (seg_start + seconds * 1000) // 60_000 + 1):
            stage_at[m] = stage
    # --- minute by minute: steps, activity level, a target heart rate ---------------------------
    steps_total = 0
    distance_km = 0.0
    active_kcal = 0.0
    minutes_by_level = {"minutesSedentary": 0, "minutesLightlyActive": 0, "minutesFairlyActive": 0,
                        "minutesVeryActive": 0}
    zone_minutes = {"Normal": 0.0, "Fat Burn": 0.0, "Cardio": 0.0, "Peak": 0.0}
    hourly_walk = {h: rng.random() < (0.35 if 7 <= h <= 21 else 0.02) for h in range(24)}
    hr_value = 62.0
    target_by_minute: list[float] = []
    for minute in range(d.midnight // 60_000, d.next_midnight // 60_000):
        t = minute * 60_000
        local_hour = datetime.fromtimestamp(t / 1000, d.tz).hour
        stage = stage_at.get(minute)
        in_workout = workout is not None and workout.start <= t < workout.end
        if stage is not None and stage != "wake":
            steps, target = 0, {"deep": 52, "light": 56, "rem": 61}[stage] - d.fitness
        elif workout is not None and in_workout:
            steps = int(workout.cadence * rng.uniform(0.9, 1.05))
            target = workout.hr + rng.gauss(0, 6)
        elif stage == "wake":
            steps, target = 0, 66.0
        elif hourly_walk[local_hour] and rng.random() < 0.45:
            steps, target = int(rng.uniform(70, 118)), 92 + rng.gauss(0, 5)
        else:
            steps = int(rng.random() < 0.3) * int(rng.uniform(0, 25))
            target = 68 + 6 * math.sin((local_hour - 9) / 24 * 2 * math.pi) - d.fitness + rng.gauss(0, 2)
        d.add("Steps_Intraday", t, {"value": steps})
        steps_total += steps
        km = steps * (0.00125 if in_workout and workout and workout.name == "Run" else 0.00078)
        if in_workout and workout and workout.name == "Bike":
            km = workout.speed / 60
        distance_km += km
        kcal = 0.04 * steps + (8.0 if in_workout else 0.0)
        active_kcal += kcal
        if steps >= 110 or (in_workout and steps == 0):
            minutes_by_level["minutesVeryActive"] += 1
        elif steps >= 80:
            minutes_by_level["minutesFairlyActive"] += 1
        elif steps > 10:
            minutes_by_level["minutesLightlyActive"] += 1
        elif stage is None:
            minutes_by_level["minutesSedentary"] += 1
        target_by_minute.append(target)
    # --- heart rate every hr_step_s, following the per-minute target ----------------------------
    for i, target in enumerate(target_by_minute):
        base = d.midnight + i * 60_000
        for s in range(0, 60, d.hr_step_s):
            hr_value += (target - hr_value) * 0.15 + rng.gauss(0, 1.2)
            bpm = round(hr_value)
            d.add("HeartRate_Intraday", base + s * 1000, {"value": bpm})
            share = d.hr_step_s / 60
            if bpm >= ZONES["peakMin"]:
                zone_minutes["Peak"] += share
            elif bpm >= ZONES["vigorousMin"]:
                zone_minutes["Cardio"] += share
            elif bpm >= ZONES["moderateMin"]:
                zone_minutes["Fat Burn"] += share
            elif bpm >= ZONES["lightMin"]:
                zone_minutes["Normal"] += share
    # --- daily values --------------------------------------------------------------------------
    d.add_daily("Total Steps", {"value": float(steps_total)})
    d.add_daily("distance", {"value": round(distance_km, 3)})
    d.add_daily("Activity Calories", {"value": round(active_kcal, 1)})
    d.add_daily("calories", {"value": round(1650 + active_kcal, 1)})
    d.add_daily("Activity Minutes", dict(minutes_by_level))
    d.add_daily("HR zones", {k: round(v) for k, v in zone_minutes.items()})
    d.add_daily("HR Zone Thresholds", dict(ZONES))
    d.add_daily("RestingHR", {"value": round(58 - d.fitness + rng.gauss(0, 1.5))})
    d.add_daily("HRV", {"dailyRmssd": round(rng.gauss(42 + d.fitness, 5), 1),
                        "deepRmssd": round(rng.gauss(48 + d.fitness, 6), 1)})
    d.add_daily("HRV Details", {"entropy": round(rng.uniform(2.2, 2.9), 2), "nonRemHR": int(rng.gauss(55, 2))})
    spo2 = rng.gauss(96.2, 0.6)
    d.add_daily("SPO2", {"avg": round(spo2, 1), "lowerBound": round(spo2 - rng.uniform(1, 2.5), 1),
                         "upperBound": round(min(100.0, spo2 + rng.uniform(1, 2.5)), 1), "stddev": 0.8})
    d.add_daily("BreathingRate", {"value": round(rng.gauss(14.6, 0.7), 1)})
    rel = round(rng.gauss(0, 0.45), 2)
    d.add_daily("Skin Temperature Variation", {"RelativeValue": rel})
    d.add_daily("Skin Temperature", {"nightly": round(33.8 + rel, 2), "baseline": 33.8, "stddev30d": 0.4})
    d.add_daily("VO2 Max", {"vo2Max": round(44 + d.fitness / 2, 1), "cardioFitnessLevel": "GOOD",
                            "estimated": True})
    if rng.random() < 0.55:
        kg = 76.0 - d.fitness / 3 + rng.gauss(0, 0.3)
        weighed = d.midnight + 7 * 3_600_000 + int(rng.uniform(0, 3_600_000))
        d.add("weight", weighed, {"value": round(kg / 0.453592, 2), "kg": round(kg, 2)})
        d.add("bmi", weighed, {"value": round(kg / 1.78**2, 1)})
    # --- battery every 15 minutes: drains about 1.2 %/h, charges after dinner below 30 % --------
    for t in range(d.midnight, d.next_midnight, 15 * 60_000):
        level = battery[0]
        hour = datetime.fromtimestamp(t / 1000, d.tz).hour
        level = min(100.0, level + 25) if level < 30 and 19 <= hour <= 21 else max(2.0, level - rng.uniform(0.2, 0.4))
        battery[0] = level
        status = "High" if level >= 60 else "Medium" if level >= 25 else "Low"
        d.add("DeviceBatteryLevel", t, {"value": round(level, 1), "status": status})
    if workout is None:
        return []
    _add_workout(d, workout)
    return [workout.id]


def _add_workout(d: _Day, w: _Workout) -> None:
    rng = d.rng
    start, end, speed, hr_avg = w.start, w.end, w.speed, w.hr
    gps = w.name != "Walk" or rng.random() < 0.7
    seconds = (end - start) // 1000
    distance_km = speed * seconds / 3600
    d.add("Activity Records", start, {
        "duration": end - start, "ActiveDuration": end - start - 60_000, "calories": round(seconds / 60 * 9.5),
        "distance": round(distance_km, 3), "steps": int(seconds / 60 * w.cadence),
        "AverageHeartRate": hr_avg, "elevationGain": round(rng.uniform(5, 80), 1),
        "activeZoneMinutes": int(seconds / 60 * 1.4), "hasGps": gps, "ActivityID": w.id,
    }, ActivityName=w.name)
    if not gps:
        return
    # a loop out and back around home: an ellipse with a wobble, 1 point a second, as long as the workout's distance
    heading = rng.uniform(0, 2 * math.pi)
    wobble = rng.uniform(0.05, 0.15)
    shape = []  # (east, north, angle), east and north in shape units
    for s in range(0, seconds, 1):
        a = heading + math.pi + 2 * math.pi * s / seconds
        r = 1 + wobble * math.sin(5 * a)
        shape.append((math.cos(a) * r * 1.4, math.sin(a) * r, a))
    length = sum(math.dist(shape[i - 1][:2], shape[i][:2]) for i in range(1, len(shape))) or 1.0
    unit_km = distance_km / length  # km per shape unit: the drawn track is distance_km long
    cx = HOME[0] + math.sin(heading) * unit_km / 111.0
    cy = HOME[1] + math.cos(heading) * unit_km / (111.0 * math.cos(math.radians(HOME[0])))
    for s, (east, north, a) in enumerate(shape):
        lat = cx + north * unit_km / 111.0
        lon = cy + east * unit_km / (111.0 * math.cos(math.radians(HOME[0])))
        d.add("GPS", start + s * 1000, {
            "lat": round(lat, 6), "lon": round(lon, 6), "altitude": round(110 + 15 * math.sin(a * 2), 1),
            "distance": round(distance_km * 1000 * s / seconds, 1), "heart_rate": int(hr_avg + 8 * math.sin(s / 90)),
            "speed_kph": round(speed * (1 + 0.08 * math.sin(s / 40)), 2),
        }, ActivityID=w.id)


def _classic_stage(stage: str, seconds: int) -> str:
    if stage == "wake":
        return "restless" if seconds < 240 else "awake"
    return "asleep"


def _sleep_records(d: _Day, start: int, end: int, segments: list[tuple[int, int, str]], classic: bool) -> None:
    """Sleep Levels and Sleep Summary as the Google Health converter writes them (classic: no stage minutes)."""
    minutes = {"deep": 0, "light": 0, "rem": 0, "wake": 0, "asleep": 0, "restless": 0, "awake": 0}
    for seg_start, seconds, stage in segments:
        name = _classic_stage(stage, seconds) if classic else stage
        minutes[name] += seconds // 60
        d.add("Sleep Levels", seg_start, {"level": LEVEL_OF[name], "stage": name, "duration_seconds": seconds},
              isMainSleep="True")
    d.add("Sleep Levels", end, {"level": 3, "stage": "awake" if classic else "wake", "duration_seconds": 0},
          isMainSleep="True")
    asleep = minutes["asleep"] if classic else minutes["deep"] + minutes["light"] + minutes["rem"]
    awake = minutes["awake"] + minutes["restless"] if classic else minutes["wake"]
    in_bed = (end - start) // 60_000
    fields: dict[str, FieldValue] = {
        "efficiency": round(100 * asleep / max(1, in_bed)), "minutesAfterWakeup": segments[-1][1] // 60,
        "minutesAsleep": asleep, "minutesToFallAsleep": 0, "minutesInBed": in_bed, "minutesAwake": awake,
        "sleepType": "CLASSIC" if classic else "STAGES", "endTime": end,
    }
    if not classic:
        fields.update({"minutesLight": minutes["light"], "minutesREM": minutes["rem"], "minutesDeep": minutes["deep"]})
    d.add("Sleep Summary", start, fields, isMainSleep="True")
    for t in range(start, end, 5 * 60_000):  # SpO2 samples during the night
        d.add("SPO2_Intraday", t, {"value": round(d.rng.gauss(96, 1.1), 1)})


def iter_days(
    first: date, last: date, tz: ZoneInfo, hr_step_s: int, seed: int
) -> Iterator[tuple[date, list[Record], list[str]]]:
    """Records of each local day ``first..last``; the night before ``first`` is simulated too."""
    rng = random.Random(seed)
    battery = [80.0]
    evening = _Day(rng, first - timedelta(days=1), tz, hr_step_s, 0.0)
    previous_night = _sleep(evening)
    day = first
    counter = 0
    total_days = (last - first).days + 1
    while day <= last:
        fitness = 4.0 * math.sin(counter / max(1, total_days) * 2 * math.pi)  # a slow seasonal drift
        d = _Day(rng, day, tz, hr_step_s, fitness)
        tonight = _sleep(d)
        asleep = previous_night[2] + tonight[2]
        _sleep_records(d, *previous_night)
        ids = _simulate_day(d, asleep, battery, counter)
        yield day, d.records, ids
        previous_night = tonight
        day += timedelta(days=1)
        counter += 1


def fill_demo(store: Store, days: int, end: date, tz: str = TZ,
              hr_step_s: int = 5, seed: int = 7) -> DemoSummary:
    """Write ``days`` days ending on ``end`` (a fixed date: tests never depend on today) to ``store``,
    and remember ``tz`` as the user's zone (state key ``google-health:time_zone``)."""
    zone = ZoneInfo(tz)
    store.set_state(STATE_ZONE, tz)  # as a sync remembers the user's zone
    last = end
    first = last - timedelta(days=days - 1)
    total = 0
    workouts: list[str] = []
    first_ms: int | None = None
    last_ms = 0
    for _day, records, ids in iter_days(first, last, zone, hr_step_s, seed):
        total += store.write(records)
        workouts += ids
        times = [r.time_ms for r in records]
        first_ms = min(times) if first_ms is None else min(first_ms, min(times))
        last_ms = max(last_ms, max(times))
    return DemoSummary(days, total, first_ms or 0, last_ms, workouts)
