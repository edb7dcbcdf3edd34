"""``Your Profile/Profile.csv``: the account's current time zone (the archive's only zone info)."""

from __future__ import annotations

import zipfile
import zlib

from fitbit_sync.sources.takeout.discovery import Entry
from fitbit_sync.sources.takeout.parsers.common import CsvTable, cell


def profile_time_zone(entry: Entry) -> str | None:
    """The first non-empty ``timezone`` value, or None (also for an unreadable file)."""
    try:
        with CsvTable(entry) as table:
            index = table.column("timezone", "time zone", required=False)
            if index is None:
                return None
            for row in table.rows():
                value = cell(row, index).strip()
                if value:
                    return value
    except (OSError, ValueError, UnicodeError, EOFError, zipfile.BadZipFile, zlib.error):  # a damaged member
        return None
    return None
