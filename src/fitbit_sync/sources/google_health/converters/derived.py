"""Values the API does not serve but two streams together give: BMI from a weigh-in and the
latest height at or before it.

Streams run in parallel, so neither converter can wait for the other: each run's
``ConvertContext`` holds one ``BodyHistory`` and whichever of the two arrives second emits the
BMI. A backfill reads the height stream whole (``Stream.whole_history``: a few points a year, one
call), so every weigh-in finds its height even when the height was entered long before the range;
the heights seen so far are kept in the store's state between runs (``heights_text`` /
``load_heights``, see ``sync.runner``), so a sync's new weigh-ins find theirs too. Pages come
newest first, so the first height at or before a weigh-in is already the latest one; should a
better one arrive later (pages out of order), the BMI is emitted again and the newer write wins.
"""

from __future__ import annotations

import bisect
import math
import threading
from dataclasses import dataclass, field

import orjson

from fitbit_sync.records import Record

BMI_MEASUREMENT = "bmi"
BMI_DIGITS = 2


def bmi_record(time_ms: int, kg: float, metres: float, tags: dict[str, str]) -> Record:
    """``bmi`` at a weigh-in: kg / m², rounded to two decimals as Fitbit shows it."""
    return Record(BMI_MEASUREMENT, time_ms, {"value": round(kg / (metres * metres), BMI_DIGITS)}, dict(tags))


@dataclass
class BodyHistory:
    """Heights and weigh-ins converted in this run (thread-safe)."""

    heights: list[tuple[int, float]] = field(default_factory=list)  # sorted (time_ms, metres)
    #: (time_ms, tags) of a weigh-in -> (kg, time of the height its BMI used, or None)
    weights: dict[tuple[int, tuple[tuple[str, str], ...]], tuple[float, int | None]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _height_at(self, time_ms: int) -> tuple[int, float] | None:
        index = bisect.bisect_right(self.heights, (time_ms, math.inf)) - 1
        return self.heights[index] if index >= 0 else None

    def add_weight(self, time_ms: int, kg: float, tags: dict[str, str]) -> list[Record]:
        """Remember a weigh-in; its BMI if a height at or before it is known."""
        with self.lock:
            height = self._height_at(time_ms)
            self.weights[(time_ms, tuple(sorted(tags.items())))] = (kg, height[0] if height else None)
        return [bmi_record(time_ms, kg, height[1], tags)] if height else []

    def add_height(self, time_ms: int, metres: float) -> list[Record]:
        """Remember a height; the BMI of every known weigh-in it is now the latest height for."""
        out: list[Record] = []
        with self.lock:
            bisect.insort(self.heights, (time_ms, metres))
            for key, (kg, used) in self.weights.items():
                weighed_at, tags = key
                if weighed_at >= time_ms and (used is None or used < time_ms):
                    self.weights[key] = (kg, time_ms)
                    out.append(bmi_record(weighed_at, kg, metres, dict(tags)))
        return out

    def heights_text(self) -> str:
        """The heights seen so far, as JSON for the store's state."""
        with self.lock:
            return orjson.dumps(self.heights).decode()

    def load_heights(self, text: str | None) -> None:
        """Heights seen by earlier runs (``heights_text``); unreadable state is ignored."""
        try:
            known = orjson.loads(text) if text else []
            pairs = [(int(t), float(m)) for t, m in known]
        except (orjson.JSONDecodeError, TypeError, ValueError):
            return
        with self.lock:
            self.heights = sorted(set(self.heights) | set(pairs))
