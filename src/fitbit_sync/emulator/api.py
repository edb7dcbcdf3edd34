"""The v4 REST surface: route table, request checks, and the data-point handlers.

``ROUTES`` mirrors the discovery document (method id, HTTP verb, flat path, query parameters);
the contract tests hold it against ``health.v4.json``. Each request goes: route match (404
"Method not found." otherwise) -> bearer token (401) -> per-user quota (429) -> query
parameter check (400 for unknown names) -> account linked -> user segment -> handler.
"""

from __future__ import annotations

import bisect
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from fitbit_sync.emulator import account, rollups
from fitbit_sync.emulator.datatypes import (
    DAILY_ROLLUP,
    GET,
    HEALTH_SCOPES,
    IRN_SCOPE,
    LIST,
    LOCATION_SCOPE,
    PROFILE_SCOPE,
    RECONCILE,
    ROLLUP,
    SETTINGS_SCOPE,
    TCX,
    DataTypeSpec,
)
from fitbit_sync.emulator.errors import (
    ApiError,
    account_not_linked,
    invalid_argument,
    not_found,
    permission_denied,
    rate_limited,
    scope_insufficient,
    unknown_method,
)
from fitbit_sync.emulator.fieldmask import apply_fields, parse_fields
from fitbit_sync.emulator.filters import parse_filter, parse_rfc3339
from fitbit_sync.emulator.generator.render import fragments, rfc3339, time_json
from fitbit_sync.emulator.generator.render import source_family as record_family
from fitbit_sync.emulator.paging import fingerprint
from fitbit_sync.emulator.rollups import NS
from fitbit_sync.emulator.state import EmulatorState
from fitbit_sync.emulator.tcx import MEDIA_TYPE, build_tcx
from fitbit_sync.emulator.timeline import DAY, date_to_days, days_to_date

JSON_TYPE = "application/json; charset=UTF-8"
SYSTEM_PARAMS = frozenset(
    {"$.xgafv", "access_token", "alt", "callback", "fields", "key", "oauth_token", "prettyPrint", "quotaUser",
     "uploadType", "upload_protocol"}
)  # fmt: skip
# gRPC transcoding also binds the snake_case spelling of request fields.
SNAKE_ALIASES = {"page_size": "pageSize", "page_token": "pageToken", "data_source_family": "dataSourceFamily",
                 "partial_data": "partialData", "update_mask": "updateMask"}  # fmt: skip
FAMILIES = ("all-sources", "google-wearables", "google-sources", "self-sources")
_FAMILY = re.compile(r"^users/([^/]+)/dataSourceFamilies/([^/]+)$")
_DURATION = re.compile(r"^(-?)(\d+)(?:\.(\d{1,9}))?s$")

Handler = Callable[["Call"], Awaitable[Response]]


@dataclass(frozen=True)
class Route:
    http_method: str
    template: str  # discovery flatPath
    method_id: str  # discovery method id
    query: tuple[str, ...]
    handler_name: str
    data_op: str | None = None  # operation name checked against the data type table

    @property
    def regex(self) -> re.Pattern[str]:
        pattern = re.sub(
            r"\{(\w+)\}",
            lambda m: f"(?P<{m.group(1)}>[^/:]+)",
            re.escape(self.template).replace(r"\{", "{").replace(r"\}", "}"),
        )
        return re.compile(f"^/{pattern}$")


DP = "v4/users/{usersId}/dataTypes/{dataTypesId}/dataPoints"
LIST_PARAMS = ("dataSourceFamily", "filter", "pageSize", "pageToken")
ROUTES: tuple[Route, ...] = (
    Route("GET", "v4/users/{usersId}/identity", "health.users.getIdentity", (), "get_identity"),
    Route("GET", "v4/users/{usersId}/profile", "health.users.getProfile", (), "get_profile"),
    Route("PATCH", "v4/users/{usersId}/profile", "health.users.updateProfile", ("updateMask",), "read_only"),
    Route("GET", "v4/users/{usersId}/settings", "health.users.getSettings", (), "get_settings"),
    Route("PATCH", "v4/users/{usersId}/settings", "health.users.updateSettings", ("updateMask",), "read_only"),
    Route("GET", "v4/users/{usersId}/irnProfile", "health.users.getIrnProfile", (), "get_irn_profile"),
    Route("GET", "v4/users/{usersId}/pairedDevices", "health.users.pairedDevices.list",
          ("pageSize", "pageToken"), "list_devices"),
    Route("GET", "v4/users/{usersId}/pairedDevices/{pairedDevicesId}", "health.users.pairedDevices.get", (),
          "get_device"),
    Route("GET", DP, "health.users.dataTypes.dataPoints.list", LIST_PARAMS, "list_points", LIST),
    Route("GET", DP + ":reconcile", "health.users.dataTypes.dataPoints.reconcile", LIST_PARAMS, "reconcile_points",
          RECONCILE),
    Route("POST", DP + ":rollUp", "health.users.dataTypes.dataPoints.rollUp", (), "roll_up", ROLLUP),
    Route("POST", DP + ":dailyRollUp", "health.users.dataTypes.dataPoints.dailyRollUp", (), "daily_roll_up",
          DAILY_ROLLUP),
    Route("GET", DP + "/{dataPointsId}:exportExerciseTcx", "health.users.dataTypes.dataPoints.exportExerciseTcx",
          ("partialData",), "export_tcx", TCX),
    Route("GET", DP + "/{dataPointsId}", "health.users.dataTypes.dataPoints.get", (), "get_point", GET),
    Route("POST", DP, "health.users.dataTypes.dataPoints.create", (), "read_only", "create"),
    Route("PATCH", DP + "/{dataPointsId}", "health.users.dataTypes.dataPoints.patch", (), "read_only", "patch"),
    Route("POST", DP + ":batchDelete", "health.users.dataTypes.dataPoints.batchDelete", (), "read_only",
          "batchDelete"),
)  # fmt: skip
_COMPILED = [(r, r.regex) for r in ROUTES]


def match_route(http_method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    for route, regex in _COMPILED:
        m = regex.match(path)
        if m and route.http_method == http_method:
            return route, m.groupdict()
    return None


@dataclass(eq=False)
class Call:
    """One v4 request after routing and authentication (``query``: its parameters, snake_case names
    under their camelCase aliases; ``points``: how many points the answer holds)."""

    state: EmulatorState
    request: Request
    route: Route
    params: dict[str, str]
    scopes: tuple[str, ...]
    query: dict[str, str] = field(init=False)
    points: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self.query = {SNAKE_ALIASES.get(key, key): value for key, value in self.request.query_params.items()}

    def user_segment(self) -> str:
        return self.params["usersId"]

    def spec(self) -> DataTypeSpec:
        path_id = self.params["dataTypesId"]
        spec = self.state.types.get(path_id)
        if spec is None:
            raise invalid_argument(
                f"INVALID_PARENT_DATA_TYPE_COLLECTION: unknown data type {path_id!r} in "
                f"users/{self.user_segment()}/dataTypes/{path_id}",
                "INVALID_PARENT_DATA_TYPE_COLLECTION",
            )
        return spec

    async def json_body(self, allowed: set[str]) -> dict[str, Any]:
        raw = await self.request.body()
        try:
            body = orjson.loads(raw) if raw.strip() else {}
        except orjson.JSONDecodeError:
            raise invalid_argument("Invalid JSON payload received. Unexpected token.") from None
        if not isinstance(body, dict):
            raise invalid_argument("Invalid JSON payload received. Expected an object.")
        for key in body:
            if key not in allowed:
                raise invalid_argument(f'Invalid JSON payload received. Unknown name "{key}": Cannot find field.')
        return body


# -- dispatch ---------------------------------------------------------------------------------------
async def dispatch(state: EmulatorState, request: Request) -> Response:
    started = time.perf_counter()
    response = await _dispatch(state, request)
    response.headers["X-Emulator-Ms"] = f"{(time.perf_counter() - started) * 1000:.1f}"
    return response


async def _dispatch(state: EmulatorState, request: Request) -> Response:
    found = match_route(request.method, request.url.path)
    if found is None:
        return unknown_method().response()
    route, params = found
    request.scope.setdefault("emulator", {}).update(method=route.method_id, data_type=params.get("dataTypesId"))
    try:
        token = _bearer(request)
        access = state.oauth.check_bearer(token, route.method_id)
        user = state.generator.person.health_user_id
        wait = state.quota.acquire(user)
        if wait is not None:
            raise rate_limited(state.quota.limit, wait if state.config.quota_retry_after else None)
        call = Call(state, request, route, params, access.scopes)
        _check_query(call)
        if not state.account_linked:
            raise account_not_linked()
        _check_user(call)
        response = await HANDLERS[route.handler_name](call)
        request.scope["emulator"]["points"] = call.points
    except ApiError as err:
        return err.response()
    fields = request.query_params.get("fields")
    if fields and response.media_type == JSON_TYPE:
        body = apply_fields(orjson.loads(bytes(response.body)), parse_fields(fields))
        return Response(orjson.dumps(body), media_type=JSON_TYPE)
    return response


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip()
    return request.query_params.get("access_token") or request.query_params.get("oauth_token")


def _check_query(call: Call) -> None:
    for key in call.request.query_params:
        name = SNAKE_ALIASES.get(key, key)
        if name in SYSTEM_PARAMS or name in call.route.query:
            continue
        raise invalid_argument(
            f'Invalid JSON payload received. Unknown name "{key}": Cannot bind query parameter. '
            f"Field '{key}' could not be found in request message."
        )
    alt = call.query.get("alt", "json")
    if alt not in ("json", "media"):
        raise invalid_argument(f"The emulator does not support alt={alt}; use json or media.")
    if alt == "media" and call.route.handler_name != "export_tcx":
        raise invalid_argument("alt=media is only supported by exportExerciseTcx.")


def _check_user(call: Call) -> None:
    user = call.user_segment()
    uid = call.state.generator.person.health_user_id
    if call.route.handler_name == "get_identity":
        if user != "me":
            raise invalid_argument("Only users/me/identity is supported.")
        return
    if user not in ("me", uid):
        raise permission_denied("The caller does not have permission to access this user's data.")


def _ok(body: dict[str, Any] | bytes) -> Response:
    return Response(body if isinstance(body, bytes) else orjson.dumps(body), media_type=JSON_TYPE)


def _require_scope(call: Call, scope: str) -> None:
    if scope not in call.scopes:
        raise scope_insufficient(call.route.method_id, scope)


# -- account resources ------------------------------------------------------------------------------------
async def get_identity(call: Call) -> Response:
    if not any(s in HEALTH_SCOPES for s in call.scopes):
        raise scope_insufficient(call.route.method_id, "https://www.googleapis.com/auth/googlehealth.*")
    return _ok(account.identity(call.state))


async def get_profile(call: Call) -> Response:
    _require_scope(call, PROFILE_SCOPE)
    return _ok(account.profile(call.state, call.scopes))


async def get_settings(call: Call) -> Response:
    _require_scope(call, SETTINGS_SCOPE)
    return _ok(account.settings(call.state))


async def get_irn_profile(call: Call) -> Response:
    _require_scope(call, IRN_SCOPE)
    return _ok(account.irn_profile(call.state))


async def list_devices(call: Call) -> Response:
    _require_scope(call, SETTINGS_SCOPE)
    devices = account.paired_devices(call.state)
    size = _page_size(call.query.get("pageSize"), 5, 100)
    query = fingerprint(call.route.method_id)
    start = 0
    if call.query.get("pageToken"):
        start = int(call.state.page_tokens.decode(query, call.query["pageToken"])[0])
    page = devices[start : start + size]
    more = start + size < len(devices)
    body: dict[str, Any] = {}
    if page:
        body["pairedDevices"] = page
    body["nextPageToken"] = call.state.page_tokens.encode(query, [start + size]) if more else ""
    return _ok(body)


async def get_device(call: Call) -> Response:
    _require_scope(call, SETTINGS_SCOPE)
    for device in account.paired_devices(call.state):
        if device["name"].rsplit("/", 1)[-1] == call.params["pairedDevicesId"]:
            return _ok(device)
    raise not_found()


async def read_only(call: Call) -> Response:
    raise ApiError("UNIMPLEMENTED", f"{call.route.method_id} is not implemented: the emulator is read-only.")


# -- data points -----------------------------------------------------------------------------------------------
OP_NAMES = {LIST: "List", RECONCILE: "Reconcile", ROLLUP: "Rollup", DAILY_ROLLUP: "DailyRollup", GET: "Get",
            TCX: "ExportExerciseTcx"}  # fmt: skip


def _data_spec(call: Call) -> tuple[DataTypeSpec, bool]:
    """The data type, after operation and scope checks; True if the caller may read only self-sources."""
    spec = call.spec()
    op = call.route.data_op
    assert op is not None
    if op not in spec.ops:
        raise invalid_argument(f"{OP_NAMES[op]} is not supported for data type {spec.path_id}")
    if spec.read_scope in call.scopes:
        return spec, False
    if spec.write_scope in call.scopes:
        return spec, True
    raise scope_insufficient(call.route.method_id, spec.read_scope)


def _family(call: Call, spec: DataTypeSpec, value: str | None, self_only: bool, allow_any_type: bool) -> str:
    if not value:
        if self_only and not spec.family_filter and not allow_any_type:
            raise permission_denied(
                f"Only data written by this client can be read with write scopes; {spec.path_id} cannot be "
                "restricted to a data source family."
            )
        return "self-sources" if self_only else "all-sources"
    m = _FAMILY.match(value)
    if m is None or m.group(2) not in FAMILIES or m.group(1) not in ("me", call.state.generator.person.health_user_id):
        raise invalid_argument(
            f"INVALID_DATA_POINT_DATA_SOURCE_FAMILY: {value!r} is not a data source family; use "
            "users/me/dataSourceFamilies/{all-sources|google-wearables|google-sources|self-sources}",
            "INVALID_DATA_POINT_DATA_SOURCE_FAMILY",
        )
    if not spec.family_filter and not allow_any_type:
        raise invalid_argument(
            f"Filtering by data source family is not supported for {spec.path_id}; use reconcile instead."
        )
    family = m.group(2)
    if self_only and family != "self-sources":
        raise permission_denied("With write-only scopes only the self-sources data source family can be read.")
    return family


FAMILY_MEMBERS = {
    "all-sources": None,
    "google-sources": None,
    "google-wearables": frozenset({"wearable"}),
    "self-sources": frozenset(),
}


def _page_size(raw: str | int | None, default: int, maximum: int) -> int:
    if raw is None or raw == "":
        return default
    try:
        size = int(raw)
    except (TypeError, ValueError):
        raise invalid_argument(f"Invalid value at 'page_size' (TYPE_INT32), \"{raw}\"") from None
    if size < 0:
        raise invalid_argument("page_size must not be negative.")
    return default if size == 0 else min(size, maximum)


async def list_points(call: Call) -> Response:
    return await _list(call, reconciled=False)


async def reconcile_points(call: Call) -> Response:
    return await _list(call, reconciled=True)


def _rec_key(rec: tuple[Any, ...]) -> tuple[int, int]:
    return rec[0], rec[4]


async def _list(call: Call, reconciled: bool) -> Response:
    spec, self_only = _data_spec(call)
    state, gen = call.state, call.state.generator
    flt = parse_filter(call.query.get("filter"), spec)
    family = _family(call, spec, call.query.get("dataSourceFamily"), self_only, allow_any_type=reconciled)
    size = _page_size(call.query.get("pageSize"), spec.list_page_default, spec.list_page_max)
    query = fingerprint(call.route.method_id, spec.path_id, flt.text, family)
    cursor = state.page_tokens.decode(query, call.query["pageToken"]) if call.query.get("pageToken") else None
    if call.request.scope.get("emulator", {}).get("empty_page"):
        # Fault: an empty page whose token resumes exactly where this request started.
        resume = cursor if cursor is not None else [gen.last_day.toordinal(), 2**62, 0]
        return _ok(f'{{"nextPageToken":"{state.page_tokens.encode(query, resume)}"}}'.encode())

    lo, hi = flt.day_range(state.timeline)
    first = max(lo or gen.first_day, gen.first_day)
    last = min(hi or gen.last_day, gen.last_day)
    until = state.visible_until()
    if until is not None:
        last = min(last, state.timeline.day_of(int(until)))
    if cursor is not None:
        last = min(last, date.fromordinal(int(cursor[0])))
    members = FAMILY_MEMBERS[family]
    if members is not None and not members:
        first = last + timedelta(days=1)  # self-sources: the emulator holds no client-written data
    match = flt.matches if flt.expr is not None else None

    picked: list[tuple[Any, ...]] = []
    last_day_of_page = last
    more = False
    day = last
    while day >= first and not more:
        recs = gen.records(spec.path_id, day)
        end = len(recs)
        if cursor is not None and day.toordinal() == int(cursor[0]):
            end = bisect.bisect_left(recs, (int(cursor[1]), int(cursor[2])), key=_rec_key)
        t0, t1 = state.timeline.day_bounds(day)
        if members is None and (until is None or t1 <= until) and flt.covers_day(date_to_days(day), t0, t1):
            # The whole day matches: take a slice instead of testing records one by one.
            if end:
                if len(picked) == size:
                    more = True
                    break
                need = size - len(picked)
                take = recs[max(0, end - need) : end]
                take.reverse()
                picked += take
                last_day_of_page = day
                more = end > need
            day -= timedelta(days=1)
            continue
        for i in range(end - 1, -1, -1):
            rec = recs[i]
            if until is not None and rec[1] > until:
                continue
            if match is not None and not match(rec):
                continue
            if members is not None and record_family(spec.path_id, rec) not in members:
                continue
            if len(picked) == size:
                more = True
                break
            picked.append(rec)
            last_day_of_page = day
        day -= timedelta(days=1)

    token = ""
    if more:
        tail = picked[-1]
        token = state.page_tokens.encode(query, [last_day_of_page.toordinal(), tail[0], tail[4]])
    call.points = len(picked)
    texts = fragments(spec.path_id, spec.json_key, picked, gen, gen.person.health_user_id, reconciled)
    if not texts:
        return _ok(f'{{"nextPageToken":"{token}"}}'.encode())
    # Glue the envelope onto the first and last point so the page is copied only twice.
    texts[0] = '{"dataPoints":[' + texts[0]
    texts[-1] = f'{texts[-1]}],"nextPageToken":"{token}"}}'
    return _ok(",".join(texts).encode())


async def get_point(call: Call) -> Response:
    spec, self_only = _data_spec(call)
    if not spec.identifiable:
        raise invalid_argument(f"Get is not supported for data type {spec.path_id}")
    rec = None if self_only else call.state.generator.find(spec.path_id, call.params["dataPointsId"])
    until = call.state.visible_until()
    if rec is None or (until is not None and rec[1] > until):
        raise not_found(
            f"Data point users/{call.user_segment()}/dataTypes/{spec.path_id}/dataPoints/"
            f"{call.params['dataPointsId']} was not found."
        )
    call.points = 1
    return _ok(call.state.generator.render(spec.path_id, rec))


async def export_tcx(call: Call) -> Response:
    spec = call.spec()
    if spec.path_id != "exercise":
        raise invalid_argument(f"ExportExerciseTcx is not supported for data type {spec.path_id}")
    for scope in (spec.read_scope, LOCATION_SCOPE):
        _require_scope(call, scope)
    rec = call.state.generator.find("exercise", call.params["dataPointsId"])
    until = call.state.visible_until()
    if rec is None or (until is not None and rec[1] > until):
        raise not_found("Exercise not found.")
    partial = call.query.get("partialData", "false").lower() == "true"
    tcx = build_tcx(rec[5], call.state.generator, partial_data=partial)
    call.points = 1
    if call.query.get("alt") == "media":
        return Response(tcx.encode(), media_type=MEDIA_TYPE)
    return _ok({"tcxData": tcx})


# -- rollups ------------------------------------------------------------------------------------------------------
def parse_duration_ns(value: Any, field: str) -> int:
    m = _DURATION.match(value) if isinstance(value, str) else None
    if m is None:
        raise invalid_argument(f"Invalid value at '{field}' (type.googleapis.com/google.protobuf.Duration), {value!r}")
    sign, whole, frac = m.groups()
    ns = int(whole) * NS + int((frac or "0").ljust(9, "0"))
    return -ns if sign else ns


def _timestamp_ns(value: Any, field: str) -> int:
    if not isinstance(value, str):
        raise invalid_argument(f"Invalid value at '{field}' (type.googleapis.com/google.protobuf.Timestamp)")
    try:
        seconds = parse_rfc3339(value)
    except ApiError:
        raise invalid_argument(
            f"Invalid value at '{field}' (type.googleapis.com/google.protobuf.Timestamp), \"{value}\""
        ) from None
    return round(seconds * NS)


def _format_ns(ns: int) -> str:
    """Proto3 JSON timestamp: 0, 3, 6 or 9 fractional digits."""
    seconds, frac = divmod(ns, NS)
    text = rfc3339(seconds)
    if frac:
        digits = 3 if frac % 1_000_000 == 0 else (6 if frac % 1000 == 0 else 9)
        text = text[:-1] + "." + f"{frac:09d}"[:digits] + "Z"
    return text


def _known_members(value: dict[str, Any], field: str, known: tuple[str, ...]) -> None:
    """INVALID_ARGUMENT, as Google words it, for a member of the object ``field`` it does not know."""
    for key in value:
        if key not in known:
            raise invalid_argument(
                f"Invalid JSON payload received. Unknown name \"{key}\" at '{field}': Cannot find field."
            )


def _range(body: dict[str, Any], start: str, end: str) -> dict[str, Any]:
    """The request's ``range`` object with its members ``start`` and ``end`` (and nothing else)."""
    span = body.get("range")
    if not isinstance(span, dict) or start not in span or end not in span:
        raise invalid_argument(f"range with {start} and {end} is required.")
    _known_members(span, "range", (start, end))
    return span


def _range_too_long(spec: DataTypeSpec) -> ApiError:
    return invalid_argument(
        f"INVALID_TIME_RANGE: the maximum range for {spec.path_id} is {spec.rollup_cap_days} days.",
        "INVALID_TIME_RANGE",
    )


async def roll_up(call: Call) -> Response:
    spec, self_only = _data_spec(call)
    body = await call.json_body({"range", "windowSize", "pageSize", "pageToken", "dataSourceFamily"})
    span = _range(body, "startTime", "endTime")
    start = _timestamp_ns(span["startTime"], "range.start_time")
    end = _timestamp_ns(span["endTime"], "range.end_time")
    if "windowSize" not in body:
        raise invalid_argument("window_size is required.")
    window = parse_duration_ns(body["windowSize"], "window_size")
    if window < NS:
        raise invalid_argument("window_size must be at least 1 second.")
    if start >= end:
        raise invalid_argument(
            "INVALID_TIME_RANGE: range.start_time must be before range.end_time.", "INVALID_TIME_RANGE"
        )
    if end - start > spec.rollup_cap_days * DAY * NS:
        raise _range_too_long(spec)
    family = _family(call, spec, body.get("dataSourceFamily"), self_only, allow_any_type=True)
    size = _page_size(body.get("pageSize"), 1440, 10000)
    query = fingerprint(call.route.method_id, spec.path_id, start, end, window, family)
    after = -1
    if body.get("pageToken"):
        after = int(call.state.page_tokens.decode(query, str(body["pageToken"]))[0])
    until = call.state.visible_until()
    windows = _cached(
        call.state,
        (query, until if until is None or until < end / NS else None),
        lambda: (
            []
            if family == "self-sources"
            else rollups.roll_up(call.state.generator, spec.path_id, start, end, window, until)
        ),
    )
    return _rollup_page(call, query, windows, after, size, lambda k, value: {
        "startTime": _format_ns(start + k * window),
        "endTime": _format_ns(min(end, start + (k + 1) * window)),
        spec.json_key: value,
    })


def _rollup_page(call: Call, query: str, windows: list[tuple[int, Any]], after: int, size: int,
                 point: Callable[[int, Any], dict[str, Any]]) -> Response:
    """One page of rollup windows (``(k, value)``, k ascending) after window ``after``: the
    points as ``point`` shapes them, and a token bound to ``query`` while windows remain."""
    page = [w for w in windows if w[0] > after][:size]
    out: dict[str, Any] = {}
    if page:
        out["rollupDataPoints"] = [point(k, value) for k, value in page]
        if page[-1][0] < windows[-1][0]:
            out["nextPageToken"] = call.state.page_tokens.encode(query, [page[-1][0]])
    call.points = len(page)
    return _ok(out)


def _civil(value: Any, field: str) -> int:
    """CivilDateTime JSON -> local seconds."""
    if not isinstance(value, dict) or "date" not in value:
        raise invalid_argument(f"{field}.date is required.")
    _known_members(value, field, ("date", "time"))
    d = value["date"]
    t = value.get("time") or {}
    try:
        day = date(int(d["year"]), int(d["month"]), int(d["day"]))
        h, m, s = int(t.get("hours", 0)), int(t.get("minutes", 0)), int(t.get("seconds", 0))
    except (KeyError, TypeError, ValueError):
        raise invalid_argument(f"Invalid value at '{field}': expected a full date (year, month, day).") from None
    if not (0 <= h <= 23 and 0 <= m <= 59 and 0 <= s <= 59) or t.get("nanos"):
        raise invalid_argument(f"Invalid value at '{field}.time'.")
    return date_to_days(day) * DAY + h * 3600 + m * 60 + s


def _civil_json(local: int) -> dict[str, Any]:
    days, sod = divmod(local, DAY)
    d = days_to_date(days)
    return {"date": {"year": d.year, "month": d.month, "day": d.day}, "time": time_json(sod)}


async def daily_roll_up(call: Call) -> Response:
    spec, self_only = _data_spec(call)
    body = await call.json_body({"range", "windowSizeDays", "pageSize", "pageToken", "dataSourceFamily"})
    if spec.daily_rejects_page_size and "pageSize" in body:
        raise invalid_argument(f"page_size is not supported for {spec.path_id}.")
    span = _range(body, "start", "end")
    start = _civil(span["start"], "range.start")
    end = _civil(span["end"], "range.end")
    if start % DAY:
        raise invalid_argument("range.start must be aligned with the aggregation window (a civil midnight).")
    days = body.get("windowSizeDays", 1)
    if not isinstance(days, int) or days < 1:
        raise invalid_argument("window_size_days must be a positive integer.")
    if start >= end:
        raise invalid_argument("INVALID_TIME_RANGE: range.start must be before range.end.", "INVALID_TIME_RANGE")
    if end - start > spec.rollup_cap_days * DAY:
        raise _range_too_long(spec)
    family = _family(call, spec, body.get("dataSourceFamily"), self_only, allow_any_type=True)
    size = _page_size(body.get("pageSize"), spec.daily_page_max, spec.daily_page_max)
    query = fingerprint(call.route.method_id, spec.path_id, start, end, days, family)
    after = -1
    if body.get("pageToken"):
        after = int(call.state.page_tokens.decode(query, str(body["pageToken"]))[0])
    until = call.state.visible_until()
    # Past the range's end (+12 h for any UTC offset) the clock no longer changes the result.
    key_until = until if until is not None and until < end + 43200 else None
    windows = _cached(
        call.state,
        (query, key_until),
        lambda: (
            []
            if family == "self-sources"
            else rollups.daily_roll_up(call.state.generator, spec.path_id, start, end, days, until)
        ),
    )
    width = days * DAY
    return _rollup_page(call, query, windows, after, size, lambda k, value: {
        "civilStartTime": _civil_json(start + k * width),
        "civilEndTime": _civil_json(min(end, start + (k + 1) * width)),
        spec.json_key: value,
    })


def _cached(
    state: EmulatorState, key: Any, compute: Callable[[], list[tuple[int, dict[str, Any]]]]
) -> list[tuple[int, dict[str, Any]]]:
    cache = state.rollup_cache
    if key in cache:
        return cache[key]  # type: ignore[no-any-return]
    value = compute()
    if len(cache) >= 8:
        cache.pop(next(iter(cache)))
    cache[key] = value
    return value


HANDLERS: dict[str, Handler] = {
    "get_identity": get_identity,
    "get_profile": get_profile,
    "get_settings": get_settings,
    "get_irn_profile": get_irn_profile,
    "list_devices": list_devices,
    "get_device": get_device,
    "read_only": read_only,
    "list_points": list_points,
    "reconcile_points": reconcile_points,
    "get_point": get_point,
    "export_tcx": export_tcx,
    "roll_up": roll_up,
    "daily_roll_up": daily_roll_up,
}
