"""height and the BMI derived from it: the converter on generated points, BMI from a weigh-in and
the latest height before it whichever stream arrives first, and a height read whole on every plan."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from fitbit_sync.catalog import STREAMS_BY_KEY
from fitbit_sync.emulator.config import EmulatorConfig
from fitbit_sync.emulator.generator import Generator
from fitbit_sync.records import Record
from fitbit_sync.schema import MEASUREMENTS
from fitbit_sync.sources.google_health import planner
from fitbit_sync.sources.google_health.converters import ConvertContext, axis_time, convert, sample_time_ms
from fitbit_sync.stores.base import Coverage

BERLIN = ZoneInfo("Europe/Berlin")
HEIGHT = STREAMS_BY_KEY["height"]
WEIGHT = STREAMS_BY_KEY["weight"]
NOW = int(datetime(2026, 11, 21, 10, 30, tzinfo=UTC).timestamp() * 1000)


@pytest.fixture(scope="module")
def gen() -> Generator:
    return Generator(EmulatorConfig(seed=7, start=date(2025, 11, 1), end=date(2026, 4, 30)))


def points(gen: Generator, type_id: str) -> list[dict[str, Any]]:
    """Every point of ``type_id`` the generator serves, newest first (as ``list`` pages them)."""
    return [p for day in reversed(list(gen.days())) for p in reversed(gen.points(type_id, day))]


def ctx() -> ConvertContext:
    return ConvertContext(device="Charge 6", zone=BERLIN)


def sample(type_id: str, key: str, when: str, value: object) -> dict[str, Any]:
    return {type_id: {"sampleTime": {"physicalTime": when, "utcOffset": "3600s"}, key: value}}


def bmis(records: list[Record]) -> dict[int, float]:
    """BMI by time; a later record of the same time wins, as in every store."""
    return {r.time_ms: r.fields["value"] for r in records if r.measurement == "bmi"}


def test_height_points_become_metres_newest_first(gen: Generator) -> None:
    heights = points(gen, "height")
    assert len(heights) >= 2
    records = convert(HEIGHT, heights, ctx())
    assert [r.measurement for r in records] == ["height"] * len(heights)  # no weigh-ins yet: no BMI
    for record, point in zip(records, heights, strict=True):
        assert record.fields == {"value": int(point["height"]["heightMillimeters"]) / 1000}
        assert record.tags == {"Device": "Charge 6"}
        assert set(record.fields) <= set(MEASUREMENTS["height"].field_names)
    times = [axis_time(HEIGHT, p) for p in heights]
    assert times == sorted(times, reverse=True)  # type: ignore[type-var]


@pytest.mark.parametrize("height_first", [True, False], ids=["height-first", "weight-first"])
def test_bmi_is_weight_over_the_latest_height_before_it(gen: Generator, height_first: bool) -> None:
    """The two streams run in parallel: the same BMI whichever is converted first."""
    context = ctx()
    heights, weights = points(gen, "height"), points(gen, "weight")
    order = [(HEIGHT, heights), (WEIGHT, weights)] if height_first else [(WEIGHT, weights), (HEIGHT, heights)]
    records = [r for stream, items in order for r in convert(stream, items, context)]
    assert not context.skipped
    entered = sorted((sample_time_ms(p["height"]["sampleTime"]), int(p["height"]["heightMillimeters"]) / 1000)
                     for p in heights)
    expected = {}
    for p in weights:
        when = sample_time_ms(p["weight"]["sampleTime"])
        before = [m for t, m in entered if t <= when]
        if before:
            expected[when] = round(float(p["weight"]["weightGrams"]) / 1000 / before[-1] ** 2, 2)
    assert 0 < len(expected) < len(weights)  # weigh-ins before the first height have no BMI
    assert bmis(records) == expected
    assert all(abs(bmi - 23.5) < 6 for bmi in expected.values())


def test_a_better_height_arriving_later_replaces_the_bmi() -> None:
    """Out of order (oldest height last), each weigh-in ends with the latest height before it."""
    context = ctx()
    weigh = sample("weight", "weightGrams", "2026-03-10T07:00:00Z", 80_000.0)
    old = sample("height", "heightMillimeters", "2026-01-01T08:00:00Z", "2000")
    new = sample("height", "heightMillimeters", "2026-03-01T08:00:00Z", "1600")
    records = convert(WEIGHT, [weigh], context) + convert(HEIGHT, [old], context) + convert(HEIGHT, [new], context)
    assert [r.fields["value"] for r in records if r.measurement == "bmi"] == [20.0, 31.25]
    later = convert(HEIGHT, [sample("height", "heightMillimeters", "2026-02-01T08:00:00Z", "1700")], context)
    assert bmis(later) == {}  # not the latest before the weigh-in: nothing to replace


@pytest.mark.parametrize("value", ["0", "12000", "abc", None])
def test_an_impossible_height_is_skipped(value: object) -> None:
    context = ctx()
    assert convert(HEIGHT, [sample("height", "heightMillimeters", "2026-01-01T08:00:00Z", value)], context) == []
    assert context.skipped == {"height": 1}


def test_a_backfill_and_a_first_sync_read_height_whole() -> None:
    """One request from the start of time to now, whatever the backfill's range or coverage; a
    first sync too; later syncs from the bookmark like any stream. No catch-up mark for it."""
    covered = {"height": [Coverage(planner.SOURCE, "height", 0, NOW - 1000, NOW - 1000)]}
    for requests in (planner.plan_range([HEIGHT], date(2026, 11, 1), date(2026, 11, 2), covered, NOW, BERLIN),
                     planner.plan_incremental([HEIGHT], {}, NOW, BERLIN)):
        assert [(r.stream.key, r.start_ms, r.end_ms) for r in requests] == [("height", 0, NOW)]
        assert requests[0].list_filter() == ('height.sample_time.physical_time >= "1970-01-01T00:00:00Z" AND '
                                             f'height.sample_time.physical_time < "{planner.rfc3339_from_ms(NOW)}"')
        assert planner.catchup_marks([HEIGHT], requests, {"height": 5}) == {}
        assert planner.minimum_calls(requests[0], 4) == 1
    (later,) = planner.plan_incremental([HEIGHT], covered, NOW, BERLIN)
    assert (later.start_ms, later.end_ms) == (NOW - 1000 - planner.SETTLE_INTRADAY_MS, NOW)


def test_heights_seen_are_kept_for_later_runs() -> None:
    """A sync reads height from its bookmark: the heights earlier runs saw (kept in the store's
    state) give its weigh-ins their BMI."""
    first = ctx()
    convert(HEIGHT, [sample("height", "heightMillimeters", "2026-01-01T08:00:00Z", "1800")], first)
    later = ctx()
    later.body.load_heights(first.body.heights_text())
    weigh = sample("weight", "weightGrams", "2026-03-10T07:00:00Z", 81_000.0)
    assert bmis(convert(WEIGHT, [weigh], later)) == {sample_time_ms(weigh["weight"]["sampleTime"]): 25.0}
    for junk in (None, "", "{", '[["x", 1]]', "[1]"):
        fresh = ctx()
        fresh.body.load_heights(junk)
        assert fresh.body.heights == []


def test_heights_every_few_months_are_one_page_for_a_lifetime() -> None:
    days = NOW // planner.DAY_MS
    assert planner.expected_pages(HEIGHT, 0, NOW) * HEIGHT.page_size == pytest.approx(days / 91, rel=0.01)
    assert len(planner.split_gap(HEIGHT, 0, NOW, parallel=4)) == 1
