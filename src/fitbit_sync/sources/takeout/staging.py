"""What an import has taken so far (``RunState``), and one file's work before it is taken (``FileStaging``).

A file is parsed as a stream. Its records, day claims, day ranges, coverage presence and
per-minute totals are staged in a ``FileStaging`` and committed to the run only when the file has
been read to the end, so a bad file is released (its claims given back) without leaving half its
days behind; a file that stages more than one batch is committed batch by batch. The run buffers
committed records and writes them to the store in batches of ``batch_size``.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Iterator, Sequence
from itertools import repeat
from operator import attrgetter
from typing import TYPE_CHECKING

from fitbit_sync.records import FieldValue, Record
from fitbit_sync.sources.takeout import coverage as cov
from fitbit_sync.sources.takeout.dedup import Claims
from fitbit_sync.sources.takeout.families import Family
from fitbit_sync.sources.takeout.parsers.bulk import Bulk, unpack
from fitbit_sync.sources.takeout.parsers.common import SUM_PREFIX
from fitbit_sync.sources.takeout.timezones import MINUTE_MS, LocalDays, iso_day
from fitbit_sync.sources.takeout.totals import DERIVED, DailyTotals, Staged
from fitbit_sync.stores.base import Coverage, Store

if TYPE_CHECKING:
    from fitbit_sync.sources.takeout.importer import FileReport

SLEEP_SUMMARY = "Sleep Summary"


class RunState:
    """Everything committed files have given the run: claims, rows and day range per measurement,
    coverage presence, daily totals, and the records not yet written."""

    def __init__(self, store: Store, batch_size: int) -> None:
        self.store = store
        self.batch_size = batch_size
        self.claims = Claims()
        self.totals = DailyTotals()
        self.buffer: list[Record] = []
        self.rows: Counter[str] = Counter()
        self.day_range: dict[str, tuple[int, int]] = {}  # measurement -> (first, last) local day
        self.present: dict[str, dict[int, set[str]]] = {}  # coverage: measurement -> day -> fields seen
        self.written = 0

    def owned_by_other(self, family: Family, day: int) -> bool:
        owner = self.claims.owner(family.metric, day)
        return owner is not None and owner != family.key

    def add_day(self, measurement: str, first: int, last: int) -> None:
        old = self.day_range.get(measurement)
        self.day_range[measurement] = (first, last) if old is None else (min(old[0], first), max(old[1], last))

    def flush(self, coverage: Sequence[Coverage] = ()) -> None:
        """Write the buffered records (and ``coverage``, in the same write)."""
        if self.buffer or coverage:
            self.written += self.store.write(self.buffer, coverage)
        self.buffer = []


class FileStaging:
    """One file's work not yet committed: ``consume`` (or ``consume_bulk``) stages it, ``commit``
    hands it to the run (and flushes full batches), ``release`` gives back its claims when the
    file fails."""

    def __init__(self, run: RunState, family: Family, days: LocalDays, tags: dict[str, str],
                 report: FileReport) -> None:
        self.run = run
        self.family = family
        self.days = days
        self.tags = tags
        self.report = report
        self.records: list[Record] = []
        self.new_claims: list[tuple[str, int]] = []
        self.day_range: dict[str, tuple[int, int]] = {}  # measurement -> (first, last) local day
        self.present: dict[str, dict[int, set[str]]] = {}
        self.staged: Staged = {}
        self.superseded = 0  # rows of days another family owns
        self.contributed = 0  # per-minute rows that only feed daily totals
        self.counts: Counter[str] = Counter()  # rows per measurement, when counted on the way in

    def consume(self, records: Iterator[Record]) -> None:
        """The hot loop: claims, day ranges and totals per (measurement, local day) segment."""
        days = self.days
        derive = self.family.derive
        stage = self.records
        append = stage.append
        checkpoint = self.run.batch_size
        current: str | None = None
        fast = False
        low = high = 0
        allowed = False
        minutes: dict[int, dict] | None = None
        target: tuple[str, float] | None = None
        pseudo = False
        for record in records:
            t = record.time_ms
            if not fast or record.measurement is not current or not low <= t < high:
                current = record.measurement
                day = iso_day(record.date) if record.date is not None else days.day_of(t)
                low, high = days.bounds(day)
                fast = record.date is None and current != SLEEP_SUMMARY
                allowed = self.enter(current, day, record)
                pseudo = current.startswith(SUM_PREFIX)
                target = DERIVED.get(current) if derive and allowed else None
                minutes = None if target is None else self.staged.setdefault((target[0], day), {})
            if not allowed:
                self.superseded += 1
                continue
            if minutes is not None:
                slot = (t - low) // MINUTE_MS
                if slot not in minutes:
                    minutes[slot] = record.fields
            if pseudo:
                self.contributed += 1
                continue
            append(record)
            if len(stage) >= checkpoint:
                self.commit()
                stage = self.records
                append = stage.append
                minutes = None if target is None else self.staged.setdefault((target[0], day), {})

    def consume_bulk(self, bulk: Bulk) -> None:
        """``consume`` for a decoded file (one measurement, time order): a local day at a time,
        found by bisection, with records built only for the days that are taken."""
        measurement, times, values = unpack(bulk)
        days, tags = self.days, self.tags
        pseudo = measurement.startswith(SUM_PREFIX)
        target = DERIVED.get(measurement) if self.family.derive else None
        start, count = 0, len(times)
        while start < count:
            day = days.day_of(times[start])
            low, high = days.bounds(day)
            end = bisect_left(times, high, start)
            size = end - start
            if not self.enter(measurement, day):
                self.superseded += size
                start = end
                continue
            segment = times[start:end]
            fields: list[dict[str, FieldValue]] = [{"value": value} for value in values[start:end]]
            if target is not None:
                minutes = self.staged.setdefault((target[0], day), {})
                for t, f in zip(segment, fields, strict=True):
                    minutes.setdefault((t - low) // MINUTE_MS, f)
            if pseudo:
                self.contributed += size
            else:
                self.records.extend(map(Record, repeat(measurement, size), segment, fields, repeat(tags, size)))
                self.counts[measurement] += size
            start = end
            if len(self.records) >= self.run.batch_size:
                self.commit()

    def enter(self, measurement: str, day: int, record: Record | None = None) -> bool:
        """Start of a (measurement, day) segment: the claim, the day range, coverage presence."""
        family = self.family
        if family.claim:
            allowed, new = self.run.claims.take(family.metric_of(measurement), day, family.key)
            if new:
                self.new_claims.append((family.metric_of(measurement), day))
            if not allowed:
                return False
        first, last = self.day_range.get(measurement, (day, day))
        self.day_range[measurement] = (min(first, day), max(last, day))
        if family.covers:
            if measurement == SLEEP_SUMMARY and record is not None:
                end = record.fields.get("endTime")
                if isinstance(end, int):
                    self.present.setdefault(cov.SLEEP_END, {}).setdefault(self.days.day_of(end), set())
            have = self.present.setdefault(measurement, {}).setdefault(day, set())
            if record is not None and record.date is not None:
                have.update(record.fields)
        return True

    def commit(self) -> None:
        """Make the staged work part of the run (and flush full batches)."""
        run, report = self.run, self.report
        for measurement, (first, last) in self.day_range.items():
            run.add_day(measurement, first, last)
        for measurement, per_day in self.present.items():
            target = run.present.setdefault(measurement, {})
            for day, have in per_day.items():
                target.setdefault(day, set()).update(have)
        run.totals.merge(self.staged, self.family.covers)
        records = self.records
        run.rows.update(self.counts if self.counts else map(attrgetter("measurement"), records))
        report.records += len(records) + self.contributed
        report.superseded += self.superseded
        run.buffer.extend(records)
        self.records, self.new_claims, self.day_range, self.present, self.staged = [], [], {}, {}, {}
        self.counts = Counter()
        self.superseded = self.contributed = 0
        if len(run.buffer) >= run.batch_size:
            run.flush()

    def release(self) -> None:
        """The file failed: give back the days it claimed and has not committed."""
        self.run.claims.release(self.new_claims)
