"""TCX documents (an exercise's ``exportExerciseTcx``) -> ``GPS`` records."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from fitbit_sync.records import Record
from fitbit_sync.schema import DEVICE_TAG
from fitbit_sync.sources.google_health.converters.registry import ConvertContext
from fitbit_sync.sources.google_health.converters.values import BadPoint, parse_time_ms


def gps_records(tcx: str, activity_id: str, ctx: ConvertContext) -> list[Record]:
    """``GPS`` records from a TCX document (trackpoints with a position); speed from the TCX
    extension when present, else from distance and time between trackpoints."""
    try:
        root = ET.fromstring(tcx.encode() if isinstance(tcx, str) else tcx)
    except ET.ParseError as exc:
        raise BadPoint(f"TCX is not valid XML ({exc})") from None
    ns = root.tag[: root.tag.index("}") + 1] if root.tag.startswith("{") else ""
    t_time, t_pos, t_lat, t_lon = f"{ns}Time", f"{ns}Position", f"{ns}LatitudeDegrees", f"{ns}LongitudeDegrees"
    t_alt, t_dist, t_hr, t_value = f"{ns}AltitudeMeters", f"{ns}DistanceMeters", f"{ns}HeartRateBpm", f"{ns}Value"
    t_ext = f"{ns}Extensions"
    records: list[Record] = []
    tags = {DEVICE_TAG: ctx.device, "ActivityID": activity_id}
    previous: tuple[int, float] | None = None
    for point in root.iter(f"{ns}Trackpoint"):
        when = point.findtext(t_time)
        position = point.find(t_pos)
        if when is None or position is None:
            continue
        lat, lon = position.findtext(t_lat), position.findtext(t_lon)
        if lat is None or lon is None:
            continue
        try:
            time_ms = parse_time_ms(when.strip())
            fields: dict[str, Any] = {"lat": float(lat), "lon": float(lon)}
            altitude = point.findtext(t_alt)
            if altitude is not None:
                fields["altitude"] = float(altitude)
            distance = point.findtext(t_dist)
            if distance is not None:
                fields["distance"] = float(distance)  # metres, as in the TCX (schema: GPS.distance)
            heart = point.find(t_hr)
            if heart is not None and heart.findtext(t_value) is not None:
                fields["heart_rate"] = round(float(heart.findtext(t_value) or 0))
            extensions = point.find(t_ext)
            speed = next((e.text for e in extensions.iter() if _local(e.tag) == "Speed" and e.text), None) \
                if extensions is not None else None
            if speed is not None:
                fields["speed_kph"] = float(speed) * 3.6
            elif distance is not None and previous is not None and time_ms > previous[0]:
                fields["speed_kph"] = (float(distance) - previous[1]) / ((time_ms - previous[0]) / 1000) * 3.6
            if distance is not None:
                previous = (time_ms, float(distance))
        except (BadPoint, ValueError) as exc:
            ctx.skip_named("exercise:gps", str(exc))
            continue
        records.append(Record("GPS", time_ms, fields, dict(tags)))
    return records


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]

