"""Import an export archive into a store: discover, parse family by family, write in batches.

The run, in order: open the inputs (``discovery``), classify every file by name (``families``),
settle the time zone (explicit option > the archive's ``Profile.csv`` > ``settings.time_zone`` >
UTC), then read the families in their fixed order. Each file is parsed as a stream; its records,
day claims and per-minute totals are staged and committed only when the file has been read to the
end, so a bad file is reported and skipped without leaving half its days behind (a file that
stages more than one batch is committed batch by batch). Records are written in batches of
``batch_size``; daily totals built from per-minute rows and the API coverage go with the final
write, after everything they describe.
"""

from __future__ import annotations

import os
import time
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from operator import attrgetter
from typing import Protocol
from zoneinfo import ZoneInfo

from fitbit_sync.errors import ArchiveError, ConfigError, FitbitSyncError
from fitbit_sync.records import FieldValue, Record
from fitbit_sync.schema import DEVICE_TAG
from fitbit_sync.sources.takeout import coverage as cov
from fitbit_sync.sources.takeout.dedup import Claims, choose_sources
from fitbit_sync.sources.takeout.discovery import Archives, Entry
from fitbit_sync.sources.takeout.families import DAILY_PHASE, PROFILE, Family, classify, imported
from fitbit_sync.sources.takeout.layouts import detect_layouts, is_bulk, is_noise
from fitbit_sync.sources.takeout.parsers.bulk import DECODERS, Bulk, unpack
from fitbit_sync.sources.takeout.parsers.common import SUM_PREFIX, ParseContext
from fitbit_sync.sources.takeout.parsers.profile import profile_time_zone
from fitbit_sync.sources.takeout.prefetch import decoded_ahead
from fitbit_sync.sources.takeout.timezones import MINUTE_MS, LocalDays, iso_day, iso_of, resolve_zone
from fitbit_sync.sources.takeout.totals import DERIVED, DailyTotals, Staged
from fitbit_sync.stores.base import Coverage, Store

#: Intraday measurements whose last day marks the end of the export (daily padding is cut there).
CLOCK_MEASUREMENTS = ("HeartRate_Intraday", "Steps_Intraday", "Distance_Intraday", SUM_PREFIX + "calories")
SLEEP_SUMMARY = "Sleep Summary"


class Progress(Protocol):
    """Receives progress: total bytes to read once, then bytes read per file."""

    def start(self, total_bytes: int, files: int) -> None: ...

    def advance(self, nbytes: int, label: str) -> None: ...


@dataclass
class ImportOptions:
    device: str = "Fitbit"
    time_zone: str | None = None  # explicit (command line): wins over the archive's profile
    settings_time_zone: str | None = None  # settings.time_zone: used when the archive has none
    weight_unit: str = "auto"  # legacy weight JSON: "auto", "lb" or "kg"
    prefer_sources: tuple[str, ...] = ()  # CSV data sources to keep first, e.g. ("Charge 6",)
    batch_size: int = 50_000
    now_ms: int | None = None  # for tests: "now" (default: the clock)


@dataclass
class FileReport:
    label: str
    family: str
    status: str  # imported, empty, failed, superseded, duplicate, not imported
    records: int = 0  # rows taken (per-minute rows that only feed daily totals included)
    skipped: int = 0  # junk, other sources' rows and rows of days another family owns
    malformed: int = 0
    reason: str = ""
    superseded: int = 0  # rows of days another family owns (part of ``skipped``)


@dataclass
class MeasurementSummary:
    name: str
    rows: int
    first_day: str
    last_day: str


@dataclass
class ImportSummary:
    measurements: list[MeasurementSummary]
    files: list[FileReport]
    zone: str
    zone_origin: str
    layouts: list[str]
    coverage: list[Coverage]
    rows_written: int
    ignored_files: int  # not recognised (READMEs and unknown names)
    bulk_files: int  # skipped by name without reading (activity probabilities, ...)
    seconds: float

    def count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)

    @property
    def rows_skipped(self) -> int:
        return sum(f.skipped for f in self.files)


@dataclass
class _Inventory:
    by_family: dict[str, list[Entry]] = field(default_factory=dict)
    families: dict[str, Family] = field(default_factory=dict)
    profile: Entry | None = None
    reports: list[FileReport] = field(default_factory=list)
    ignored: int = 0
    bulk: int = 0


def take_inventory(entries: Iterable[Entry]) -> _Inventory:
    """Classify every entry; keep one copy of a file seen twice (the larger one)."""
    inv = _Inventory()
    chosen: dict[tuple[str, str], Entry] = {}
    for entry in entries:
        base = entry.base
        if is_bulk(base):
            inv.bulk += 1
            continue
        if is_noise(entry.name):
            inv.ignored += 1
            continue
        if PROFILE.match(base):
            if inv.profile is None or entry.size > inv.profile.size:
                inv.profile = entry
            continue
        family = classify(base)
        if family is None:
            inv.ignored += 1
            continue
        if family.parse is None:
            inv.reports.append(FileReport(entry.label, family.key, "not imported", reason=family.note))
            continue
        key = (family.key, base.lower())
        other = chosen.get(key)
        if other is not None:
            keep, drop = (entry, other) if entry.size > other.size else (other, entry)
            chosen[key] = keep
            inv.reports.append(FileReport(drop.label, family.key, "duplicate",
                                          reason=f"another copy ({keep.label}) is imported"))
            continue
        chosen[key] = entry
        inv.families[family.key] = family
    for (family_key, _), entry in chosen.items():
        inv.by_family.setdefault(family_key, []).append(entry)
    for entries_of in inv.by_family.values():
        entries_of.sort(key=lambda e: (e.base.lower(), e.label))
    return inv


class _FileState:
    """What one file has produced so far and not yet committed."""

    def __init__(self) -> None:
        self.records: list[Record] = []
        self.new_claims: list[tuple[str, int]] = []
        self.days: dict[str, tuple[int, int]] = {}  # measurement -> (first, last) local day
        self.present: dict[str, dict[int, set[str]]] = {}
        self.staged: Staged = {}
        self.superseded = 0  # rows of days another family owns
        self.contributed = 0  # per-minute rows that only feed daily totals
        self.counts: Counter[str] = Counter()  # rows per measurement, when counted on the way in


class TakeoutImporter:
    """One import run into ``store``; ``run(paths)`` returns the summary."""

    def __init__(self, store: Store, options: ImportOptions | None = None, progress: Progress | None = None) -> None:
        self.store = store
        self.options = options or ImportOptions()
        self.progress = progress
        self.claims = Claims()
        self.totals = DailyTotals()
        self.buffer: list[Record] = []
        self.rows: Counter[str] = Counter()
        self.day_range: dict[str, tuple[int, int]] = {}
        self.present: dict[str, dict[int, set[str]]] = {}
        self.reports: list[FileReport] = []
        self.extra: dict[str, object] = {}  # shared between files of a run (e.g. the weight unit)
        self.cutoff_day: int | None = None
        self.written = 0

    # --- the run ---------------------------------------------------------------------------------

    def run(self, paths: Sequence[str | os.PathLike[str]]) -> ImportSummary:
        started = time.monotonic()
        with Archives(paths) as archives:
            inv = take_inventory(archives)
            if not inv.by_family and not inv.reports:
                where = ", ".join(archives.inputs) or "the input"
                raise ArchiveError(f"no Fitbit data found in {where} (is this a Fitbit / Google Health export?)")
            zone, origin = self._zone(inv.profile)
            self.days = LocalDays(zone)
            self.tags = {DEVICE_TAG: self.options.device}
            families = imported(inv.families.values())
            if self.progress is not None:
                total = sum(e.size * (2 if f.per_source else 1) for f in families for e in inv.by_family[f.key])
                self.progress.start(total, sum(len(inv.by_family[f.key]) for f in families))
            for family in families:
                if family.order >= DAILY_PHASE and self.cutoff_day is None:
                    self.cutoff_day = self._export_day(archives.newest_ms)
                self._import_family(family, inv.by_family[family.key])
            coverage = self._finish(archives.newest_ms)
            layouts = detect_layouts(e.name for e in archives)
        summary = ImportSummary(
            measurements=self._measurements(), files=self.reports + inv.reports, zone=zone.key,
            zone_origin=origin, layouts=layouts, coverage=coverage, rows_written=self.written,
            ignored_files=inv.ignored, bulk_files=inv.bulk, seconds=time.monotonic() - started,
        )
        return summary

    def _zone(self, profile: Entry | None) -> tuple[ZoneInfo, str]:
        explicit = self.options.time_zone
        if explicit:
            zone = resolve_zone(explicit)
            if zone is None:
                raise ConfigError(f"unknown time zone {explicit!r} (use an IANA name such as Europe/Berlin)")
            return zone, "--time-zone"
        if profile is not None:
            zone = resolve_zone(profile_time_zone(profile))
            if zone is not None:
                return zone, f"the archive's {profile.base}"
        zone = resolve_zone(self.options.settings_time_zone)
        if zone is not None:
            return zone, "settings.time_zone"
        return ZoneInfo("UTC"), "default (no zone in the archive or settings)"

    def _now_ms(self) -> int:
        return self.options.now_ms if self.options.now_ms is not None else int(time.time() * 1000)

    def _export_day(self, newest_ms: int | None) -> int:
        """The last day the export can hold real data for: the last day of intraday data, else
        the day of the archive's newest file timestamp, else today."""
        ends = [self.day_range[m][1] for m in CLOCK_MEASUREMENTS if m in self.day_range]
        if ends:
            return max(ends)
        return self.days.day_of(min(newest_ms or self._now_ms(), self._now_ms()))

    # --- one family ------------------------------------------------------------------------------

    def _context(self, choice: dict[int, str] | None = None, scan: Counter[tuple[int, str]] | None = None
                 ) -> ParseContext:
        ctx = ParseContext(self.days, self.tags, self.options.weight_unit, self.cutoff_day, choice, scan)
        ctx.extra = self.extra
        return ctx

    def _import_family(self, family: Family, entries: list[Entry]) -> None:
        assert family.parse is not None
        choice: dict[int, str] | None = None
        done: set[int] = set()  # entries already reported by the first pass
        if family.per_source:
            scan: Counter[tuple[int, str]] = Counter()
            for entry in entries:
                mine: Counter[tuple[int, str]] = Counter()
                try:
                    for _ in family.parse(entry, self._context(scan=mine)):
                        pass
                except FitbitSyncError:
                    raise
                except Exception as exc:
                    done.add(id(entry))
                    self.reports.append(FileReport(entry.label, family.key, "failed", reason=_reason(exc)))
                else:
                    if mine and all(self._owned_by_other(family, day) for day, _ in mine):
                        done.add(id(entry))  # every day already imported from another copy: skip pass 2
                        rows = sum(mine.values())
                        self.reports.append(FileReport(entry.label, family.key, "superseded", skipped=rows,
                                                       superseded=rows,
                                                       reason="its days were imported from another copy"))
                    scan.update(mine)
                self._advance(entry)
            choice = choose_sources(scan, self.options.prefer_sources)
        if family.bulk:
            for entry, decoded in decoded_ahead(family.key, self.days.zone.key, entries):
                self._import_file(family, entry, choice, decoded)
            return
        for entry in entries:
            if id(entry) in done:
                self._advance(entry)
            else:
                self._import_file(family, entry, choice)

    def _owned_by_other(self, family: Family, day: int) -> bool:
        owner = self.claims.owner(family.metric, day)
        return owner is not None and owner != family.key

    def _import_file(self, family: Family, entry: Entry, choice: dict[int, str] | None,
                     decoded: Bulk | None = None) -> None:
        assert family.parse is not None
        ctx = self._context(choice=choice)
        report = FileReport(entry.label, family.key, "imported")
        state = _FileState()
        try:
            if family.bulk and decoded is None:
                decoded = DECODERS[family.key](entry.read_bytes(), self.days.zone.key)
            if decoded is not None:
                self._consume_bulk(family, decoded, state, report)
            else:
                self._consume(family, family.parse(entry, ctx), state, report)
        except FitbitSyncError:
            raise
        except Exception as exc:
            self.claims.release(state.new_claims)
            report.status = "failed"
            report.reason = _reason(exc)
        else:
            self._commit(family, state, report)
        superseded = report.superseded + state.superseded
        report.skipped += superseded + ctx.junk
        report.malformed = ctx.malformed
        if report.status == "imported" and report.records == 0:
            if superseded:
                report.status, report.reason = "superseded", "its days were imported from another copy"
            elif ctx.malformed:
                report.status, report.reason = "failed", f"no readable rows ({ctx.first_problem})"
            else:
                report.status = "empty"
        elif ctx.malformed and not report.reason:
            report.reason = f"{ctx.malformed} malformed rows skipped (first: {ctx.first_problem})"
        self.reports.append(report)
        self._advance(entry)

    def _advance(self, entry: Entry) -> None:
        if self.progress is not None:
            self.progress.advance(entry.size, entry.base)

    def _consume(self, family: Family, records: Iterator[Record], state: _FileState, report: FileReport) -> None:
        """The hot loop: claims, day ranges and totals per (measurement, local day) segment."""
        days = self.days
        stage = state.records
        append = stage.append
        checkpoint = self.options.batch_size
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
                allowed = self._enter(family, current, day, state, record)
                pseudo = current.startswith(SUM_PREFIX)
                target = DERIVED.get(current) if family.derive and allowed else None
                minutes = None if target is None else state.staged.setdefault((target[0], day), {})
            if not allowed:
                state.superseded += 1
                continue
            if minutes is not None:
                slot = (t - low) // MINUTE_MS
                if slot not in minutes:
                    minutes[slot] = record.fields
            if pseudo:
                state.contributed += 1
                continue
            append(record)
            if len(stage) >= checkpoint:
                self._commit(family, state, report)
                stage = state.records
                append = stage.append
                minutes = None if target is None else state.staged.setdefault((target[0], day), {})

    def _consume_bulk(self, family: Family, bulk: Bulk, state: _FileState, report: FileReport) -> None:
        """``_consume`` for a decoded file (one measurement, time order): a local day at a time,
        found by bisection, with records built only for the days that are taken."""
        measurement, times, values = unpack(bulk)
        days, tags = self.days, self.tags
        pseudo = measurement.startswith(SUM_PREFIX)
        target = DERIVED.get(measurement) if family.derive else None
        start, count = 0, len(times)
        while start < count:
            day = days.day_of(times[start])
            low, high = days.bounds(day)
            end = bisect_left(times, high, start)
            size = end - start
            if not self._enter(family, measurement, day, state):
                state.superseded += size
                start = end
                continue
            segment = times[start:end]
            fields: list[dict[str, FieldValue]] = [{"value": value} for value in values[start:end]]
            if target is not None:
                minutes = state.staged.setdefault((target[0], day), {})
                for t, f in zip(segment, fields, strict=True):
                    minutes.setdefault((t - low) // MINUTE_MS, f)
            if pseudo:
                state.contributed += size
            else:
                state.records.extend(map(Record, repeat(measurement, size), segment, fields, repeat(tags, size)))
                state.counts[measurement] += size
            start = end
            if len(state.records) >= self.options.batch_size:
                self._commit(family, state, report)

    def _enter(self, family: Family, measurement: str, day: int, state: _FileState,
               record: Record | None = None) -> bool:
        """Start of a (measurement, day) segment: the claim, the day range, coverage presence."""
        if family.claim:
            allowed, new = self.claims.take(family.metric_of(measurement), day, family.key)
            if new:
                state.new_claims.append((family.metric_of(measurement), day))
            if not allowed:
                return False
        first, last = state.days.get(measurement, (day, day))
        state.days[measurement] = (min(first, day), max(last, day))
        if family.covers:
            if measurement == SLEEP_SUMMARY and record is not None:
                end = record.fields.get("endTime")
                if isinstance(end, int):
                    state.present.setdefault(cov.SLEEP_END, {}).setdefault(self.days.day_of(end), set())
            have = state.present.setdefault(measurement, {}).setdefault(day, set())
            if record is not None and record.date is not None:
                have.update(record.fields)
        return True

    def _commit(self, family: Family, state: _FileState, report: FileReport) -> None:
        """Make a file's staged work part of the run (and flush full batches)."""
        for measurement, (first, last) in state.days.items():
            old = self.day_range.get(measurement)
            self.day_range[measurement] = (first, last) if old is None else (min(old[0], first), max(old[1], last))
        for measurement, per_day in state.present.items():
            target = self.present.setdefault(measurement, {})
            for day, have in per_day.items():
                target.setdefault(day, set()).update(have)
        self.totals.merge(state.staged, family.covers)
        records = state.records
        self.rows.update(state.counts if state.counts else map(attrgetter("measurement"), records))
        report.records += len(records) + state.contributed
        report.superseded += state.superseded
        self.buffer.extend(records)
        state.records, state.new_claims, state.days, state.present, state.staged = [], [], {}, {}, {}
        state.counts = Counter()
        state.superseded = state.contributed = 0
        if len(self.buffer) >= self.options.batch_size:
            self._flush()

    def _flush(self, coverage: Sequence[Coverage] = ()) -> None:
        if self.buffer or coverage:
            self.written += self.store.write(self.buffer, coverage)
        self.buffer = []

    # --- the end -----------------------------------------------------------------------------------

    def _finish(self, newest_ms: int | None) -> list[Coverage]:
        """Daily totals, then coverage, in the final write. Coverage counts as fetched when the
        export was made (the archive's newest timestamp, else the end of its last data day), so
        the planner's settle window refetches the days just before the export."""
        for record, covers in self.totals.records(self.days, self.tags):
            self.buffer.append(record)
            self.rows[record.measurement] += 1
            day = iso_day(record.date or "")
            first, last = self.day_range.get(record.measurement, (day, day))
            self.day_range[record.measurement] = (min(first, day), max(last, day))
            if covers:
                self.present.setdefault(record.measurement, {}).setdefault(day, set()).update(record.fields)
        last_day = {m: rng[1] for m, rng in self.day_range.items()}
        if cov.SLEEP_END in self.present:
            last_day[cov.SLEEP_END] = max(self.present[cov.SLEEP_END])
        now_ms = self._now_ms()
        if newest_ms is None and last_day:
            newest_ms = self.days.midnight(max(last_day.values()) + 1)
        fetched_at = min(now_ms, newest_ms) if newest_ms is not None else now_ms
        coverage = cov.coverage_records(self.present, last_day, self.days.day_of(now_ms), self.days, fetched_at)
        self._flush(coverage)
        return coverage

    def _measurements(self) -> list[MeasurementSummary]:
        result = []
        for name, rows in sorted(self.rows.items()):
            if name.startswith(SUM_PREFIX) or not rows:
                continue
            first, last = self.day_range.get(name, (0, 0))
            result.append(MeasurementSummary(name, rows, iso_of(first), iso_of(last)))
        return result


def import_archives(paths: Sequence[str | os.PathLike[str]], store: Store, options: ImportOptions | None = None,
                    progress: Progress | None = None) -> ImportSummary:
    """Import the export at ``paths`` (zips, numbered parts, folders) into ``store``."""
    return TakeoutImporter(store, options, progress).run(paths)


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300]
