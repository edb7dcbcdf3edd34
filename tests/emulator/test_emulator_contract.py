"""Contract tests against Google's discovery document (health.v4.json from google-api-python-client).

Every route the emulator serves is a method of the document (same id, verb and path), every
query parameter it accepts is one of that method's (or a standard system parameter), and every
response body it returns validates against the method's response schema.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import orjson
import pytest
from emulator_discovery import discovery, methods, response_schema, validate, validate_error
from emulator_helpers import InProcessClient

from fitbit_sync.emulator import api as api_module
from fitbit_sync.emulator.datatypes import (
    DAILY_ROLLUP,
    LIST,
    RECONCILE,
    ROLLUP,
    SCOPE_PREFIX,
    TYPES,
)
from fitbit_sync.emulator.generator import Generator
from fitbit_sync.emulator.state import EmulatorState

DP = "/v4/users/me/dataTypes/{}/dataPoints"


def test_every_route_is_a_discovery_method() -> None:
    by_id = methods()
    for route in api_module.ROUTES:
        method = by_id.get(route.method_id)
        assert method is not None, route.method_id
        assert method["httpMethod"] == route.http_method, route.method_id
        assert method["flatPath"] == route.template, (method["flatPath"], route.template)
        query_params = {name for name, p in method.get("parameters", {}).items() if p["location"] == "query"}
        assert set(route.query) <= query_params, (route.method_id, set(route.query) - query_params)


def test_every_user_method_of_the_document_is_routed() -> None:
    routed = {r.method_id for r in api_module.ROUTES}
    user_methods = {m for m in methods() if m.startswith("health.users.")}
    assert user_methods == routed


def test_system_parameters_and_aliases_are_known() -> None:
    assert set(discovery()["parameters"]) == api_module.SYSTEM_PARAMS
    all_params = {name for m in methods().values() for name in m.get("parameters", {})}
    assert set(api_module.SNAKE_ALIASES.values()) <= all_params
    for snake, camel in api_module.SNAKE_ALIASES.items():
        assert snake.replace("_", "") == camel.lower()


def test_scopes_are_the_documents() -> None:
    doc_scopes = set(discovery()["auth"]["oauth2"]["scopes"])
    for spec in TYPES.values():
        if spec.scope != "nutrition":  # nutrition.readonly is offered by Google but missing from DISC
            assert spec.read_scope in doc_scopes, spec.path_id


def test_every_type_is_a_data_point_member() -> None:
    data_point = discovery()["schemas"]["DataPoint"]["properties"]
    rollup = discovery()["schemas"]["RollupDataPoint"]["properties"]
    daily = discovery()["schemas"]["DailyRollupDataPoint"]["properties"]
    reconciled = discovery()["schemas"]["ReconciledDataPoint"]["properties"]
    for spec in TYPES.values():
        if LIST in spec.ops:
            assert spec.json_key in data_point, spec.path_id
        if RECONCILE in spec.ops:
            assert spec.json_key in reconciled, spec.path_id
        if ROLLUP in spec.ops:
            assert spec.json_key in rollup, spec.path_id
        if DAILY_ROLLUP in spec.ops:
            assert spec.json_key in daily, spec.path_id


def _interesting_days(gen: Generator) -> list[date]:
    wanted = {"gps": None, "nap": None, "classic": None, "manual": None, "pause": None, "swim": None, "height": None}
    for day in gen.days():
        plan = gen.plan(day)
        if not plan.worn:
            continue
        if wanted["gps"] is None and any(e.gps for e in plan.exercises):
            wanted["gps"] = day
        if wanted["nap"] is None and plan.nap:
            wanted["nap"] = day
        if wanted["classic"] is None and plan.sleep_classic:
            wanted["classic"] = day
        if wanted["manual"] is None and plan.weigh_in and plan.weigh_in.manual:
            wanted["manual"] = day
        if wanted["pause"] is None and any(s.pause for s in gen.exercises(day)):
            wanted["pause"] = day
        if wanted["swim"] is None and any(e.kind == "SWIMMING" for e in plan.exercises):
            wanted["swim"] = day
        if wanted["height"] is None and gen.records("height", day):
            wanted["height"] = day
        if all(wanted.values()):
            break
    # DST (25 h), flight to Tokyo, spring DST (23 h), flight to New York first: dense types use four.
    fixed = [date(2025, 10, 26), date(2026, 2, 14), date(2026, 3, 29), date(2025, 6, 10)]
    return fixed + sorted({d for d in wanted.values() if d} - set(fixed))


def _filter(spec_id: str, day: date) -> str:
    spec = TYPES[spec_id]
    member = spec.members[-1] if spec.kind != "sample" else "sample_time.civil_time"
    if spec.kind == "daily":
        member = "date"
    nxt = day + timedelta(days=1)
    return f'{spec.filter_id}.{member} >= "{day}" AND {spec.filter_id}.{member} < "{nxt}"'


def _checked(response: Any, method_id: str, sample: int = 1) -> dict[str, Any]:
    """Validate the body (with ``sample`` > 1: every n-th data point, plus the first and last 100)."""
    assert response.status_code == 200, response.text
    body: dict[str, Any] = orjson.loads(response.content)
    points = body.get("dataPoints")
    if sample > 1 and points and len(points) > 300:
        validate(
            {**body, "dataPoints": points[:100] + points[100:-100:sample] + points[-100:]}, response_schema(method_id)
        )
    else:
        validate(body, response_schema(method_id))
    return body


def test_list_and_reconcile_bodies_validate(api: InProcessClient, state: EmulatorState) -> None:
    gen = state.generator
    days = _interesting_days(gen)
    seen_types: set[str] = set()
    for spec in TYPES.values():
        for op, method_id in (
            (LIST, "health.users.dataTypes.dataPoints.list"),
            (RECONCILE, "health.users.dataTypes.dataPoints.reconcile"),
        ):
            if op not in spec.ops or spec.path_id in ("food", "food-measurement-unit"):
                continue
            suffix = "" if op == LIST else ":reconcile"
            sample_days = (days[:4] if spec.heavy else days) if spec.generated else days[:1]
            for day in sample_days:
                filt = _filter(spec.path_id, day) if spec.path_id != "electrocardiogram" else None
                params = {"pageSize": 10000 if spec.list_page_max > 25 else 25}
                if filt:
                    params["filter"] = filt  # type: ignore[assignment]
                # Every point of the 25-hour DST day; a sample of the other days' dense streams.
                sample = 1 if day == date(2025, 10, 26) and op == LIST else 25
                body = _checked(api.get(DP.format(spec.path_id) + suffix, params=params), method_id, sample)
                assert "nextPageToken" in body
                for point in body.get("dataPoints", [])[::sample]:
                    members = [k for k in point if k not in ("name", "dataSource", "dataPointName")]
                    assert members == [spec.json_key], (spec.path_id, members)
                    seen_types.add(spec.path_id)
                    if op == RECONCILE:
                        assert "dataSource" not in point and "name" not in point
    generated = {s.path_id for s in TYPES.values() if s.generated and LIST in s.ops}
    assert generated <= seen_types, generated - seen_types


def _rollup_body(spec_id: str, day: date, days: int = 1) -> dict[str, Any]:
    start = f"{day}T00:00:00Z"
    end = f"{day + timedelta(days=days)}T00:00:00Z"
    return {"range": {"startTime": start, "endTime": end}, "windowSize": "3600s"}


def _daily_body(day: date, days: int) -> dict[str, Any]:
    end = day + timedelta(days=days)
    return {
        "range": {
            "start": {"date": {"year": day.year, "month": day.month, "day": day.day}},
            "end": {"date": {"year": end.year, "month": end.month, "day": end.day}},
        }
    }


def test_rollup_bodies_validate(api: InProcessClient, state: EmulatorState) -> None:
    day = _interesting_days(state.generator)[0]
    nonempty = set()
    for spec in TYPES.values():
        if ROLLUP in spec.ops:
            body = _checked(
                api.post(DP.format(spec.path_id) + ":rollUp", json=_rollup_body(spec.path_id, day, 2)),
                "health.users.dataTypes.dataPoints.rollUp",
            )
            if body.get("rollupDataPoints"):
                nonempty.add(spec.path_id)
                for point in body["rollupDataPoints"]:
                    assert set(point) == {"startTime", "endTime", spec.json_key}
        if DAILY_ROLLUP in spec.ops:
            body = _checked(
                api.post(DP.format(spec.path_id) + ":dailyRollUp", json=_daily_body(day, 7)),
                "health.users.dataTypes.dataPoints.dailyRollUp",
            )
            for point in body.get("rollupDataPoints", []):
                assert set(point) == {"civilStartTime", "civilEndTime", spec.json_key}
    assert {"steps", "heart-rate", "total-calories", "calories-in-heart-rate-zone", "floors", "sedentary-period"} <= (
        nonempty
    )


def test_account_bodies_validate(api: InProcessClient, state: EmulatorState) -> None:
    _checked(api.get("/v4/users/me/identity"), "health.users.getIdentity")
    _checked(api.get("/v4/users/me/profile"), "health.users.getProfile")
    _checked(api.get(f"/v4/users/{state.generator.health_user_id}/profile"), "health.users.getProfile")
    _checked(api.get("/v4/users/me/settings"), "health.users.getSettings")
    _checked(api.get("/v4/users/me/irnProfile"), "health.users.getIrnProfile")
    devices = _checked(api.get("/v4/users/me/pairedDevices"), "health.users.pairedDevices.list")
    for device in devices["pairedDevices"]:
        device_id = device["name"].rsplit("/", 1)[-1]
        _checked(api.get(f"/v4/users/me/pairedDevices/{device_id}"), "health.users.pairedDevices.get")


def test_get_and_tcx_bodies_validate(api: InProcessClient, state: EmulatorState) -> None:
    gen = state.generator
    for day in _interesting_days(gen):
        for type_id in ("exercise", "sleep", "weight", "body-fat", "height"):
            for point in gen.points(type_id, day):
                point_id = point["name"].rsplit("/", 1)[-1]
                body = _checked(api.get(DP.format(type_id) + f"/{point_id}"), "health.users.dataTypes.dataPoints.get")
                assert body == point
        for exercise_id in gen.exercise_ids(day):
            _checked(
                api.get(DP.format("exercise") + f"/{exercise_id}:exportExerciseTcx"),
                "health.users.dataTypes.dataPoints.exportExerciseTcx",
            )


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("GET", DP.format("floors"), {}),
        ("GET", DP.format("steps"), {"params": {"filter": 'steps.interval.start_time > "2025-06-01T00:00:00Z"'}}),
        ("GET", DP.format("steps"), {"params": {"bogus": "1"}}),
        ("GET", DP.format("no-such-type"), {}),
        ("POST", DP.format("heart-rate") + ":rollUp", {"json": {"windowSize": "60s"}}),
        ("POST", DP.format("sleep") + ":rollUp", {"json": {}}),
        ("GET", "/v4/users/me/nothing", {}),
        ("GET", "/v4/users/12345/profile", {}),
        ("POST", DP.format("steps"), {"json": {}}),
    ],
)
def test_error_bodies_are_google_errors(api: InProcessClient, method: str, path: str, kwargs: dict[str, Any]) -> None:
    response = api.request(method, path, **kwargs)
    assert response.status_code >= 400
    validate_error(response.json())


def test_read_scopes_cover_every_scope_prefix() -> None:
    assert all(s.read_scope.startswith(SCOPE_PREFIX) for s in TYPES.values())
