"""Sleep sessions ending on a civil day, and everything measured while asleep.

The main sleep (STAGES most nights, CLASSIC on a few) is built from ~90-minute cycles of
LIGHT/DEEP/LIGHT/REM with brief AWAKE spells, every stage a whole number of minutes starting on
a 30-second boundary; naps are short CLASSIC sessions. A session is *recorded* only if the
tracker was worn on both civil days it touches; the *truth* (when the person slept) is kept
either way because it shapes the heart rate.

Also produced here, because they depend on the stages: HRV samples every 5 minutes and SpO2
samples every minute of the main sleep, the respiratory-rate sleep summary, and the inputs of
the daily HRV / SpO2 / breathing-rate / skin-temperature summaries.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date

from fitbit_sync.emulator.generator.plan import DayPlan
from fitbit_sync.emulator.generator.rng import rng

MINUTE = 60
STAGE_TYPES = ("AWAKE", "LIGHT", "DEEP", "REM", "ASLEEP", "RESTLESS")
# Heart-rate offset from resting while in a stage (bpm).
STAGE_HR = {"AWAKE": 4.0, "LIGHT": -5.0, "DEEP": -9.0, "REM": -2.0, "ASLEEP": -6.0, "RESTLESS": -1.0}


@dataclass(slots=True)
class SleepSession:
    id: str
    start: int
    end: int
    classic: bool
    main: bool
    recorded: bool
    stages: list[tuple[int, int, str]]  # contiguous (start, end, type)
    short_awakenings: list[tuple[int, int]] = field(default_factory=list)

    def minutes_by_type(self) -> dict[str, tuple[int, int]]:
        """type -> (minutes, segment count)."""
        out: dict[str, list[int]] = {}
        for a, b, kind in self.stages:
            acc = out.setdefault(kind, [0, 0])
            acc[0] += (b - a) // MINUTE
            acc[1] += 1
        return {k: (v[0], v[1]) for k, v in out.items()}


@dataclass(slots=True)
class SleepBundle:
    day: date
    sessions: list[SleepSession]  # main first, then nap; recorded or not
    hrv: list[tuple[int, tuple[float, float, float, float]]]  # (t, (rmssd, sdnn, hf, lf))
    spo2: list[tuple[int, float]]
    resp: dict[str, tuple[float, float, float]] | None  # stage -> (bpm, sd, snr); keys FULL/DEEP/...
    deep_rmssd: float | None

    @property
    def main(self) -> SleepSession | None:
        for s in self.sessions:
            if s.main and s.recorded:
                return s
        return None


def session_id(kind_digit: int, day: date, index: int, seed: int) -> str:
    """19-digit id that encodes the owning day: kind, ordinal (7), index (2), noise (9)."""
    noise = rng(seed, "id", kind_digit, day.toordinal(), index).randrange(10**9)
    return f"{kind_digit}{day.toordinal():07d}{index:02d}{noise:09d}"


def make_sleep_bundle(seed: int, plan: DayPlan, previous_worn: bool) -> SleepBundle:
    r = rng(seed, "sleep", plan.day.toordinal())
    sessions: list[SleepSession] = []
    recorded_main = plan.worn and previous_worn
    main = SleepSession(
        id=session_id(7, plan.day, 0, seed),
        start=plan.sleep_start,
        end=plan.sleep_end,
        classic=plan.sleep_classic,
        main=True,
        recorded=recorded_main,
        stages=_classic_stages(r, plan.sleep_start, plan.sleep_end)
        if plan.sleep_classic
        else _staged(r, plan.sleep_start, plan.sleep_end),
    )
    if not main.classic:
        main.short_awakenings = _short_awakenings(r, main.stages)
    sessions.append(main)
    if plan.nap is not None:
        a, b = plan.nap
        sessions.append(
            SleepSession(
                id=session_id(7, plan.day, 1, seed),
                start=a,
                end=b,
                classic=True,
                main=False,
                recorded=plan.worn,
                stages=_classic_stages(r, a, b),
            )
        )

    hrv: list[tuple[int, tuple[float, float, float, float]]] = []
    spo2: list[tuple[int, float]] = []
    resp = None
    deep_rmssd = None
    if recorded_main:
        spo2 = _spo2_samples(r, main, plan.spo2_pct)
        if not main.classic:
            hrv = _hrv_samples(r, main, plan.hrv_ms)
            kinds = _stages_at(main.stages, [t for t, _v in hrv])
            deep = [v[0] for (_t, v), kind in zip(hrv, kinds, strict=True) if kind == "DEEP"]
            deep_rmssd = round(sum(deep) / len(deep), 1) if deep else None
        resp = _respiration(r, main, plan.breaths_per_minute)
    return SleepBundle(plan.day, sessions, hrv, spo2, resp, deep_rmssd)


def _staged(r: random.Random, start: int, end: int) -> list[tuple[int, int, str]]:
    total = (end - start) // MINUTE
    minutes: list[tuple[int, str]] = [(r.randint(2, 14), "AWAKE")]
    used = minutes[0][0]
    cycle = 0
    tail = r.choice((0, 0, 1, 2, 4, 7))
    while used < total - tail:
        early = cycle < 2
        parts = [
            (r.randint(10, 25), "LIGHT"),
            (r.randint(25, 50) if early else r.randint(5, 20), "DEEP"),
            (r.randint(10, 30), "LIGHT"),
            (r.randint(5, 15) if early else r.randint(15, 35), "REM"),
        ]
        if r.random() < 0.5:
            parts.append((r.randint(1, 4), "AWAKE"))
        for m, kind in parts:
            m = min(m, total - tail - used)
            if m <= 0:
                break
            minutes.append((m, kind))
            used += m
        cycle += 1
    if tail:
        minutes.append((total - used, "AWAKE"))
    return _to_spans(start, minutes)


def _classic_stages(r: random.Random, start: int, end: int) -> list[tuple[int, int, str]]:
    total = (end - start) // MINUTE
    minutes: list[tuple[int, str]] = [(r.randint(1, 8), "AWAKE")]
    used = minutes[0][0]
    while used < total:
        m = min(r.randint(15, 70), total - used)
        minutes.append((m, "ASLEEP"))
        used += m
        if used < total:
            m = min(r.randint(1, 5), total - used)
            minutes.append((m, "RESTLESS" if r.random() < 0.75 else "AWAKE"))
            used += m
    return _to_spans(start, minutes)


def _to_spans(start: int, minutes: list[tuple[int, str]]) -> list[tuple[int, int, str]]:
    spans: list[tuple[int, int, str]] = []
    t = start
    for m, kind in minutes:
        if m <= 0:
            continue
        if spans and spans[-1][2] == kind:
            a, _b, _k = spans[-1]
            spans[-1] = (a, t + m * MINUTE, kind)
        else:
            spans.append((t, t + m * MINUTE, kind))
        t += m * MINUTE
    return spans


def _short_awakenings(r: random.Random, stages: list[tuple[int, int, str]]) -> list[tuple[int, int]]:
    light = [(a, b) for a, b, k in stages if k == "LIGHT" and b - a >= 6 * MINUTE]
    out = []
    for a, b in r.sample(light, min(len(light), r.randint(2, 7))):
        offset = r.randint(2, (b - a) // 30 - 4) * 30
        out.append((a + offset, a + offset + r.choice((30, 60, 90, 120))))
    return sorted(out)


def _stages_at(stages: list[tuple[int, int, str]], times: range | list[int]) -> list[str | None]:
    """Stage at each of the increasing instants ``times`` (one pass, not a search per instant)."""
    out: list[str | None] = []
    i = 0
    for t in times:
        while i < len(stages) and stages[i][1] <= t:
            i += 1
        out.append(stages[i][2] if i < len(stages) and stages[i][0] <= t else None)
    return out


def _stage_at(stages: list[tuple[int, int, str]], t: int) -> str | None:
    for a, b, kind in stages:
        if a <= t < b:
            return kind
    return None


def stage_at(session: SleepSession, t: int) -> str | None:
    return _stage_at(session.stages, t)


def _hrv_samples(
    r: random.Random, main: SleepSession, hrv_ms: float
) -> list[tuple[int, tuple[float, float, float, float]]]:
    factor = {"DEEP": 1.15, "LIGHT": 1.0, "REM": 0.85}
    out = []
    times = range(main.start - main.start % MINUTE + 5 * MINUTE, main.end, 5 * MINUTE)
    for t, kind in zip(times, _stages_at(main.stages, times), strict=True):
        if kind in factor:
            rmssd = max(5.0, min(190.0, hrv_ms * factor[kind] * r.uniform(0.85, 1.15)))
            rmssd = round(rmssd, 1)
            sdnn = round(rmssd * r.uniform(1.15, 1.45), 1)
            hf = round(rmssd * rmssd * r.uniform(0.35, 0.55), 1)
            lf = round(hf * r.uniform(0.9, 1.8), 1)
            out.append((t, (rmssd, sdnn, hf, lf)))
    return out


def _spo2_samples(r: random.Random, main: SleepSession, mean: float) -> list[tuple[int, float]]:
    out = []
    times = range(main.start - main.start % MINUTE + MINUTE, main.end, MINUTE)
    gauss = r.gauss
    for t, kind in zip(times, _stages_at(main.stages, times), strict=True):
        if kind is not None and kind != "AWAKE":
            out.append((t, round(min(100.0, max(88.0, gauss(mean, 0.9))), 1)))
    return out


def _respiration(r: random.Random, main: SleepSession, bpm: float) -> dict[str, tuple[float, float, float]]:
    def stat(delta: float) -> tuple[float, float, float]:
        return (round(bpm + delta, 1), round(r.uniform(0.4, 1.3), 2), round(r.uniform(8.0, 25.0), 2))

    out = {"FULL": stat(0.0)}
    if not main.classic:
        out.update(DEEP=stat(-0.7), LIGHT=stat(0.1), REM=stat(0.9))
    return out
