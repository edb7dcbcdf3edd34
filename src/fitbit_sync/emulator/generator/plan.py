"""The plan of one civil day: cheap decisions everything else is generated from.

A plan says whether the tracker was worn, when the night's sleep (the one *ending* that day)
began and ended, naps, workouts, a charging gap, the morning weigh-in, and the day's
physiological set points (resting heart rate, HRV, SpO2, breathing, skin temperature, VO2 max);
``make_height`` says whether a height was entered that day (one day every few months).
Plans cost microseconds, so neighbouring days and 30-day baselines can look at them freely.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from fitbit_sync.emulator.generator.person import Person
from fitbit_sync.emulator.generator.rng import derive, rng, smooth
from fitbit_sync.emulator.timeline import Timeline

NOT_WORN_PROBABILITY = 0.014  # about five days a year
HOUR = 3600
MINUTE = 60

# exercise type -> (probability weight, minutes range, GPS probability). Rides are outdoor rides
# ("Outdoor Bike"), always with GPS; swims are pool swims, never with GPS. SWIMMING comes last
# and took its weight from HIIT, so adding it changed the plans of as few days as possible.
EXERCISE_MIX: dict[str, tuple[float, tuple[int, int], float]] = {
    "RUNNING": (0.30, (25, 60), 0.9),
    "WALKING": (0.25, (20, 70), 0.4),
    "BIKING": (0.15, (30, 90), 1.0),
    "STRENGTH_TRAINING": (0.12, (30, 60), 0.0),
    "YOGA": (0.08, (30, 60), 0.0),
    "HIIT": (0.04, (20, 40), 0.0),
    "SWIMMING": (0.06, (25, 50), 0.0),
}
HEIGHT_PERIOD_DAYS = 91  # one height measurement in every block of 91 days
HEIGHT_REMEASURE_PROBABILITY = 0.2  # a measurement that differs from the adult height by a few mm


@dataclass(slots=True)
class ExercisePlan:
    index: int
    kind: str
    start: int  # instant, on a whole minute
    minutes: int
    gps: bool

    @property
    def end(self) -> int:
        return self.start + self.minutes * MINUTE


@dataclass(slots=True)
class WeighIn:
    time: int
    grams: float
    body_fat: float | None
    manual: bool
    notes: str | None


@dataclass(slots=True)
class HeightLog:
    time: int
    millimeters: int


@dataclass(slots=True)
class DayPlan:
    day: date
    t0: int
    t1: int
    worn: bool
    rest_hr: int
    hrv_ms: float
    spo2_pct: float
    breaths_per_minute: float
    skin_temp_c: float
    vo2_max: float
    sleep_start: int  # main sleep ending on this day (physical truth, recorded or not)
    sleep_end: int
    sleep_classic: bool
    nap: tuple[int, int] | None
    exercises: list[ExercisePlan] = field(default_factory=list)
    gaps: list[tuple[int, int]] = field(default_factory=list)  # not worn (charging), within the day
    weigh_in: WeighIn | None = None
    zones: tuple[int, int, int, int, int] = (0, 0, 0, 0, 0)  # LIGHT, MODERATE, VIGOROUS, PEAK min; max

    def zone_of(self, bpm: float) -> int:
        """0 below LIGHT, 1 LIGHT, 2 MODERATE, 3 VIGOROUS, 4 PEAK."""
        z = self.zones
        if bpm < z[0]:
            return 0
        if bpm < z[1]:
            return 1
        if bpm < z[2]:
            return 2
        if bpm < z[3]:
            return 3
        return 4


def heart_rate_zones(rest: int, max_hr: int) -> tuple[int, int, int, int, int]:
    """Karvonen thresholds: 30/50/70/85 % of heart-rate reserve above rest."""
    reserve = max_hr - rest
    return (
        rest + round(0.30 * reserve),
        rest + round(0.50 * reserve),
        rest + round(0.70 * reserve),
        rest + round(0.85 * reserve),
        max_hr,
    )


def make_plan(seed: int, person: Person, timeline: Timeline, day: date) -> DayPlan:
    r = rng(seed, "plan", day.toordinal())
    x = float(day.toordinal())
    t0, t1 = timeline.day_bounds(day)
    weekend = day.weekday() >= 5
    worn = r.random() >= NOT_WORN_PROBABILITY

    # Set points: slow trends plus day-to-day noise.
    rest = round(person.rest_hr + 2.5 * smooth(seed, "rest", x) + r.gauss(0, 1.2))
    hrv = max(12.0, person.hrv_ms * (1 + 0.18 * smooth(seed, "hrv", x)) + r.gauss(0, 4.0))
    spo2 = min(99.0, person.spo2_pct + 0.5 * smooth(seed, "spo2", x) + r.gauss(0, 0.35))
    breaths = person.breaths_per_minute + 0.6 * smooth(seed, "resp", x) + r.gauss(0, 0.3)
    skin = person.skin_temp_c + 0.35 * smooth(seed, "skin", x) + r.gauss(0, 0.18)
    vo2 = person.vo2_max + 2.0 * smooth(seed, "vo2", x)

    # Main sleep ending on this day, on 30-second boundaries.
    wake_min = r.randint(450, 570) if weekend else r.randint(370, 455)
    sleep_end = timeline.civil_to_instant(day, wake_min * MINUTE) + (30 if r.random() < 0.5 else 0)
    sleep_start = sleep_end - r.randint(390, 520) * MINUTE
    sleep_classic = r.random() < 0.08
    wake = sleep_end

    busy: list[tuple[int, int]] = []
    nap = None
    if r.random() < 0.12:
        nap_start = _at(timeline, day, r.randint(13 * 60, 16 * 60 + 30) * MINUTE)
        length = r.randint(20, 80) * MINUTE
        if nap_start is not None:
            nap = (nap_start + 30, nap_start + 30 + length)
            busy.append(nap)

    exercises: list[ExercisePlan] = []
    n_ex = 0 if r.random() >= 0.45 else (2 if r.random() < 0.15 else 1)
    for slot in range(n_ex):
        kind = _pick_exercise(r.random())
        _weight, (lo, hi), gps_p = EXERCISE_MIX[kind]
        minutes = r.randint(lo, hi)
        if slot == 0 and r.random() < 0.4:
            start_min = max(wake_min_local(timeline, day, wake) + 20, 7 * 60) + r.randint(0, 60)
        else:
            start_min = r.randint(17 * 60 + 15, 19 * 60 + 30)
        found = _at(timeline, day, start_min * MINUTE)
        start = found if found is not None else t1
        plan_ex = ExercisePlan(len(exercises), kind, start, minutes, r.random() < gps_p)
        if plan_ex.end > t1 - 3 * HOUR or start < wake or _overlaps((start, plan_ex.end), busy):
            continue
        exercises.append(plan_ex)
        busy.append((start, plan_ex.end))

    gaps: list[tuple[int, int]] = []
    if r.random() < 0.25:
        gap_start = _at(timeline, day, r.randint(10 * 60, 16 * 60) * MINUTE)
        gap_length = r.randint(30, 90) * MINUTE
        if gap_start is not None and not _overlaps((gap_start, gap_start + gap_length), busy):
            gaps.append((gap_start, gap_start + gap_length))

    weigh_in = None
    if r.random() < 0.55:
        when = wake + r.randint(5, 25) * MINUTE + r.randint(0, 59)
        grams = person.weight_g * (1 + 0.025 * smooth(seed, "weight", x)) + r.gauss(0, 250)
        manual = r.random() < 0.08
        fat = None
        if not manual and r.random() < 0.95:
            fat = round(person.body_fat_pct + 1.5 * smooth(seed, "fat", x) + r.gauss(0, 0.3), 1)
        notes = "Morning weight" if manual and r.random() < 0.5 else None
        weigh_in = WeighIn(when, round(grams / 50) * 50.0, fat, manual, notes)

    return DayPlan(
        day=day,
        t0=t0,
        t1=t1,
        worn=worn,
        rest_hr=rest,
        hrv_ms=round(hrv, 1),
        spo2_pct=spo2,
        breaths_per_minute=breaths,
        skin_temp_c=skin,
        vo2_max=vo2,
        sleep_start=sleep_start,
        sleep_end=sleep_end,
        sleep_classic=sleep_classic,
        nap=nap,
        exercises=exercises,
        gaps=gaps if worn else [(t0, t1)],
        weigh_in=weigh_in,
        zones=heart_rate_zones(rest, person.max_hr),
    )


def make_height(seed: int, person: Person, plan: DayPlan) -> HeightLog | None:
    """The height entered by hand on this day, if any: exactly one day in each 91-day block.

    Blocks are counted from a seed-dependent phase, the day within a block and the value come
    from the block's own random stream, so the answer depends on ``(seed, day)`` alone. Most
    entries repeat the adult height; a few are re-measurements a few millimetres off.
    """
    ordinal = plan.day.toordinal() - derive(seed, "height-phase") % HEIGHT_PERIOD_DAYS
    block, position = divmod(ordinal, HEIGHT_PERIOD_DAYS)
    r = rng(seed, "height", block)
    if position != r.randrange(HEIGHT_PERIOD_DAYS):
        return None
    millimeters = person.height_mm
    if r.random() < HEIGHT_REMEASURE_PROBABILITY:
        millimeters += r.choice((-5, -4, -3, -2, -1, 1, 2, 3, 4, 5))
    when = plan.sleep_end + r.randint(30, 180) * MINUTE + r.randint(0, 59)
    return HeightLog(min(when, plan.t1 - 1), millimeters)


def _at(timeline: Timeline, day: date, local_seconds_of_day: int) -> int | None:
    """The instant the wall clock shows that time, or None if the day skips it (flying east)."""
    t = timeline.civil_to_instant(day, local_seconds_of_day)
    return t if timeline.local_seconds(t) % 86400 == local_seconds_of_day else None


def wake_min_local(timeline: Timeline, day: date, wake: int) -> int:
    return (timeline.local_seconds(wake) % 86400) // MINUTE


def _pick_exercise(u: float) -> str:
    acc = 0.0
    for kind, (weight, _minutes, _gps) in EXERCISE_MIX.items():
        acc += weight
        if u < acc:
            return kind
    return "WALKING"


def _overlaps(span: tuple[int, int], others: list[tuple[int, int]]) -> bool:
    return any(span[0] < b and a < span[1] for a, b in others)
