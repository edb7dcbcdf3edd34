"""``--out report.html``: one self-contained file with the page, its libraries and the data of one range."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from fitbit_sync.dashboards.html import page, payload
from fitbit_sync.dashboards.html.ranges import Window
from fitbit_sync.dashboards.html.source import DashboardSource
from fitbit_sync.errors import FitbitSyncError


def build_report(source: DashboardSource, window: Window, *, title: str = "fitbit-sync report") -> str:
    """The report's HTML: every GPS track of the listed workouts is embedded, nothing is fetched."""
    bounds = source.bounds(payload.ACTIVITY_MEASUREMENTS)
    data = payload.build(source, window, tracks="all", bounds=bounds)
    return page.render({"tz": window.tz.key, "payload": data, "source": source.name}, inline=True, title=title)


def write_report(path: Path, html: str) -> None:
    """Write atomically (a temporary file renamed over ``path``): never half a report."""
    target = path.expanduser()
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise FitbitSyncError(f"cannot write {target}: directory {directory} does not exist")
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(html)
        os.replace(tmp, target)
        tmp = None
    except OSError as exc:
        raise FitbitSyncError(f"cannot write {target}: {exc.strerror or exc}") from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
