"""Realistic records for every measurement and field of the schema, a few days of them.

Deterministic (seeded) and independent of the sync engine: heart rate every 5 s with nights in
the 50s and workouts above 110, per-minute steps, a main sleep (``isMainSleep=True``) and a nap
(``False``) with stages, workouts named Walk, Run, Swim and Outdoor Bike (GPS tracks for the
outdoor ones, tagged ``<start ISO>-<name>`` like the peer script), battery readings every 15
minutes, and every daily value at local midnight. ``test_demo_records_cover_the_schema`` keeps it
complete when the schema grows.
"""

from __future__ import annotations

import math
import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from fitbit_sync.records import Record

DEVICE = "Charge 6"
ZONE = "Europe/Budapest"
END = date(2026, 11, 20)  # last demo day (inclusive)

WORKOUTS = (  # (local start hour, minutes, name, has GPS, steps per minute, heart rate)
    (7, 35, "Walk", True, 105, 112),
    (12, 30, "Swim", False, 0, 125),
    (17, 50, "Outdoor Bike", True, 0, 135),
    (19, 30, "Run", True, 160, 150),
)


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def demo_records(days: int = 3, end: date = END, device: str = DEVICE, zone: str = ZONE) -> list[Record]:
    tz = ZoneInfo(zone)
    rnd = random.Random(20261120)
    tags = {"Device": device}
    out: list[Record] = []
    battery = 96.0
    for offset in range(days - 1, -1, -1):
        day = end - timedelta(days=offset)
        midnight = datetime(day.year, day.month, day.day, tzinfo=tz)
        day_ms = ms(midnight)
        iso = day.isoformat()

        # --- sleep: 23:10 the evening before until 06:40, plus a 14:00 nap ----------------------
        sleep_start = midnight - timedelta(minutes=50)
        sleep_end = midnight + timedelta(hours=6, minutes=40)
        stages = []
        cursor = sleep_start
        cycle = ["wake", "light", "deep", "light", "rem"]
        i = 0
        while cursor < sleep_end:
            stage = cycle[i % len(cycle)] if i else "wake"
            length = timedelta(minutes=5 if stage == "wake" else rnd.choice((20, 25, 30)))
            length = min(length, sleep_end - cursor)
            stages.append((cursor, stage, int(length.total_seconds())))
            cursor += length
            i += 1
        levels = {"deep": 0, "light": 1, "rem": 2, "wake": 3}
        minutes = {s: sum(sec for _, st, sec in stages if st == s) // 60 for s in levels}
        in_bed = int((sleep_end - sleep_start).total_seconds() // 60)
        asleep = in_bed - minutes["wake"]
        main = {**tags, "isMainSleep": "True"}
        out.append(Record("Sleep Summary", ms(sleep_start), {
            "efficiency": round(100 * asleep / in_bed), "minutesAfterWakeup": 0, "minutesAsleep": asleep,
            "minutesToFallAsleep": 5, "minutesInBed": in_bed, "minutesAwake": minutes["wake"],
            "minutesLight": minutes["light"], "minutesREM": minutes["rem"], "minutesDeep": minutes["deep"],
            "sleepType": "STAGES", "endTime": ms(sleep_end)}, main))
        for start, stage, seconds in stages:
            out.append(Record("Sleep Levels", ms(start), {"level": levels[stage], "stage": stage,
                                                          "duration_seconds": seconds}, main))
        out.append(Record("Sleep Levels", ms(sleep_end), {"level": 3, "stage": "wake"}, main))
        nap_start = midnight + timedelta(hours=14)
        nap = {**tags, "isMainSleep": "False"}
        out.append(Record("Sleep Summary", ms(nap_start), {
            "efficiency": 90, "minutesAfterWakeup": 1, "minutesAsleep": 27, "minutesToFallAsleep": 2,
            "minutesInBed": 30, "minutesAwake": 3, "minutesLight": 27, "minutesREM": 0, "minutesDeep": 0,
            "sleepType": "CLASSIC", "endTime": ms(nap_start + timedelta(minutes=30))}, nap))
        out.append(Record("Sleep Levels", ms(nap_start), {"level": 1, "stage": "asleep", "duration_seconds": 1800},
                          nap))
        out.append(Record("BreathingRate_Sleep", ms(sleep_end), {"full": 14.2, "deep": 13.1, "light": 14.6,
                                                                  "rem": 15.0}, tags))

        # --- workouts ---------------------------------------------------------------------------
        workout_spans = []
        for hour, length, name, has_gps, spm, bpm in WORKOUTS:
            start = midnight + timedelta(hours=hour)
            stop = start + timedelta(minutes=length)
            workout_spans.append((start, stop, spm, bpm))
            activity_id = f"{start.astimezone(UTC).isoformat()}-{name}"
            km = {"Walk": 2.9, "Run": 5.1, "Outdoor Bike": 14.7, "Swim": 1.0}[name]
            out.append(Record("Activity Records", ms(start), {
                "duration": length * 60_000, "ActiveDuration": (length - 1) * 60_000,
                "calories": int(length * bpm / 20), "distance": km, "steps": spm * length,
                "AverageHeartRate": bpm, "elevationGain": 12.5, "activeZoneMinutes": length // 2,
                "hasGps": has_gps, "ActivityID": activity_id}, {**tags, "ActivityName": name}))
            if has_gps:
                for k in range(length * 6):  # a point every 10 s
                    metres = km * 1000 * k / (length * 6)
                    out.append(Record("GPS", ms(start + timedelta(seconds=10 * k)), {
                        "lat": 47.4979 + 0.01 * math.sin(k / 40), "lon": 19.0402 + 0.01 * math.cos(k / 40),
                        "altitude": 110.0 + 5 * math.sin(k / 15), "distance": round(metres, 1),
                        "heart_rate": bpm + rnd.randint(-5, 5),
                        "speed_kph": round(km * 60 / length, 2)}, {**tags, "ActivityID": activity_id}))

        # --- intraday ---------------------------------------------------------------------------
        for second in range(0, 86_400, 5):
            moment = midnight + timedelta(seconds=second)
            if moment < sleep_end:
                bpm = 52 + rnd.randint(-3, 4)
            else:
                bpm = 72 + int(8 * math.sin(second / 5000)) + rnd.randint(-4, 4)
            for start, stop, _spm, wbpm in workout_spans:
                if start <= moment < stop:
                    bpm = wbpm + rnd.randint(-6, 6)
            out.append(Record("HeartRate_Intraday", ms(moment), {"value": bpm}, tags))
        total_steps = 0
        for minute in range(1440):
            moment = midnight + timedelta(minutes=minute)
            asleep_now = moment < sleep_end
            steps = 0 if asleep_now else rnd.choice((0, 0, 0, 12, 30, 55))
            for start, stop, spm, _ in workout_spans:
                if start <= moment < stop:
                    steps = spm
            total_steps += steps
            t = ms(moment)
            out.append(Record("Steps_Intraday", t, {"value": steps}, tags))
            out.append(Record("Distance_Intraday", t, {"value": round(steps * 0.75, 2)}, tags))
            out.append(Record("Calories_Intraday", t, {"value": round(steps * 0.04, 3)}, tags))
            out.append(Record("Elevation_Intraday", t, {"value": 3.0 if steps > 100 else 0.0}, tags))
            out.append(Record("Floors_Intraday", t, {"value": 1 if steps > 100 else 0}, tags))
            if asleep_now:
                out.append(Record("SPO2_Intraday", t, {"value": round(95.5 + rnd.random() * 2.5, 1)}, tags))
            if asleep_now and minute % 5 == 0:
                out.append(Record("HRV_Intraday", t, {"rmssd": 38.5 + rnd.random() * 10, "sdnn": 52.0,
                                                      "hf": 610.0, "lf": 420.0}, tags))
        for quarter in range(96):
            battery = battery - 0.35 if battery > 15 else 100.0
            status = "High" if battery > 60 else "Medium" if battery > 25 else "Low"
            out.append(Record("DeviceBatteryLevel", ms(midnight + timedelta(minutes=15 * quarter)),
                              {"value": round(battery, 1), "status": status}, tags))

        # --- body -------------------------------------------------------------------------------
        morning = ms(midnight + timedelta(hours=7))
        kg = 72.4 + 0.1 * offset
        out.append(Record("weight", morning, {"value": round(kg / 0.45359237, 2), "kg": kg}, tags))
        out.append(Record("bmi", morning, {"value": round(kg / 1.78**2, 2)}, tags))
        out.append(Record("BodyFat", morning, {"value": 18.5}, tags))
        if offset == 0:  # entered by hand once in a while
            out.append(Record("height", morning - 60_000, {"value": 1.78}, tags))
        out.append(Record("VO2 Max Samples", morning + 3_600_000, {"value": 44.5, "method": "GOOGLE_DEMOGRAPHIC"},
                          tags))

        # --- daily values -----------------------------------------------------------------------
        def daily(name: str, fields: dict, iso: str = iso, day_ms: int = day_ms) -> None:
            out.append(Record(name, day_ms, fields, tags, iso))

        daily("RestingHR", {"value": 54 + offset})
        daily("HRV", {"dailyRmssd": 41.2 + offset, "deepRmssd": 47.9})
        daily("HRV Details", {"entropy": 2.47, "nonRemHR": 53})
        daily("SPO2", {"avg": 96.4, "lowerBound": 94.9, "upperBound": 97.8, "stddev": 0.7})
        daily("BreathingRate", {"value": 14.4})
        daily("Skin Temperature Variation", {"RelativeValue": -0.3 + 0.2 * offset})
        daily("Skin Temperature", {"nightly": 33.8, "baseline": 34.0, "stddev30d": 0.21})
        daily("VO2 Max", {"vo2Max": 44.5, "cardioFitnessLevel": "GOOD", "estimated": False})
        daily("HR Zone Thresholds", {"lightMin": 98, "moderateMin": 118, "vigorousMin": 143, "peakMin": 166,
                                     "peakMax": 190})
        daily("Total Steps", {"value": float(total_steps)})
        daily("distance", {"value": round(total_steps * 0.00075, 3)})
        daily("calories", {"value": 2350.5})
        daily("Activity Calories", {"value": 810.25})
        daily("floors", {"value": 12})
        daily("elevation", {"value": 36.0})
        daily("Activity Minutes", {"minutesSedentary": 640, "minutesLightlyActive": 190, "minutesFairlyActive": 35,
                                   "minutesVeryActive": 42})
        daily("HR zones", {"Normal": 1210, "Fat Burn": 95, "Cardio": 31, "Peak": 4})
        daily("Active Zone Minutes", {"fatBurn": 60, "cardio": 40, "peak": 8, "total": 156})
    return out


def demo_window(days: int = 3, end: date = END, zone: str = ZONE) -> tuple[int, int]:
    """``[start, end)`` in epoch ms covering every demo record (sleep starts the evening before)."""
    tz = ZoneInfo(zone)
    first = end - timedelta(days=days)
    start = datetime(first.year, first.month, first.day, tzinfo=tz)
    stop = datetime(end.year, end.month, end.day, tzinfo=tz) + timedelta(days=1)
    return ms(start), ms(stop)
