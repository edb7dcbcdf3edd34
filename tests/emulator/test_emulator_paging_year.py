"""Over real HTTP: a year of heart rate pages through exactly once; one day is fast."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import date, timedelta
from itertools import islice

import httpx
import orjson
import pytest
from emulator_discovery import response_schema, validate

from fitbit_sync.emulator.generator.render import rfc3339
from fitbit_sync.emulator.testing import EmulatorServer

HR = "/v4/users/me/dataTypes/heart-rate/dataPoints"
PHYSICAL = re.compile(rb'"physicalTime":"([^"]+)"')


def civil_filter(first: date, end: date) -> str:
    return f'heart_rate.sample_time.civil_time >= "{first}" AND heart_rate.sample_time.civil_time < "{end}"'


@pytest.mark.slow
def test_a_year_of_heart_rate_pages_through_every_point_exactly_once(emulator: EmulatorServer) -> None:
    gen = emulator.generator
    emulator.state.set_quota(100_000)
    first, last = gen.first_day, gen.last_day
    assert (last - first).days >= 364

    def generated() -> Iterator[str]:
        """Every generated sample's time, newest first (the order the API promises)."""
        day = last
        while day >= first:
            # fetched right after the server served the day, so it comes from the generator's cache
            for rec in reversed(gen.records("heart-rate", day)):
                yield rfc3339(rec[0])
            day -= timedelta(days=1)

    expected = generated()
    flt = civil_filter(first, last + timedelta(days=1))
    token = ""
    pages = points = 0
    with emulator.client(timeout=60.0) as http:
        while True:
            params = {"filter": flt, "pageSize": "10000", **({"pageToken": token} if token else {})}
            response = http.get(HR, params=params)
            assert response.status_code == 200, response.text
            body = response.content
            if pages == 0:
                validate(orjson.loads(body), response_schema("health.users.dataTypes.dataPoints.list"))
            pages += 1
            found = PHYSICAL.findall(body)
            assert len(found) == body.count(b'"heartRate":{')
            # the page holds exactly the next len(found) generated samples, in order
            assert b"|".join(found) == "|".join(islice(expected, len(found))).encode(), f"page {pages}"
            points += len(found)
            token = orjson.loads(b"{" + body[body.rindex(b'"nextPageToken"') :])["nextPageToken"]
            if not token:
                break
    assert next(expected, None) is None  # nothing generated was left out
    assert points > 360 * 15_000
    assert pages == -(-points // 10000)


def test_one_day_of_five_second_heart_rate_two_pages_fast(emulator: EmulatorServer) -> None:
    gen = emulator.generator
    day = next(d for d in gen.days() if d.month == 11 and gen.worn(d) and not gen.exercise_ids(d))
    flt = civil_filter(day, day + timedelta(days=1))
    with emulator.client() as http:
        started = time.perf_counter()
        points = pages = 0
        token = ""
        while True:
            params = {"filter": flt, "pageSize": "10000", **({"pageToken": token} if token else {})}
            body = orjson.loads(http.get(HR, params=params).content)
            points += len(body["dataPoints"])
            pages += 1
            token = body["nextPageToken"]
            if not token:
                break
        elapsed = time.perf_counter() - started
    assert 15_000 < points < 18_000 and pages == 2
    # Typically 0.2-0.5 s including generation and client-side parsing (see docs/emulator.md);
    # the bound leaves room for a loaded CI machine.
    assert elapsed < 2.0, elapsed


def test_client_timeout_is_not_needed_for_pagination(emulator: EmulatorServer) -> None:
    # A page of 10,000 points is one plain response: no streaming, Content-Length set.
    with emulator.client() as http:
        day = date(2025, 11, 4)
        response = http.get(HR, params={"filter": civil_filter(day, day + timedelta(days=1)), "pageSize": 10000})
        assert int(response.headers["content-length"]) == len(response.content)
        assert response.headers["content-type"].startswith("application/json")
        assert isinstance(response, httpx.Response)
