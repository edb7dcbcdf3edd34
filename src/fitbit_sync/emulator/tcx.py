"""Garmin Training Center XML (TCX v2) for ``exportExerciseTcx``.

One Activity with one Lap; one Trackpoint per second with time, position, altitude, cumulative
distance and heart rate. Without GPS the export carries no track unless ``partialData=true``,
in which case trackpoints have time, distance and heart rate but no position.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

from fitbit_sync.emulator.generator.exercise import KCAL_SCALE, TCX_SPORT, ExerciseSession, route
from fitbit_sync.emulator.generator.render import rfc3339

if TYPE_CHECKING:
    from fitbit_sync.emulator.generator import Generator

NS = "http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"
MEDIA_TYPE = "application/vnd.garmin.tcx+xml"


def _ms(t: int) -> str:
    return rfc3339(t)[:-1] + ".000Z"


def build_tcx(session: ExerciseSession, g: Generator, *, partial_data: bool = False) -> str:
    sport = TCX_SPORT.get(session.kind, "Other")
    kcal = round(sum(g.bmr_per_minute + a for a in session.active_kcal) / KCAL_SCALE)
    distance_m = sum(session.distance_mm) / 1000.0
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<TrainingCenterDatabase xmlns="{NS}">',
        "<Activities>",
        f'<Activity Sport="{sport}">',
        f"<Id>{_ms(session.start)}</Id>",
        f'<Lap StartTime="{_ms(session.start)}">',
        f"<TotalTimeSeconds>{session.active_seconds:.1f}</TotalTimeSeconds>",
        f"<DistanceMeters>{distance_m:.1f}</DistanceMeters>",
        f"<Calories>{kcal}</Calories>",
        f"<AverageHeartRateBpm><Value>{round(sum(session.hr) / len(session.hr))}</Value></AverageHeartRateBpm>",
        f"<MaximumHeartRateBpm><Value>{max(session.hr)}</Value></MaximumHeartRateBpm>",
        "<Intensity>Active</Intensity>",
        "<TriggerMethod>Manual</TriggerMethod>",
    ]
    if session.gps or partial_data:
        latitude, longitude = route(session) if session.gps else (None, None)
        out.append("<Track>")
        cumulative = session.cumulative_mm
        for s, bpm in enumerate(session.hr):
            t = session.start + s
            if session.pause and session.pause[0] <= t < session.pause[1]:
                continue
            point = [f"<Trackpoint><Time>{_ms(t)}</Time>"]
            if session.gps:
                point.append(
                    f"<Position><LatitudeDegrees>{latitude[s]:.7f}</LatitudeDegrees>"  # type: ignore[index]
                    f"<LongitudeDegrees>{longitude[s]:.7f}</LongitudeDegrees></Position>"  # type: ignore[index]
                    f"<AltitudeMeters>{session.altitude_mm[s] / 1000:.3f}</AltitudeMeters>"
                )
            if s < len(cumulative):
                point.append(f"<DistanceMeters>{cumulative[s] / 1000:.3f}</DistanceMeters>")
            point.append(f"<HeartRateBpm><Value>{bpm}</Value></HeartRateBpm></Trackpoint>")
            out.append("".join(point))
        out.append("</Track>")
    out += [
        "</Lap>",
        f"<Notes>{escape(session.display_name)}</Notes>",
        '<Creator xsi:type="Device_t" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        "<Name>Charge 6</Name><UnitId>0</UnitId><ProductID>0</ProductID></Creator>",
        "</Activity>",
        "</Activities>",
        "</TrainingCenterDatabase>",
    ]
    return "\n".join(out) + "\n"
