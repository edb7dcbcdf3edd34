"""vo2-max samples: the converter on the points the emulator serves, and its rules."""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from fitbit_sync.catalog import STREAMS_BY_KEY
from fitbit_sync.emulator.config import EmulatorConfig
from fitbit_sync.emulator.generator import Generator
from fitbit_sync.sources.google_health.converters import ConvertContext, convert, parse_time_ms

VO2 = STREAMS_BY_KEY["vo2-max"]
DAILY = STREAMS_BY_KEY["daily-vo2-max"]


def ctx() -> ConvertContext:
    return ConvertContext(device="Charge 6", zone=ZoneInfo("Europe/Berlin"))


def point(value: object, method: object = "FITBIT_RUN") -> dict[str, Any]:
    body: dict[str, Any] = {"sampleTime": {"physicalTime": "2026-02-10T07:31:00Z", "utcOffset": "3600s"},
                            "vo2Max": value}
    if method is not None:
        body["measurementMethod"] = method
    return {"vo2Max": body}


def test_samples_are_the_daily_estimate_at_their_own_time() -> None:
    gen = Generator(EmulatorConfig(seed=7, start=date(2026, 1, 1), end=date(2026, 2, 28)))
    days = list(gen.days())
    samples = [p for day in days for p in gen.points("vo2-max", day)]
    daily = [p for day in days for p in gen.points("daily-vo2-max", day)]
    assert len(samples) == len(daily) > 50  # one a worn day
    records = convert(VO2, samples, ctx())
    scores = convert(DAILY, daily, ctx())
    assert [r.measurement for r in records] == ["VO2 Max Samples"] * len(samples)
    assert [r.fields["value"] for r in records] == [r.fields["vo2Max"] for r in scores]
    assert [r.time_ms for r in records] == [parse_time_ms(p["vo2Max"]["sampleTime"]["physicalTime"])
                                            for p in samples]
    assert {r.fields["method"] for r in records} <= {"FITBIT_RUN", "GOOGLE_DEMOGRAPHIC"}
    assert all(r.date is None and r.tags == {"Device": "Charge 6"} for r in records)


def test_a_sample_without_a_method_keeps_its_value() -> None:
    (record,) = convert(VO2, [point("44.5", None)], ctx())
    assert record.fields == {"value": 44.5}


@pytest.mark.parametrize(("value", "method"), [(None, "FITBIT_RUN"), (0, "FITBIT_RUN"), (140.0, "OTHER"),
                                               ("fast", "OTHER"), (45.0, 3)])
def test_a_bad_sample_is_skipped(value: object, method: object) -> None:
    context = ctx()
    assert convert(VO2, [point(value, method)], context) == []
    assert context.skipped == {"vo2-max": 1}
