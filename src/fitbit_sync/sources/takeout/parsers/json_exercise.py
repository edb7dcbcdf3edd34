"""Legacy exercise logs (``exercise-N.json``, 100 logs a file): ``Activity Records``.

``startTime`` (``MM/DD/YY HH:MM:SS``) is read as UTC (matching workouts recorded elsewhere lands
them exactly; see docs/takeout.md). Distances come in the log's ``distanceUnit`` (kilometres or
miles); elevation gain is in feet when the account's unit is miles (the log's own unit, else any
log of the export naming miles), else metres. ``ActivityID`` is
``<start as UTC ISO>-<ActivityName>``, the GPS measurement's tag for the same workout.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fitbit_sync.records import Record, rfc3339_from_ms
from fitbit_sync.sources.takeout.discovery import Entry
from fitbit_sync.sources.takeout.parsers.common import ParseContext, load_json_array
from fitbit_sync.sources.takeout.timezones import DAY_MS, TimeFormatError, fitbit_datetime
from fitbit_sync.sources.takeout.units import KM_PER_MILE, M_PER_FT, integer, number

_IMPERIAL = "exercise_imperial"


def exercise_record(log: dict[str, Any], ctx: ParseContext) -> Record:
    day, ms = fitbit_datetime(log["startTime"])
    start = day * DAY_MS + ms
    name = log.get("activityName")
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"exercise {log.get('logId')}: no activityName")
    # kept verbatim (the stores change only what they cannot hold, see stores.values)
    unit = str(log.get("distanceUnit") or "").lower()
    miles = unit.startswith("mile") if unit else bool(ctx.extra.get(_IMPERIAL))
    fields: dict[str, Any] = {"ActivityID": f"{rfc3339_from_ms(start)}-{name}"}
    for source, target in (("duration", "duration"), ("activeDuration", "ActiveDuration"),
                           ("calories", "calories"), ("steps", "steps"),
                           ("averageHeartRate", "AverageHeartRate")):
        value = integer(log.get(source))
        if value is not None and value >= 0:
            fields[target] = value
    distance = number(log.get("distance"))
    if distance is not None and distance >= 0:
        fields["distance"] = round(distance * KM_PER_MILE if miles else distance, 6)
    gain = number(log.get("elevationGain"))
    if gain is not None and gain >= 0:
        fields["elevationGain"] = round(gain * M_PER_FT if miles else gain, 3)
    azm = log.get("activeZoneMinutes")
    if isinstance(azm, dict):
        total = integer(azm.get("totalMinutes"))
        if total is not None and total >= 0:
            fields["activeZoneMinutes"] = total
    if isinstance(log.get("hasGps"), bool):
        fields["hasGps"] = log["hasGps"]
    return Record("Activity Records", start, fields, {**ctx.tags, "ActivityName": name})


def parse_exercise(entry: Entry, ctx: ParseContext) -> Iterator[Record]:
    logs = load_json_array(entry)
    if any(isinstance(log, dict) and str(log.get("distanceUnit") or "").lower().startswith("mile") for log in logs):
        ctx.extra[_IMPERIAL] = True  # the account's unit: logs without a distance use it too
    for log in logs:
        try:
            yield exercise_record(log, ctx)
        except (KeyError, TypeError, ValueError, IndexError, AttributeError, TimeFormatError) as exc:
            ctx.bad_row(exc)
