"""Sleep sessions: one ``Sleep Summary`` row per sleep and its stages as ``Sleep Levels`` rows."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fitbit_sync.records import Record
from fitbit_sync.sources.google_health.converters.registry import ConvertContext, converter, record
from fitbit_sync.sources.google_health.converters.values import (
    BadPoint,
    Item,
    int64,
    interval_bounds,
    interval_ms,
    member,
)

#: (sleep type, stage type) -> (level for the peer dashboard, Fitbit's stage name)
SLEEP_LEVELS: dict[str, tuple[int, str]] = {
    "DEEP": (0, "deep"), "LIGHT": (1, "light"), "REM": (2, "rem"), "AWAKE": (3, "wake"),
    "ASLEEP": (1, "asleep"), "RESTLESS": (2, "restless"),
}


@converter("sleep")
def _sleep(item: Item, ctx: ConvertContext) -> Iterable[Record]:
    body = member(item, "sleep")
    start, end = interval_bounds(body.get("interval"), "sleep")
    if end == start:
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
    records = [record("Sleep Summary", start, fields, ctx, tags)]
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
        records.append(record("Sleep Levels", stage_start, {
            "level": level, "stage": name, "duration_seconds": (stage_end - stage_start) // 1000,
        }, ctx, tags))
    if stages:  # a level-3 row at the end, as the peer script writes, so state timelines end
        records.append(record("Sleep Levels", end, {"level": 3, "stage": wake}, ctx, tags))
    return records

