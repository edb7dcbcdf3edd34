"""The reliability tier's ledger: what each scenario tried, what survived and what was lost.

Tests add one ``Row`` per scenario; ``conftest.py`` prints the table at the end of the run and,
when ``FITBIT_SYNC_RELIABILITY_REPORT`` names a file, writes it there as JSON, which
``bench/reliability.py`` turns into the table of ``docs/reliability.md``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

AREAS = ("Crashes", "Faults", "Bad input", "Secrets", "Concurrency")


@dataclass
class Row:
    area: str  # one of AREAS
    scenario: str
    tried: int  # kills, runs, inputs, texts scanned, ...
    survived: int  # ended complete and identical (or with one clear line and nothing lost)
    lost: dict[str, int] = field(default_factory=dict)  # "rows lost": 0, "tokens lost": 0, ...
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.survived == self.tried and not any(self.lost.values())

    def lost_text(self) -> str:
        return ", ".join(f"{name} {value}" for name, value in self.lost.items()) or "-"


class Ledger:
    """Thread-safe list of rows; ``merge`` folds rows of the same scenario together."""

    def __init__(self) -> None:
        self._rows: list[Row] = []
        self._lock = threading.Lock()

    def add(self, area: str, scenario: str, *, tried: int, survived: int, lost: dict[str, int] | None = None,
            detail: str = "") -> Row:
        if area not in AREAS:
            raise ValueError(f"unknown area {area!r}")
        row = Row(area, scenario, tried, survived, dict(lost or {}), detail)
        with self._lock:
            self._rows.append(row)
        return row

    @property
    def rows(self) -> list[Row]:
        with self._lock:
            return sorted(self._rows, key=lambda r: (AREAS.index(r.area), r.scenario))

    def to_json(self) -> list[dict[str, Any]]:
        return [asdict(r) for r in self.rows]


def rows_from_json(data: Iterable[dict[str, Any]]) -> list[Row]:
    return [Row(**item) for item in data]


def markdown_table(rows: Iterable[Row]) -> str:
    lines = ["| area | scenario | tried | survived | lost | detail |", "|---|---|---:|---:|---|---|"]
    for r in rows:
        lines.append(f"| {r.area} | {r.scenario} | {r.tried} | {r.survived} | {r.lost_text()} | {r.detail} |")
    return "\n".join(lines)


def text_table(rows: Iterable[Row]) -> list[str]:
    """Plain fixed-width lines for the terminal."""
    rows = list(rows)
    header = ("area", "scenario", "tried", "survived", "lost", "detail")
    cells = [header] + [(r.area, r.scenario, str(r.tried), str(r.survived), r.lost_text(), r.detail) for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(5)]
    out = []
    for i, c in enumerate(cells):
        out.append("  ".join(c[j].ljust(widths[j]) if j < 2 or j == 4 else c[j].rjust(widths[j]) for j in range(5))
                   + "  " + c[5])
        if i == 0:
            out.append("-" * (sum(widths) + 10 + len("detail")))
    return out
