"""Import an export archive into a store: discover, parse family by family, write in batches.

The run, in order: open the inputs (``discovery``), classify every file by name (``families``),
settle the time zone (explicit option > the archive's ``Profile.csv`` > ``settings.time_zone`` >
UTC), then read the families in their fixed order. Each file is parsed as a stream into its own
``FileStaging`` (``staging.py``): its records, day claims and per-minute totals are committed to
the run's ``RunState`` only when the file has been read to the end, so a bad file is reported and
skipped without leaving half its days behind (a file that stages more than one batch is committed
batch by batch). Records are written in batches of ``batch_size``; daily totals built from
per-minute rows and the API coverage go with the final write, after everything they describe.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol
from zoneinfo import ZoneInfo

from fitbit_sync.errors import ArchiveError, ConfigError, FitbitSyncError, reason
from fitbit_sync.schema import DEVICE_TAG
from fitbit_sync.sources.takeout import coverage as cov
from fitbit_sync.sources.takeout.dedup import choose_sources
from fitbit_sync.sources.takeout.discovery import Archives, Entry
from fitbit_sync.sources.takeout.families import DAILY_PHASE, PROFILE, Family, classify, imported
from fitbit_sync.sources.takeout.layouts import detect_layouts, is_bulk, is_noise
from fitbit_sync.sources.takeout.parsers.bulk import DECODERS, Bulk
from fitbit_sync.sources.takeout.parsers.common import SUM_PREFIX, ParseContext
from fitbit_sync.sources.takeout.parsers.profile import profile_time_zone
from fitbit_sync.sources.takeout.prefetch import decoded_ahead
from fitbit_sync.sources.takeout.staging import FileStaging, RunState
from fitbit_sync.sources.takeout.timezones import LocalDays, iso_day, iso_of, resolve_zone
from fitbit_sync.stores.base import Coverage, Store

#: Intraday measurements whose last day marks the end of the export (daily padding is cut there).
CLOCK_MEASUREMENTS = ("HeartRate_Intraday", "Steps_Intraday", "Distance_Intraday", SUM_PREFIX + "calories")


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


class TakeoutImporter:
    """One import run into ``store``; ``run(paths)`` returns the summary."""

    def __init__(self, store: Store, options: ImportOptions | None = None, progress: Progress | None = None) -> None:
        self.store = store
        self.options = options or ImportOptions()
        self.progress = progress
        self.state = RunState(store, self.options.batch_size)
        self.reports: list[FileReport] = []
        self.extra: dict[str, object] = {}  # shared between files of a run (e.g. the weight unit)
        self.cutoff_day: int | None = None

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
            zone_origin=origin, layouts=layouts, coverage=coverage, rows_written=self.state.written,
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
        day_range = self.state.day_range
        ends = [day_range[m][1] for m in CLOCK_MEASUREMENTS if m in day_range]
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
                    self.reports.append(FileReport(entry.label, family.key, "failed", reason=reason(exc, 300)))
                else:
                    if mine and all(self.state.owned_by_other(family, day) for day, _ in mine):
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

    def _import_file(self, family: Family, entry: Entry, choice: dict[int, str] | None,
                     decoded: Bulk | None = None) -> None:
        assert family.parse is not None
        ctx = self._context(choice=choice)
        report = FileReport(entry.label, family.key, "imported")
        staging = FileStaging(self.state, family, self.days, self.tags, report)
        try:
            if family.bulk and decoded is None:
                decoded = DECODERS[family.key](entry.read_bytes(), self.days.zone.key)
            if decoded is not None:
                staging.consume_bulk(decoded)
            else:
                staging.consume(family.parse(entry, ctx))
        except FitbitSyncError:
            raise
        except Exception as exc:
            staging.release()
            report.status = "failed"
            report.reason = reason(exc, 300)
        else:
            staging.commit()
        superseded = report.superseded + staging.superseded
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

    # --- the end -----------------------------------------------------------------------------------

    def _finish(self, newest_ms: int | None) -> list[Coverage]:
        """Daily totals, then coverage, in the final write. Coverage counts as fetched when the
        export was made (the archive's newest timestamp, else the end of its last data day), so
        the planner's settle window refetches the days just before the export."""
        run = self.state
        for record, covers in run.totals.records(self.days, self.tags):
            run.buffer.append(record)
            run.rows[record.measurement] += 1
            day = iso_day(record.date or "")
            run.add_day(record.measurement, day, day)
            if covers:
                run.present.setdefault(record.measurement, {}).setdefault(day, set()).update(record.fields)
        last_day = {m: rng[1] for m, rng in run.day_range.items()}
        if cov.SLEEP_END in run.present:
            last_day[cov.SLEEP_END] = max(run.present[cov.SLEEP_END])
        now_ms = self._now_ms()
        if newest_ms is None and last_day:
            newest_ms = self.days.midnight(max(last_day.values()) + 1)
        fetched_at = min(now_ms, newest_ms) if newest_ms is not None else now_ms
        coverage = cov.coverage_records(run.present, last_day, self.days.day_of(now_ms), self.days, fetched_at)
        run.flush(coverage)
        return coverage

    def _measurements(self) -> list[MeasurementSummary]:
        result = []
        for name, rows in sorted(self.state.rows.items()):
            if name.startswith(SUM_PREFIX) or not rows:
                continue
            first, last = self.state.day_range.get(name, (0, 0))
            result.append(MeasurementSummary(name, rows, iso_of(first), iso_of(last)))
        return result


def import_archives(paths: Sequence[str | os.PathLike[str]], store: Store, options: ImportOptions | None = None,
                    progress: Progress | None = None) -> ImportSummary:
    """Import the export at ``paths`` (zips, numbered parts, folders) into ``store``."""
    return TakeoutImporter(store, options, progress).run(paths)
