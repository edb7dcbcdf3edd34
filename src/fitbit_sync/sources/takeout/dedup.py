"""Never count a day twice: day claims across file families, and one data source per day.

* ``Claims``: within a metric, the first family (in ``Family.order``) that delivers rows for a
  local day owns that day; other families' rows for it are skipped. A failed file's claims are
  released, so a later family can still fill the day.
* ``choose_sources``: the Google-era CSVs carry one row per *source* (tracker, phone, Health
  Connect mirrors). Summing them double- or triple-counts, so one source is kept per local day:
  a source the user prefers, else not a Health Connect round trip, else not the phone or app,
  else the one with the most rows (ties by name, so the choice is stable).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

ROUND_TRIP_WORDS = ("health connect",)
PHONE_WORDS = ("mobiletrack", "google health app", "fitbit app", "phone", "google fit")


class Claims:
    def __init__(self) -> None:
        self._owner: dict[tuple[str, int], str] = {}

    def take(self, metric: str, day: int, owner: str) -> tuple[bool, bool]:
        """(allowed, newly taken) for ``owner`` writing ``metric`` on local day ``day``."""
        key = (metric, day)
        current = self._owner.get(key)
        if current is None:
            self._owner[key] = owner
            return True, True
        return current == owner, False

    def release(self, keys: Sequence[tuple[str, int]]) -> None:
        for key in keys:
            self._owner.pop(key, None)

    def owner(self, metric: str, day: int) -> str | None:
        return self._owner.get((metric, day))


def _has(source: str, words: Sequence[str]) -> bool:
    lowered = source.lower()
    return any(word in lowered for word in words)


def source_rank(source: str, rows: int, prefer: Sequence[str]) -> tuple[int, bool, bool, int, str]:
    """Sort key: lower is better."""
    wanted = [p.lower() for p in prefer]
    lowered = source.lower()
    preference = next((i for i, p in enumerate(wanted) if p and p in lowered), len(wanted))
    return preference, _has(source, ROUND_TRIP_WORDS), _has(source, PHONE_WORDS), -rows, source


def choose_sources(scan: Counter[tuple[int, str]], prefer: Sequence[str] = ()) -> dict[int, str]:
    """The source to keep for each local day, from rows counted per (day, source)."""
    by_day: dict[int, list[tuple[str, int]]] = {}
    for (day, source), rows in scan.items():
        by_day.setdefault(day, []).append((source, rows))
    return {day: min(options, key=lambda o: source_rank(o[0], o[1], prefer))[0] for day, options in by_day.items()}
