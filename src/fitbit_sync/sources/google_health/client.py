"""The Google Health API v4 client: one method per endpoint we read, over a pooled httpx client.

Every request goes to ``{api_base_url}/v4/users/me/...`` with a bearer token from a
``TokenProvider``, waits its turn in the shared ``Pacer`` (quota per minute), and is retried with
backoff on 429/5xx/timeouts/resets/malformed JSON (``net.retry.RetryPolicy``, within
``API_RETRY_BUDGET`` seconds). A 401 triggers one token refresh. Endpoint methods return one
parsed page; ``list_pages``, ``roll_up_pages`` and ``daily_roll_up_pages`` iterate every page
(``paging``: the page tokens and their guards live there only), ``paired_devices`` returns all.
Thread-safe: share one client among worker threads.

Bodies are streamed (``net.transport.send_capped``): an answer over ``max_response_mb``, one still
arriving after ``request_deadline`` seconds, or a page with far more items than its ``pageSize``
is malformed and retried like a truncated body, so no answer can make memory or time unbounded.
With a ``stop`` event, a stop request abandons even a request that hangs within ``SLICE_S``
(``Stopped``).
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import httpx
import orjson

from fitbit_sync import __version__
from fitbit_sync.auth.legacy import check_settings
from fitbit_sync.auth.tokens import TokenProvider
from fitbit_sync.closing import Closing
from fitbit_sync.config import Settings
from fitbit_sync.errors import SourceError
from fitbit_sync.net.retry import MalformedResponse, RetryPolicy
from fitbit_sync.net.transport import RequestGuard, make_abortable, send_once
from fitbit_sync.sources.google_health.errors import error_for_response
from fitbit_sync.sources.google_health.pacing import Pacer
from fitbit_sync.sources.google_health.paging import PagedEndpoints, pages

log = logging.getLogger(__name__)

_TYPE_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_POINT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
PAIRED_DEVICES_PAGE = 100
ITEMS_PER_PAGE_SIZE = 2  # a page with more than pageSize * this many items is malformed
API_RETRY_BUDGET = 900.0  # seconds one request may spend in all its attempts and waits


def _check_id(value: str, pattern: re.Pattern[str], what: str) -> str:
    if not isinstance(value, str) or not pattern.match(value):
        raise ValueError(f"invalid {what}: {value!r}")
    return value


class HealthApiClient(Closing, PagedEndpoints):
    """Google Health API v4 for the signed-in user (``users/me``)."""

    def __init__(
        self,
        settings: Settings,
        tokens: TokenProvider,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        pacer: Pacer | None = None,
        policy: RetryPolicy | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        check_settings(settings)  # api.fitbit.com and friends: the one-line 410 message
        self._tokens = tokens
        self._sleep = sleep
        self._clock = clock
        self.pacer = pacer or Pacer(settings.quota_per_minute, clock=clock, sleep=sleep)
        self.policy = policy or RetryPolicy(max_retries=settings.max_retries, budget=API_RETRY_BUDGET)
        self.guard = RequestGuard(stop)
        self._deadline_s = settings.request_deadline
        self._body_cap = settings.max_response_mb * 1024 * 1024
        pool = settings.max_concurrency + 2
        self._http = httpx.Client(
            base_url=settings.api_base_url.rstrip("/") + "/v4/users/me/",
            transport=transport,
            timeout=httpx.Timeout(settings.request_timeout),
            limits=httpx.Limits(max_connections=pool, max_keepalive_connections=pool, keepalive_expiry=30.0),
            headers={"User-Agent": f"fitbit-sync/{__version__}", "Accept": "application/json"},
        )
        make_abortable(self._http, self.guard)
        self._calls: Counter[str] = Counter()
        self._calls_lock = threading.Lock()
        self._on_close: list[Callable[[], None]] = []

    # --- endpoints ----------------------------------------------------------------------------

    def list_data_points(self, type_id: str, *, filter: str, page_size: int,
                         page_token: str | None = None) -> dict[str, Any]:
        """One page of ``dataTypes/{type_id}/dataPoints`` (newest first)."""
        _check_id(type_id, _TYPE_ID, "data type")
        params: dict[str, str | int] = {"filter": filter, "pageSize": page_size}
        if page_token:
            params["pageToken"] = page_token
        return self._json("GET", f"dataTypes/{type_id}/dataPoints", call=f"list:{type_id}", params=params,
                          items=("dataPoints", page_size))

    def roll_up(self, type_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """One page of ``dataPoints:rollUp`` (``body`` holds range, windowSize, pageSize, pageToken)."""
        _check_id(type_id, _TYPE_ID, "data type")
        return self._json("POST", f"dataTypes/{type_id}/dataPoints:rollUp", call=f"rollUp:{type_id}", body=body,
                          items=_rollup_items(body))

    def daily_roll_up(self, type_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """One page of ``dataPoints:dailyRollUp`` (civil-day windows)."""
        _check_id(type_id, _TYPE_ID, "data type")
        return self._json("POST", f"dataTypes/{type_id}/dataPoints:dailyRollUp", call=f"dailyRollUp:{type_id}",
                          body=body, items=_rollup_items(body))

    def paired_devices(self) -> list[dict[str, Any]]:
        """Every paired device (all pages)."""

        def fetch(token: str | None) -> dict[str, Any]:
            params: dict[str, str | int] = {"pageSize": PAIRED_DEVICES_PAGE}
            if token:
                params["pageToken"] = token
            return self._json("GET", "pairedDevices", call="pairedDevices", params=params,
                              items=("pairedDevices", PAIRED_DEVICES_PAGE))

        return [device for page in pages(fetch, "pairedDevices") for device in page.items
                if isinstance(device, dict)]

    def identity(self) -> dict[str, Any]:
        return self._json("GET", "identity", call="identity")

    def profile(self) -> dict[str, Any]:
        return self._json("GET", "profile", call="profile")

    def user_settings(self) -> dict[str, Any]:
        return self._json("GET", "settings", call="settings")

    def export_exercise_tcx(self, exercise_id: str) -> str:
        """The raw TCX XML of one exercise (needs the location scope)."""
        _check_id(exercise_id, _POINT_ID, "exercise id")
        path = f"dataTypes/exercise/dataPoints/{quote(exercise_id)}:exportExerciseTcx"
        response = self._send("GET", path, call="exportExerciseTcx:exercise", params={"alt": "media"},
                              parse=_tcx_text)
        return str(response)

    def iter_pages(self, fetch: Callable[[str | None], dict[str, Any]],
                   key: str = "dataPoints") -> Iterator[dict[str, Any]]:
        """The whole answers of ``fetch(page_token)``, page by page (``paging.pages``: its guards,
        items under ``key``); e.g. ``client.iter_pages(lambda t: client.list_data_points("steps",
        filter=f, page_size=10000, page_token=t))``."""
        return (page.answer for page in pages(fetch, key))

    # --- bookkeeping --------------------------------------------------------------------------

    @property
    def calls(self) -> Counter[str]:
        """Requests sent, keyed ``method:type_id`` (first attempts) and ``retry`` (every retry)."""
        with self._calls_lock:
            return Counter(self._calls)

    def _count(self, key: str) -> None:
        with self._calls_lock:
            self._calls[key] += 1

    # --- the request loop ---------------------------------------------------------------------

    def _json(self, method: str, path: str, *, call: str, params: dict[str, str | int] | None = None,
              body: dict[str, Any] | None = None, items: tuple[str, int] | None = None) -> dict[str, Any]:
        """A JSON object; with ``items`` = (key, pageSize), a page whose list under ``key`` is far
        longer than ``pageSize`` is malformed (a server bug or a hostile answer, never data)."""

        def parse(response: httpx.Response, content: bytes | bytearray) -> dict[str, Any]:
            data = _json_object(content)
            if items is not None:
                key, page_size = items
                found = data.get(key)
                if isinstance(found, list) and len(found) > page_size * ITEMS_PER_PAGE_SIZE:
                    raise MalformedResponse(f"a page of {len(found):,} {key} for pageSize {page_size}")
            return data

        result = self._send(method, path, call=call, params=params, body=body, parse=parse)
        assert isinstance(result, dict)
        return result

    def _send(self, method: str, path: str, *, call: str, params: dict[str, str | int] | None = None,
              body: dict[str, Any] | None = None,
              parse: Callable[[httpx.Response, bytes | bytearray], object]) -> object:
        content = orjson.dumps(body) if body is not None else None
        headers = {"Content-Type": "application/json"} if content is not None else {}
        backoff = self.policy.backoff(clock=self._clock)
        refreshed = False
        first = True
        while True:
            token = self._tokens.access_token()
            self.pacer.acquire()
            self._count(call if first else "retry")
            first = False
            request = self._http.build_request(method, path, params=params, content=content,
                                               headers={**headers, "Authorization": f"Bearer {token}"})
            try:
                sent = send_once(self._http, request, guard=self.guard, deadline_s=self._deadline_s,
                                 cap=self._body_cap)
            except httpx.HTTPError as exc:
                raise SourceError(f"Google Health API {call}: {type(exc).__name__}") from None
            problem, retry_after, response = sent.problem, sent.retry_after, sent.response
            if response is not None and not problem:  # an answer no retry changes
                status = response.status_code
                if status == 401 and not refreshed:
                    refreshed = True  # one refresh per request, then it is a real refusal
                    log.info("%s: HTTP 401, refreshing the access token", call)
                    if self._tokens.access_token() == token:  # unless another worker just did
                        self._tokens.invalidate()
                    continue
                if not response.is_success:
                    raise error_for_response(status, bytes(sent.content), call=call, secrets=(token,))
                try:
                    return parse(response, sent.content)
                except MalformedResponse as exc:
                    problem = f"HTTP {status} with {exc}"
            delay = backoff.next_delay(retry_after)
            if delay is None:
                raise SourceError(
                    f"Google Health API {call}: still failing after {backoff.attempts} attempts (last: {problem})"
                )
            if retry_after is not None:
                self.pacer.defer(retry_after)
            log.warning("%s: %s, retry %d/%d in %.1f s", call, problem, backoff.retries, self.policy.max_retries,
                        delay)
            self._sleep(delay)

    # --- lifecycle ----------------------------------------------------------------------------

    def close(self) -> None:
        self._http.close()
        for callback in self._on_close:
            callback()
        self._on_close.clear()


def _rollup_items(body: dict[str, Any]) -> tuple[str, int] | None:
    size = body.get("pageSize")
    return ("rollupDataPoints", size) if isinstance(size, int) and size > 0 else None


def _json_object(content: bytes | bytearray) -> dict[str, Any]:
    try:
        data = orjson.loads(content)  # refuses nesting deeper than 1024 levels by itself
    except orjson.JSONDecodeError:
        data = _lenient_json(content)
    if not isinstance(data, dict):
        raise MalformedResponse("a JSON body that is not an object")
    return data


def _lenient_json(content: bytes | bytearray) -> Any:
    """The standard library's reading of a body orjson refused: JSON allows an escaped lone
    surrogate (``"\\ud800"``, a name cut mid-character upstream) and orjson does not. Refusing the
    page would fail it on every run; the stores replace such characters (``stores/values.py``)."""
    try:
        return json.loads(bytes(content).decode("utf-8"))
    except (ValueError, RecursionError):
        raise MalformedResponse("a body that is not valid JSON") from None


def _tcx_text(response: httpx.Response, content: bytes | bytearray) -> str:
    if "json" in response.headers.get("Content-Type", ""):  # served without alt=media
        tcx = _json_object(content).get("tcxData")
        if not isinstance(tcx, str):
            raise MalformedResponse("a JSON body without tcxData")
        text = tcx
    else:
        text = bytes(content).decode(response.encoding or "utf-8", errors="replace")
    stripped = text.strip()
    if not (stripped.startswith("<") and stripped.endswith(">")):
        raise MalformedResponse("a body that is not TCX XML")
    return text


def open_client(settings: Settings, **kwargs: Any) -> HealthApiClient:
    """A client for ``settings`` with the stored, refreshing tokens; one-line errors when there is no
    usable token (``AuthRequiredError``/``ReauthRequiredError``) or the settings are Fitbit's."""
    from fitbit_sync.auth.tokens import open_token_provider

    provider = open_token_provider(settings)
    client = HealthApiClient(settings, provider, **kwargs)
    client._on_close.append(provider.close)
    return client
