r"""Text values every store can hold: one transform per store kind, applied per value, counted.

A name from the API or an archive can hold anything: line breaks, NUL, lone surrogates, a
trailing backslash, 5,000 characters. A value a store cannot hold must never fail a batch (and so
every rerun): it is changed here, per value, and counted. Everything else is stored verbatim
(leading and trailing spaces, quotes, commas, ``=``, backslashes, tabs).

Every store (SQLite, PostgreSQL, InfluxDB), tags and string fields alike:

* NUL (U+0000) becomes U+FFFD: PostgreSQL ``text`` cannot hold it, and SQLite and InfluxDB
  clients cut strings there, so all stores agree;
* a lone surrogate (U+D800..U+DFFF, not valid UTF-8) becomes U+FFFD: no store can encode it;
* a value longer than ``MAX_TEXT_CHARS`` (256) characters is cut to 255 followed by ``…``: keys
  stay below PostgreSQL's index-row limit (2,704 bytes for two tags of 4-byte characters), and
  a workout's ``ActivityID`` stays short enough to be looked up (``/api/gps``).

InfluxDB line protocol in addition, tags and string fields alike:

* CR and LF become ``␍`` (U+240D) and ``␤`` (U+2424): a line break cannot be escaped in line
  protocol (a tag value breaks the line; the docs say the same of string fields);

and in tag values only:

* a backslash before a space, comma, equals sign or at the end becomes ``⧵`` (U+29F5): InfluxDB
  keeps other backslashes as they are but has no way to write that one (``\\`` is not unescaped
  in tags; checked on 1.6). String fields keep every backslash (escaped ``\\``).

``TextValues`` applies a store's transforms, caches values it did not change and counts the
ones it did in ``changed`` (``"<measurement>.<column>: <reason>"`` -> values), logging
the first few, as the converters count skipped points.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import Counter
from collections.abc import Callable

log = logging.getLogger(__name__)

MAX_TEXT_CHARS = 256
REPLACEMENT = "\ufffd"
TRUNCATED = "…"
LOG_LIMIT = 5  # warnings per key and store; the rest are only counted
CACHE_LIMIT = 10_000

Reasons = tuple[str, ...]
Transform = Callable[[str], tuple[str, Reasons]]

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_LINE_BREAK = re.compile("[\r\n]")
_LINE_BREAKS = str.maketrans({"\n": "\u2424", "\r": "\u240d"})
_UNWRITABLE_BACKSLASH = re.compile(r"\\(?=[ ,=]|$)")
BACKSLASH_SUBSTITUTE = "\u29f5"


def storable_text(text: str) -> tuple[str, Reasons]:
    """``text`` as every store holds it, and why it changed (empty when it did not)."""
    if len(text) <= MAX_TEXT_CHARS and _UNSTORABLE.search(text) is None:
        return text, ()
    reasons: list[str] = []
    if "\x00" in text:
        text = text.replace("\x00", REPLACEMENT)
        reasons.append("NUL replaced")
    if _SURROGATE.search(text) is not None:
        text = _SURROGATE.sub(REPLACEMENT, text)
        reasons.append("lone surrogate replaced")
    if len(text) > MAX_TEXT_CHARS:
        text = text[:MAX_TEXT_CHARS - len(TRUNCATED)] + TRUNCATED
        reasons.append(f"cut to {MAX_TEXT_CHARS} characters")
    return text, tuple(reasons)


def influx_field_text(text: str) -> tuple[str, Reasons]:
    """A string field as InfluxDB holds it: ``storable_text`` with line breaks made visible."""
    text, reasons = storable_text(text)
    if _LINE_BREAK.search(text) is not None:
        text = text.translate(_LINE_BREAKS)
        reasons += ("line break replaced",)
    return text, reasons


def influx_tag_text(text: str) -> tuple[str, Reasons]:
    """A tag value as InfluxDB holds it: ``influx_field_text`` without unwritable backslashes."""
    text, reasons = influx_field_text(text)
    if "\\" in text and _UNWRITABLE_BACKSLASH.search(text) is not None:
        text = _UNWRITABLE_BACKSLASH.sub(BACKSLASH_SUBSTITUTE, text)
        reasons += ("backslash replaced",)
    return text, reasons


class TextValues:
    """One store's text transforms (tag values, string fields), with a cache of unchanged values
    and a count of changed ones.

    ``tag(text, measurement, column)`` and ``field(...)`` return the value to store. ``same_tag``
    maps tag values known to need no change to themselves: hot paths look a value up there first
    (one dict lookup per row) and call ``tag`` only when it is missing, so a changed value is
    counted for every row it is in."""

    def __init__(self, tag: Transform = storable_text, field: Transform | None = None, *,
                 label: str = "store") -> None:
        self._tag_transform = tag
        self._field_transform = field or tag
        self.label = label
        self.same_tag: dict[str, str] = {}
        self._same_field: dict[str, str] = {}
        self.changed: Counter[str] = Counter()
        self._lock = threading.Lock()

    @classmethod
    def for_influx(cls) -> TextValues:
        return cls(influx_tag_text, influx_field_text, label="InfluxDB")

    def tag(self, text: str, measurement: str, column: str) -> str:
        return self._fix(text, measurement, column, self._tag_transform, self.same_tag)

    def field(self, text: str, measurement: str, column: str) -> str:
        return self._fix(text, measurement, column, self._field_transform, self._same_field)

    def _fix(self, text: str, measurement: str, column: str, transform: Transform, same: dict[str, str]) -> str:
        known = same.get(text)
        if known is not None:
            return known
        if not isinstance(text, str):
            text = str(text)
        fixed, reasons = transform(text)
        if not reasons:
            if len(same) < CACHE_LIMIT:
                same[text] = text
            return text
        self._count(measurement, column, reasons)
        return fixed

    def snapshot(self) -> Counter[str]:
        """The counts now, for ``restore`` when rows are encoded again (a retried COPY)."""
        with self._lock:
            return Counter(self.changed)

    def restore(self, counts: Counter[str]) -> None:
        with self._lock:
            self.changed.clear()
            self.changed.update(counts)

    def _count(self, measurement: str, column: str, reasons: Reasons) -> None:
        where = f"{measurement}.{column}"
        with self._lock:
            for reason in reasons:
                key = f"{where}: {reason}"
                self.changed[key] += 1
                count = self.changed[key]
                if count <= LOG_LIMIT:
                    log.warning("%s: %s: stored a value changed (%s)", self.label, where, reason)
                elif count == LOG_LIMIT + 1:
                    log.warning("%s: %s: more values changed (%s); counting them silently", self.label, where,
                                reason)
