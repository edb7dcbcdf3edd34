"""Per-user quota and injected faults, over real HTTP."""

from __future__ import annotations

import time
from typing import Any

import httpx
import orjson
import pytest
from emulator_discovery import validate_error

from fitbit_sync.emulator.faults import FaultRule
from fitbit_sync.emulator.testing import EmulatorServer

IDENTITY = "/v4/users/me/identity"


@pytest.fixture
def http(emulator: EmulatorServer) -> httpx.Client:
    with emulator.client(timeout=10.0) as client:
        yield client  # type: ignore[misc]


def test_request_301_within_a_minute_gets_429(emulator: EmulatorServer, http: httpx.Client) -> None:
    assert emulator.state.quota.limit == 300
    statuses = [http.get(IDENTITY).status_code for _ in range(300)]
    assert statuses == [200] * 300
    refused = http.get(IDENTITY)
    assert refused.status_code == 429
    body = refused.json()
    validate_error(body)
    assert body["error"]["status"] == "RESOURCE_EXHAUSTED" and body["error"]["code"] == 429
    info = body["error"]["details"][0]
    assert info["reason"] == "RATE_LIMIT_EXCEEDED" and info["metadata"]["quota_limit_value"] == "300"
    assert "retry-after" not in refused.headers  # not documented by Google
    # refused requests do not use up quota; the window slides with the clock
    emulator.state.advance_clock(61)
    assert http.get(IDENTITY).status_code == 200
    stats = httpx.get(emulator.base_url + "/_emulator/stats").json()
    assert stats["by_status"] == {"200": 301, "429": 1} and stats["by_method"]["health.users.getIdentity"] == 302


def test_quota_is_configurable_and_can_send_retry_after(emulator_factory: Any) -> None:
    server = emulator_factory(quota_per_minute=5, quota_retry_after=True)
    with server.client() as http:
        assert [http.get(IDENTITY).status_code for _ in range(6)] == [200] * 5 + [429]
        assert 1 <= int(http.get(IDENTITY).headers["retry-after"]) <= 60
        httpx.post(server.base_url + "/_emulator/control", json={"quota_per_minute": 10}).raise_for_status()
        assert http.get(IDENTITY).status_code == 200


def test_oauth_and_admin_requests_do_not_use_quota(emulator_factory: Any) -> None:
    server = emulator_factory(quota_per_minute=2)
    for _ in range(5):
        server.issue_tokens()
        httpx.get(server.base_url + "/_emulator/stats")
        httpx.post(server.token_url, data={})
    with server.client() as http:
        assert [http.get(IDENTITY).status_code for _ in range(3)] == [200, 200, 429]


@pytest.mark.parametrize(
    ("kind", "status", "google_status"),
    [
        ("http_429", 429, "RESOURCE_EXHAUSTED"),
        ("http_500", 500, "INTERNAL"),
        ("http_503", 503, "UNAVAILABLE"),
        ("http_504", 504, "DEADLINE_EXCEEDED"),
    ],
)
def test_error_faults(emulator: EmulatorServer, http: httpx.Client, kind: str, status: int, google_status: str) -> None:
    emulator.state.set_faults([FaultRule(kind, count=3)])
    responses = [http.get(IDENTITY) for _ in range(4)]
    assert [r.status_code for r in responses] == [status] * 3 + [200]
    validate_error(responses[0].json())
    assert responses[0].json()["error"]["status"] == google_status
    assert emulator.state.stats.snapshot()["faults"] == {kind: 3}


def test_connection_reset(emulator: EmulatorServer, http: httpx.Client) -> None:
    emulator.state.set_faults([FaultRule("reset", count=1)])
    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
        http.get(IDENTITY)
    assert http.get(IDENTITY).status_code == 200


def test_reset_in_the_middle_of_the_body(emulator: EmulatorServer, http: httpx.Client) -> None:
    emulator.state.set_faults([FaultRule("reset_mid_body", count=1)])
    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
        http.get(IDENTITY)
    assert http.get(IDENTITY).status_code == 200


def test_hang_past_the_client_timeout(emulator: EmulatorServer, http: httpx.Client) -> None:
    emulator.state.set_faults([FaultRule("hang", count=1, seconds=20)])
    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        http.get(IDENTITY, timeout=0.5)
    assert time.monotonic() - started < 5
    assert http.get(IDENTITY).status_code == 200


def test_truncated_and_malformed_json(emulator: EmulatorServer, http: httpx.Client) -> None:
    emulator.state.set_faults([FaultRule("truncate", count=1), FaultRule("malformed", count=1)])
    truncated = http.get(IDENTITY)
    assert truncated.status_code == 200
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(truncated.content)
    malformed = http.get(IDENTITY)
    assert malformed.status_code == 200
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(malformed.content)
    assert orjson.loads(http.get(IDENTITY).content)["name"] == "users/me/identity"


def test_latency(emulator: EmulatorServer, http: httpx.Client) -> None:
    emulator.state.set_faults([FaultRule("latency", seconds=0.3, count=1)])
    started = time.monotonic()
    assert http.get(IDENTITY).status_code == 200
    assert time.monotonic() - started >= 0.3


def test_probabilistic_faults_are_seeded(emulator: EmulatorServer, http: httpx.Client) -> None:
    def pattern() -> list[int]:
        emulator.state.set_faults([FaultRule("http_503", probability=0.3)], seed=42)
        return [http.get(IDENTITY).status_code for _ in range(40)]

    first = pattern()
    assert first == pattern()
    assert 3 <= first.count(503) <= 25


def test_after_and_path_prefix(emulator: EmulatorServer, http: httpx.Client) -> None:
    emulator.state.set_faults([FaultRule("http_500", after=2, count=1, path_prefix="/v4/users/me/identity")])
    assert [http.get(IDENTITY).status_code for _ in range(4)] == [200, 200, 500, 200]
    emulator.state.set_faults([FaultRule("http_503", path_prefix="/token")])
    assert http.get(IDENTITY).status_code == 200
    assert httpx.post(emulator.token_url, data={}).status_code == 503


def test_control_endpoint(emulator: EmulatorServer, http: httpx.Client) -> None:
    control = emulator.base_url + "/_emulator/control"
    state = httpx.post(control, json={"faults": [{"kind": "http_503", "count": 1}], "advance_clock": 10}).json()
    assert state["faults"][0]["kind"] == "http_503" and state["clock_offset_seconds"] == 10
    assert http.get(IDENTITY).status_code == 503
    assert httpx.post(control, json={"clear_faults": True}).json()["faults"] == []
    assert httpx.post(control, json={"bogus": 1}).status_code == 400
    assert httpx.post(control, json={"faults": [{"kind": "explode"}]}).status_code == 400
    got = httpx.post(control, json={"set_clock": "2026-01-01T00:00:00Z"}).json()
    assert got["now"].startswith("2026-01-01T00:00:0")
    described = httpx.get(control).json()
    assert described["client_id"] == emulator.client_id and described["time_zones"][0]["zone"] == "Europe/Berlin"
    assert httpx.get(emulator.base_url + "/_emulator/health").json()["ok"] is True


def test_fault_rule_parsing() -> None:
    assert FaultRule.parse("http_503:0.05") == FaultRule("http_503", probability=0.05)
    assert FaultRule.parse("latency:1:0.25").duration == 0.25
    assert FaultRule.parse("hang").duration == 30.0
    for bad in ("explode", "http_503:x", "http_503:2", "a:b:c:d"):
        with pytest.raises(ValueError):
            FaultRule.parse(bad)


def test_empty_pages_with_a_token(emulator: EmulatorServer, http: httpx.Client) -> None:
    url = "/v4/users/me/dataTypes/steps/dataPoints"
    flt = 'steps.interval.civil_start_time >= "2025-07-01" AND steps.interval.civil_start_time < "2025-07-03"'
    plain = http.get(url, params={"filter": flt, "pageSize": 1000}).json()
    emulator.state.set_faults([FaultRule("empty_page", count=2)])
    first = http.get(url, params={"filter": flt, "pageSize": 1000}).json()
    assert "dataPoints" not in first and first["nextPageToken"]
    second = http.get(url, params={"filter": flt, "pageSize": 1000, "pageToken": first["nextPageToken"]}).json()
    assert "dataPoints" not in second and second["nextPageToken"]
    third = http.get(url, params={"filter": flt, "pageSize": 1000, "pageToken": second["nextPageToken"]}).json()
    assert third["dataPoints"] == plain["dataPoints"]
    assert http.get("/v4/users/me/identity").status_code == 200  # other methods are unaffected


def test_huge_body_is_the_real_answer_padded_to_its_size(emulator: EmulatorServer, http: httpx.Client) -> None:
    expected = http.get(IDENTITY).json()
    emulator.state.set_faults([FaultRule("huge_body", count=1, size=3_000_000)])
    with http.stream("GET", IDENTITY) as response:
        assert response.status_code == 200 and response.headers["content-length"] == "3000000"
        body = response.read()
    assert len(body) == 3_000_000 and orjson.loads(body) == expected  # padding is whitespace: still valid JSON
    assert http.get(IDENTITY).json() == expected


def test_endless_body_streams_until_the_client_goes_away(emulator: EmulatorServer, http: httpx.Client) -> None:
    emulator.state.set_faults([FaultRule("endless_body", count=1)])
    received = 0
    with http.stream("GET", IDENTITY) as response:
        assert response.status_code == 200 and "content-length" not in response.headers
        for chunk in response.iter_raw():
            received += len(chunk)
            if received > 5_000_000:
                break
    assert received > 5_000_000
    assert http.get(IDENTITY).status_code == 200  # the server is not stuck sending to nobody
    started = time.monotonic()
    while emulator.state.stats.faults.get("endless_body") != 1:  # recorded once the stream ended
        assert time.monotonic() - started < 5
        time.sleep(0.02)
