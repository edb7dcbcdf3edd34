"""Unit conversions and number parsing for archive values (the archive mixes cm, m, lb, g, ft).

``number`` is the one place that decides what counts as "no value": blanks, ``NaN``, ``null``
and non-finite numbers all become ``None`` so that parsers skip them instead of storing junk.
"""

from __future__ import annotations

import math
from typing import Any

from fitbit_sync.records import FieldValue

KG_PER_LB = 0.45359237
M_PER_FT = 0.3048
M_PER_CM = 0.01
KM_PER_MILE = 1.609344

_MISSING = frozenset({"", "nan", "null", "none", "-", "n/a", "na", "no data"})


def number(value: Any) -> float | None:
    """A finite float from a JSON number or a text cell; None for blanks, NaN and placeholders.
    Raises ValueError for text that is not a number at all."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        result = float(value)
    elif isinstance(value, str):
        text = value.strip()
        if text.lower() in _MISSING:
            return None
        result = float(text)
    else:
        raise ValueError(f"not a number: {value!r}")
    return result if math.isfinite(result) else None


def integer(value: Any) -> int | None:
    """``number`` rounded to the nearest integer (Fitbit writes ``"168"`` and ``66.876``)."""
    result = number(value)
    return None if result is None else round(result)


def lb_to_kg(pounds: float) -> float:
    return pounds * KG_PER_LB


def kg_to_lb(kilograms: float) -> float:
    return kilograms / KG_PER_LB


def weight_fields(kilograms: float) -> dict[str, FieldValue]:
    """The ``weight`` measurement's fields: pounds (as the peer dashboard expects) and kg."""
    return {"value": round(kg_to_lb(kilograms), 6), "kg": round(kilograms, 6)}


def implied_height_m(weight_kg: float, bmi: float) -> float:
    """Height that makes ``bmi`` true for ``weight_kg`` (used to tell lb from kg)."""
    return math.sqrt(weight_kg / bmi)
