"""Exercise sessions: one ``Activity Records`` row per workout, and its GPS track (from the
workout's TCX export, see ``tcx``) when it has one.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fitbit_sync.records import Record, rfc3339_from_ms
from fitbit_sync.sources.google_health.converters.registry import ConvertContext, converter, record
from fitbit_sync.sources.google_health.converters.tcx import gps_records
from fitbit_sync.sources.google_health.converters.values import (
    BadPoint,
    Item,
    int64,
    interval_bounds,
    member,
    number,
    parse_duration_ms,
)


def exercise_id(item: Item) -> str:
    name = item.get("name")
    if not isinstance(name, str) or not name.strip("/"):
        raise BadPoint("exercise without a name")
    return name.rstrip("/").rsplit("/", 1)[-1]


@converter("exercise")
def _exercise(item: Item, ctx: ConvertContext) -> Iterable[Record]:
    body = member(item, "exercise")
    point_id = exercise_id(item)
    start, end = interval_bounds(body.get("interval"), "exercise")
    metrics = body.get("metricsSummary") or {}
    meta = body.get("exerciseMetadata") or {}
    has_gps = bool(meta.get("hasGps", False))
    # verbatim (the stores change only what they cannot hold, see stores.values); a missing or
    # blank name falls back to the exercise type
    name = str(body.get("displayName") or "")
    if not name.strip():
        name = str(body.get("exerciseType") or "Exercise").replace("_", " ").title()
    activity_id = f"{rfc3339_from_ms(start)}-{name}"  # as the Takeout importer and the peer script
    distance_mm = metrics.get("distanceMillimeters", metrics.get("distanceMillimiters"))
    fields: dict[str, Any] = {
        "duration": end - start,
        "ActiveDuration": parse_duration_ms(body["activeDuration"]) if body.get("activeDuration") else end - start,
        "calories": round(number(metrics.get("caloriesKcal"), default=0.0)),
        "distance": number(distance_mm, default=0.0) / 1e6,
        "steps": int64(metrics.get("steps"), default=0),
        "elevationGain": number(metrics.get("elevationGainMillimeters"), default=0.0) / 1000,
        "activeZoneMinutes": int64(metrics.get("activeZoneMinutes"), default=0),
        "hasGps": has_gps,
        "ActivityID": activity_id,
    }
    if metrics.get("averageHeartRateBeatsPerMinute") is not None:
        fields["AverageHeartRate"] = int64(metrics["averageHeartRateBeatsPerMinute"])
    records = [record("Activity Records", start, fields, ctx, {"ActivityName": name})]
    if has_gps and ctx.fetch_tcx is not None:
        tcx = ctx.fetch_tcx(point_id)
        if tcx is not None:
            try:
                records.extend(gps_records(tcx, activity_id, ctx))
            except BadPoint as exc:  # keep the workout, drop its track
                ctx.skip_named("exercise:gps", str(exc))
    return records

