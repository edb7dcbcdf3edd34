"""Request accounting: every request counted by method, data type and status.

``GET /_emulator/stats`` returns ``snapshot()``; benchmarks read e.g.
``stats["by_type"]["heart-rate"]["list"]`` to count the calls a sync made. The recent-request
log keeps the last ``log_size`` entries for debugging.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any


class Stats:
    def __init__(self, log_size: int = 2000) -> None:
        self._lock = threading.Lock()
        self._log_size = log_size
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.total = 0
            self.by_status: dict[str, int] = {}
            self.by_method: dict[str, int] = {}
            self.by_type: dict[str, dict[str, int]] = {}
            self.faults: dict[str, int] = {}
            self.points_served = 0
            self._log: deque[dict[str, Any]] = deque(maxlen=self._log_size)

    @property
    def log(self) -> list[dict[str, Any]]:
        """The recent requests, oldest first (a copy: safe while the server keeps serving)."""
        with self._lock:
            return list(self._log)

    def record(
        self,
        *,
        http_method: str,
        path: str,
        status: int,
        method: str | None,
        data_type: str | None,
        fault: str | None,
        points: int,
        elapsed: float,
        time: float,
    ) -> None:
        with self._lock:
            self.total += 1
            key = str(status)
            self.by_status[key] = self.by_status.get(key, 0) + 1
            name = method or "other"
            self.by_method[name] = self.by_method.get(name, 0) + 1
            if data_type is not None and method is not None:
                per = self.by_type.setdefault(data_type, {})
                short = method.rsplit(".", 1)[-1]
                per[short] = per.get(short, 0) + 1
            if fault is not None:
                self.faults[fault] = self.faults.get(fault, 0) + 1
            self.points_served += points
            self._log.append(
                {
                    "time": time,
                    "method": http_method,
                    "path": path,
                    "status": status,
                    "apiMethod": method,
                    "dataType": data_type,
                    "fault": fault,
                    "points": points,
                    "ms": round(elapsed * 1000, 2),
                }
            )

    def snapshot(self, log: int = 50) -> dict[str, Any]:
        with self._lock:
            return {
                "total": self.total,
                "by_status": dict(self.by_status),
                "by_method": dict(self.by_method),
                "by_type": {k: dict(v) for k, v in self.by_type.items()},
                "faults": dict(self.faults),
                "points_served": self.points_served,
                "recent": list(self._log)[-log:] if log else [],
            }
