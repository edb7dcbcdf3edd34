"""What ``fitbit-sync status`` shows, read from the store and the token file (no API call):
per stream its newest point, last sync and rows; the token's expiry; the calls of the last run.

The table fits the console (80 columns in a pipe unless $COLUMNS says otherwise) without ever
cutting a stream name: the measurements column goes first, then long names wrap after a ``-`` or
``:``. The lines below it are one line each, however narrow the console.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from rich.console import Console
from rich.table import Table

from fitbit_sync.catalog import SOURCE, STREAMS, VARIANTS, Stream
from fitbit_sync.config import Settings
from fitbit_sync.errors import FitbitSyncError
from fitbit_sync.stores.base import Store
from fitbit_sync.sync.session import STATE_LAST_RUN
from fitbit_sync.sync.zone import STATE_ZONE


@dataclass(frozen=True, slots=True)
class StreamStatus:
    key: str
    measurements: tuple[str, ...]
    rows: int
    newest_ms: int | None
    last_sync_ms: int | None
    snapshot: bool = False  # fetched whole at each run (paired devices), no history


@dataclass
class StatusReport:
    store: str
    streams: list[StreamStatus] = field(default_factory=list)
    token: dict[str, Any] = field(default_factory=dict)
    last_run: dict[str, Any] | None = None
    time_zone: str | None = None
    quota_per_minute: int = 300


def collect(settings: Settings, store: Store, *, now: float | None = None) -> StatusReport:
    stats = {s.name: s for s in store.measurement_stats()}
    coverage = store.coverage(SOURCE)
    last_sync: dict[str, int] = {}
    for c in coverage:
        last_sync[c.stream] = max(last_sync.get(c.stream, 0), c.fetched_at_ms)
    report = StatusReport(store=store.name, quota_per_minute=settings.quota_per_minute)
    streams: list[Stream] = [*STREAMS, *VARIANTS]
    for stream in sorted(streams, key=lambda s: (s.priority, s.key)):
        if stream in VARIANTS and stream.key not in last_sync:  # a variant shows once it was read
            continue
        present = [stats[m] for m in stream.measurements if m in stats]
        rows = sum(s.rows for s in present)
        newest = max((s.last_ms for s in present if s.last_ms is not None), default=None)
        report.streams.append(StreamStatus(stream.key, stream.measurements, rows, newest, last_sync.get(stream.key),
                                           snapshot=not stream.backfill))
    raw_run = store.get_state(STATE_LAST_RUN)
    if raw_run:
        try:
            report.last_run = orjson.loads(raw_run)
        except orjson.JSONDecodeError:
            report.last_run = None
    report.time_zone = settings.time_zone or store.get_state(STATE_ZONE)
    report.token = token_status(settings, now=now)
    return report


def token_status(settings: Settings, *, now: float | None = None) -> dict[str, Any]:
    """Expiry of the stored tokens (never the tokens themselves)."""
    from fitbit_sync.auth.tokens import TokenStore

    try:
        tokens = TokenStore(settings.token_file).load()
    except FitbitSyncError as exc:
        return {"state": "unusable", "detail": str(exc)}
    if tokens is None:
        return {"state": "missing", "detail": f"no token file at {settings.token_file}: run `fitbit-sync auth`"}
    now = datetime.now(UTC).timestamp() if now is None else now
    return {
        "state": "refresh refused" if tokens.refresh_failed else ("valid" if tokens.expires_at > now else "expired"),
        "access_expires_at": tokens.expires_at,
        "refresh_expires_at": tokens.refresh_token_expires_at,
        "scopes": len(tokens.scopes),
    }


def _when(ms: int | None, zone: Any = None) -> str:
    if ms is None:
        return "-"
    return datetime.fromtimestamp(ms / 1000, tz=zone or UTC).strftime("%Y-%m-%d %H:%M")


TIME_WIDTH = len("2026-01-31 12:00")
MIN_NAME_WIDTH = 12


def _last_sync(s: StreamStatus, zone: Any) -> str:
    if s.last_sync_ms is not None:
        return _when(s.last_sync_ms, zone)
    if s.rows and s.snapshot:
        return "each run"  # a snapshot (battery levels) records no fetch time of its own
    if s.rows:
        return "not recorded"  # rows from an import
    return "-"


def wrap_name(name: str, width: int) -> str:
    """``name`` in lines of at most ``width``, broken after a ``-`` or ``:`` (inside a part only
    when the part alone is longer), so no two names ever look alike."""
    lines: list[str] = []
    line = ""
    for part in re.findall(r"[^-:]+[-:]?|[-:]", name):
        while len(part) > width:
            if line:
                lines.append(line)
                line = ""
            lines.append(part[:width])
            part = part[width:]
        if len(line) + len(part) > width:
            lines.append(line)
            line = ""
        line += part
    lines.append(line)
    return "\n".join(x for x in lines if x)


def _table(report: StatusReport, zone: Any, width: int) -> Table:
    """The per-stream table for a console ``width`` columns wide."""
    rows = [f"{s.rows:,}" for s in report.streams]
    name_width = max((len(s.key) for s in report.streams), default=len("stream"))
    rows_width = max([len("rows"), *map(len, rows)])
    words = [w for s in report.streams for m in s.measurements for w in m.split()]
    fixed = rows_width + 2 * TIME_WIDTH
    with_measurements = width >= name_width + max(map(len, words), default=0) + fixed + 3 * 5 + 1
    if not with_measurements:
        name_width = max(MIN_NAME_WIDTH, min(name_width, width - fixed - 3 * 4 - 1))
    table = Table(title=f"fitbit-sync status ({report.store}; times in {report.time_zone or 'UTC'})")
    table.add_column("stream", no_wrap=True)
    if with_measurements:
        table.add_column("measurements")
    table.add_column("rows", justify="right", no_wrap=True)
    table.add_column("newest point", no_wrap=True)
    table.add_column("last sync", no_wrap=True)
    for s, row_count in zip(report.streams, rows, strict=True):
        cells = [wrap_name(s.key, name_width)]
        if with_measurements:
            cells.append(", ".join(s.measurements))
        cells += [row_count, _when(s.newest_ms, zone), _last_sync(s, zone)]
        table.add_row(*cells)
    return table


def render(report: StatusReport, console: Console | None = None) -> None:
    from zoneinfo import ZoneInfo

    console = console or Console(soft_wrap=True, highlight=False)
    zone = None
    if report.time_zone:
        try:
            zone = ZoneInfo(report.time_zone)
        except (KeyError, ValueError):
            zone = None
    console.print(_table(report, zone, console.width), soft_wrap=False)
    token = report.token
    if token.get("state") in ("missing", "unusable"):
        console.print(f"token: {token['state']}: {token['detail']}", markup=False)
    else:
        line = f"token: {token['state']}; access token expires {_when(int(token['access_expires_at'] * 1000), zone)}"
        if token.get("refresh_expires_at"):
            line += f"; refresh token expires {_when(int(token['refresh_expires_at'] * 1000), zone)} (app in Testing)"
        console.print(line, markup=False)
    run = report.last_run
    if run:
        minutes = max(run.get("seconds", 0) / 60, 1 / 60)
        calls = run.get("calls", 0)
        console.print(
            f"last run: {run.get('command')} at {_when(run.get('finished_at'), zone)}: {calls:,} API calls "
            f"({calls / minutes:,.0f}/min; quota {report.quota_per_minute}/min), "
            f"{run.get('records', 0):,} records" + (", interrupted" if run.get("interrupted") else "")
            + (f", {run['failed']} failed requests" if run.get("failed") else ""),
            markup=False,
        )
    else:
        console.print(f"last run: none yet (quota {report.quota_per_minute}/min)")
