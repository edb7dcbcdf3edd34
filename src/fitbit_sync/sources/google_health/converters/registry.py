"""The converter registry: one point converter per stream key, and what runs them.

``convert`` turns the items of one response page into records and counts a malformed point as
skipped (``ConvertContext.skipped``), never fatal; ``page_items`` finds the items of a page;
``axis_time`` says where an item sits on its stream's planner axis (the engine records coverage
from it). Converters register themselves with ``@converter(key, ...)`` (also for converters made
by a factory: ``converter(key)(factory(...))``), in the modules of this package by record kind.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import time as dtime
from typing import Any
from zoneinfo import ZoneInfo

from fitbit_sync.catalog import Stream
from fitbit_sync.records import Record
from fitbit_sync.schema import DEVICE_TAG
from fitbit_sync.sources.google_health.converters.derived import BodyHistory
from fitbit_sync.sources.google_health.converters.values import (
    EPOCH_DATE,
    BadPoint,
    Item,
    civil_ms,
    exact_ms,
    interval_civil_ms,
    interval_ms,
    member,
    number,
    parse_date,
    parse_time_ms,
    sample_time_ms,
)

log = logging.getLogger("fitbit_sync.sources.google_health.converters")

DAY_MS = 86_400_000
SKIP_LOG_LIMIT = 5  # warnings per stream and run; the rest are only counted

@dataclass
class ConvertContext:
    """What converters need besides the JSON: the Device tag, the user's zone, (for exercise
    GPS) a way to fetch TCX files, and the run's heights and weigh-ins (for BMI). ``skipped``
    counts points dropped per stream key."""

    device: str
    zone: ZoneInfo
    fetch_tcx: Callable[[str], str | None] | None = None
    skipped: Counter[str] = field(default_factory=Counter)
    body: BodyHistory = field(default_factory=BodyHistory)
    _midnights: dict[date, int] = field(default_factory=dict, repr=False)

    @property
    def tags(self) -> dict[str, str]:
        return {DEVICE_TAG: self.device}

    def local_midnight_ms(self, day: date) -> int:
        ms = self._midnights.get(day)
        if ms is None:
            ms = exact_ms(datetime.combine(day, dtime(), tzinfo=self.zone))
            self._midnights[day] = ms
        return ms

    def skip(self, stream: Stream, reason: str) -> None:
        self.skip_named(stream.key, reason)

    def skip_named(self, key: str, reason: str) -> None:
        self.skipped[key] += 1
        count = self.skipped[key]
        if count <= SKIP_LOG_LIMIT:
            log.warning("%s: skipped a malformed data point (%s)", key, reason)
        elif count == SKIP_LOG_LIMIT + 1:
            log.warning("%s: more malformed data points; counting them silently", key)



PointConverter = Callable[[Item, ConvertContext], Iterable[Record]]
CONVERTERS: dict[str, PointConverter] = {}


def converter(*keys: str) -> Callable[[PointConverter], PointConverter]:
    """Register the decorated function (or a made one: ``converter(key)(fn)``) for ``keys``."""

    def register(fn: PointConverter) -> PointConverter:
        for key in keys:
            if key in CONVERTERS:
                raise ValueError(f"two converters for stream {key!r}")
            CONVERTERS[key] = fn
        return fn

    return register


def page_items(stream: Stream, page: Any) -> list[Item]:
    """The items of one response page: ``dataPoints``, ``rollupDataPoints`` or ``pairedDevices``."""
    key = {"list": "dataPoints", "rollUp": "rollupDataPoints", "dailyRollUp": "rollupDataPoints",
           "pairedDevices": "pairedDevices"}[stream.method]
    if isinstance(page, list):
        items = page
    elif isinstance(page, dict):
        items = page.get(key) or []
    else:
        raise BadPoint("response page is not a JSON object")
    if not isinstance(items, list):
        raise BadPoint(f"{key} is not a list")
    return items


def convert(stream: Stream, items: Iterable[Item], ctx: ConvertContext) -> list[Record]:
    """Records of ``items`` (one page of ``stream``); bad points are skipped and counted."""
    fn = CONVERTERS.get(stream.key)
    if fn is None:
        raise KeyError(f"no converter for stream {stream.key!r}")
    records: list[Record] = []
    for item in items:
        try:
            records.extend(fn(item, ctx))
        except (BadPoint, KeyError, TypeError, ValueError, AttributeError) as exc:
            ctx.skip(stream, str(exc) or type(exc).__name__)
    return records



def axis_time(stream: Stream, item: Item) -> int | None:
    """Where ``item`` sits on ``stream``'s planner axis (None if unreadable): the key the API
    pages by, used to record coverage after each page. An interval or session sits at its start,
    on the civil axis when the stream's filter speaks civil time."""
    try:
        if stream.method == "list":
            body = member(item, stream.json_key)
            if stream.kind == "daily":
                return (parse_date(body.get("date")) - EPOCH_DATE).days * DAY_MS
            if stream.kind == "sample":
                return sample_time_ms(body.get("sampleTime"))
            if stream.axis == "civil":
                return interval_civil_ms(body.get("interval"))
            return interval_ms(body.get("interval"))
        if stream.method == "rollUp":
            return parse_time_ms(item.get("startTime"))
        if stream.method == "dailyRollUp":
            return civil_ms(item.get("civilStartTime"))
    except (BadPoint, TypeError, ValueError, KeyError, AttributeError):
        return None
    return None


def record(measurement: str, time_ms: int, fields: dict[str, Any], ctx: ConvertContext,
           extra_tags: dict[str, str] | None = None, day: date | None = None) -> Record:
    """A record with the Device tag (and ``extra_tags``)."""
    tags = {DEVICE_TAG: ctx.device}
    if extra_tags:
        tags.update(extra_tags)
    return Record(measurement, time_ms, fields, tags, day.isoformat() if day else None)


def daily(measurement: str, day: date, fields: dict[str, Any], ctx: ConvertContext) -> Record:
    """A daily value: keyed by its civil date, at local midnight of that date."""
    return Record(measurement, ctx.local_midnight_ms(day), fields, {DEVICE_TAG: ctx.device}, day.isoformat())


def sample_value(key: str, measurement: str, value_key: str) -> PointConverter:
    """A sampled type with one required number, stored as ``value`` at its sample time."""

    def fn(item: Item, ctx: ConvertContext) -> Iterable[Record]:
        body = member(item, key)
        return (Record(measurement, sample_time_ms(body.get("sampleTime")), {"value": number(body.get(value_key))},
                       ctx.tags),)

    return fn


def rollup_day(item: Item) -> date:
    """The civil day of a dailyRollUp item."""
    civil = item.get("civilStartTime")
    if not isinstance(civil, dict):
        raise BadPoint("no civilStartTime")
    return parse_date(civil.get("date"))
