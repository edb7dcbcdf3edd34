"""Engine mechanics that a well-behaved server never shows: out-of-order pages, repeated page
tokens, one failing stream among good ones, Ctrl-C between pages. A small scripted client stands
in for the API here; everything else runs against the emulator over HTTP (test_backfill_*.py)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from fitbit_sync.catalog import STREAMS_BY_KEY
from fitbit_sync.errors import SourceError, StoreError
from fitbit_sync.sources.google_health.errors import ApiRequestError
from fitbit_sync.sources.google_health.paging import PagedEndpoints
from fitbit_sync.sources.google_health.planner import SOURCE, Request
from fitbit_sync.stores.sqlite import SQLiteStore
from fitbit_sync.sync.engine import Engine, Interrupted

STEPS = STREAMS_BY_KEY["steps"]
HOUR = 3_600_000


def steps_point(minute: int, count: int = 1) -> dict[str, Any]:
    def ts(m: int) -> str:
        return f"2026-01-01T{m // 60:02d}:{m % 60:02d}:00Z"

    return {"steps": {"interval": {"startTime": ts(minute), "endTime": ts(minute + 1)}, "count": str(count)}}


class ScriptedClient(PagedEndpoints):
    """Serves ``pages`` (lists of minutes, newest first per page) for every list request; the
    client's own page loop (``PagedEndpoints``) pages through them."""

    def __init__(self, pages: list[list[int]], *, repeat_token: bool = False,
                 fail_types: frozenset[str] = frozenset(), on_page: Any = None) -> None:
        self.pages = pages
        self.repeat_token = repeat_token
        self.fail_types = fail_types
        self.on_page = on_page
        self.calls: list[tuple[str, str | None]] = []

    def list_data_points(self, type_id: str, *, filter: str, page_size: int,
                         page_token: str | None = None) -> dict[str, Any]:
        self.calls.append((type_id, page_token))
        if type_id in self.fail_types:
            raise ApiRequestError(f"Google Health API list:{type_id}: HTTP 400 INVALID_ARGUMENT", status=400)
        index = 0 if page_token is None else int(page_token)
        if self.on_page:
            self.on_page(index)
        page: dict[str, Any] = {"dataPoints": [steps_point(m) for m in self.pages[index]]}
        if index + 1 < len(self.pages):
            page["nextPageToken"] = "1" if self.repeat_token else str(index + 1)
        return page

    def roll_up(self, type_id: str, body: dict[str, Any]) -> dict[str, Any]:
        raise AssertionError("not used")

    def daily_roll_up(self, type_id: str, body: dict[str, Any]) -> dict[str, Any]:
        raise AssertionError("not used")

    def paired_devices(self) -> list[dict[str, Any]]:
        return []

    def export_exercise_tcx(self, exercise_id: str) -> str:
        raise AssertionError("not used")


def engine(client: ScriptedClient, store: SQLiteStore, **kw: Any) -> Engine:
    return Engine(client, store, zone=ZoneInfo("UTC"), device="Charge 6", max_workers=2,
                  clock=lambda: 1_800_000_000.0, **kw)


def day_request() -> Request:
    return Request(STEPS, 1_767_225_600_000, 1_767_225_600_000 + 24 * HOUR)  # 2026-01-01 UTC


def covered(store: SQLiteStore) -> list[tuple[int, int]]:
    return [(c.start_ms, c.end_ms) for c in store.coverage(SOURCE, "steps")]


def test_coverage_grows_page_by_page_from_the_range_end(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "a.db")
    request = day_request()
    base = request.start_ms
    client = ScriptedClient([[600, 599, 598], [300, 200], [10, 0]])
    engine(client, store).run([request])
    assert covered(store) == [
        (request.start_ms, base + 200 * 60_000 + 1),
        (base + 200 * 60_000 + 1, base + 598 * 60_000 + 1),
        (base + 598 * 60_000 + 1, request.end_ms),
    ]
    assert store.connection.execute('SELECT count(*) FROM "Steps_Intraday"').fetchone()[0] == 7


def test_killed_after_a_page_resumes_with_the_older_remainder(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "a.db")
    request = day_request()
    stop = threading.Event()

    def stop_after_first(index: int) -> None:
        if index == 1:
            stop.set()

    client = ScriptedClient([[600, 599], [300, 200], [10, 0]], on_page=stop_after_first)
    with pytest.raises(Interrupted, match="run the same command again to resume"):
        engine(client, store, stop=stop).run([request])
    # page 2 was in flight when the stop came: it was finished and written, page 3 never asked
    assert len(client.calls) == 2
    cov = covered(store)
    assert cov[0][0] == request.start_ms + 200 * 60_000 + 1 and cov[-1][1] == request.end_ms


def test_out_of_order_pages_record_coverage_only_at_the_end(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "a.db")
    request = day_request()
    stop = threading.Event()
    client = ScriptedClient([[10, 20], [600, 700], [5]], on_page=lambda i: stop.set() if i == 1 else None)
    with pytest.raises(Interrupted):
        engine(client, store, stop=stop).run([request])
    assert covered(store) == []  # ascending pages: nothing may be claimed before the last page
    assert store.connection.execute('SELECT count(*) FROM "Steps_Intraday"').fetchone()[0] == 4


def test_a_repeated_page_token_fails_the_request_without_claiming_coverage(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "a.db")
    client = ScriptedClient([[600], [500], [400]], repeat_token=True)
    report = engine(client, store).run([day_request()])
    assert len(report.failures) == 1 and "repeated a page token" in str(report.failures[0][1])
    assert covered(store)[0][0] > day_request().start_ms  # the tail was never claimed
    with pytest.raises(SourceError, match="run the same command again to retry"):
        report.raise_for_failures()


class EmptyThenDataClient(ScriptedClient):
    """Page 1 comes back empty, handing back its own token, ``empties`` times before its data."""

    def __init__(self, pages: list[list[int]], empties: int) -> None:
        super().__init__(pages)
        self.empties = empties

    def list_data_points(self, type_id: str, *, filter: str, page_size: int,
                         page_token: str | None = None) -> dict[str, Any]:
        if page_token == "1" and self.empties > 0:
            self.empties -= 1
            self.calls.append((type_id, page_token))
            return {"dataPoints": [], "nextPageToken": "1"}
        return super().list_data_points(type_id, filter=filter, page_size=page_size, page_token=page_token)


def test_an_empty_page_may_hand_back_its_own_token(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "a.db")
    client = EmptyThenDataClient([[600], [500], [400]], empties=2)
    report = engine(client, store).run([day_request()])
    assert report.failures == []
    assert store.connection.execute('SELECT count(*) FROM "Steps_Intraday"').fetchone()[0] == 3
    assert [token for _, token in client.calls] == [None, "1", "1", "1", "2"]


def test_endless_empty_pages_with_the_same_token_are_a_loop(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "a.db")
    client = EmptyThenDataClient([[600], [500], [400]], empties=1_000)
    report = engine(client, store).run([day_request()])
    assert len(report.failures) == 1 and "repeated a page token" in str(report.failures[0][1])


def test_one_refused_stream_does_not_stop_the_others(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "a.db")
    distance = Request(STREAMS_BY_KEY["distance"], day_request().start_ms, day_request().end_ms)
    client = ScriptedClient([[600, 500]], fail_types=frozenset({"distance"}))
    report = engine(client, store).run([distance, day_request()])
    assert report.completed == 1 and len(report.failures) == 1
    assert covered(store) == [(day_request().start_ms, day_request().end_ms)]
    with pytest.raises(SourceError) as err:
        report.raise_for_failures()
    assert err.value.exit_code == 1 and "distance" in str(err.value)


def test_a_store_failure_stops_the_run(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "a.db")
    store.connection.execute('DROP TABLE "Steps_Intraday"')
    client = ScriptedClient([[600], [500]])
    with pytest.raises(StoreError):
        engine(client, store).run([day_request()])
    assert covered(store) == []


def test_progress_shows_points_calls_and_quota(tmp_path: Path) -> None:
    import io

    from rich.console import Console

    from fitbit_sync.sync.progress import SyncProgress, expected_calls

    out = io.StringIO()
    client = ScriptedClient([[600, 599, 598], [300, 200], [10, 0]])
    progress = SyncProgress(calls=lambda: len(client.calls), quota_per_minute=300,
                            console=Console(file=out, force_terminal=True, width=160), description="backfill")
    engine(client, SQLiteStore(tmp_path / "a.db"), progress=progress).run([day_request()])
    text = out.getvalue()
    assert "backfill" in text and "7 points" in text and "3 calls" in text and "of 300" in text
    assert "100%" in text
    assert expected_calls(Request(STREAMS_BY_KEY["heart-rate"], 0, 30 * 24 * HOUR)) == 52  # 30 days at ~5 s


def test_a_page_token_of_the_wrong_type_is_a_failure_not_the_last_page(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "a.db")

    class OddToken(ScriptedClient):
        def list_data_points(self, type_id: str, **kw: Any) -> dict[str, Any]:
            page = super().list_data_points(type_id, **kw)
            page["nextPageToken"] = 12345  # a number: malformed
            return page

    report = engine(OddToken([[600, 599], [300]]), store).run([day_request()])
    assert len(report.failures) == 1 and "nextPageToken" in str(report.failures[0][1])
    assert covered(store) == []  # nothing claimed: the next run asks again


def test_the_coverage_check_refuses_a_claim_below_what_was_fetched() -> None:
    from fitbit_sync.catalog import STREAMS_BY_KEY
    from fitbit_sync.sources.google_health.planner import SOURCE, Request
    from fitbit_sync.stores.base import Coverage
    from fitbit_sync.sync.engine import CoverageInvariantError, check_coverage

    request = Request(STREAMS_BY_KEY["heart-rate"], 1_000, 10_000)
    check_coverage(request, [Coverage(SOURCE, "heart-rate", 6_000, 10_000, 0)], fetched_down_to=6_000)
    check_coverage(request, [Coverage(SOURCE, "heart-rate", 1_000, 10_000, 0)])  # the last page
    for bad, down_to in (((5_999, 10_000), 6_000), ((999, 10_000), None), ((1_000, 10_001), None),
                         ((5_000, 5_000), None)):
        with pytest.raises(CoverageInvariantError):
            check_coverage(request, [Coverage(SOURCE, "heart-rate", *bad, 0)], fetched_down_to=down_to)
    with pytest.raises(CoverageInvariantError):
        check_coverage(request, [Coverage(SOURCE, "steps", 6_000, 10_000, 0)])
