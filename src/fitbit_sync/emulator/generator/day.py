"""Turn one civil day's plan into records, per data type.

Three tiers:

- *plan* records (weigh-ins, height entries) come straight from the plan: microseconds a day,
  so a year-long ``list`` of weight or height does not generate a year of workouts.
- *light* records (sessions, swim lengths, sleep-time samples, daily summaries) come from the
  plan, the sleep bundles and the workouts; a few milliseconds per day with a workout.
- *heavy* records come from the per-minute activity model and the heart-rate samples (5 s apart
  at rest, 1 s in workouts): steps, distance, floors, altitude, energy, heart rate, the
  zone-derived types and the sedentary periods (runs of worn minutes outside sleep and workouts
  without a step). About 20-30 ms per day; the generator caches recent days.

Every record is the tuple ``(start, end, start_offset, end_offset, seq, payload)`` (instants in
POSIX seconds, offsets in seconds, ``seq`` a tie-breaker/index, ``payload`` type-specific), in
ascending time order. ``render.py`` turns records into API JSON.
"""

from __future__ import annotations

import math
import statistics
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from fitbit_sync.emulator.generator.exercise import KCAL_SCALE
from fitbit_sync.emulator.generator.plan import make_height
from fitbit_sync.emulator.generator.rng import rng
from fitbit_sync.emulator.generator.sleep import STAGE_HR, session_id

if TYPE_CHECKING:
    from fitbit_sync.emulator.generator import Generator

Record = tuple[int, int, int, int, int, Any]
MINUTE = 60
FLOOR_MM = 3048

HEAVY_TYPES = (
    "steps",
    "distance",
    "floors",
    "altitude",
    "active-energy-burned",
    "total-calories",
    "active-minutes",
    "active-zone-minutes",
    "time-in-heart-rate-zone",
    "calories-in-heart-rate-zone",
    "heart-rate",
    "sedentary-period",
)
#: Light types the device computes from what it measured (their data source says ``DERIVED``).
DERIVED_TYPES = (
    "sleep",
    "respiratory-rate-sleep-summary",
    "run-vo2-max",
    "vo2-max",
    "daily-resting-heart-rate",
    "daily-heart-rate-zones",
    "daily-heart-rate-variability",
    "daily-oxygen-saturation",
    "daily-respiratory-rate",
    "daily-sleep-temperature-derivations",
    "daily-vo2-max",
)
LIGHT_TYPES = ("exercise", "heart-rate-variability", "oxygen-saturation", "swim-lengths-data", *DERIVED_TYPES)
PLAN_TYPES = ("weight", "body-fat", "height")
ZONE_NAMES = ("", "LIGHT", "MODERATE", "VIGOROUS", "PEAK")


def build_light(g: Generator, day: date) -> dict[str, list[Record]]:
    plan = g.plan(day)
    off = g.timeline.offset_at
    out: dict[str, list[Record]] = {name: [] for name in LIGHT_TYPES}
    bundle = g.sleep_bundle(day)
    following = g.sleep_bundle(day + timedelta(days=1))

    for index, sleep in enumerate(bundle.sessions):
        if sleep.recorded:
            out["sleep"].append((sleep.start, sleep.end, off(sleep.start), off(sleep.end), index, sleep))
    for source in (bundle, following):
        for t, v in source.hrv:
            if plan.t0 <= t < plan.t1:
                o = off(t)
                out["heart-rate-variability"].append((t, t, o, o, 0, v))
        for t, pct in source.spo2:
            if plan.t0 <= t < plan.t1:
                o = off(t)
                out["oxygen-saturation"].append((t, t, o, o, 0, pct))
    main = bundle.main
    if main is not None and bundle.resp is not None:
        o = off(main.end)
        out["respiratory-rate-sleep-summary"].append((main.end, main.end, o, o, 0, bundle.resp))

    for session in g.exercises(day):
        o0, o1 = off(session.start), off(session.end)
        out["exercise"].append((session.start, session.end, o0, o1, session.index, session))
        if session.run_vo2_max is not None:
            out["run-vo2-max"].append((session.end, session.end, o1, o1, session.index, session.run_vo2_max))
        for k, (a, b, strokes, stroke) in enumerate(session.swim_lengths):
            out["swim-lengths-data"].append((a, b, off(a), off(b), session.index * 1000 + k, (strokes, stroke)))

    if plan.worn:
        _daily(g, day, bundle, out)
    for records in out.values():
        records.sort(key=_key)
    return out


def _key(rec: Record) -> tuple[int, int]:
    return rec[0], rec[4]


def build_plan_records(g: Generator, day: date) -> dict[str, list[Record]]:
    """Weigh-ins and height entries: straight from the plan, microseconds per day."""
    plan = g.plan(day)
    off = g.timeline.offset_at
    out: dict[str, list[Record]] = {name: [] for name in PLAN_TYPES}
    if plan.weigh_in is not None:
        w = plan.weigh_in
        o = off(w.time)
        out["weight"].append((w.time, w.time, o, o, 0, (session_id(5, day, 0, g.seed), w.grams, w.manual, w.notes)))
        if w.body_fat is not None:
            out["body-fat"].append((w.time, w.time, o, o, 0, (session_id(4, day, 0, g.seed), w.body_fat)))
    height = make_height(g.seed, g.person, plan)
    if height is not None:
        o = off(height.time)
        out["height"].append((height.time, height.time, o, o, 0, (session_id(3, day, 0, g.seed), height.millimeters)))
    return out


def _daily(g: Generator, day: date, bundle: Any, out: dict[str, list[Record]]) -> None:
    plan = g.plan(day)
    r = rng(g.seed, "daily", day.toordinal())
    o = g.timeline.offset_at(plan.t0)

    def add(name: str, payload: dict[str, Any]) -> None:
        out[name].append((plan.t0, plan.t1, o, g.timeline.offset_at(plan.t1), 0, payload))

    main = bundle.main
    add(
        "daily-resting-heart-rate",
        {
            "beatsPerMinute": str(plan.rest_hr),
            "dailyRestingHeartRateMetadata": {
                "calculationMethod": "WITH_SLEEP" if main is not None else "ONLY_WITH_AWAKE_DATA"
            },
        },
    )
    zones = plan.zones
    add(
        "daily-heart-rate-zones",
        {
            "heartRateZones": [
                {
                    "heartRateZoneType": ZONE_NAMES[k + 1],
                    "minBeatsPerMinute": str(zones[k]),
                    "maxBeatsPerMinute": str(zones[k + 1] - 1 if k < 3 else zones[4]),
                }
                for k in range(4)
            ]
        },
    )
    recent_runs = any(
        ex.kind == "RUNNING" and ex.gps for back in range(14) for ex in g.plan(day - timedelta(days=back)).exercises
    )
    vo2 = round(plan.vo2_max, 1)
    vo2_payload: dict[str, Any] = {"vo2Max": vo2, "cardioFitnessLevel": _fitness_level(vo2, g.person.age)}
    if not recent_runs:
        vo2_payload["estimated"] = True
    vo2_payload["vo2MaxCovariance"] = round(r.uniform(0.2, 1.6), 3)
    add("daily-vo2-max", vo2_payload)
    # the same estimate as a sample, shortly after waking: from recent GPS runs, else demographic
    when = min(max(plan.sleep_end, plan.t0) + rng(g.seed, "vo2-max", day.toordinal()).randint(600, 1800), plan.t1 - 1)
    method = "FITBIT_RUN" if recent_runs else "GOOGLE_DEMOGRAPHIC"
    o_vo2 = g.timeline.offset_at(when)
    out["vo2-max"].append((when, when, o_vo2, o_vo2, 0, (vo2, method)))

    if main is None:
        return
    if bundle.hrv:
        values = [v[0] for _t, v in bundle.hrv]
        hrv: dict[str, Any] = {"averageHeartRateVariabilityMilliseconds": round(sum(values) / len(values), 1)}
        if bundle.deep_rmssd is not None:
            hrv["deepSleepRootMeanSquareOfSuccessiveDifferencesMilliseconds"] = bundle.deep_rmssd
        hrv["entropy"] = round(r.uniform(2.2, 3.4), 3)
        hrv["nonRemHeartRateBeatsPerMinute"] = str(plan.rest_hr - 2 + r.randint(-1, 1))
        add("daily-heart-rate-variability", hrv)
    if bundle.spo2:
        avg = round(sum(p for _t, p in bundle.spo2) / len(bundle.spo2), 1)
        history = [g.plan(day - timedelta(days=k)).spo2_pct for k in range(1, 15)]
        add(
            "daily-oxygen-saturation",
            {
                "averagePercentage": avg,
                "lowerBoundPercentage": round(avg - r.uniform(0.8, 1.6), 1),
                "upperBoundPercentage": round(min(100.0, avg + r.uniform(0.5, 1.2)), 1),
                "standardDeviationPercentage": round(statistics.pstdev(history), 2),
            },
        )
    if bundle.resp is not None:
        add("daily-respiratory-rate", {"breathsPerMinute": bundle.resp["FULL"][0]})
    nightly = round(plan.skin_temp_c, 2)
    temps: dict[str, Any] = {"nightlyTemperatureCelsius": nightly}
    past = []
    for k in range(1, 31):
        d = day - timedelta(days=k)
        p = g.plan(d)
        if p.worn and g.plan(d - timedelta(days=1)).worn:
            past.append(round(p.skin_temp_c, 2))
    if len(past) >= 3:
        baseline = round(statistics.median(past), 2)
        temps["baselineTemperatureCelsius"] = baseline
        temps["relativeNightlyStddev30dCelsius"] = round(statistics.pstdev([v - baseline for v in past]), 3)
    add("daily-sleep-temperature-derivations", temps)


def _fitness_level(vo2: float, age: int) -> str:
    # Rough age-adjusted bands (ml/kg/min), after the Cooper Institute tables.
    shift = max(0, age - 30) * 0.35
    bands = (33, 37, 41, 45, 50)
    names = ("POOR", "FAIR", "AVERAGE", "GOOD", "VERY_GOOD")
    for limit, name in zip(bands, names, strict=True):
        if vo2 < limit - shift:
            return name
    return "EXCELLENT"


def build_heavy(g: Generator, day: date) -> HeavyDay | dict[str, list[Record]]:
    plan = g.plan(day)
    out: dict[str, list[Record]] = {name: [] for name in HEAVY_TYPES}
    if not plan.worn:
        return out
    t0, t1 = plan.t0, plan.t1
    n = (t1 - t0) // MINUTE
    r = rng(g.seed, "heavy", day.toordinal())
    rnd, randint = r.random, r.randint

    offs = [0] * (n + 1)
    for a, b, o in g.timeline.segments(day):
        for i in range((a - t0) // MINUTE, min(n, (b - t0 + MINUTE - 1) // MINUTE)):
            offs[i] = o
    offs[n] = g.timeline.offset_at(t1)

    worn = [True] * n
    for a, b in plan.gaps:
        for i in range(max(0, (a - t0 + MINUTE - 1) // MINUTE), min(n, (b - t0 + MINUTE - 1) // MINUTE)):
            worn[i] = False

    stage: list[str | None] = [None] * n
    in_bed = [False] * n  # minutes touching a sleep period (sessions start on 30-second boundaries)
    following = g.sleep_bundle(day + timedelta(days=1))
    for sleep in [*g.sleep_bundle(day).sessions, *following.sessions[:1]]:
        for a, b, kind in sleep.stages:
            lo = max(0, (a - t0 + MINUTE - 1) // MINUTE)
            hi = min(n, (b - t0 + MINUTE - 1) // MINUTE)
            for i in range(lo, hi):
                stage[i] = kind
        for i in range(max(0, (sleep.start - t0) // MINUTE), min(n, (sleep.end - t0 + MINUTE - 1) // MINUTE)):
            in_bed[i] = True

    ex_at: list[Any] = [None] * n
    for session in g.exercises(day):
        base = (session.start - t0) // MINUTE
        for m in range(session.minutes):
            if 0 <= base + m < n:
                ex_at[base + m] = (session, m)

    kg = g.person.weight_kg
    kcal_per_met = kg * 3.5 / 200.0
    stride = g.person.walk_stride_mm
    bmr = g.bmr_per_minute
    rest = plan.rest_hr
    zone_of = plan.zone_of

    steps = [0] * n
    dist = [0] * n
    gain = [0] * n
    active = [0] * n
    met10 = [0] * n
    state = 0
    for i in range(n):
        if not worn[i]:
            continue
        ex = ex_at[i]
        if ex is not None:
            session, m = ex
            steps[i] = session.steps[m]
            dist[i] = session.distance_mm[m]
            gain[i] = session.altitude_gain_mm[m]
            active[i] = session.active_kcal[m]
            met10[i] = round(10 * (1 + active[i] / KCAL_SCALE / kcal_per_met))
            state = 2
            continue
        if stage[i] is not None:
            state = 0
            continue
        local_hour = ((t0 + i * MINUTE + offs[i]) % 86400) / 3600.0
        commute = 7.5 <= local_hour < 9.0 or 17.0 <= local_hour < 18.5
        u = rnd()
        # idle -> pottering about / walking (more often at commute times); tuned for ~8,000 steps
        # and ~200 lightly active minutes on a day without a workout.
        if state == 0:
            state = 1 if u < 0.06 else (2 if u < 0.06 + (0.03 if commute else 0.005) else 0)
        elif state == 1:
            state = 0 if u < 0.22 else (2 if u < 0.24 else 1)
        elif state == 2:
            state = 0 if u < 0.15 else (1 if u < 0.27 else (3 if u < 0.29 else 2))
        else:
            state = 2 if u < 0.25 else 3
        if state == 0:
            continue
        s = randint(4, 40) if state == 1 else (randint(70, 112) if state == 2 else randint(113, 135))
        if state in (1, 2) and rnd() < 0.012:
            s = randint(30, 60)
            gain[i] = randint(1, 3) * FLOOR_MM + randint(-200, 200)
        elif state == 2 and rnd() < 0.08:
            gain[i] = randint(100, 900)
        steps[i] = s
        dist[i] = int(s * stride * (0.95 + 0.1 * rnd()))
        met = 1.3 + s * 0.03 + (1.5 if gain[i] > FLOOR_MM // 2 else 0.0)
        met10[i] = round(met * 10)
        active[i] = round((met - 1.0) * kcal_per_met * KCAL_SCALE)

    hr_recs: list[Record] = []
    extend_hr = hr_recs.extend
    minute_zone = [0] * n
    phase = randint(0, 4)
    level = rest + 10.0
    was_worn = True
    patterns, noise = g.hr_noise
    n_patterns = len(patterns)
    for i in range(n):
        if not worn[i]:
            was_worn = False
            continue
        t = t0 + i * MINUTE
        o = offs[i]
        ex = ex_at[i]
        if ex is not None:
            session, m = ex
            samples = session.hr[m * MINUTE : (m + 1) * MINUTE]
            extend_hr([(t + k, t + k, o, o, 0, bpm * 2 + 1) for k, bpm in enumerate(samples)])
            level = float(samples[-1])
            minute_zone[i] = zone_of(sum(samples) / len(samples))
            continue
        stage_kind = stage[i]
        if stage_kind is not None:
            goal = rest + STAGE_HR[stage_kind]
        else:
            local_hour = ((t + o) % 86400) / 3600.0
            goal = rest + 11.0 + 3.0 * math.sin(2 * math.pi * (local_hour - 9.0) / 24.0) + steps[i] * 0.32
            if gain[i] > FLOOR_MM // 2:
                goal += 18.0
        if not was_worn:
            level = goal
            was_worn = True
        level += (goal - level) * 0.35
        # A pre-drawn pattern per minute: which 5-second slots have a reading (~3 % dropouts)
        # and smooth sensor noise. Plain per-sample random draws cost three times as much.
        p = int(rnd() * n_patterns)
        keep, base_noise = patterns[p], p * 12
        lvl = max(level, 41.0) + 0.5
        moving = 1 if steps[i] else 0
        start = t + phase
        chunk = [
            (start + 5 * k, start + 5 * k, o, o, 0, (int(lvl + noise[base_noise + k]) << 1) | moving) for k in keep
        ]
        extend_hr(chunk)
        if chunk:
            minute_zone[i] = zone_of(sum([c[5] for c in chunk]) / (2 * len(chunk)))
    out["heart-rate"] = hr_recs
    # Sedentary: worn, awake (no overlap with any sleep period), not in a workout, not a single step.
    sedentary = [worn[i] and not in_bed[i] and ex_at[i] is None and not steps[i] for i in range(n)]

    return HeavyDay(out, t0, worn, offs, steps, dist, gain, active, met10, minute_zone, bmr, sedentary)


class HeavyDay:
    """A day's per-minute model and heart rate; the per-minute record lists are built on first use."""

    def __init__(
        self,
        out: dict[str, list[Record]],
        t0: int,
        worn: list[bool],
        offs: list[int],
        steps: list[int],
        dist: list[int],
        gain: list[int],
        active: list[int],
        met10: list[int],
        minute_zone: list[int],
        bmr: int,
        sedentary: list[bool],
    ) -> None:
        self._out = out
        self._minutes: tuple[Any, ...] | None = (
            t0,
            worn,
            offs,
            steps,
            dist,
            gain,
            active,
            met10,
            minute_zone,
            bmr,
            sedentary,
        )

    def __getitem__(self, data_type: str) -> list[Record]:
        if data_type != "heart-rate" and self._minutes is not None:
            self._build_minutes()
        return self._out[data_type]

    def _build_minutes(self) -> None:
        assert self._minutes is not None
        t0, worn, offs, steps, dist, gain, active, met10, minute_zone, bmr, sedentary = self._minutes
        self._minutes = None
        out = self._out
        cum_gain = 0
        o_steps, o_dist, o_floors, o_alt = out["steps"], out["distance"], out["floors"], out["altitude"]
        o_active, o_total = out["active-energy-burned"], out["total-calories"]
        o_am, o_azm, o_tz, o_cz = (
            out["active-minutes"],
            out["active-zone-minutes"],
            out["time-in-heart-rate-zone"],
            out["calories-in-heart-rate-zone"],
        )
        for i in range(len(worn)):
            if not worn[i]:
                continue
            t = t0 + i * MINUTE
            o, oe = offs[i], offs[i + 1]
            floors = (cum_gain + gain[i]) // FLOOR_MM - cum_gain // FLOOR_MM
            cum_gain += gain[i]
            o_steps.append((t, t + MINUTE, o, oe, 0, steps[i]))
            o_dist.append((t, t + MINUTE, o, oe, 0, dist[i]))
            o_floors.append((t, t + MINUTE, o, oe, 0, floors))
            o_alt.append((t, t + MINUTE, o, oe, 0, gain[i]))
            o_active.append((t, t + MINUTE, o, oe, 0, active[i]))
            total_kcal = bmr + active[i]
            o_total.append((t, t + MINUTE, o, oe, 0, total_kcal))
            m10 = met10[i]
            level_code = 3 if m10 >= 60 else (2 if m10 >= 30 else (1 if m10 >= 15 else 0))
            if level_code:
                o_am.append((t, t + MINUTE, o, oe, 0, level_code))
            z = minute_zone[i]
            if z:
                o_tz.append((t, t + MINUTE, o, oe, 0, z))
                o_cz.append((t, t + MINUTE, o, oe, 0, (z, total_kcal)))
                if z >= 2:
                    o_azm.append((t, t + MINUTE, o, oe, 0, z))
        out["sedentary-period"] = sedentary_periods(t0, offs, sedentary)


def sedentary_periods(t0: int, offs: list[int], sedentary: list[bool]) -> list[Record]:
    """Maximal runs of sedentary minutes as interval records (payload: the run's minutes)."""
    periods: list[Record] = []
    n = len(sedentary)
    i = 0
    while i < n:
        if not sedentary[i]:
            i += 1
            continue
        j = i + 1
        while j < n and sedentary[j]:
            j += 1
        periods.append((t0 + i * MINUTE, t0 + j * MINUTE, offs[i], offs[j], 0, j - i))
        i = j
    return periods
