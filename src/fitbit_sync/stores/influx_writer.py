"""The line-protocol writer shared by the InfluxDB 1.x, 2.x and 3.x stores.

Records become line protocol (``line_protocol``), cut into bounded batches (points and bytes),
gzip-compressed and POSTed to the version's write endpoint. Transient failures (connection
refused or reset, timeouts, 408, 429, 5xx) are retried under the shared policy (``net.retry``:
backoff with jitter, ``Retry-After`` in seconds or as a date, a time budget; ``write_retry``); a batch
that still fails is never dropped: it goes to the on-disk ``Spool`` (fsynced) and is replayed,
in order, before anything new is written. A 413 splits the batch in two. A value InfluxDB cannot
hold (a line break, a trailing backslash in a tag) is changed per value and counted
(``stores.values``), never a rejected batch. Permanent failures
(bad credentials, unknown database, a rejected line) raise ``StoreError`` with one line.

While batch *n* is in flight, batch *n+1* is being encoded and compressed (one sender thread,
one request at a time, strictly in order), so encoding overlaps the server's work.
"""

from __future__ import annotations

import contextlib
import gzip
import logging
import time
import zlib
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import httpx

from fitbit_sync.errors import StoreError
from fitbit_sync.net.retry import RetryPolicy, retry_after_of
from fitbit_sync.records import Record
from fitbit_sync.redact import redact
from fitbit_sync.stores.line_protocol import Batch, Encoder, batches, split_batch
from fitbit_sync.stores.spool import Spool

log = logging.getLogger(__name__)

TRANSIENT_STATUS = frozenset({408, 429, 500, 502, 503, 504})
GZIP_LEVEL = 1  # fast: most of the gain, little CPU


@dataclass(frozen=True, slots=True)
class WriteEndpoint:
    """Where and how a version writes: URL, query parameters and headers (with the credentials)."""

    url: str
    params: dict[str, str]
    headers: dict[str, str] = field(default_factory=dict)
    auth: httpx.Auth | None = None
    label: str = "InfluxDB"  # for messages: "InfluxDB 1.x at http://host:8086"
    credential_hint: str = "check the InfluxDB credentials"


WRITE_RETRY_BUDGET = 120.0  # seconds one batch may spend in all its attempts and waits


def write_retry(retries: int = 5, base_seconds: float = 0.5, max_seconds: float = 10.0) -> RetryPolicy:
    """The writer's retry policy: ``retries`` retries, each waiting between half and all of
    ``min(max_seconds, base_seconds * 2**n)``, or what ``Retry-After`` asks up to ``max_seconds``."""
    return RetryPolicy(max_retries=retries, base=base_seconds, cap=max_seconds, floor=0.5,
                       retry_after_cap=max_seconds, retry_after_spread=0.0, budget=WRITE_RETRY_BUDGET)


class Unavailable(Exception):
    """The server could not be reached or kept failing transiently after every retry."""


class RejectedBatch(StoreError):
    """The server refused this batch's content for good (HTTP 400/422: a bad line, a type conflict)."""


class LineProtocolWriter:
    """Writes records to one InfluxDB endpoint; never drops a batch on a transient failure."""

    def __init__(
        self,
        client: httpx.Client,
        endpoint: WriteEndpoint,
        spool: Spool,
        *,
        use_gzip: bool = True,
        max_points: int = 5_000,
        max_bytes: int = 4 << 20,
        retry: RetryPolicy | None = None,
        secrets: Iterable[str] = (),
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.endpoint = endpoint
        self.spool = spool
        self.use_gzip = use_gzip
        self.max_points = max_points
        self.max_bytes = max_bytes
        self.retry = retry or write_retry()
        self.secrets = tuple(s for s in secrets if s)
        self.sleep = sleep
        self.encoder = Encoder()
        self.text_values = self.encoder.values  # text values changed to be storable, counted
        self._down = False
        self._sender = ThreadPoolExecutor(max_workers=1, thread_name_prefix="influx-send")
        self.rejected = 0  # spooled batches the server refused for good (kept under rejected/)

    # --- public -------------------------------------------------------------------------------

    def write(self, records: Iterable[Record]) -> int:
        """Deliver (or durably spool) every record; returns the points written or spooled."""
        self._down = False
        self.replay_spool()
        total = 0
        pending: Future[None] | None = None
        try:
            for batch in batches(self.encoder.lines(records), self.max_points, self.max_bytes):
                body = gzip.compress(batch.body, GZIP_LEVEL, mtime=0) if self.use_gzip else batch.body
                if pending is not None:
                    pending.result()
                pending = self._sender.submit(self._deliver_or_spool, batch, body)
                total += batch.points
            if pending is not None:
                pending.result()
                pending = None
        finally:
            if pending is not None:  # an error while encoding: let the batch in flight finish
                with contextlib.suppress(Exception):  # the encoding error is the one to report
                    pending.result()
        return total

    def replay_spool(self) -> int:
        """Send spooled batches, oldest first. When the server is still down, leave them (and
        queue new batches behind them); returns the batches sent."""
        if not self.spool.files():
            return 0
        try:
            sent = self.spool.replay(self._send_spooled)
        except Unavailable as exc:
            self._down = True
            log.warning("%s still unreachable (%s): %d batch(es) stay spooled", self.endpoint.label,
                        exc, len(self.spool))
            return 0
        if sent:
            log.info("replayed %d spooled batch(es) to %s", sent, self.endpoint.label)
        return sent

    def close(self) -> None:
        self._sender.shutdown(wait=True)

    # --- delivery -------------------------------------------------------------------------------

    def _deliver_or_spool(self, batch: Batch, body: bytes) -> None:
        if not self._down:
            try:
                self._deliver(batch, body)
                return
            except Unavailable as exc:
                self._down = True
                log.warning("%s unavailable (%s): spooling batches to %s", self.endpoint.label, exc,
                            self.spool.directory)
        self.spool.append(body if self.use_gzip else gzip.compress(body, GZIP_LEVEL, mtime=0))

    def _deliver(self, batch: Batch, body: bytes) -> None:
        """POST with retries; a 413 splits the batch and delivers both halves."""
        status = self._post(body, compressed=self.use_gzip)
        if status == 413:
            if batch.points <= 1:
                raise StoreError(f"{self.endpoint.label} refused a single point as too large (HTTP 413)")
            for half in split_batch(batch):
                half_body = gzip.compress(half.body, GZIP_LEVEL, mtime=0) if self.use_gzip else half.body
                self._deliver(half, half_body)

    def _send_spooled(self, body: bytes) -> None:
        try:
            raw = gzip.decompress(body)
        except (OSError, EOFError, zlib.error):
            log.error("dropping a corrupt spool file (not gzip)")
            return
        batch = Batch(raw, raw.count(b"\n"))
        try:
            self._deliver(batch, body if self.use_gzip else raw)
        except RejectedBatch as exc:
            self._reject(body, exc)

    def _reject(self, body: bytes, exc: StoreError) -> None:
        """A spooled batch the server refuses for good: keep it aside, tell the user, go on."""
        rejected = Spool(self.spool.directory / "rejected", max_bytes=1 << 62)
        path = rejected.append(body)
        self.rejected += 1
        log.error("%s; the batch is kept in %s", exc, path)

    def _post(self, body: bytes, *, compressed: bool) -> int:
        """POST one body; returns 2xx or 413. Raises Unavailable after the retries, StoreError on
        a permanent refusal."""
        headers = {"Content-Type": "text/plain; charset=utf-8", **self.endpoint.headers}
        if compressed:
            headers["Content-Encoding"] = "gzip"
        backoff = self.retry.backoff()
        while True:
            retry_after: float | None = None
            try:
                response = self.client.post(
                    self.endpoint.url, params=self.endpoint.params, content=body, headers=headers,
                    auth=self.endpoint.auth or httpx.USE_CLIENT_DEFAULT,
                )
            except httpx.TransportError as exc:
                reason = _transport_reason(exc)
            else:
                status = response.status_code
                if 200 <= status < 300 or status == 413:
                    return status
                if status not in TRANSIENT_STATUS:
                    self._permanent_failure(response)
                    return status  # a tolerated refusal (points beyond the retention policy)
                reason = f"HTTP {status}"
                retry_after = retry_after_of(response)
            delay = backoff.next_delay(retry_after)
            if delay is None:
                raise Unavailable(reason)
            log.info("%s: %s, retry %d/%d in %.1f s", self.endpoint.label, reason, backoff.retries,
                     self.retry.max_retries, delay)
            self.sleep(delay)

    def _permanent_failure(self, response: httpx.Response) -> None:
        status = response.status_code
        message = self.scrub(_error_text(response))
        if status in (401, 403):
            raise StoreError(f"{self.endpoint.label} refused the credentials (HTTP {status}): "
                             f"{self.endpoint.credential_hint}")
        if status == 400 and "beyond retention policy" in message and not _other_write_errors(message):
            log.warning("%s dropped points older than its retention policy: %s", self.endpoint.label, message)
            return
        error_type = RejectedBatch if status in (400, 422) else StoreError
        raise error_type(f"{self.endpoint.label} rejected a write (HTTP {status}): {message}")

    def scrub(self, text: str) -> str:
        return redact(text, self.secrets)


def _transport_reason(exc: httpx.TransportError) -> str:
    kind = type(exc).__name__
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{kind}: {text}" if text else kind


def _error_text(response: httpx.Response) -> str:
    """The server's error message, one line, at most 300 characters."""
    try:
        data = response.json()
        text = str(data.get("error") or data.get("message") or data) if isinstance(data, dict) else str(data)
    except ValueError:
        text = response.text
    text = " ".join(text.split())
    return (text[:297] + "...") if len(text) > 300 else (text or response.reason_phrase)


def _other_write_errors(message: str) -> bool:
    return any(word in message for word in ("unable to parse", "field type conflict", "invalid"))
