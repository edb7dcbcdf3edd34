"""Converters: Google Health API JSON -> canonical records of ``fitbit_sync.schema``.

One converter per catalogue stream (``CONVERTERS[stream.key]``), each turning the items of one
response page into records. Rules applied everywhere:

* units are converted once, here: millimetres -> metres (km for distances the peer dashboards
  show in km), grams -> kg (and pounds for the peer ``weight`` panel), durations -> minutes/ms;
* int64 values arrive as JSON strings and are parsed; for the true-zero types (steps, distance,
  altitude, floors) an omitted value means 0;
* instants come from each point's own UTC time (or its civil time minus its own UTC offset), never
  from one zone for all history;
* daily values are keyed by their civil ``date``; their ``time`` is local midnight of that date
  in the user's zone;
* every record carries the ``Device`` tag (``settings.device_name``).

A point with a missing or malformed member is skipped and counted (``ConvertContext.skipped``),
never fatal. The package by job: ``values`` parses proto3 JSON values, ``registry`` holds the
converters and runs them, one module per record kind holds the converters (``intraday``,
``daily``, ``totals``, ``body``, ``sleep``, ``exercise``, ``devices``) and ``tcx`` reads GPS tracks.
Adding a data type: its catalogue entry, and one ``@converter(key)`` function in the module of its
record kind (docs/ARCHITECTURE.md has the recipe).
"""

from __future__ import annotations

# The converter modules register themselves on import.
from fitbit_sync.sources.google_health.converters import (  # noqa: F401
    body,
    daily,
    devices,
    exercise,
    intraday,
    sleep,
    totals,
)
from fitbit_sync.sources.google_health.converters.body import GRAMS_PER_LB
from fitbit_sync.sources.google_health.converters.exercise import exercise_id
from fitbit_sync.sources.google_health.converters.registry import (
    CONVERTERS,
    SKIP_LOG_LIMIT,
    ConvertContext,
    PointConverter,
    axis_time,
    convert,
    converter,
    page_items,
)
from fitbit_sync.sources.google_health.converters.sleep import SLEEP_LEVELS
from fitbit_sync.sources.google_health.converters.tcx import gps_records
from fitbit_sync.sources.google_health.converters.totals import HR_ZONE_NAMES
from fitbit_sync.sources.google_health.converters.values import (
    BadPoint,
    Item,
    int64,
    interval_civil_ms,
    interval_ms,
    member,
    number,
    optional_number,
    parse_date,
    parse_duration_ms,
    parse_time_ms,
    sample_time_ms,
)

__all__ = [
    "CONVERTERS", "GRAMS_PER_LB", "HR_ZONE_NAMES", "SKIP_LOG_LIMIT", "SLEEP_LEVELS", "BadPoint", "ConvertContext",
    "Item", "PointConverter", "axis_time", "convert", "converter", "exercise_id", "gps_records", "int64",
    "interval_civil_ms", "interval_ms", "member", "number", "optional_number", "page_items", "parse_date",
    "parse_duration_ms", "parse_time_ms", "sample_time_ms",
]
