"""HealthApiClient request shapes, retries, refresh-on-401 and error mapping (httpx.MockTransport).

The same behaviours are exercised over real HTTP against the emulator in test_client_emulator.py;
these cover exact sequences (which answer comes when) that are awkward to stage on a server.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor

import httpx
import orjson
import pytest

from fitbit_sync.auth.legacy import LegacyFitbitError
from fitbit_sync.catalog import SCOPE_HEALTH, SCOPE_SETTINGS
from fitbit_sync.config import Settings
from fitbit_sync.errors import AuthRequiredError, ExitCode, SourceError
from fitbit_sync.sources.google_health.client import HealthApiClient
from fitbit_sync.sources.google_health.errors import AccountError, ApiRequestError, MissingScopeError

Answer = httpx.Response | Exception


class FakeTokens:
    def __init__(self) -> None:
        self.generation = 1
        self.invalidations = 0

    def access_token(self) -> str:
        return f"ya29.token-{self.generation}"

    def invalidate(self) -> None:
        self.invalidations += 1
        self.generation += 1


class Script:
    """A MockTransport handler answering from a list, recording every request."""

    def __init__(self, answers: Iterable[Answer | Callable[[httpx.Request], Answer]]) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []
        self.lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.requests.append(request)
            answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if callable(answer) and not isinstance(answer, httpx.Response):
            answer = answer(request)
        if isinstance(answer, Exception):
            raise answer
        return answer


def google_error(code: int, status: str, message: str, reason: str | None = None,
                 headers: dict[str, str] | None = None) -> httpx.Response:
    error: dict[str, object] = {"code": code, "status": status, "message": message}
    if reason:
        error["details"] = [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": reason}]
    return httpx.Response(code, json={"error": error}, headers=headers)


OK_PAGE = httpx.Response(200, json={"dataPoints": [{"steps": {"count": "5"}}], "nextPageToken": ""})


def make_client(script: Script, *, max_retries: int = 6, quota: int = 300,
                tokens: FakeTokens | None = None) -> tuple[HealthApiClient, list[float], FakeTokens]:
    settings = Settings(client_id="c.apps.googleusercontent.com", api_base_url="https://health.example/",
                        max_retries=max_retries, quota_per_minute=quota)
    sleeps: list[float] = []
    now = [0.0]

    def sleep(seconds: float) -> None:  # a fake clock that moves only when the client waits
        sleeps.append(seconds)
        now[0] += seconds

    tokens = tokens or FakeTokens()
    client = HealthApiClient(settings, tokens, transport=httpx.MockTransport(script), sleep=sleep,
                             clock=lambda: now[0])
    return client, sleeps, tokens


def test_list_request_shape() -> None:
    script = Script([OK_PAGE])
    client, sleeps, _ = make_client(script)
    since = 'heart_rate.sample_time.physical_time >= "2026-11-01T00:00:00Z"'
    page = client.list_data_points("heart-rate", filter=since, page_size=10_000, page_token="tok2")
    assert page["dataPoints"] == [{"steps": {"count": "5"}}]
    (request,) = script.requests
    assert request.method == "GET"
    assert request.url.path == "/v4/users/me/dataTypes/heart-rate/dataPoints"
    assert request.url.params["filter"] == since
    assert request.url.params["pageSize"] == "10000"
    assert request.url.params["pageToken"] == "tok2"
    assert request.headers["Authorization"] == "Bearer ya29.token-1"
    assert client.calls == {"list:heart-rate": 1}
    assert sleeps == []


def test_rollup_request_shapes() -> None:
    script = Script([httpx.Response(200, json={"rollupDataPoints": []})])
    client, _, _ = make_client(script)
    body = {"range": {"startTime": "2026-11-01T00:00:00Z", "endTime": "2026-11-02T00:00:00Z"}, "windowSize": "60s"}
    client.roll_up("floors", body)
    client.daily_roll_up("steps", {"range": {"start": {"date": {"year": 2026, "month": 11, "day": 1}}},
                                   "windowSizeDays": 1})
    first, second = script.requests
    assert (first.method, first.url.path) == ("POST", "/v4/users/me/dataTypes/floors/dataPoints:rollUp")
    assert orjson.loads(first.content) == body
    assert first.headers["Content-Type"] == "application/json"
    assert second.url.path == "/v4/users/me/dataTypes/steps/dataPoints:dailyRollUp"
    assert client.calls == {"rollUp:floors": 1, "dailyRollUp:steps": 1}


def test_user_endpoints_and_tcx() -> None:
    tcx = '<?xml version="1.0"?><TrainingCenterDatabase></TrainingCenterDatabase>'

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith(":exportExerciseTcx"):
            assert request.url.params["alt"] == "media"
            return httpx.Response(200, text=tcx, headers={"Content-Type": "application/vnd.garmin.tcx+xml"})
        return httpx.Response(200, json={"path": request.url.path})

    client, _, _ = make_client(Script([answer]))
    assert client.identity() == {"path": "/v4/users/me/identity"}
    assert client.profile() == {"path": "/v4/users/me/profile"}
    assert client.user_settings() == {"path": "/v4/users/me/settings"}
    assert client.export_exercise_tcx("6661252888799707592") == tcx
    assert client.calls == {"identity": 1, "profile": 1, "settings": 1, "exportExerciseTcx:exercise": 1}
    with pytest.raises(ValueError):
        client.export_exercise_tcx("../../identity")
    with pytest.raises(ValueError):
        client.list_data_points("steps/../x", filter="", page_size=1)


def test_paired_devices_follows_every_page() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        token = request.url.params.get("pageToken")
        page = {None: ({"name": "d1"}, "p2"), "p2": ({"name": "d2"}, "p3"), "p3": ({"name": "d3"}, "")}[token]
        return httpx.Response(200, json={"pairedDevices": [page[0]], "nextPageToken": page[1]})

    script = Script([answer])
    client, _, _ = make_client(script)
    assert [d["name"] for d in client.paired_devices()] == ["d1", "d2", "d3"]
    assert client.calls == {"pairedDevices": 3}


def test_iter_pages_stops_on_empty_token_and_survives_empty_pages() -> None:
    pages = {None: {"dataPoints": [], "nextPageToken": "a"}, "a": {"dataPoints": [1], "nextPageToken": "b"},
             "b": {"dataPoints": [2]}}
    client, _, _ = make_client(Script([OK_PAGE]))
    got = list(client.iter_pages(lambda token: pages[token]))
    assert [p.get("dataPoints") for p in got] == [[], [1], [2]]


@pytest.mark.reliability
@pytest.mark.parametrize(
    "fault",
    [
        google_error(429, "RESOURCE_EXHAUSTED", "Quota exceeded", "RATE_LIMIT_EXCEEDED"),
        google_error(500, "INTERNAL", "oops"),
        httpx.Response(502, text="<html>bad gateway</html>"),
        google_error(503, "UNAVAILABLE", "try later"),
        google_error(504, "DEADLINE_EXCEEDED", "too big"),
        httpx.ReadTimeout("timed out"),
        httpx.ConnectError("refused"),
        httpx.ReadError("[Errno 104] Connection reset by peer"),
        httpx.RemoteProtocolError("peer closed connection without sending complete message body"),
        httpx.Response(200, content=b'{"dataPoints": [{"steps": '),  # truncated
        httpx.Response(200, content=b"<html>proxy error</html>"),  # not JSON
        httpx.Response(200, content=b"[1, 2]"),  # JSON, not an object
        httpx.Response(200, content=b"\x1f\x8b\x08\x00broken", headers={"Content-Encoding": "gzip"}),
    ],
    ids=lambda f: type(f).__name__ if isinstance(f, Exception) else f"{f.status_code}",
)
def test_transient_faults_are_retried(fault: Answer) -> None:
    script = Script([fault, fault, OK_PAGE])
    client, sleeps, _ = make_client(script)
    page = client.list_data_points("steps", filter="f", page_size=10)
    assert page["dataPoints"]
    assert len(script.requests) == 3
    assert len(sleeps) == 2
    assert client.calls == {"list:steps": 1, "retry": 2}


def test_retry_after_is_honoured_and_pauses_the_pacer() -> None:
    script = Script([google_error(429, "RESOURCE_EXHAUSTED", "quota", headers={"Retry-After": "17"}), OK_PAGE])
    client, sleeps, _ = make_client(script)
    client.list_data_points("steps", filter="f", page_size=10)
    assert len(sleeps) == 1 and 17.0 <= sleeps[0] <= 18.0
    assert client.calls["retry"] == 1


def test_backoff_grows_exponentially_with_jitter() -> None:
    script = Script([google_error(503, "UNAVAILABLE", "down")] * 6 + [OK_PAGE])
    client, sleeps, _ = make_client(script, max_retries=6)
    client.list_data_points("steps", filter="f", page_size=10)
    assert len(sleeps) == 6
    for n, delay in enumerate(sleeps):
        assert 0 <= delay <= min(client.policy.cap, client.policy.base * 2**n)


@pytest.mark.reliability
def test_gives_up_after_max_retries_with_one_line() -> None:
    script = Script([google_error(503, "UNAVAILABLE", "down")])
    client, sleeps, _ = make_client(script, max_retries=3)
    with pytest.raises(SourceError) as info:
        client.list_data_points("steps", filter="f", page_size=10)
    assert len(script.requests) == 4 and len(sleeps) == 3
    assert info.value.exit_code == ExitCode.SOURCE_UNAVAILABLE
    assert "list:steps" in str(info.value) and "4 attempts" in str(info.value) and "503" in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("answer", "fragment"),
    [
        (google_error(400, "INVALID_ARGUMENT", "List is not supported for data type floors"),
         "List is not supported"),
        (google_error(404, "NOT_FOUND", "nope"), "HTTP 404"),
    ],
)
def test_other_client_errors_are_not_retried(answer: httpx.Response, fragment: str) -> None:
    script = Script([answer])
    client, sleeps, _ = make_client(script)
    with pytest.raises(ApiRequestError) as info:
        client.list_data_points("steps", filter="f", page_size=10)
    assert len(script.requests) == 1 and sleeps == []
    assert fragment in str(info.value)
    assert info.value.status == answer.status_code
    assert info.value.exit_code == ExitCode.ERROR


@pytest.mark.parametrize(
    ("answer", "fragment"),
    [
        (google_error(400, "FAILED_PRECONDITION", "The account is not linked", "ACCOUNT_NOT_LINKED"),
         "no Fitbit / Google Health profile: set it up in the Fitbit app"),
        (google_error(403, "PERMISSION_DENIED", "User is not authorized to access health data.",
                      "USER_PROJECT_DENIED"), "add it as a test user"),
        (google_error(403, "PERMISSION_DENIED", "API disabled", "SERVICE_DISABLED"), "enable the Google Health API"),
    ],
)
def test_account_level_refusals_are_not_retried_and_have_their_own_exit_code(answer: httpx.Response,
                                                                             fragment: str) -> None:
    script = Script([answer])
    client, sleeps, _ = make_client(script)
    with pytest.raises(AccountError) as info:
        client.list_data_points("steps", filter="f", page_size=10)
    assert len(script.requests) == 1 and sleeps == []
    assert fragment in str(info.value) and "\n" not in str(info.value)
    assert info.value.exit_code == ExitCode.ACCOUNT_UNUSABLE == 9


def test_401_refreshes_once_then_succeeds() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.headers["Authorization"] == "Bearer ya29.token-1":
            return google_error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.")
        return OK_PAGE

    script = Script([answer])
    client, sleeps, tokens = make_client(script)
    client.list_data_points("steps", filter="f", page_size=10)
    assert tokens.invalidations == 1
    assert [r.headers["Authorization"] for r in script.requests] == ["Bearer ya29.token-1", "Bearer ya29.token-2"]
    assert sleeps == []
    assert client.calls == {"list:steps": 1, "retry": 1}


def test_401_for_a_token_another_worker_already_replaced_does_not_refresh_again() -> None:
    class RefreshedElsewhere(FakeTokens):
        calls = 0

        def access_token(self) -> str:
            token = super().access_token()
            self.calls += 1
            if self.calls == 1:
                self.generation += 1  # another worker refreshed right after we took the token
            return token

    def answer(request: httpx.Request) -> httpx.Response:
        if request.headers["Authorization"] == "Bearer ya29.token-1":
            return google_error(401, "UNAUTHENTICATED", "expired")
        return OK_PAGE

    script = Script([answer])
    client, _, tokens = make_client(script, tokens=RefreshedElsewhere())
    client.list_data_points("steps", filter="f", page_size=10)
    assert tokens.invalidations == 0
    assert [r.headers["Authorization"] for r in script.requests] == ["Bearer ya29.token-1", "Bearer ya29.token-2"]


@pytest.mark.reliability
def test_401_after_refresh_is_auth_required_not_a_loop() -> None:
    script = Script([google_error(401, "UNAUTHENTICATED", "bad token ya29.token-2")])
    client, _, tokens = make_client(script)
    with pytest.raises(AuthRequiredError) as info:
        client.list_data_points("steps", filter="f", page_size=10)
    assert len(script.requests) == 2 and tokens.invalidations == 1
    assert "fitbit-sync auth" in str(info.value) and "ya29" not in str(info.value)
    assert info.value.exit_code == ExitCode.AUTH_REQUIRED


def test_missing_scope_names_the_scope() -> None:
    denied = google_error(403, "PERMISSION_DENIED", "Request had insufficient authentication scopes.",
                          "ACCESS_TOKEN_SCOPE_INSUFFICIENT")
    client, _, _ = make_client(Script([denied]))
    with pytest.raises(MissingScopeError) as info:
        client.list_data_points("heart-rate", filter="f", page_size=10)
    assert info.value.scope == SCOPE_HEALTH and SCOPE_HEALTH in str(info.value)
    with pytest.raises(MissingScopeError) as info:
        client.paired_devices()
    assert info.value.scope == SCOPE_SETTINGS


def test_410_is_the_legacy_api_line() -> None:
    client, _, _ = make_client(Script([httpx.Response(410, text="Gone")]))
    with pytest.raises(LegacyFitbitError) as info:
        client.identity()
    assert "410 Gone" in str(info.value) and "README: Google Health API credentials" in str(info.value)


@pytest.mark.reliability
def test_error_text_never_carries_the_token() -> None:
    leak = google_error(400, "INVALID_ARGUMENT", "bad request with token ya29.token-1 in it")
    client, _, _ = make_client(Script([leak]))
    with pytest.raises(ApiRequestError) as info:
        client.identity()
    assert "ya29.token-1" not in str(info.value) and "***" in str(info.value)


def test_concurrent_workers_share_one_client() -> None:
    script = Script([OK_PAGE])
    client, _, _ = make_client(script)
    types = ["steps", "distance", "heart-rate", "weight"] * 10
    with ThreadPoolExecutor(4) as pool:
        pages = list(pool.map(lambda t: client.list_data_points(t, filter="f", page_size=5), types))
    assert len(pages) == 40 and len(script.requests) == 40
    assert client.calls == {"list:steps": 10, "list:distance": 10, "list:heart-rate": 10, "list:weight": 10}


@pytest.mark.parametrize(("bad", "problem"), [
    (httpx.Response(200, json={"dataPoints": [{"steps": {"count": "1"}}] * 21}),
     "a page of 21 dataPoints for pageSize 10"),
    (httpx.Response(200, content=b"[" * 5000 + b"]" * 5000), "not valid JSON"),  # orjson: depth > 1024
])
def test_a_page_far_over_its_size_or_nested_too_deep_is_malformed_and_retried(bad: httpx.Response,
                                                                                problem: str) -> None:
    script = Script([bad, bad, OK_PAGE])
    client, sleeps, _ = make_client(script)
    assert client.list_data_points("steps", filter="f", page_size=10)["dataPoints"]
    assert len(script.requests) == 3 and len(sleeps) == 2
    script = Script([bad])
    client, sleeps, _ = make_client(script, max_retries=1)
    with pytest.raises(SourceError) as info:
        client.list_data_points("steps", filter="f", page_size=10)
    assert problem in str(info.value) and "2 attempts" in str(info.value)


def test_a_page_up_to_twice_its_size_is_accepted() -> None:
    script = Script([httpx.Response(200, json={"dataPoints": [{"steps": {"count": "1"}}] * 20})])
    client, sleeps, _ = make_client(script)
    assert len(client.list_data_points("steps", filter="f", page_size=10)["dataPoints"]) == 20
    assert sleeps == []


def test_proxies_from_the_environment_still_apply_and_read_abortably(monkeypatch: pytest.MonkeyPatch) -> None:
    from fitbit_sync.net.transport import _SlicedBackend

    for name in ("ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:3128")
    settings = Settings(client_id="c.apps.googleusercontent.com", api_base_url="https://health.example/")
    client = HealthApiClient(settings, FakeTokens())
    transports = [client._http._transport, *client._http._mounts.values()]
    assert len(transports) >= 2  # the environment's proxy is mounted, as for any httpx.Client
    assert all(isinstance(t._pool._network_backend, _SlicedBackend) for t in transports)  # type: ignore[attr-defined]


def test_an_escaped_lone_surrogate_is_read_not_refused() -> None:
    from fitbit_sync.sources.google_health.client import _json_object

    # orjson refuses it; JSON allows it: the page must be read (the stores replace the character)
    body = b'{"dataPoints": [{"exercise": {"displayName": "run \\ud800 x"}}]}'
    assert _json_object(body)["dataPoints"][0]["exercise"]["displayName"] == "run \ud800 x"
    with pytest.raises(Exception, match="not valid JSON"):
        _json_object(b'{"a": [' * 5000)


def test_retry_after_waits_stop_at_the_retry_budget() -> None:
    from fitbit_sync.sources.google_health.client import API_RETRY_BUDGET

    script = Script([google_error(503, "UNAVAILABLE", "later", headers={"Retry-After": "400"})])
    client, sleeps, _ = make_client(script, max_retries=6)
    with pytest.raises(SourceError, match="still failing after 3 attempts"):
        client.list_data_points("steps", filter="f", page_size=10)
    # each retry waits 300 s (the cap) and the pacer holds every request until the 400 s are over:
    # a third retry would end past the budget
    assert len(script.requests) == 3 and 600 <= sum(sleeps) <= API_RETRY_BUDGET
