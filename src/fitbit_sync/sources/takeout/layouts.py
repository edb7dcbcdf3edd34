"""The export's folder layouts: which one(s) an archive uses, and the files never to read.

Files are matched by name anywhere in the archive (``families.py``), so layouts matter only for
reporting and for skipping: READMEs, macOS metadata and the bulk machine-learning tables that make
up most of an archive's bytes (``UserActivityProbabilities*``, ``UserSensorCompressionToken*``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

#: (description, regular expression on the path inside the archive)
LAYOUTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("Google Takeout, Takeout/Google Health (2026)", re.compile(r"(^|/)Takeout/Google Health/")),
    ("Google Takeout, Takeout/Fitbit (2022-2026)", re.compile(r"(^|/)Takeout/Fitbit/")),
    ("fitbit.com account archive, user-site-export (2015-2021)", re.compile(r"(^|/)user-site-export/")),
    ("fitbit.com account archive, Google Data (2026)", re.compile(r"(^|/)Google Data/")),
    ("fitbit.com account archive, category folders (2021-2023)",
     re.compile(r"(^|/)(Physical Activity|Sleep|Personal & Account|Stress|Heart Rate Variability)/[^/]+$")),
)
PER_FAMILY_FOLDERS = re.compile(r"(^|/)Physical Activity_GoogleData/[^/]+/[^/]+\.csv$")

_BULK = re.compile(r"^(UserActivityProbabilities|UserSensorCompressionToken)", re.IGNORECASE)
_NOISE = re.compile(r"(^|/)(__MACOSX/|\.)|readme|\.(txt|md|pdf|html?)$", re.IGNORECASE)


def is_bulk(name: str) -> bool:
    """A huge non-health table that is skipped by name, without decompressing it."""
    return bool(_BULK.match(name.rsplit("/", 1)[-1]))


def is_noise(name: str) -> bool:
    """READMEs, text notes, macOS metadata and hidden files."""
    return bool(_NOISE.search(name))


def detect_layouts(names: Iterable[str]) -> list[str]:
    """Descriptions of the layouts seen in ``names`` (several when archives are mixed)."""
    found: dict[str, None] = {}
    per_family = False
    for name in names:
        for description, pattern in LAYOUTS:
            if pattern.search(name):
                found[description] = None
                break
        per_family = per_family or bool(PER_FAMILY_FOLDERS.search(name))
    result = list(found)
    if per_family:
        result.append("Physical Activity_GoogleData with one folder per family (late 2026)")
    return result or ["loose files (no known root folder)"]
