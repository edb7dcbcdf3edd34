"""HealthApiClient over real HTTP against the emulator: data, paging, faults, quota, scopes."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from client_helpers import signed_in

from fitbit_sync import catalog
from fitbit_sync.emulator.testing import EmulatorServer
from fitbit_sync.errors import SourceError
from fitbit_sync.sources.google_health.client import HealthApiClient
from fitbit_sync.sources.google_health.errors import ApiRequestError, MissingScopeError
from support.answer_limits import max_rss_mb, watchdog

DAY = '"2026-05-10T00:00:00Z"', '"2026-05-11T00:00:00Z"'


def hr_filter(start: str = DAY[0], end: str = DAY[1]) -> str:
    field = "heart_rate.sample_time.physical_time"
    return f"{field} >= {start} AND {field} < {end}"


def all_points(client: HealthApiClient, type_id: str, filter: str, page_size: int) -> list[dict[str, Any]]:
    points: list[dict[str, Any]] = []
    for page in client.iter_pages(lambda token: client.list_data_points(type_id, filter=filter, page_size=page_size,
                                                                         page_token=token)):
        points.extend(page.get("dataPoints", []))
    return points


@pytest.fixture
def recorded_sleeps() -> list[float]:
    return []


@pytest.fixture
def client(emulator: EmulatorServer, tmp_path: Path, recorded_sleeps: list[float]) -> HealthApiClient:
    settings, provider = signed_in(emulator, tmp_path, max_retries=6)
    return HealthApiClient(settings, provider, sleep=recorded_sleeps.append)


def test_paging_returns_every_point_once(client: HealthApiClient) -> None:
    whole_day = all_points(client, "heart-rate", hr_filter(), 10_000)
    assert len(whole_day) > 1000
    paged = all_points(client, "heart-rate", hr_filter(), 700)
    assert paged == whole_day  # same points, same (newest first) order
    pages = -(-len(whole_day) // 700)
    assert 1 + pages <= client.calls["list:heart-rate"] <= 2 + pages  # a last page may come back empty
    times = [p["heartRate"]["sampleTime"]["physicalTime"] for p in whole_day]
    assert times == sorted(times, reverse=True)


def test_rollups_profile_settings_devices_tcx(client: HealthApiClient) -> None:
    daily = client.daily_roll_up("steps", {"range": {"start": {"date": {"year": 2026, "month": 5, "day": 1}},
                                                     "end": {"date": {"year": 2026, "month": 5, "day": 8}}},
                                           "windowSizeDays": 1})
    assert len(daily["rollupDataPoints"]) == 7
    day = {"startTime": "2026-05-10T00:00:00Z", "endTime": "2026-05-11T00:00:00Z"}
    hourly = client.roll_up("floors", {"range": day, "windowSize": "3600s"})
    assert 0 < len(hourly["rollupDataPoints"]) <= 24
    assert client.identity()["healthUserId"]
    assert client.profile() is not None and client.user_settings().get("timeZone")
    devices = client.paired_devices()
    assert devices and all("deviceType" in d or "name" in d for d in devices)
    exercises = all_points(client, "exercise", 'exercise.interval.civil_start_time >= "2026-04-01" AND '
                           'exercise.interval.civil_start_time < "2026-05-31"', 25)
    with_gps = [e for e in exercises if e["exercise"].get("exerciseMetadata", {}).get("hasGps")]
    assert with_gps, "the emulator's history should hold a GPS exercise in two months"
    tcx = client.export_exercise_tcx(with_gps[0]["name"].rsplit("/", 1)[-1])
    assert tcx.lstrip().startswith("<?xml") and "</TrainingCenterDatabase>" in tcx


@pytest.mark.reliability
@pytest.mark.parametrize("kind", ["http_429", "http_500", "http_503", "http_504", "reset", "truncate",
                                  "reset_mid_body", "malformed"])
def test_injected_faults_are_retried(kind: str, emulator: EmulatorServer, client: HealthApiClient,
                                     recorded_sleeps: list[float]) -> None:
    expected = client.list_data_points("heart-rate", filter=hr_filter(), page_size=2000)
    emulator.state.set_faults([{"kind": kind, "count": 2}])
    got = client.list_data_points("heart-rate", filter=hr_filter(), page_size=2000)
    assert got == expected
    assert emulator.state.faults.injected.get(kind) == 2
    assert client.calls == {"list:heart-rate": 2, "retry": 2}
    assert len(recorded_sleeps) == 2


@pytest.mark.reliability
def test_a_hanging_server_times_out_and_is_retried(emulator_factory: Callable[..., EmulatorServer],
                                                   tmp_path: Path) -> None:
    server = emulator_factory()
    settings, provider = signed_in(server, tmp_path, request_timeout=0.5)
    server.state.set_faults([{"kind": "hang", "count": 1, "seconds": 3}])
    sleeps: list[float] = []
    with HealthApiClient(settings, provider, sleep=sleeps.append) as client:
        assert client.identity()["healthUserId"]
        assert client.calls == {"identity": 1, "retry": 1}


@pytest.mark.reliability
def test_persistent_faults_give_up_with_one_line(emulator: EmulatorServer, client: HealthApiClient,
                                                 recorded_sleeps: list[float]) -> None:
    emulator.state.set_faults([{"kind": "http_503"}])
    with pytest.raises(SourceError) as info:
        client.identity()
    assert "7 attempts" in str(info.value) and "503" in str(info.value)
    assert len(recorded_sleeps) == 6


def test_bad_filter_is_not_retried(client: HealthApiClient, recorded_sleeps: list[float]) -> None:
    with pytest.raises(ApiRequestError) as info:
        client.list_data_points("heart-rate", filter="heart-rate.sample_time.physical_time >= 1", page_size=10)
    assert info.value.status == 400 and recorded_sleeps == []
    assert client.calls == {"list:heart-rate": 1}


def test_missing_scope_names_it(emulator: EmulatorServer, tmp_path: Path) -> None:
    settings, provider = signed_in(emulator, tmp_path, scopes=(catalog.SCOPE_ACTIVITY,))
    with HealthApiClient(settings, provider) as client:
        assert client.daily_roll_up("steps", {"range": {"start": {"date": {"year": 2026, "month": 5, "day": 1}},
                                                        "end": {"date": {"year": 2026, "month": 5, "day": 2}}},
                                              "windowSizeDays": 1})
        with pytest.raises(MissingScopeError) as info:
            client.list_data_points("heart-rate", filter=hr_filter(), page_size=10)
    assert info.value.scope == catalog.SCOPE_HEALTH and catalog.SCOPE_HEALTH in str(info.value)


def test_retry_after_from_the_server_is_honoured(emulator_factory: Callable[..., EmulatorServer],
                                                 tmp_path: Path) -> None:
    server = emulator_factory(quota_per_minute=5, quota_retry_after=True)
    settings, provider = signed_in(server, tmp_path, quota_per_minute=1000)  # our pacer lets all through
    waits: list[float] = []

    def sleep(seconds: float) -> None:  # instead of waiting, move the emulator's clock
        waits.append(seconds)
        server.state.advance_clock(seconds)

    with HealthApiClient(settings, provider, sleep=sleep, clock=server.state.clock) as client:
        for _ in range(8):
            client.identity()
    assert server.state.quota.refused >= 1
    assert client.calls["retry"] == server.state.quota.refused
    assert waits and all(w >= 1.0 for w in waits)  # Retry-After is whole seconds, at least 1
    assert sum(waits) >= 55  # a full window passed before the 6th request


def test_pacing_keeps_under_the_server_quota(emulator_factory: Callable[..., EmulatorServer],
                                             tmp_path: Path) -> None:
    server = emulator_factory(quota_per_minute=10)
    settings, provider = signed_in(server, tmp_path, quota_per_minute=10)
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        server.state.advance_clock(seconds)

    # one worker: the fake clock jumps while requests are in flight, which real time does not do
    # (threads sharing the pacer are covered in test_client_pacing.py)
    with HealthApiClient(settings, provider, sleep=sleep, clock=server.state.clock) as client:
        for _ in range(35):
            client.identity()
    assert server.state.quota.refused == 0  # no 429 at all
    assert client.calls == {"identity": 35}
    assert sum(waits) >= 3 * 60  # 35 requests at 10 a minute span three more windows


def test_concurrent_workers_get_the_same_data(client: HealthApiClient) -> None:
    windows = [f'"2026-05-10T{h:02d}:00:00Z"' for h in range(0, 24, 3)] + ['"2026-05-11T00:00:00Z"']
    days = list(itertools.pairwise(windows))
    sequential = [client.list_data_points("heart-rate", filter=hr_filter(*day), page_size=10_000) for day in days]
    with ThreadPoolExecutor(4) as pool:
        parallel = list(pool.map(lambda day: client.list_data_points("heart-rate", filter=hr_filter(*day),
                                                                     page_size=10_000), days))
    assert parallel == sequential


@pytest.mark.reliability
def test_an_endless_body_stops_at_the_size_cap_with_bounded_memory(
        emulator_factory: Callable[..., EmulatorServer], tmp_path: Path) -> None:
    server = emulator_factory()
    settings, provider = signed_in(server, tmp_path, max_response_mb=2, max_retries=1)
    server.state.set_faults([{"kind": "endless_body"}])  # chunked, never ends, as fast as we read
    rss_before = max_rss_mb()
    started = time.monotonic()
    with watchdog(server, 6.0), HealthApiClient(settings, provider, sleep=lambda _s: None) as client, \
            pytest.raises(SourceError) as info:
        client.list_data_points("heart-rate", filter=hr_filter(), page_size=10_000)
    assert time.monotonic() - started < 4.0
    assert "2 attempts" in str(info.value) and "over the cap of 2,097,152 bytes" in str(info.value)
    assert "\n" not in str(info.value)
    assert max_rss_mb() - rss_before < 100  # a few MiB of body, never the stream


@pytest.mark.reliability
def test_a_body_bigger_than_the_cap_is_refused_before_it_is_read(
        emulator_factory: Callable[..., EmulatorServer], tmp_path: Path) -> None:
    server = emulator_factory()
    settings, provider = signed_in(server, tmp_path, max_response_mb=1, max_retries=2)
    server.state.set_faults([{"kind": "huge_body", "size": 8 * 1024 * 1024, "count": 2}])
    sleeps: list[float] = []
    with HealthApiClient(settings, provider, sleep=sleeps.append) as client:
        page = client.list_data_points("heart-rate", filter=hr_filter(), page_size=2000)  # the 3rd answer is normal
        assert len(page["dataPoints"]) == 2000
        assert client.calls == {"list:heart-rate": 1, "retry": 2}
        server.state.set_faults([{"kind": "huge_body", "size": 8 * 1024 * 1024}])
        with pytest.raises(SourceError) as info:
            client.list_data_points("heart-rate", filter=hr_filter(), page_size=2000)
    assert "a body of 8,388,608 bytes, over the cap of 1,048,576" in str(info.value)


@pytest.mark.reliability
def test_a_body_that_trickles_forever_ends_at_the_request_deadline(
        emulator_factory: Callable[..., EmulatorServer], tmp_path: Path) -> None:
    server = emulator_factory()
    settings, provider = signed_in(server, tmp_path, request_timeout=5.0, request_deadline=1.0, max_retries=1)
    server.state.set_faults([{"kind": "endless_body", "seconds": 0.2}])  # each chunk well within the timeout
    started = time.monotonic()
    with watchdog(server, 8.0), HealthApiClient(settings, provider, sleep=lambda _s: None) as client, \
            pytest.raises(SourceError) as info:
        client.list_data_points("heart-rate", filter=hr_filter(), page_size=10_000)
    elapsed = time.monotonic() - started
    assert 2.0 <= elapsed < 4.0  # two attempts of one deadline each
    assert "2 attempts" in str(info.value) and "ReadTimeout" in str(info.value)
