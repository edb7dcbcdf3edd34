"""Legacy sleep logs (``sleep-*.json``): ``Sleep Summary`` and ``Sleep Levels`` records.

``startTime``/``endTime`` and the stage ``dateTime`` values are local wall time without an offset,
resolved in the import's zone. As in the API path: one summary row per sleep at its start, one
levels row per stage at its start plus a level-3 row at the end, tag ``isMainSleep`` "True" or
"False". Fitbit's own ``efficiency`` is kept (the API path has to compute one).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fitbit_sync.records import Record
from fitbit_sync.sources.takeout.discovery import Entry
from fitbit_sync.sources.takeout.parsers.common import ParseContext, load_json_array
from fitbit_sync.sources.takeout.timezones import TimeFormatError, iso_datetime
from fitbit_sync.sources.takeout.units import integer

#: Fitbit stage name -> level (0 deep, 1 light/asleep, 2 rem/restless, 3 wake/awake)
LEVELS = {"deep": 0, "light": 1, "rem": 2, "wake": 3, "asleep": 1, "restless": 2, "awake": 3}


class BadSleep(ValueError):
    pass


def _local_ms(text: Any, ctx: ParseContext) -> int:
    day, ms, offset = iso_datetime(text)
    if offset is not None:  # never seen in exports, but an explicit offset is the truth
        return day * 86_400_000 + ms - offset
    return ctx.days.wall_to_ms(day, ms)


def _minutes(value: Any) -> int | None:
    result = integer(value)
    return result if result is not None and 0 <= result <= 2000 else None


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _summary_minutes(levels: dict[str, Any], name: str) -> int | None:
    item = levels.get(name)
    return _minutes(item.get("minutes")) if isinstance(item, dict) else None


def sleep_records(log: dict[str, Any], ctx: ParseContext) -> list[Record]:
    start = _local_ms(log["startTime"], ctx)
    end = _local_ms(log["endTime"], ctx)
    if end <= start or end - start > 36 * 3_600_000:
        raise BadSleep(f"sleep {log.get('logId')}: implausible span {log['startTime']} .. {log['endTime']}")
    sleep_type = str(log.get("type") or "stages").lower()
    classic = sleep_type == "classic"
    tags = {**ctx.tags, "isMainSleep": "True" if log.get("mainSleep") is True else "False"}
    fields: dict[str, Any] = {"sleepType": "CLASSIC" if classic else "STAGES", "endTime": end}
    for source, name in (("minutesAfterWakeup", "minutesAfterWakeup"), ("minutesAsleep", "minutesAsleep"),
                         ("minutesToFallAsleep", "minutesToFallAsleep"), ("timeInBed", "minutesInBed"),
                         ("minutesAwake", "minutesAwake"), ("efficiency", "efficiency")):
        value = _minutes(log.get(source))
        if value is not None:
            fields[name] = value
    levels = _object(log.get("levels"))
    summary = _object(levels.get("summary"))
    deep: int | None
    if classic:
        light, rem, deep = _summary_minutes(summary, "asleep"), _summary_minutes(summary, "restless"), 0
    else:
        light, rem = _summary_minutes(summary, "light"), _summary_minutes(summary, "rem")
        deep = _summary_minutes(summary, "deep")
    for name, value in (("minutesLight", light), ("minutesREM", rem), ("minutesDeep", deep)):
        if value is not None:
            fields[name] = value
    records = [Record("Sleep Summary", start, fields, tags)]
    data = levels.get("data")
    if not isinstance(data, list):
        data = []
    for stage in data:
        name = str(stage["level"]).lower()
        level = LEVELS.get(name)
        seconds = integer(stage.get("seconds"))
        if level is None or seconds is None or seconds < 0:
            raise BadSleep(f"sleep {log.get('logId')}: bad stage {stage!r:.80}")
        records.append(Record("Sleep Levels", _local_ms(stage["dateTime"], ctx),
                              {"level": level, "stage": name, "duration_seconds": seconds}, tags))
    if data:
        records.append(Record("Sleep Levels", end, {"level": 3, "stage": "awake" if classic else "wake"}, tags))
    return records


def parse_sleep(entry: Entry, ctx: ParseContext) -> Iterator[Record]:
    for log in load_json_array(entry):
        try:
            records = sleep_records(log, ctx)
        except (KeyError, TypeError, ValueError, IndexError, AttributeError, TimeFormatError) as exc:
            ctx.bad_row(exc)
            continue
        yield from records
