"""Deterministic synthetic health history, generated one civil day at a time.

Public API (stable; other test suites compare what they stored against it)::

    gen = Generator(config)                 # EmulatorConfig
    gen.first_day, gen.last_day             # the served date range (inclusive)
    gen.days()                              # iterator over those dates
    gen.timeline                            # zone/offset/civil-day helper (``timeline.Timeline``)
    gen.time_zone_history                   # tuple[ZonePeriod, ...]
    gen.day_bounds(day)                     # (start, end) aware UTC datetimes of the civil day
    gen.worn(day)                           # False on the few days the tracker was not worn
    gen.points("heart-rate", day)           # list[dict]: the exact JSON DataPoints ``list``
                                            #   serves for that civil day, newest first
    gen.points("steps", day, reconciled=True)  # the ``reconcile`` shape (dataPointName, no dataSource)
    gen.records("total-calories", day)      # raw records (also rollup-only types), oldest first
    gen.exercise_ids(day)                   # exercise data point ids of that day
    gen.exercises(day)                      # ExerciseSession objects (swims: pool_length_mm, swim_lengths)
    gen.tcx(exercise_id)                    # the TCX XML exportExerciseTcx serves

Everything is a pure function of ``(seed, date)`` (plus the time-zone history): a day is
generated on demand from its own random streams, never from the days served before it, and
only a small LRU of recent days is kept. Points are owned by the civil day of their start
(samples: of their time; sleep: of its *end*), in the user's zone at that moment.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

from fitbit_sync.emulator.config import EmulatorConfig, ZonePeriod
from fitbit_sync.emulator.datatypes import TYPES
from fitbit_sync.emulator.generator.day import (
    HEAVY_TYPES,
    LIGHT_TYPES,
    PLAN_TYPES,
    Record,
    build_heavy,
    build_light,
    build_plan_records,
)
from fitbit_sync.emulator.generator.exercise import KCAL_SCALE, ExerciseSession, make_exercise
from fitbit_sync.emulator.generator.person import Person, make_person
from fitbit_sync.emulator.generator.plan import DayPlan, make_plan
from fitbit_sync.emulator.generator.render import render
from fitbit_sync.emulator.generator.rng import rng
from fitbit_sync.emulator.generator.sleep import SleepBundle, make_sleep_bundle
from fitbit_sync.emulator.timeline import Timeline

__all__ = ["Generator", "Record"]

T = TypeVar("T")
_HEAVY = frozenset(HEAVY_TYPES)
_LIGHT = frozenset(LIGHT_TYPES)
_PLAN = frozenset(PLAN_TYPES)


class _LRU:
    def __init__(self, size: int) -> None:
        self.size = size
        self.data: OrderedDict[Any, Any] = OrderedDict()

    def get(self, key: Any, make: Callable[[], T]) -> T:
        try:
            self.data.move_to_end(key)
            return self.data[key]  # type: ignore[no-any-return]
        except KeyError:
            value = make()
            self.data[key] = value
            if len(self.data) > self.size:
                self.data.popitem(last=False)
            return value


def _noise_tables(seed: int, count: int = 4096) -> tuple[list[tuple[int, ...]], list[float]]:
    """Per-minute dropout patterns (kept 5-second slots) and AR(1) sensor noise, drawn once."""
    r = rng(seed, "hr-noise")
    patterns = [tuple(k for k in range(12) if r.random() >= 0.03) for _ in range(count)]
    noise: list[float] = []
    ar = 0.0
    for _ in range(count * 12):
        ar = 0.85 * ar + r.gauss(0.0, 0.8)
        noise.append(ar)
    return patterns, noise


class Generator:
    """Synthetic data for one user over ``config.start .. config.end``."""

    def __init__(self, config: EmulatorConfig, timeline: Timeline | None = None) -> None:
        self.config = config
        self.seed = config.seed
        self.timeline = timeline or Timeline(config.time_zones or ())
        self.person: Person = make_person(config.seed, config.health_user_id, config.legacy_user_id)
        self.bmr_per_minute = round(self.person.bmr_kcal / 1440 * KCAL_SCALE)
        self._lock = threading.RLock()
        # Bounded caches: a multi-year sweep never holds the history (plans ~1 kB, light days
        # ~0.1 MB, heavy days ~3 MB each).
        self._plans = _LRU(8192)
        self._plan_records = _LRU(2048)
        self._sleep = _LRU(128)
        self._exercise = _LRU(128)
        self._light = _LRU(256)
        self._heavy = _LRU(config.cache_days)
        self.hr_noise = _noise_tables(config.seed)

    # -- range and time -------------------------------------------------------------------
    @property
    def first_day(self) -> date:
        return self.config.first_day

    @property
    def last_day(self) -> date:
        return self.config.last_day

    @property
    def time_zone_history(self) -> tuple[ZonePeriod, ...]:
        return self.timeline.periods

    @property
    def health_user_id(self) -> str:
        return self.person.health_user_id

    def days(self) -> Iterator[date]:
        day = self.first_day
        while day <= self.last_day:
            yield day
            day += timedelta(days=1)

    def in_range(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day

    def day_bounds(self, day: date) -> tuple[datetime, datetime]:
        t0, t1 = self.timeline.day_bounds(day)
        return datetime.fromtimestamp(t0, UTC), datetime.fromtimestamp(t1, UTC)

    # -- building blocks (cached) -----------------------------------------------------------
    def plan(self, day: date) -> DayPlan:
        with self._lock:
            return self._plans.get(day, lambda: make_plan(self.seed, self.person, self.timeline, day))

    def worn(self, day: date) -> bool:
        return self.in_range(day) and self.plan(day).worn

    def sleep_bundle(self, day: date) -> SleepBundle:
        with self._lock:
            return self._sleep.get(
                day,
                lambda: make_sleep_bundle(
                    self.seed, self._data_plan(day), self._data_plan(day - timedelta(days=1)).worn
                ),
            )

    def _data_plan(self, day: date) -> DayPlan:
        """The plan, with days outside the served range marked as not worn."""
        plan = self.plan(day)
        if self.in_range(day):
            return plan
        clone = DayPlan(**{f: getattr(plan, f) for f in DayPlan.__slots__})  # type: ignore[attr-defined]
        clone.worn = False
        clone.weigh_in = None
        clone.exercises = []
        return clone

    def exercises(self, day: date) -> list[ExerciseSession]:
        def make() -> list[ExerciseSession]:
            plan = self.plan(day)
            if not plan.worn or not self.in_range(day):
                return []
            zone = self.timeline.zone_name_at(plan.t0 + 43200)
            return [make_exercise(self.seed, plan, ex, self.person.weight_kg, zone) for ex in plan.exercises]

        with self._lock:
            return self._exercise.get(day, make)

    # -- records and points -----------------------------------------------------------------
    def records(self, data_type: str, day: date) -> list[Record]:
        """Internal records of one type and civil day, oldest first (empty outside the range)."""
        if not self.in_range(day):
            return []
        with self._lock:
            if data_type in _HEAVY:
                return self._heavy.get(day, lambda: build_heavy(self, day))[data_type]  # type: ignore[no-any-return]
            if data_type in _LIGHT:
                return self._light.get(day, lambda: build_light(self, day))[data_type]  # type: ignore[no-any-return]
            if data_type in _PLAN:
                by_type = self._plan_records.get(day, lambda: build_plan_records(self, day))
                return by_type[data_type]
        if data_type not in TYPES:
            raise KeyError(f"unknown data type {data_type!r}")
        return []

    def points(self, data_type: str, day: date, *, reconciled: bool = False) -> list[dict[str, Any]]:
        """The JSON DataPoints ``list`` (or ``reconcile``) serves for that civil day, newest first.

        Ignores the clock (future points included) and dataSourceFamily filters.
        """
        spec = TYPES[data_type]
        if spec.kind == "rollup_only":
            raise ValueError(f"{data_type} has no raw data points; use records() or the rollup API")
        uid = self.person.health_user_id
        return [
            render(data_type, spec.json_key, rec, self, uid, reconciled)
            for rec in reversed(self.records(data_type, day))
        ]

    def render(
        self, data_type: str, rec: Record, *, reconciled: bool = False, user_id: str | None = None
    ) -> dict[str, Any]:
        spec = TYPES[data_type]
        return render(data_type, spec.json_key, rec, self, user_id or self.person.health_user_id, reconciled)

    # -- identifiable points ----------------------------------------------------------------
    def find(self, data_type: str, point_id: str) -> Record | None:
        """The record of an identifiable point (exercise, sleep, weight, body-fat) by its id."""
        if not point_id.isdigit() or len(point_id) != 19:
            return None
        try:
            day = date.fromordinal(int(point_id[1:8]))
        except ValueError:
            return None
        from fitbit_sync.emulator.generator.render import point_id as pid_of

        for rec in self.records(data_type, day) if data_type in TYPES and TYPES[data_type].identifiable else []:
            if pid_of(data_type, rec) == point_id:
                return rec
        return None

    def exercise_ids(self, day: date) -> list[str]:
        return [rec[5].id for rec in self.records("exercise", day)]

    def tcx(self, exercise_id: str, *, partial_data: bool = False) -> str | None:
        from fitbit_sync.emulator.tcx import build_tcx

        rec = self.find("exercise", exercise_id)
        if rec is None:
            return None
        return build_tcx(rec[5], self, partial_data=partial_data)
