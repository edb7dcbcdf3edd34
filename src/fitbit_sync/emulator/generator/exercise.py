"""Workouts: second-by-second heart rate, speed, altitude and (for outdoor ones) a GPS track.

A session owns its minutes completely: the day model copies the session's heart-rate samples
(1 per second), steps, distance, energy and altitude gain into the day's streams, so the
session summary, the TCX export and the raw data points always agree. Swims are pool swims:
whole lengths (each a ``swim-lengths-data`` point) with turns and rests at the wall; the distance
of a length counts in the minute it is completed.
"""

from __future__ import annotations

import math
import random
from array import array
from dataclasses import dataclass, field
from datetime import date
from itertools import accumulate, pairwise

from fitbit_sync.emulator.generator.plan import DayPlan, ExercisePlan
from fitbit_sync.emulator.generator.rng import rng
from fitbit_sync.emulator.generator.sleep import session_id

MINUTE = 60
KCAL_SCALE = 256  # energies are multiples of 1/256 kcal, so sums are exact in binary floating point

DISPLAY_NAMES = {
    "RUNNING": "Run",
    "WALKING": "Walk",
    "BIKING": "Outdoor Bike",
    "STRENGTH_TRAINING": "Weights",
    "YOGA": "Yoga",
    "HIIT": "HIIT",
    "SWIMMING": "Swim",
}
TCX_SPORT = {"RUNNING": "Running", "BIKING": "Biking"}
# fraction of heart-rate reserve, speed (m/s), cadence (steps/min), MET at the reference speed
PROFILES: dict[str, tuple[tuple[float, float], tuple[float, float], tuple[int, int], float]] = {
    "RUNNING": ((0.68, 0.80), (2.5, 3.4), (158, 176), 9.8),
    "WALKING": ((0.33, 0.45), (1.25, 1.55), (98, 118), 3.6),
    "BIKING": ((0.58, 0.72), (5.0, 7.5), (0, 0), 7.5),
    "STRENGTH_TRAINING": ((0.40, 0.55), (0.0, 0.0), (5, 20), 5.0),
    "YOGA": ((0.18, 0.28), (0.0, 0.0), (0, 6), 2.8),
    "HIIT": ((0.60, 0.70), (0.0, 0.0), (60, 110), 8.0),
    "SWIMMING": ((0.55, 0.70), (0.6, 0.9), (0, 0), 7.0),
}
# Pool swims: pool length (mm) with its weight, and strokes per metre by stroke type.
POOLS = ((25_000, 0.8), (50_000, 0.2))
STROKES = (("FREESTYLE", 0.75, 0.75), ("BREASTSTROKE", 0.15, 0.55), ("BACKSTROKE", 0.10, 0.8))
STROKE_SPEED = {"FREESTYLE": 1.0, "BREASTSTROKE": 0.8, "BACKSTROKE": 0.9}
# Where outdoor workouts start, by home zone (latitude, longitude, altitude m).
PLACES = {
    "Europe/Berlin": (52.5145, 13.3501, 34.0),
    "America/New_York": (40.7812, -73.9665, 12.0),
    "Asia/Tokyo": (35.6717, 139.6949, 38.0),
}
DEFAULT_PLACE = (48.1374, 11.5755, 519.0)


def azm_for_zone(zone: int) -> int:
    """Active Zone Minutes earned in a minute spent in heart-rate zone ``zone`` (0-4)."""
    return 0 if zone < 2 else (1 if zone == 2 else 2)


@dataclass(slots=True)
class ExerciseSession:
    id: str
    day: date
    index: int
    kind: str
    start: int
    end: int
    gps: bool
    recording_method: str
    pause: tuple[int, int] | None
    # Per-second series are compact arrays: a cached hour-long GPS workout stays under 100 kB.
    hr: array[int]  # one per second
    steps: list[int]  # per minute
    distance_mm: list[int]  # per minute
    active_kcal: list[int]  # per minute, in 1/256 kcal
    altitude_gain_mm: list[int]  # per minute
    cumulative_mm: array[int] = field(default_factory=lambda: array("q"))  # per second
    altitude_mm: array[int] = field(default_factory=lambda: array("i"))  # per second (GPS only)
    latitude: array[float] = field(default_factory=lambda: array("d"))  # filled by route()
    longitude: array[float] = field(default_factory=lambda: array("d"))
    speeds: array[float] = field(default_factory=lambda: array("f"))  # per second (GPS only)
    route_seed: tuple[int, float, float] = (0, 0.0, 0.0)
    zone_seconds: tuple[int, int, int, int] = (0, 0, 0, 0)  # LIGHT, MODERATE, VIGOROUS, PEAK
    azm: int = 0
    run_vo2_max: float | None = None
    pool_length_mm: int = 0  # swims only
    swim_lengths: list[tuple[int, int, int, str]] = field(default_factory=list)  # (start, end, strokes, stroke)

    @property
    def minutes(self) -> int:
        return (self.end - self.start) // MINUTE

    @property
    def active_seconds(self) -> int:
        paused = self.pause[1] - self.pause[0] if self.pause else 0
        return self.end - self.start - paused

    @property
    def display_name(self) -> str:
        return DISPLAY_NAMES.get(self.kind, "Workout")


def make_exercise(seed: int, plan: DayPlan, ex: ExercisePlan, weight_kg: float, place_zone: str) -> ExerciseSession:
    r = rng(seed, "exercise", plan.day.toordinal(), ex.index)
    (f_lo, f_hi), (v_lo, v_hi), (c_lo, c_hi), met_ref = PROFILES[ex.kind]
    n = ex.minutes * MINUTE
    rest, max_hr = plan.rest_hr, plan.zones[4]
    reserve = max_hr - rest
    target = rest + r.uniform(f_lo, f_hi) * reserve
    speed_mean = r.uniform(v_lo, v_hi)
    cadence = r.randint(c_lo, c_hi) if c_hi else 0

    pause = None
    if ex.kind in ("RUNNING", "WALKING", "BIKING") and r.random() < 0.3 and ex.minutes > 15:
        p0 = ex.start + r.randint(5, ex.minutes - 8) * MINUTE + r.randint(0, 59)
        pause = (p0, p0 + r.randint(60, 180))

    rnd = r.random
    start = ex.start
    paused_from, paused_to = (pause[0] - start, pause[1] - start) if pause else (n, n)
    hr: list[int] = []
    append = hr.append
    level = rest + 0.2 * reserve
    noise = 0.0
    cap, cool = max_hr + 3, n - 120
    easy, rest_goal = rest + 0.45 * reserve, rest + 0.25 * reserve
    kind = ex.kind
    for s in range(n):
        if paused_from <= s < paused_to:
            goal = rest_goal
        elif kind == "HIIT":
            goal = target + (0.18 * reserve if (s // 60) % 2 == 0 else -0.08 * reserve)
        elif kind == "STRENGTH_TRAINING":
            goal = target + 0.12 * reserve * math.sin(2 * math.pi * s / 180)
        else:
            goal = target + 0.05 * s / 60  # cardiac drift
        if s > cool and goal > easy:
            goal = easy
        level += (goal - level) / 35.0
        noise = 0.94 * noise + (rnd() - 0.5) * 1.56
        v = int(level + noise + 0.5)
        append(40 if v < 40 else (cap if v > cap else v))
    sin = math.sin
    pool_mm = 0
    lengths: list[tuple[int, int, int, str]] = []
    if kind == "SWIMMING":
        pool_mm = POOLS[0][0] if r.random() < POOLS[0][1] else POOLS[1][0]
        speeds, lengths = _swim(r, n, speed_mean, pool_mm)
    elif speed_mean > 0:
        speeds = [
            0.0
            if paused_from <= s < paused_to
            else max(0.0, speed_mean * (1 + 0.06 * sin(s / 97.0)) + (rnd() - 0.5) * 0.17)
            for s in range(n)
        ]
    else:
        speeds = [0.0] * n

    steps: list[int] = []
    active: list[int] = []
    for m in range(ex.minutes):
        seg = speeds[m * MINUTE : (m + 1) * MINUTE]
        overlap = max(0, min(paused_to, (m + 1) * MINUTE) - max(paused_from, m * MINUTE))
        moving = 1 - overlap / MINUTE
        steps.append(round(cadence * moving * r.uniform(0.97, 1.03)) if cadence else 0)
        met = met_ref * (sum(seg) / MINUTE / speed_mean if speed_mean > 0 else moving or 0.3)
        active.append(round(max(0.0, met - 1.0) * weight_kg * 3.5 / 200.0 * KCAL_SCALE))
    if lengths:  # whole pool lengths, each counted at the second it is completed
        completed = [0] * n
        for k, (_a, b, _strokes, _stroke) in enumerate(lengths, 1):
            completed[b - 1] = k * pool_mm
        cumulative = list(accumulate(completed, max))
    elif speed_mean > 0:
        cumulative = [int(c) for c in accumulate(v * 1000.0 for v in speeds)]
    else:  # steps-based estimate, spread over each minute's last second
        cumulative = []
        total = 0.0
        for m_steps in steps:
            total += m_steps * 450.0
            cumulative.extend([int(total)] * MINUTE)
    distance = [
        cumulative[m * MINUTE + MINUTE - 1] - (cumulative[m * MINUTE - 1] if m else 0) for m in range(ex.minutes)
    ]

    session = ExerciseSession(
        id=session_id(6, plan.day, ex.index, seed),
        day=plan.day,
        index=ex.index,
        kind=ex.kind,
        start=ex.start,
        end=ex.end,
        gps=ex.gps,
        recording_method="PASSIVELY_MEASURED" if ex.kind == "WALKING" and not ex.gps else "ACTIVELY_MEASURED",
        pause=pause,
        hr=array("H", hr),
        steps=steps,
        distance_mm=distance,
        active_kcal=active,
        altitude_gain_mm=[0] * ex.minutes,
        cumulative_mm=array("q", cumulative),
        pool_length_mm=pool_mm,
        swim_lengths=[(ex.start + a, ex.start + b, strokes, stroke) for a, b, strokes, stroke in lengths],
    )
    if ex.gps:
        _track(r, session, speeds, PLACES.get(place_zone, DEFAULT_PLACE))
    zone_seconds = [0, 0, 0, 0, 0]
    for v in hr:
        zone_seconds[plan.zone_of(v)] += 1
    session.zone_seconds = (zone_seconds[1], zone_seconds[2], zone_seconds[3], zone_seconds[4])
    session.azm = sum(azm_for_zone(plan.zone_of(mean_of(hr[m * 60 : m * 60 + 60]))) for m in range(ex.minutes))
    if ex.kind == "RUNNING" and ex.gps:
        session.run_vo2_max = round(plan.vo2_max + r.gauss(0.5, 0.8), 1)
    return session


def _swim(
    r: random.Random, n: int, speed_mean: float, pool_mm: int
) -> tuple[list[float], list[tuple[int, int, int, str]]]:
    """Per-second speed and the lengths ``(start, end, strokes, stroke)`` (seconds from the start).

    Sets of 4-10 lengths with a few seconds per turn, 20-75 s of rest at the wall between sets;
    the last length ends at least 30 s before the session does.
    """
    pool_m = pool_mm / 1000.0
    speeds = [0.0] * n
    lengths: list[tuple[int, int, int, str]] = []
    t = r.randint(20, 60)
    stroke, per_metre = "FREESTYLE", STROKES[0][2]
    left_in_set = r.randint(4, 10)
    while True:
        seconds = max(10, round(pool_m / (speed_mean * STROKE_SPEED[stroke] * r.uniform(0.92, 1.08))))
        if t + seconds > n - 30:
            break
        speed = pool_m / seconds
        speeds[t : t + seconds] = [speed] * seconds
        lengths.append((t, t + seconds, max(1, round(pool_m * per_metre * r.uniform(0.9, 1.1))), stroke))
        t += seconds + r.randint(2, 6)
        left_in_set -= 1
        if left_in_set == 0:
            t += r.randint(20, 75)
            left_in_set = r.randint(4, 10)
            u, acc = r.random(), 0.0
            for name, weight, strokes_per_metre in STROKES:
                acc += weight
                if u < acc:
                    stroke, per_metre = name, strokes_per_metre
                    break
    return speeds, lengths


def mean_of(values: list[int] | array[int]) -> float:
    return sum(values) / len(values) if values else 0.0


def _track(r: random.Random, session: ExerciseSession, speeds: list[float], place: tuple[float, float, float]) -> None:
    """Altitude (eager: it feeds the altitude stream) and the route (lazy: only TCX needs it)."""
    lat0, lon0, alt0 = place
    phase1, phase2 = r.uniform(0, 6.28), r.uniform(0, 6.28)
    sin, tau = math.sin, 2 * math.pi
    alts = [
        round((alt0 + 8.0 * sin(tau * s / 900 + phase1) + 2.5 * sin(tau * s / 170 + phase2)) * 1000)
        for s in range(len(speeds))
    ]
    climbs = [0, *(b - a if b > a else 0 for a, b in pairwise(alts))]
    session.altitude_gain_mm = [sum(climbs[m * MINUTE : (m + 1) * MINUTE]) for m in range(session.minutes)]
    session.altitude_mm = array("i", alts)
    session.route_seed = (r.randrange(2**32), lat0, lon0)
    session.speeds = array("f", speeds)


def route(session: ExerciseSession) -> tuple[array[float], array[float]]:
    """Per-second latitude and longitude of a GPS workout: a loop from near the home place."""
    if session.latitude:
        return session.latitude, session.longitude
    seed, lat0, lon0 = session.route_seed
    r = random.Random(seed)
    lat = lat0 + r.uniform(-0.01, 0.01)
    lon = lon0 + r.uniform(-0.015, 0.015)
    heading = r.uniform(0, 2 * math.pi)
    n = len(session.speeds)
    turn = 2 * math.pi / max(n, 1) * r.choice((1, 1, 2))
    rnd, cos, sin, radians = r.random, math.cos, math.sin, math.radians
    lats, lons = array("d"), array("d")
    for v in session.speeds:
        heading += turn + (rnd() - 0.5) * 0.035
        lat += v * cos(heading) / 111_320.0
        lon += v * sin(heading) / (111_320.0 * cos(radians(lat)))
        lats.append(lat)
        lons.append(lon)
    session.latitude, session.longitude = lats, lons
    return lats, lons
