"""The sync engine: runs planned requests against the API and writes what comes back.

Requests run on a small thread pool (different streams in parallel, in plan order). Each page is
converted and written *with its coverage* in one store transaction, so a crash at any moment
loses at most the page in flight. A ``list`` request pages newest first: after each page the
engine records coverage from just above the page's oldest point to where the previous page
began, so a restart resumes with a request for only the older remainder.

Ctrl-C stops scheduling, lets in-flight pages finish (or drops them) and raises ``Interrupted``
(exit 130). Failures of one request (the API refused it, or kept failing after the client's
retries) do not stop the others; they are reported at the end. Missing tokens, a refused
refresh token, an account the API refuses as a whole (not linked, not allowed) and store failures
stop everything at once.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from fitbit_sync.errors import (
    AuthRequiredError,
    ExitCode,
    FitbitSyncError,
    SourceError,
    StoreError,
)
from fitbit_sync.net.transport import Stopped
from fitbit_sync.records import Record
from fitbit_sync.sources.google_health.converters import ConvertContext, axis_time, convert
from fitbit_sync.sources.google_health.errors import AccountError
from fitbit_sync.sources.google_health.paging import Page
from fitbit_sync.sources.google_health.planner import SOURCE, Request
from fitbit_sync.stores.base import Coverage, Store

log = logging.getLogger(__name__)

GC_OLDER_EVERY = 32  # pages between collections of the middle generation
GC_FULL_EVERY = 512  # and of everything (long backfills: memory stays flat)
INTERRUPTED_MESSAGE = "interrupted; run the same command again to resume"


class Interrupted(FitbitSyncError):
    """Ctrl-C (or SIGTERM): stopped cleanly; everything written so far is kept."""

    exit_code = ExitCode.INTERRUPTED


# Raised inside a worker (from the client's sleep or from a read of a request in flight) to
# abandon the request when the run stops; callers outside a run turn it into ``Interrupted``.
_Stopped = Stopped


def interruptible_sleep(stop: threading.Event) -> Callable[[float], None]:
    """A ``sleep`` for the API client that wakes up and abandons the request when ``stop`` is set."""

    def sleep(seconds: float) -> None:
        if stop.wait(max(0.0, seconds)):
            raise _Stopped

    return sleep


class ApiClient(Protocol):
    """What the engine needs of ``HealthApiClient``."""

    def list_pages(self, type_id: str, *, filter: str, page_size: int) -> Iterator[Page]: ...

    def roll_up_pages(self, type_id: str, body: dict[str, Any]) -> Iterator[Page]: ...

    def daily_roll_up_pages(self, type_id: str, body: dict[str, Any]) -> Iterator[Page]: ...

    def paired_devices(self) -> list[dict[str, Any]]: ...

    def export_exercise_tcx(self, exercise_id: str) -> str: ...


class ProgressSink(Protocol):
    """Progress callbacks (``sync.progress.SyncProgress`` implements them; all optional)."""

    def start(self, requests: Sequence[Request]) -> None: ...

    def page(self, request: Request, points: int, fraction_done: float) -> None: ...

    def finish_request(self, request: Request) -> None: ...

    def stop(self) -> None: ...


@dataclass
class RunReport:
    """What one run did."""

    planned: int = 0
    completed: int = 0
    pages: int = 0
    records: int = 0
    seconds: float = 0.0
    skipped: Counter[str] = field(default_factory=Counter)
    changed: Counter[str] = field(default_factory=Counter)  # text values a store had to change
    failures: list[tuple[Request, FitbitSyncError]] = field(default_factory=list)
    missing_scopes: dict[str, str] = field(default_factory=dict)  # stream key -> message
    interrupted: bool = False

    def raise_for_failures(self) -> None:
        """One line for the first failure, with its exit code; nothing when all went well."""
        if not self.failures:
            return
        request, first = self.failures[0]
        more = f" (and {len(self.failures) - 1} more failed requests)" if len(self.failures) > 1 else ""
        raise SourceError(
            f"{request.stream.key}: {first}{more}; everything else is stored, run the same command again to retry",
            exit_code=first.exit_code,
        )


class Engine:
    """Runs requests of a plan with ``client`` into ``store``."""

    def __init__(
        self,
        client: ApiClient,
        store: Store,
        *,
        zone: ZoneInfo,
        device: str,
        max_workers: int = 4,
        stop: threading.Event | None = None,
        progress: ProgressSink | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.store = store
        self.zone = zone
        self.max_workers = max_workers
        self.stop_event = stop or threading.Event()
        self.progress = progress
        self._clock = clock
        self._write_lock = threading.Lock()
        self._report_lock = threading.Lock()
        self._fatal: BaseException | None = None
        self._tcx_scope_warned = False
        self.ctx = ConvertContext(device=device, zone=zone, fetch_tcx=self._fetch_tcx)
        self.report = RunReport()

    # --- running -----------------------------------------------------------------------------------

    def run(self, requests: Sequence[Request]) -> RunReport:
        """Run ``requests`` (in order, ``max_workers`` at a time); returns the report. Raises
        ``Interrupted`` on Ctrl-C, and fatal errors (auth, store) as they are."""
        self.report = RunReport(planned=len(requests))
        started = time.monotonic()
        text_values = getattr(self.store, "text_values", None)  # stores/values.TextValues
        changed_before = text_values.snapshot() if text_values is not None else Counter()
        # A page is ~10,000 points = ~200,000 short-lived, cycle-free objects (JSON, records); the
        # cyclic collector would rescan them (and every other live object) many times per page,
        # which tripled the run time. Reference counting frees them; collect once at the end.
        gc_was_enabled = gc.isenabled()
        gc.disable()
        if self.progress:
            self.progress.start(requests)
        pool = ThreadPoolExecutor(max_workers=max(1, self.max_workers), thread_name_prefix="sync")
        futures: dict[Future[None], Request] = {}
        try:
            for request in requests:
                futures[pool.submit(self._execute, request)] = request
            pending = set(futures)
            while pending:
                _done, pending = wait(pending, timeout=0.25, return_when=FIRST_COMPLETED)
                if self._fatal is not None:
                    break
        except KeyboardInterrupt:
            self.report.interrupted = True
            log.warning("interrupted: finishing the pages in flight (Ctrl-C again to quit at once)")
        finally:
            if self.report.interrupted or self._fatal is not None:
                self.stop_event.set()
                for future in futures:
                    future.cancel()
            try:
                pool.shutdown(wait=True, cancel_futures=True)
            except KeyboardInterrupt:
                self.report.interrupted = True
            self.report.seconds = time.monotonic() - started
            self.report.skipped = Counter(self.ctx.skipped)
            if text_values is not None:
                self.report.changed = text_values.snapshot() - changed_before
            if self.progress:
                self.progress.stop()
            if gc_was_enabled:
                gc.enable()
            gc.collect()
        if self._fatal is not None:
            raise self._fatal
        if self.report.interrupted or self.stop_event.is_set():
            self.report.interrupted = True
            raise Interrupted(INTERRUPTED_MESSAGE)
        return self.report

    def _execute(self, request: Request) -> None:
        if self.stop_event.is_set():
            return
        try:
            method = request.stream.method
            if method in ("list", "rollUp", "dailyRollUp"):
                self._run_paged(request)
            elif method == "pairedDevices":
                self._run_devices(request)
            else:  # pragma: no cover - the catalogue has no other methods
                raise SourceError(f"unsupported method {method}")
            with self._report_lock:
                self.report.completed += 1
        except _Stopped:
            return
        except (StoreError, AuthRequiredError, AccountError) as exc:
            from fitbit_sync.sources.google_health.errors import MissingScopeError

            if isinstance(exc, MissingScopeError):
                with self._report_lock:
                    self.report.missing_scopes[request.stream.key] = str(exc)
                log.warning("%s: skipped, %s", request.stream.key, exc)
                return
            self._fail_fatally(exc)
        except FitbitSyncError as exc:
            log.warning("%s failed: %s", request.describe(), exc)
            with self._report_lock:
                self.report.failures.append((request, exc))
        except BaseException as exc:  # a bug: stop everything, keep what is stored
            self._fail_fatally(exc)
        finally:
            if self.progress:
                self.progress.finish_request(request)

    def _fail_fatally(self, exc: BaseException) -> None:
        with self._report_lock:
            if self._fatal is None:
                self._fatal = exc
        self.stop_event.set()

    def _check_stop(self) -> None:
        if self.stop_event.is_set():
            raise _Stopped

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)

    def _write(self, records: list[Record], coverage: list[Coverage], request: Request | None = None,
               fetched_down_to: int | None = None) -> None:
        if request is not None:
            check_coverage(request, coverage, fetched_down_to)
        with self._write_lock:
            self.store.write(records, coverage)
        with self._report_lock:
            self.report.pages += 1
            self.report.records += len(records)
            pages = self.report.pages
        # With the automatic collector off, free the few reference cycles of each request (HTTP
        # machinery, an in-process emulator) while they are young: cheap, and memory stays flat.
        gc.collect(2 if pages % GC_FULL_EVERY == 0 else 1 if pages % GC_OLDER_EVERY == 0 else 0)

    # --- one request -------------------------------------------------------------------------------

    def _pages(self, request: Request) -> Iterator[Page]:
        stream = request.stream
        if stream.method == "list":
            return self.client.list_pages(stream.type_id, filter=request.list_filter(), page_size=stream.page_size)
        if stream.method == "rollUp":
            return self.client.roll_up_pages(stream.type_id, request.rollup_body())
        return self.client.daily_roll_up_pages(stream.type_id, request.daily_rollup_body())

    def _run_paged(self, request: Request) -> None:
        """A ``list`` or rollup request, page by page. A list pages newest first and records
        coverage after each page; a rollup records its whole range with its last page."""
        stream = request.stream
        paged_list = stream.method == "list"
        upper = request.end_ms  # list: coverage is recorded downwards from here
        previous_oldest: int | None = None
        ordered = True
        pages = 0
        self._check_stop()
        for page in self._pages(request):
            fetched_at = self._now_ms()
            items, last = page.items, page.last
            coverage: list[Coverage] = []
            fetched_down_to: int | None = None
            if paged_list:
                newest, oldest = _ends(stream, items)
                if newest is not None and oldest is not None:
                    # Newest first (across pages) is what makes per-page coverage safe; if pages
                    # come in another order, record coverage only once the whole request is done.
                    # Within a page the order does not matter: the last point bounds what later
                    # pages hold.
                    if newest < oldest or (previous_oldest is not None and newest > previous_oldest):
                        ordered = False
                    previous_oldest = oldest
                if last:
                    if upper > request.start_ms:
                        coverage.append(Coverage(SOURCE, stream.key, request.start_ms, upper, fetched_at))
                elif ordered and previous_oldest is not None:
                    lower = max(request.start_ms, min(previous_oldest + 1, upper))
                    if lower < upper:
                        coverage.append(Coverage(SOURCE, stream.key, lower, upper, fetched_at))
                        upper = lower
                fetched_down_to = None if last else (
                    request.end_ms if previous_oldest is None else previous_oldest + 1)
                span = max(1, request.end_ms - request.start_ms)
                done = 1.0 if last else (request.end_ms - (previous_oldest or request.end_ms)) / span
            else:
                if last:
                    coverage.append(Coverage(SOURCE, stream.key, request.start_ms, request.end_ms, fetched_at))
                pages += 1
                done = 1.0 if last else pages / (pages + 1)
            records = convert(stream, items, self.ctx)
            self._write(records, coverage, request, fetched_down_to)
            if self.progress:
                self.progress.page(request, len(items), min(1.0, max(0.0, done)))
            if last:
                return
            self._check_stop()

    def _run_devices(self, request: Request) -> None:
        self._check_stop()
        devices = self.client.paired_devices()
        records = convert(request.stream, devices, self.ctx)
        self._write(records, [])
        if self.progress:
            self.progress.page(request, len(devices), 1.0)

    def _fetch_tcx(self, exercise_id: str) -> str | None:
        from fitbit_sync.sources.google_health.errors import MissingScopeError

        self._check_stop()
        try:
            return self.client.export_exercise_tcx(exercise_id)
        except MissingScopeError as exc:
            if not self._tcx_scope_warned:
                self._tcx_scope_warned = True
                log.warning("exercise GPS skipped: %s", exc)
            return None


class CoverageInvariantError(FitbitSyncError):
    """A bug: the engine was about to claim coverage for a range it has not fetched."""


def check_coverage(request: Request, coverage: Sequence[Coverage], fetched_down_to: int | None = None) -> None:
    """The one check of the coverage invariant, before every write: coverage names the request's
    stream and lies inside the request's range; while a paged request is unfinished, it lies at or
    above ``fetched_down_to`` (pages come newest first: nothing below the last page is fetched yet).
    Together with the catch-up marks (``planner.catchup_marks``) this is what makes a stop at any
    moment lose nothing: coverage never claims a range that was not fetched, and a rerun asks for
    every range the stopped run meant to fetch and did not cover."""
    floor = request.start_ms if fetched_down_to is None else max(request.start_ms, fetched_down_to)
    for piece in coverage:
        if (piece.stream != request.stream.key or piece.end_ms <= piece.start_ms or piece.start_ms < floor
                or piece.end_ms > request.end_ms):
            raise CoverageInvariantError(
                f"internal error: coverage [{piece.start_ms}, {piece.end_ms}) of {piece.stream} claimed for "
                f"{request.describe()} (fetched down to {fetched_down_to}); nothing was recorded")


def _ends(stream: Any, items: list[dict[str, Any]]) -> tuple[int | None, int | None]:
    """Axis times of the first and last readable items of a page (newest, oldest when ordered)."""
    first = next((t for t in (axis_time(stream, item) for item in items) if t is not None), None)
    last = next((t for t in (axis_time(stream, item) for item in reversed(items)) if t is not None), None)
    return first, last
