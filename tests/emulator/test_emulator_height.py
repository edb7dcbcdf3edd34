"""height: an adult height entered by hand every few months, served by list, reconcile and get."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from emulator_discovery import response_schema, validate
from emulator_helpers import DP, InProcessClient, list_all

from fitbit_sync.emulator.config import EmulatorConfig
from fitbit_sync.emulator.generator import Generator
from fitbit_sync.emulator.state import EmulatorState
from fitbit_sync.emulator.testing import DEFAULT_TEST_CONFIG


@pytest.fixture(scope="module")
def gen() -> Generator:
    return Generator(EmulatorConfig(**DEFAULT_TEST_CONFIG))


@pytest.fixture(scope="module")
def heights(gen: Generator) -> list[tuple[date, dict[str, Any]]]:
    return [(day, point) for day in gen.days() for point in gen.points("height", day)]


def test_a_height_every_few_months(gen: Generator, heights: list[tuple[date, dict[str, Any]]]) -> None:
    days = [day for day, _point in heights]
    assert 3 <= len(days) <= 5  # one in each 91-day block
    assert days[0] - gen.first_day < timedelta(days=182)
    assert gen.last_day - days[-1] < timedelta(days=182)
    assert all(timedelta(days=1) <= b - a <= timedelta(days=181) for a, b in itertools.pairwise(days))
    adult = gen.person.height_mm
    values = [int(point["height"]["heightMillimeters"]) for _day, point in heights]
    assert all(abs(v - adult) <= 5 for v in values)
    assert values.count(adult) >= len(values) / 2  # re-measurements are rare


def test_height_points_validate_and_are_manual_entries(
    gen: Generator, heights: list[tuple[date, dict[str, Any]]]
) -> None:
    for day, point in heights:
        validate(point, "DataPoint")
        assert set(point["height"]) == {"sampleTime", "heightMillimeters"}
        assert point["dataSource"] == {"recordingMethod": "MANUAL", "platform": "FITBIT"}
        assert date(**point["height"]["sampleTime"]["civilTime"]["date"]) == day
        point_id = point["name"].rsplit("/", 1)[-1]
        assert len(point_id) == 19 and point_id.isdigit()
        rec = gen.find("height", point_id)
        assert rec is not None and gen.render("height", rec) == point
    for day, _point in heights:
        for reconciled in gen.points("height", day, reconciled=True):
            validate(reconciled, "ReconciledDataPoint")


def test_height_depends_on_seed_and_day_only(heights: list[tuple[date, dict[str, Any]]]) -> None:
    later = Generator(EmulatorConfig(**{**DEFAULT_TEST_CONFIG, "start": date(2025, 9, 1), "end": date(2027, 3, 1)}))
    for day, point in heights:
        if day >= date(2025, 9, 1):
            assert later.points("height", day) == [point]
    other_seed = Generator(EmulatorConfig(**{**DEFAULT_TEST_CONFIG, "seed": 8}))
    assert [d for d in other_seed.days() if other_seed.records("height", d)] != [d for d, _p in heights]


def test_bmi_from_weight_and_height_is_plausible(gen: Generator, heights: list[tuple[date, dict[str, Any]]]) -> None:
    meters = int(heights[0][1]["height"]["heightMillimeters"]) / 1000
    weights = [p["weight"]["weightGrams"] / 1000 for d in list(gen.days())[:60] for p in gen.points("weight", d)]
    assert weights
    assert all(18.5 <= kg / meters**2 <= 30 for kg in weights)


def test_height_over_the_api(api: InProcessClient, state: EmulatorState) -> None:
    gen = state.generator
    first, last = gen.first_day, gen.last_day + timedelta(days=1)
    flt = f'height.sample_time.civil_time >= "{first}" AND height.sample_time.civil_time < "{last}"'
    response = api.get(DP.format("height"), params={"filter": flt})
    validate(response.json(), response_schema("health.users.dataTypes.dataPoints.list"))
    listed = list_all(api, "height", flt, pageSize=2)  # several pages
    expected = [p for day in reversed(list(gen.days())) for p in gen.points("height", day)]
    assert listed == expected and len(listed) >= 3
    reconciled = list_all(api, "height", flt, reconcile=True)
    assert [p["dataPointName"] for p in reconciled] == [p["name"] for p in listed]
    assert [p["height"] for p in reconciled] == [p["height"] for p in listed]
    for point in listed:
        response = api.get(DP.format("height") + "/" + point["name"].rsplit("/", 1)[-1])
        assert response.status_code == 200 and response.json() == point
        validate(response.json(), response_schema("health.users.dataTypes.dataPoints.get"))
    assert list_all(api, "height", flt, dataSourceFamily="users/me/dataSourceFamilies/google-wearables") == []
    oldest = datetime.fromisoformat(listed[-1]["height"]["sampleTime"]["physicalTime"].replace("Z", "+00:00"))
    for at, want in ((oldest, listed), (oldest + timedelta(seconds=1), listed[:-1])):
        physical = f'height.sample_time.physical_time >= "{at:%Y-%m-%dT%H:%M:%SZ}"'
        assert list_all(api, "height", physical) == want
