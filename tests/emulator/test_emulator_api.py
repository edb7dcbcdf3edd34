"""The v4 surface in-process: resources, auth and scopes, filters, paging, errors, legacy 410."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import orjson
import pytest
from emulator_discovery import validate_error
from emulator_helpers import InProcessClient

from fitbit_sync.emulator.datatypes import ACTIVITY_SCOPE, LOCATION_SCOPE, SCOPE_PREFIX
from fitbit_sync.emulator.state import EmulatorState

DP = "/v4/users/me/dataTypes/{}/dataPoints"
SLEEP_SCOPE = SCOPE_PREFIX + "sleep.readonly"
HEALTH_SCOPE = SCOPE_PREFIX + "health_metrics_and_measurements.readonly"


def day_filter(type_id: str, member: str, start: date, end: date) -> str:
    return f'{type_id}.{member} >= "{start}" AND {type_id}.{member} < "{end}"'


def error_of(response: Any) -> dict[str, Any]:
    body = orjson.loads(response.content)
    validate_error(body)
    return body["error"]  # type: ignore[no-any-return]


def reason_of(response: Any) -> str | None:
    for detail in error_of(response).get("details", []):
        if "reason" in detail:
            return str(detail["reason"])
    return None


# -- account resources -----------------------------------------------------------------------------------
def test_identity_profile_settings(api: InProcessClient, state: EmulatorState) -> None:
    identity = api.get("/v4/users/me/identity").json()
    assert identity == {
        "name": "users/me/identity",
        "healthUserId": state.generator.health_user_id,
        "legacyUserId": state.generator.person.legacy_user_id,
    }
    assert len(identity["legacyUserId"]) == 6
    profile = api.get("/v4/users/me/profile").json()
    assert profile["age"] > 18 and "autoWalkingStrideLengthMm" in profile
    state.set_clock(datetime.fromisoformat("2025-06-13T15:00:00+00:00"))
    settings = api.get("/v4/users/me/settings").json()
    assert settings["timeZone"] == "America/New_York" and settings["utcOffset"] == "-14400s"
    state.set_clock(datetime.fromisoformat("2026-01-13T15:00:00+00:00"))
    settings = api.get("/v4/users/me/settings").json()
    assert settings["timeZone"] == "Europe/Berlin" and settings["utcOffset"] == "3600s"


def test_profile_stride_lengths_need_the_activity_scope(api: InProcessClient, state: EmulatorState) -> None:
    token = state.access_token([SCOPE_PREFIX + "profile.readonly"])
    profile = api.get("/v4/users/me/profile", headers={"Authorization": f"Bearer {token}"}).json()
    assert "autoWalkingStrideLengthMm" not in profile and "age" in profile


def test_paired_devices_battery_follows_the_clock(api: InProcessClient, state: EmulatorState) -> None:
    devices = api.get("/v4/users/me/pairedDevices").json()
    assert devices["nextPageToken"] == ""
    kinds = {d["deviceType"]: d for d in devices["pairedDevices"]}
    assert set(kinds) == {"TRACKER", "SCALE"}
    tracker = kinds["TRACKER"]
    assert 0 <= tracker["batteryLevel"] <= 100 and tracker["batteryStatus"] in ("High", "Medium", "Low", "Empty")
    levels = set()
    for _ in range(6):
        state.advance_clock(86400)
        api.headers["Authorization"] = f"Bearer {state.access_token()}"  # a day later: a new token
        levels.add(api.get("/v4/users/me/pairedDevices").json()["pairedDevices"][0]["batteryLevel"])
    assert len(levels) > 3
    device_id = tracker["name"].rsplit("/", 1)[-1]
    assert api.get(f"/v4/users/me/pairedDevices/{device_id}").status_code == 200
    assert api.get("/v4/users/me/pairedDevices/999").status_code == 404
    one = api.get("/v4/users/me/pairedDevices", params={"pageSize": 1}).json()
    assert len(one["pairedDevices"]) == 1 and one["nextPageToken"]
    two = api.get("/v4/users/me/pairedDevices", params={"pageSize": 1, "pageToken": one["nextPageToken"]}).json()
    assert two["pairedDevices"][0]["deviceType"] == "SCALE" and two["nextPageToken"] == ""


def test_users_segment(api: InProcessClient, state: EmulatorState) -> None:
    uid = state.generator.health_user_id
    assert api.get(f"/v4/users/{uid}/settings").status_code == 200
    other = api.get("/v4/users/1234/settings")
    assert other.status_code == 403 and error_of(other)["status"] == "PERMISSION_DENIED"
    assert api.get(f"/v4/users/{uid}/identity").status_code == 400


# -- authentication and scopes ---------------------------------------------------------------------------------
def test_missing_bad_and_expired_tokens(api: InProcessClient, state: EmulatorState) -> None:
    missing = api.get("/v4/users/me/identity", headers={"Authorization": ""})
    assert missing.status_code == 401 and reason_of(missing) == "CREDENTIALS_MISSING"
    assert missing.headers["www-authenticate"].startswith("Bearer")
    bad = api.get("/v4/users/me/identity", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401 and error_of(bad)["status"] == "UNAUTHENTICATED"
    token = state.access_token()
    assert (
        api.get("/v4/users/me/identity", params={"access_token": token}, headers={"Authorization": ""}).status_code
        == 200
    )
    state.advance_clock(3599)
    assert api.get("/v4/users/me/identity", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    state.advance_clock(2)
    expired = api.get("/v4/users/me/identity", headers={"Authorization": f"Bearer {token}"})
    assert expired.status_code == 401 and reason_of(expired) == "ACCESS_TOKEN_EXPIRED"


def test_scope_per_data_type(api: InProcessClient, state: EmulatorState) -> None:
    sleep_only = {"Authorization": f"Bearer {state.access_token([SLEEP_SCOPE])}"}
    assert api.get(DP.format("sleep"), headers=sleep_only).status_code == 200
    denied = api.get(DP.format("heart-rate"), headers=sleep_only)
    assert denied.status_code == 403 and reason_of(denied) == "ACCESS_TOKEN_SCOPE_INSUFFICIENT"
    assert "insufficient_scope" in denied.headers["www-authenticate"]
    assert api.get("/v4/users/me/profile", headers=sleep_only).status_code == 403
    assert api.get("/v4/users/me/identity", headers=sleep_only).status_code == 200
    health = {"Authorization": f"Bearer {state.access_token([HEALTH_SCOPE])}"}
    assert api.get(DP.format("heart-rate"), headers=health).status_code == 200
    assert api.get(DP.format("steps"), headers=health).status_code == 403


def test_write_only_scopes_read_only_self_sources(api: InProcessClient, state: EmulatorState) -> None:
    writer = {"Authorization": f"Bearer {state.access_token([SCOPE_PREFIX + 'activity_and_fitness.writeonly'])}"}
    listed = api.get(DP.format("steps"), headers=writer)
    assert listed.status_code == 200 and listed.json() == {"nextPageToken": ""}
    family = "users/me/dataSourceFamilies/all-sources"
    assert api.get(DP.format("steps"), headers=writer, params={"dataSourceFamily": family}).status_code == 403
    sleep_writer = {"Authorization": f"Bearer {state.access_token([SCOPE_PREFIX + 'sleep.writeonly'])}"}
    assert api.get(DP.format("sleep"), headers=sleep_writer).status_code == 403


def test_tcx_needs_the_location_scope(api: InProcessClient, state: EmulatorState) -> None:
    gen = state.generator
    day = next(d for d in gen.days() if any(s.gps for s in gen.exercises(d)))
    exercise_id = next(s.id for s in gen.exercises(day) if s.gps)
    url = DP.format("exercise") + f"/{exercise_id}:exportExerciseTcx"
    no_location = {"Authorization": f"Bearer {state.access_token([ACTIVITY_SCOPE])}"}
    assert api.get(url, headers=no_location).status_code == 403
    both = {"Authorization": f"Bearer {state.access_token([ACTIVITY_SCOPE, LOCATION_SCOPE])}"}
    media = api.get(url, headers=both, params={"alt": "media"})
    assert media.status_code == 200 and media.headers["content-type"].startswith("application/vnd.garmin.tcx+xml")
    assert media.text.startswith("<?xml") and "<Trackpoint>" in media.text
    wrapped = api.get(url, headers=both).json()
    assert wrapped["tcxData"] == media.text
    assert api.get(DP.format("exercise") + "/6000000000000000000:exportExerciseTcx", headers=both).status_code == 404
    assert api.get(DP.format("steps") + f"/{exercise_id}:exportExerciseTcx").status_code == 400


def test_account_not_linked(api: InProcessClient, state: EmulatorState) -> None:
    state.control({"account_linked": False})
    response = api.get(DP.format("steps"))
    assert response.status_code == 400 and reason_of(response) == "ACCOUNT_NOT_LINKED"
    assert error_of(response)["status"] == "FAILED_PRECONDITION"


# -- operations per data type ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("type_id", "verb", "suffix", "message"),
    [
        ("floors", "GET", "", "List is not supported for data type floors"),
        ("total-calories", "GET", "", "List is not supported for data type total-calories"),
        ("calories-in-heart-rate-zone", "GET", ":reconcile", "Reconcile is not supported"),
        ("heart-rate-variability", "POST", ":rollUp", "Rollup is not supported for data type heart-rate-variability"),
        ("sleep", "POST", ":dailyRollUp", "DailyRollup is not supported for data type sleep"),
        ("activity-level", "POST", ":dailyRollUp", "DailyRollup is not supported for data type activity-level"),
        ("daily-resting-heart-rate", "POST", ":dailyRollUp", "DailyRollup is not supported"),
    ],
)
def test_unsupported_operations(api: InProcessClient, type_id: str, verb: str, suffix: str, message: str) -> None:
    response = api.request(verb, DP.format(type_id) + suffix, json={} if verb == "POST" else None)
    assert response.status_code == 400
    assert message in error_of(response)["message"]


def test_unknown_data_type_and_method(api: InProcessClient) -> None:
    response = api.get(DP.format("blood-pressure"))
    assert response.status_code == 400 and reason_of(response) == "INVALID_PARENT_DATA_TYPE_COLLECTION"
    assert api.get(DP.format("steps") + ":frobnicate").status_code == 404
    assert api.request("DELETE", DP.format("steps")).status_code == 404
    created = api.post(DP.format("weight"), json={})
    assert created.status_code == 501 and error_of(created)["status"] == "UNIMPLEMENTED"


# -- filters ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("type_id", "filter_text", "reason"),
    [
        ("steps", 'heart-rate.interval.start_time >= "2025-07-01T00:00:00Z"', "INVALID_DATA_POINT_FILTER"),
        ("heart-rate", 'heart-rate.sample_time.physical_time >= "2025-07-01T00:00:00Z"', "INVALID_DATA_POINT_FILTER"),
        ("steps", 'steps.interval.end_time >= "2025-07-01T00:00:00Z"', "INVALID_DATA_POINT_FILTER_DATA_TYPE_MEMBER"),
        ("steps", 'distance.interval.start_time >= "2025-07-01T00:00:00Z"', "INVALID_DATA_POINT_FILTER"),
        ("steps", 'steps.interval.start_time > "2025-07-01T00:00:00Z"', "INVALID_DATA_POINT_FILTER"),
        ("steps", 'steps.interval.start_time <= "2025-07-01T00:00:00Z"', "INVALID_DATA_POINT_FILTER"),
        ("steps", 'steps.interval.start_time = "2025-07-01T00:00:00Z"', "INVALID_DATA_POINT_FILTER"),
        (
            "steps",
            'steps.interval.start_time >= "2025-07-01T00:00:00Z" OR steps.interval.start_time < "2025-07-02T00:00:00Z"',
            "INVALID_DATA_POINT_FILTER",
        ),
        ("steps", "steps.interval.start_time >=", "INVALID_DATA_POINT_FILTER_MISSING_TOKEN"),
        ("steps", "steps.interval.start_time >= 2025-07-01T00:00:00Z", "INVALID_DATA_POINT_FILTER_SYNTAX"),
        ("steps", 'steps.interval.start_time >= "2025-07-01 00:00"', "INVALID_FILTER_FORMAT"),
        ("steps", 'steps.interval.civil_start_time >= "2025-07-01T10:00:00Z"', "INVALID_FILTER_FORMAT"),
        (
            "steps",
            'steps.interval.start_time >= "2025-07-01T00:00:00Z" AND steps.interval.start_time < '
            '"2025-07-01T00:00:00Z"',
            "INVALID_TIME_RANGE",
        ),
        ("steps", 'steps.interval.start_time >= "2025-07-01T00:00:00Z" AND', "INVALID_DATA_POINT_FILTER_MISSING_TOKEN"),
        ("steps", 'steps.interval.start_time >= "2025-07-01T00:00:00Z" ) (', "INVALID_DATA_POINT_FILTER_SYNTAX"),
        ("daily-resting-heart-rate", 'daily_resting_heart_rate.date >= "2025-07-01T00:00:00"', "INVALID_FILTER_FORMAT"),
        (
            "exercise",
            'exercise.interval.start_time >= "2025-07-01T00:00:00Z"',
            "INVALID_DATA_POINT_FILTER_DATA_TYPE_MEMBER",
        ),
        (
            "electrocardiogram",
            'electrocardiogram.interval.start_time < "2025-07-01T00:00:00Z"',
            "INVALID_DATA_POINT_FILTER",
        ),
        ("sleep", 'sleep.interval.start_time >= "2025-07-01T00:00:00Z"', "INVALID_DATA_POINT_FILTER_DATA_TYPE_MEMBER"),
    ],
)
def test_bad_filters(api: InProcessClient, type_id: str, filter_text: str, reason: str) -> None:
    response = api.get(DP.format(type_id), params={"filter": filter_text})
    assert response.status_code == 400, response.text
    assert reason_of(response) == reason
    assert reason in error_of(response)["message"]


def test_civil_and_physical_filters_select_the_same_day(api: InProcessClient, state: EmulatorState) -> None:
    day = date(2025, 7, 2)
    start, end = state.timeline.day_bounds(day)
    iso = lambda t: datetime.utcfromtimestamp(t).strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
    civil = api.get(
        DP.format("steps"),
        params={
            "filter": day_filter("steps", "interval.civil_start_time", day, day + timedelta(days=1)),
            "pageSize": 5000,
        },
    )
    physical = api.get(
        DP.format("steps"),
        params={
            "filter": f'steps.interval.start_time >= "{iso(start)}" AND steps.interval.start_time < "{iso(end)}"',
            "pageSize": 5000,
        },
    )
    assert civil.json() == physical.json()
    assert len(civil.json()["dataPoints"]) == 1440
    narrow = api.get(
        DP.format("heart-rate"),
        params={
            "filter": 'heart_rate.sample_time.civil_time >= "2025-07-02T08:00:00" AND '
            'heart_rate.sample_time.civil_time < "2025-07-02T08:01:00"'
        },
    ).json()
    times = [p["heartRate"]["sampleTime"]["civilTime"]["time"] for p in narrow["dataPoints"]]
    assert times and all(t["hours"] == 8 and t.get("minutes", 0) == 0 for t in times)


def test_sleep_filters_on_end_time_with_or(api: InProcessClient, state: EmulatorState) -> None:
    either = (
        '(sleep.interval.civil_end_time >= "2025-07-02" AND sleep.interval.civil_end_time < "2025-07-03") OR '
        '(sleep.interval.civil_end_time >= "2025-08-02" AND sleep.interval.civil_end_time < "2025-08-03")'
    )
    # AIP-160: OR binds tighter than AND, so the parentheses matter.
    body = api.get(DP.format("sleep"), params={"filter": either}).json()
    days = {
        state.timeline.day_of(
            int(datetime.fromisoformat(p["sleep"]["interval"]["endTime"].replace("Z", "+00:00")).timestamp())
        )
        for p in body["dataPoints"]
    }
    assert days == {date(2025, 7, 2), date(2025, 8, 2)}


# -- paging ------------------------------------------------------------------------------------------------------
def page_through(api: InProcessClient, url: str, params: dict[str, Any]) -> tuple[list[dict[str, Any]], int]:
    points: list[dict[str, Any]] = []
    token = None
    pages = 0
    while True:
        query = {**params, **({"pageToken": token} if token else {})}
        response = api.get(url, params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        points += body.get("dataPoints", [])
        pages += 1
        token = body["nextPageToken"]
        if token == "":
            return points, pages


def test_default_and_maximum_page_sizes(api: InProcessClient) -> None:
    two_days = day_filter("steps", "interval.civil_start_time", date(2025, 7, 1), date(2025, 7, 3))
    first = api.get(DP.format("steps"), params={"filter": two_days}).json()
    assert len(first["dataPoints"]) == 1440 and first["nextPageToken"]
    week = day_filter("heart_rate", "sample_time.civil_time", date(2025, 7, 1), date(2025, 7, 8))
    big = api.get(DP.format("heart-rate"), params={"filter": week, "pageSize": 50000}).json()
    assert len(big["dataPoints"]) == 10000
    sleeps = api.get(DP.format("sleep"), params={"pageSize": 100}).json()
    assert len(sleeps["dataPoints"]) == 25 and sleeps["nextPageToken"]
    assert len(api.get(DP.format("exercise")).json()["dataPoints"]) == 25
    assert api.get(DP.format("steps"), params={"pageSize": -1}).status_code == 400
    assert api.get(DP.format("steps"), params={"pageSize": "ten"}).status_code == 400
    snake = api.get(DP.format("steps"), params={"filter": two_days, "page_size": 7}).json()
    assert len(snake["dataPoints"]) == 7


def test_newest_first_each_point_once_and_empty_final_token(api: InProcessClient, state: EmulatorState) -> None:
    flt = day_filter("steps", "interval.civil_start_time", date(2025, 7, 1), date(2025, 7, 11))
    points, pages = page_through(api, DP.format("steps"), {"filter": flt, "pageSize": 1000})
    starts = [p["steps"]["interval"]["startTime"] for p in points]
    assert starts == sorted(starts, reverse=True) and len(set(starts)) == len(starts)
    expected = sum(len(state.generator.records("steps", date(2025, 7, 1) + timedelta(days=k))) for k in range(10))
    assert len(points) == expected and pages == -(-expected // 1000)


def test_page_tokens_are_bound_to_the_query(api: InProcessClient) -> None:
    flt = day_filter("steps", "interval.civil_start_time", date(2025, 7, 1), date(2025, 7, 3))
    token = api.get(DP.format("steps"), params={"filter": flt, "pageSize": 10}).json()["nextPageToken"]
    other = day_filter("steps", "interval.civil_start_time", date(2025, 7, 1), date(2025, 7, 4))
    assert api.get(DP.format("steps"), params={"filter": other, "pageToken": token}).status_code == 400
    assert api.get(DP.format("distance"), params={"filter": flt, "pageToken": token}).status_code == 400
    assert api.get(DP.format("steps"), params={"filter": flt, "pageToken": token + "x"}).status_code == 400
    # the page size may change between pages (clients shrink it after a 504)
    assert api.get(DP.format("steps"), params={"filter": flt, "pageToken": token, "pageSize": 3}).status_code == 200


def test_no_filter_lists_the_whole_history_newest_first(api: InProcessClient, state: EmulatorState) -> None:
    body = api.get(DP.format("daily-resting-heart-rate"), params={"pageSize": 3}).json()
    dates = [p["dailyRestingHeartRate"]["date"] for p in body["dataPoints"]]
    last = state.generator.last_day
    assert dates[0] == {"year": last.year, "month": last.month, "day": last.day}
    points, _pages = page_through(api, DP.format("weight"), {"pageSize": 1000})
    expected = sum(len(state.generator.records("weight", d)) for d in state.generator.days())
    assert len(points) == expected > 100


def test_future_points_appear_as_the_clock_moves(api: InProcessClient, state: EmulatorState) -> None:
    day = date(2025, 7, 2)
    flt = day_filter("steps", "interval.civil_start_time", day, day + timedelta(days=1))
    noon = state.timeline.civil_to_instant(day, 12 * 3600)
    state.set_clock(noon)
    before = api.get(DP.format("steps"), params={"filter": flt, "pageSize": 2000}).json()["dataPoints"]
    assert len(before) == 12 * 60
    state.advance_clock(3600)
    after = api.get(DP.format("steps"), params={"filter": flt, "pageSize": 2000}).json()["dataPoints"]
    assert len(after) == 13 * 60
    assert api.get(
        DP.format("daily-resting-heart-rate"),
        params={"filter": day_filter("daily_resting_heart_rate", "date", day, day + timedelta(days=1))},
    ).json() == {"nextPageToken": ""}


# -- data source families, reconcile, get --------------------------------------------------------------------------
def test_data_source_families(api: InProcessClient) -> None:
    flt = day_filter("weight", "sample_time.civil_time", date(2025, 6, 1), date(2025, 9, 1))

    def count(family: str) -> int:
        params = {"filter": flt, "dataSourceFamily": f"users/me/dataSourceFamilies/{family}"}
        return len(api.get(DP.format("weight"), params=params).json().get("dataPoints", []))

    assert count("all-sources") == count("google-sources") > 0
    assert count("google-wearables") == 0  # scale and manual entries are not from a wearable
    assert count("self-sources") == 0
    bad = api.get(DP.format("weight"), params={"dataSourceFamily": "users/me/dataSourceFamilies/mine"})
    assert bad.status_code == 400 and reason_of(bad) == "INVALID_DATA_POINT_DATA_SOURCE_FAMILY"
    family = {"dataSourceFamily": "users/me/dataSourceFamilies/all-sources"}
    assert api.get(DP.format("sleep"), params=family).status_code == 400
    assert api.get(DP.format("sleep") + ":reconcile", params=family).status_code == 200


def test_reconcile_shape(api: InProcessClient) -> None:
    flt = day_filter("sleep", "interval.civil_end_time", date(2025, 7, 1), date(2025, 7, 3))
    listed = api.get(DP.format("sleep"), params={"filter": flt}).json()["dataPoints"]
    reconciled = api.get(DP.format("sleep") + ":reconcile", params={"filter": flt}).json()["dataPoints"]
    assert [p["dataPointName"] for p in reconciled] == [p["name"] for p in listed]
    assert [p["sleep"] for p in reconciled] == [p["sleep"] for p in listed]
    assert all("dataSource" not in p for p in reconciled)
    floors = api.get(
        DP.format("floors") + ":reconcile",
        params={"filter": day_filter("floors", "interval.civil_start_time", date(2025, 7, 1), date(2025, 7, 2))},
    ).json()
    assert len(floors["dataPoints"]) == 1440


def test_get_single_points(api: InProcessClient, state: EmulatorState) -> None:
    gen = state.generator
    day = next(d for d in gen.days() if gen.exercise_ids(d))
    point = gen.points("exercise", day)[0]
    assert api.get("/v4/" + point["name"].replace(gen.health_user_id, "me", 1)).json() == point
    assert api.get("/v4/" + point["name"]).json() == point
    assert api.get(DP.format("exercise") + "/123").status_code == 404
    assert api.get(DP.format("steps") + "/123").status_code == 400


def test_unknown_query_parameters_and_system_parameters(api: InProcessClient) -> None:
    response = api.get(DP.format("steps"), params={"startTime": "x"})
    assert response.status_code == 400 and 'Unknown name "startTime"' in error_of(response)["message"]
    ok = api.get(DP.format("steps"), params={"prettyPrint": "false", "quotaUser": "x", "$.xgafv": "2"})
    assert ok.status_code == 200
    assert api.get(DP.format("steps"), params={"alt": "proto"}).status_code == 400
    partial = api.get("/v4/users/me/identity", params={"fields": "healthUserId"}).json()
    assert set(partial) == {"healthUserId"}
    flt = day_filter("steps", "interval.civil_start_time", date(2025, 7, 1), date(2025, 7, 2))
    masked = api.get(
        DP.format("steps"),
        params={"filter": flt, "pageSize": 2, "fields": "dataPoints(steps/interval/startTime),nextPageToken"},
    ).json()
    assert masked["dataPoints"][0] == {"steps": {"interval": {"startTime": "2025-07-01T21:59:00Z"}}}


def test_legacy_fitbit_paths_are_gone(api: InProcessClient) -> None:
    for method, path in [
        ("GET", "/1/user/-/activities/steps/date/today/1d.json"),
        ("GET", "/1/user/-/profile.json"),
        ("GET", "/1.2/user/-/sleep/date/2025-07-01.json"),
        ("GET", "/1.1/user/-/foods/log/date/today.json"),
        ("POST", "/oauth2/token"),
        ("GET", "/oauth2/authorize"),
    ]:
        response = api.request(method, path)
        assert response.status_code == 410, path
        assert response.json()["errors"][0]["errorType"] == "gone"


def test_stats_count_calls_by_type_and_method(api: InProcessClient, state: EmulatorState) -> None:
    flt = day_filter("steps", "interval.civil_start_time", date(2025, 7, 1), date(2025, 7, 2))
    for _ in range(3):
        api.get(DP.format("steps"), params={"filter": flt})
    api.post(
        DP.format("steps") + ":rollUp",
        json={"range": {"startTime": "2025-07-01T00:00:00Z", "endTime": "2025-07-02T00:00:00Z"}, "windowSize": "3600s"},
    )
    api.get("/v4/users/me/identity")
    stats = api.get("/_emulator/stats").json()
    assert stats["by_type"]["steps"] == {"list": 3, "rollUp": 1}
    assert stats["by_method"]["health.users.getIdentity"] == 1
    assert stats["total"] == 5 and stats["points_served"] >= 3 * 1440
    assert stats["recent"][-1]["path"] == "/v4/users/me/identity"
    assert api.request("DELETE", "/_emulator/stats").json()["total"] == 0


@pytest.mark.parametrize(
    ("type_id", "member"),
    [
        ("heart-rate", "sample_time.civil_time"),
        ("steps", "interval.civil_start_time"),
        ("exercise", "interval.civil_start_time"),
        ("sleep", "interval.civil_end_time"),
        ("weight", "sample_time.civil_time"),
        ("daily-heart-rate-variability", "date"),
        ("oxygen-saturation", "sample_time.civil_time"),
    ],
)
def test_generator_points_are_exactly_what_list_serves(
    api: InProcessClient, state: EmulatorState, type_id: str, member: str
) -> None:
    gen = state.generator
    for day in (date(2025, 10, 26), date(2026, 2, 14)):  # a 25-hour and a 16-hour civil day
        flt = day_filter(type_id.replace("-", "_"), member, day, day + timedelta(days=1))
        points, _pages = page_through(api, DP.format(type_id), {"filter": flt, "pageSize": 10000})
        assert points == gen.points(type_id, day)
        reconciled, _pages = page_through(api, DP.format(type_id) + ":reconcile", {"filter": flt, "pageSize": 10000})
        assert reconciled == gen.points(type_id, day, reconciled=True)
