"""Paired devices: one ``DeviceBatteryLevel`` row per device at its last sync."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fitbit_sync.records import Record
from fitbit_sync.sources.google_health.converters.registry import ConvertContext, converter
from fitbit_sync.sources.google_health.converters.values import BadPoint, Item, number, parse_time_ms


@converter("paired-devices")
def _device(item: Item, ctx: ConvertContext) -> Iterable[Record]:
    if not isinstance(item, dict):
        raise BadPoint("paired device is not an object")
    level = item.get("batteryLevel")
    status = item.get("batteryStatus")
    if level is None and status is None:
        raise BadPoint("paired device without battery information")
    when = parse_time_ms(item["lastSyncTime"]) if item.get("lastSyncTime") else None
    if when is None:
        raise BadPoint("paired device without lastSyncTime")
    fields: dict[str, Any] = {}
    if level is not None:
        fields["value"] = number(level)
    if status is not None:
        fields["status"] = str(status)
    return (Record("DeviceBatteryLevel", when, fields, ctx.tags),)
