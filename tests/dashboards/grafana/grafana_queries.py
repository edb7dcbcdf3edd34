"""Read Grafana dashboard JSON: its panels, and every query as Grafana would send it.

InfluxQL targets built with Grafana's query editor (``rawQuery`` false) are rendered the way
Grafana's InfluxDB data source renders them (``SELECT mean("value") FROM "m" WHERE $timeFilter
GROUP BY time($__interval) fill(null) tz('...')``); raw ones are taken as written. Template
variables (``$timeFilter``, ``$__interval``, ``$TimeZone``, ...) are substituted the way Grafana
would for a given time range. Also the peer script's field types, for the compatibility tests.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data"
PEER_V1 = DATA / "peer" / "fitbit-grafana-influxdb-v1.json"
PEER_V2 = DATA / "peer" / "fitbit-grafana-influxdb-v2.json"

#: Field and tag types the peer script Fitbit_Fetch.py writes (its extra/influxdb_schema.md).
PEER_FIELD_TYPES: dict[str, dict[str, str]] = {
    "Activity Minutes": {"minutesFairlyActive": "int", "minutesLightlyActive": "int", "minutesSedentary": "int",
                         "minutesVeryActive": "int"},
    "Activity Records": {"ActiveDuration": "int", "AverageHeartRate": "int", "calories": "int", "distance": "float",
                         "duration": "int", "steps": "int"},
    "BreathingRate": {"value": "float"},
    "DeviceBatteryLevel": {"value": "float"},
    "GPS": {"altitude": "float", "distance": "float", "heart_rate": "int", "lat": "float", "lon": "float",
            "speed_kph": "float"},
    "HR zones": {"Cardio": "int", "Fat Burn": "int", "Normal": "int", "Peak": "int"},
    "HRV": {"dailyRmssd": "float", "deepRmssd": "float"},
    "HeartRate_Intraday": {"value": "int"},
    "RestingHR": {"value": "int"},
    "SPO2": {"avg": "float", "max": "float", "min": "float"},
    "SPO2_Intraday": {"value": "float"},
    "Skin Temperature Variation": {"RelativeValue": "float"},
    "Sleep Levels": {"duration_seconds": "int", "level": "int"},
    "Sleep Summary": {"efficiency": "int", "minutesAfterWakeup": "int", "minutesAsleep": "int", "minutesAwake": "int",
                      "minutesDeep": "int", "minutesInBed": "int", "minutesLight": "int", "minutesREM": "int",
                      "minutesToFallAsleep": "int"},
    "Steps_Intraday": {"value": "int"},
    "Total Steps": {"value": "float"},
    "bmi": {"value": "float"},
    "calories": {"value": "float"},
    "distance": {"value": "float"},
    "weight": {"value": "float"},
}
PEER_TAGS: dict[str, tuple[str, ...]] = {
    "Activity Records": ("ActivityName",), "GPS": ("ActivityID",), "DeviceBatteryLevel": (),
    "Sleep Levels": ("Device", "isMainSleep"), "Sleep Summary": ("Device", "isMainSleep"),
}


@dataclass(frozen=True)
class Query:
    panel: str
    ref: str
    text: str
    measurement: str | None = None  # from the query editor model, when not raw
    fields: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    def walk(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for panel in items:
            yield panel
            yield from walk(panel.get("panels") or [])

    yield from walk(dashboard.get("panels") or [])


def _render_select(parts: list[dict[str, Any]]) -> str:
    text = ""
    for part in parts:
        kind, params = part["type"], [str(p) for p in part.get("params") or []]
        if kind == "field":
            text = params[0] if params[0] == "*" else f'"{params[0]}"'
        elif kind == "alias":
            text += f' AS "{params[0]}"'
        elif kind == "math":
            text += f" {params[0]}"
        else:  # aggregations, selectors and transformations: fn(inner, params...)
            text = f"{kind}({', '.join([text, *params])})"
    return text


def _render_tag(tag: dict[str, Any], index: int) -> str:
    operator = tag.get("operator") or ("=~" if re.fullmatch(r"/.*/", str(tag["value"])) else "=")
    value = str(tag["value"])
    if operator not in ("=~", "!~") and operator not in (">", "<"):
        value = "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    prefix = (tag.get("condition") or "AND") + " " if index else ""
    return f'{prefix}"{tag["key"]}" {operator} {value}'


def render_influxql(target: dict[str, Any]) -> str:
    """The InfluxQL Grafana sends for a target (Grafana's InfluxQueryModel.render)."""
    if target.get("rawQuery"):
        return str(target["query"])
    selects = [_render_select(parts) for parts in target.get("select") or [[{"type": "field", "params": ["value"]}]]]
    policy = target.get("policy")
    measurement = f'"{target["measurement"]}"'
    if policy and policy not in ("default",):
        measurement = f'"{policy}".{measurement}'
    query = f"SELECT {', '.join(selects)} FROM {measurement} WHERE "
    tags = target.get("tags") or []
    if tags:
        query += "(" + " ".join(_render_tag(t, i) for i, t in enumerate(tags)) + ") AND "
    query += "$timeFilter"
    group = ""
    for i, part in enumerate(target.get("groupBy") or []):
        if i:
            group += " " if part["type"] == "fill" else ", "
        params = [str(p) for p in part.get("params") or []]
        group += {"time": f"time({params[0] if params else '$__interval'})", "fill": f"fill({params[0]})",
                  "tag": f'"{params[0] if params else ""}"'}[part["type"]]
    if group:
        query += " GROUP BY " + group
    if target.get("fill"):
        query += f" fill({target['fill']})"
    if target.get("orderByTime") == "DESC":
        query += " ORDER BY time DESC"
    if target.get("limit"):
        query += f" LIMIT {target['limit']}"
    if target.get("slimit"):
        query += f" SLIMIT {target['slimit']}"
    if target.get("tz"):
        query += f" tz('{target['tz']}')"
    return query


def influxql_queries(dashboard: dict[str, Any]) -> list[Query]:
    """Every InfluxQL query of the dashboard's panels (hidden ones left out) and variables."""
    out = []
    for panel in panels(dashboard):
        for target in panel.get("targets") or []:
            if target.get("hide"):
                continue
            fields = tuple(p["params"][0] for parts in target.get("select") or [] for p in parts
                           if p["type"] == "field")
            tags = tuple(t["key"] for t in target.get("tags") or [])
            raw = bool(target.get("rawQuery"))
            out.append(Query(str(panel.get("title", "")).strip(), str(target.get("refId", "")),
                             render_influxql(target), None if raw else target.get("measurement"),
                             () if raw else fields, () if raw else tags))
    for variable in dashboard.get("templating", {}).get("list", []):
        if variable.get("type") == "query":
            query = variable.get("query")
            text = query.get("query") if isinstance(query, dict) else query
            out.append(Query(f"variable {variable['name']}", "", str(text)))
    return out


def flux_queries(dashboard: dict[str, Any]) -> list[Query]:
    return [Query(str(p.get("title", "")).strip(), str(t.get("refId", "")), str(t["query"]))
            for p in panels(dashboard) for t in p.get("targets") or [] if t.get("query") and not t.get("hide")]


def substitute(query: str, start_ms: int, end_ms: int, variables: dict[str, str], interval: str = "10m") -> str:
    """Grafana's variables replaced for the range ``[start_ms, end_ms]``."""
    text = query.replace("$timeFilter", f"time >= {start_ms}ms and time <= {end_ms}ms")
    text = text.replace("$__interval_ms", "600000").replace("$__interval", interval)
    for name in sorted(variables, key=len, reverse=True):
        text = text.replace("${" + name + "}", variables[name]).replace("$" + name, variables[name])
    return text


def measurements_in(query: str) -> set[str]:
    """Measurement names a query reads: ``FROM "X"`` (InfluxQL) or ``_measurement == "X"`` (Flux)."""
    found = set(re.findall(r'FROM\s+"([^"]+)"', query, flags=re.IGNORECASE))
    found |= set(re.findall(r'_measurement"?\]?\s*==\s*"([^"]+)"', query))
    return found


def flux_fields_in(query: str) -> set[str]:
    return set(re.findall(r'_field"?\]?\s*==\s*"([^"]+)"', query))


def flux_tags_in(query: str) -> dict[str, set[str]]:
    tags: dict[str, set[str]] = {}
    for key, value in re.findall(r'r\["([A-Za-z]+)"\]\s*==\s*"([^"]*)"', query):
        if not key.startswith("_"):
            tags.setdefault(key, set()).add(value)
    return tags
