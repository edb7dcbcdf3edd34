"""The AIP-160 subset ``dataPoints.list``/``reconcile`` accept, with Google's 400 errors.

Grammar: comparisons ``{filter_id}.{member} (>=|<) "literal"`` joined by ``AND`` (and ``OR``
for sleep), parentheses allowed; as in AIP-160, ``OR`` binds tighter than ``AND``. Members
depend on the record kind (``datatypes.FILTER_MEMBERS``). Physical members take RFC 3339
timestamps; civil members ``YYYY-MM-DD[THH:mm:ss]`` in the user's local time; ``date`` a date.

A parsed ``Filter`` tests records and tells which civil days can hold matches.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from fitbit_sync.emulator.datatypes import NO_FILTER_TYPES, DataTypeSpec
from fitbit_sync.emulator.errors import ApiError, invalid_argument
from fitbit_sync.emulator.timeline import DAY, Timeline, date_to_days, days_to_date

Rec = tuple  # (start, end, start_offset, end_offset, seq, payload)

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
      | (?P<op>>=|<=|!=|=|<|>|:)
      | (?P<lparen>\()
      | (?P<rparen>\))
      | (?P<word>[A-Za-z0-9_.\-:+]+)
      | (?P<bad>\S)
    )""",
    re.VERBOSE,
)
_RFC3339 = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$")
_CIVIL = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2}))?$")
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")

PHYSICAL_MEMBERS = {"interval.start_time": 0, "sample_time.physical_time": 0, "interval.end_time": 1}
CIVIL_MEMBERS = {
    "interval.civil_start_time": 0,
    "sample_time.civil_time": 0,
    "date": 0,
    "interval.civil_end_time": 1,
}


def bad_filter(message: str, reason: str = "INVALID_DATA_POINT_FILTER") -> ApiError:
    return invalid_argument(f"{reason}: {message}", reason)


@dataclass(frozen=True)
class Comparison:
    member: str
    op: str
    value: float  # instant (physical members) or local seconds (civil members)
    civil: bool
    end: bool  # compares the record's end rather than its start


@dataclass(frozen=True)
class Junction:
    op: str  # "AND" | "OR"
    parts: tuple[Comparison | Junction, ...]


Expr = Comparison | Junction


class Filter:
    """A compiled filter expression (or none: everything matches)."""

    def __init__(self, expr: Expr | None, text: str = "") -> None:
        self.expr = expr
        self.text = text
        self.matches: Callable[[Rec], bool] = _compile(expr) if expr is not None else (lambda rec: True)

    def covers_day(self, day_days: int, t0: int, t1: int) -> bool:
        """True if every record owned by the civil day (days since epoch ``day_days``, physical
        ``[t0, t1)``) matches, so callers can skip testing records one by one."""
        return self.expr is None or _covers(self.expr, day_days, t0, t1)

    def day_range(self, timeline: Timeline) -> tuple[date | None, date | None]:
        """Inclusive bounds on the civil days that can hold matching records (None: open)."""
        if self.expr is None:
            return None, None
        lo, hi = _bounds(self.expr, timeline)
        return (days_to_date(lo) if lo is not None else None, days_to_date(hi) if hi is not None else None)


def parse_filter(text: str | None, spec: DataTypeSpec) -> Filter:
    if text is None or not text.strip():
        return Filter(None)
    if spec.path_id in NO_FILTER_TYPES:
        raise bad_filter(
            f"data type {spec.path_id} does not support filters", "INVALID_DATA_POINT_FILTER_DATA_TYPE_MEMBER"
        )
    tokens = _tokenize(text)
    parser = _Parser(tokens, spec)
    expr = parser.parse()
    _check_ranges(expr)
    return Filter(expr, text)


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            break
        pos = m.end()
        kind = m.lastgroup
        assert kind is not None
        value = m.group(kind)
        if kind == "bad":
            raise bad_filter(f"unexpected character {value!r} in filter", "INVALID_DATA_POINT_FILTER_SYNTAX")
        tokens.append((kind, value))
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]], spec: DataTypeSpec) -> None:
        self.tokens = tokens
        self.pos = 0
        self.spec = spec

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str] | None:
        tok = self.peek()
        self.pos += 1
        return tok

    def parse(self) -> Expr:
        expr = self.and_expr()
        if self.peek() is not None:
            raise bad_filter(f"unexpected {self.peek()[1]!r} in filter", "INVALID_DATA_POINT_FILTER_SYNTAX")  # type: ignore[index]
        return expr

    def and_expr(self) -> Expr:
        parts = [self.or_expr()]
        while self.peek() == ("word", "AND"):
            self.take()
            parts.append(self.or_expr())
        return parts[0] if len(parts) == 1 else Junction("AND", tuple(parts))

    def or_expr(self) -> Expr:
        parts = [self.term()]
        while self.peek() == ("word", "OR"):
            if not self.spec.or_allowed:
                raise bad_filter(f"OR is not supported for data type {self.spec.path_id}")
            self.take()
            parts.append(self.term())
        return parts[0] if len(parts) == 1 else Junction("OR", tuple(parts))

    def term(self) -> Expr:
        tok = self.take()
        if tok is None:
            raise bad_filter("filter ends too early", "INVALID_DATA_POINT_FILTER_MISSING_TOKEN")
        if tok[0] == "lparen":
            inner = self.and_expr()
            if self.take() != ("rparen", ")"):
                raise bad_filter("missing closing parenthesis", "INVALID_DATA_POINT_FILTER_MISSING_TOKEN")
            return inner
        if tok == ("word", "NOT") or tok == ("op", "-"):
            raise bad_filter("negation is not supported")
        if tok[0] != "word" or tok[1] in ("AND", "OR"):
            raise bad_filter(f"expected a field name, found {tok[1]!r}", "INVALID_DATA_POINT_FILTER_SYNTAX")
        member = self.field(tok[1])
        op = self.take()
        if op is None:
            raise bad_filter(f"missing comparison operator after {tok[1]}", "INVALID_DATA_POINT_FILTER_MISSING_TOKEN")
        if op[0] != "op":
            raise bad_filter(f"expected a comparison operator, found {op[1]!r}", "INVALID_DATA_POINT_FILTER_SYNTAX")
        allowed = (">=",) if self.spec.lower_bound_only else (">=", "<")
        if op[1] not in allowed:
            raise bad_filter(f"operator {op[1]} is not supported; use {' or '.join(allowed)}")
        literal = self.take()
        if literal is None:
            raise bad_filter(f"missing value after {tok[1]} {op[1]}", "INVALID_DATA_POINT_FILTER_MISSING_TOKEN")
        if literal[0] != "string":
            raise bad_filter(f"values must be quoted strings, found {literal[1]!r}", "INVALID_DATA_POINT_FILTER_SYNTAX")
        return _comparison(member, op[1], literal[1][1:-1])

    def field(self, name: str) -> str:
        prefix, _, member = name.partition(".")
        if "-" in prefix:
            raise bad_filter(f"data type names in filters use snake_case ({prefix.replace('-', '_')}), not {prefix}")
        if prefix != self.spec.filter_id:
            raise bad_filter(f"filter field {name} does not belong to data type {self.spec.path_id}")
        if member not in self.spec.members:
            raise bad_filter(
                f"field {member!r} is not supported for data type {self.spec.filter_id}; "
                f"supported: {', '.join(self.spec.members)}",
                "INVALID_DATA_POINT_FILTER_DATA_TYPE_MEMBER",
            )
        return member


def _comparison(member: str, op: str, literal: str) -> Comparison:
    if member in PHYSICAL_MEMBERS:
        return Comparison(member, op, parse_rfc3339(literal), False, PHYSICAL_MEMBERS[member] == 1)
    if member == "date":
        m = _DATE.match(literal)
        if m is None:
            raise bad_filter(f"expected a date YYYY-MM-DD, found {literal!r}", "INVALID_FILTER_FORMAT")
        return Comparison(member, op, _civil_seconds(m.groups()), True, False)
    m = _CIVIL.match(literal)
    if m is None:
        raise bad_filter(f"expected a civil time YYYY-MM-DD[THH:mm:ss], found {literal!r}", "INVALID_FILTER_FORMAT")
    return Comparison(member, op, _civil_seconds(m.groups()), True, CIVIL_MEMBERS[member] == 1)


def _civil_seconds(groups: tuple[str | None, ...]) -> int:
    y, mo, d = (int(g) for g in groups[:3])  # type: ignore[arg-type]
    h, mi, s = (int(g) if g else 0 for g in (groups[3:6] if len(groups) > 3 else (None, None, None)))
    try:
        day = date(y, mo, d)
    except ValueError:
        raise bad_filter(f"invalid date {y:04d}-{mo:02d}-{d:02d}", "INVALID_FILTER_FORMAT") from None
    if h > 23 or mi > 59 or s > 59:
        raise bad_filter("invalid time of day", "INVALID_FILTER_FORMAT")
    return date_to_days(day) * DAY + h * 3600 + mi * 60 + s


def parse_rfc3339(text: str) -> float:
    """RFC 3339 timestamp -> POSIX seconds (fractions kept)."""
    m = _RFC3339.match(text)
    if m is None:
        raise bad_filter(f"expected an RFC 3339 timestamp, found {text!r}", "INVALID_FILTER_FORMAT")
    try:
        base = datetime.fromisoformat(text[:19] + ("+00:00" if m.group(8) in "Zz" else m.group(8)))
    except ValueError:
        raise bad_filter(f"invalid timestamp {text!r}", "INVALID_FILTER_FORMAT") from None
    fraction = float(m.group(7)) if m.group(7) else 0.0
    return base.timestamp() + fraction


def _compile(expr: Expr) -> Callable[[Rec], bool]:
    if isinstance(expr, Comparison):
        index = 1 if expr.end else 0
        value = expr.value
        if expr.civil:
            off = index + 2
            if expr.op == ">=":
                return lambda rec: rec[index] + rec[off] >= value
            return lambda rec: rec[index] + rec[off] < value
        if expr.op == ">=":
            return lambda rec: rec[index] >= value
        return lambda rec: rec[index] < value
    parts = [_compile(p) for p in expr.parts]
    test = parts[0]
    for nxt in parts[1:]:
        if expr.op == "AND":
            test = (lambda f, g: lambda rec: f(rec) and g(rec))(test, nxt)
        else:
            test = (lambda f, g: lambda rec: f(rec) or g(rec))(test, nxt)
    return test


def _bounds(expr: Expr, timeline: Timeline) -> tuple[int | None, int | None]:
    """(first, last) days-since-epoch a matching record can be owned by."""
    if isinstance(expr, Comparison):
        if expr.civil:
            if expr.op == ">=":
                return int(expr.value // DAY), None
            return None, int((expr.value - 1) // DAY)
        if expr.op == ">=":
            return date_to_days(timeline.day_of(int(expr.value))), None
        return None, date_to_days(timeline.day_of(math.ceil(expr.value) - 1))
    bounds = [_bounds(p, timeline) for p in expr.parts]
    if expr.op == "AND":
        los = [b[0] for b in bounds if b[0] is not None]
        his = [b[1] for b in bounds if b[1] is not None]
        return (max(los) if los else None, min(his) if his else None)
    lo = None if any(b[0] is None for b in bounds) else min(b[0] for b in bounds if b[0] is not None)
    hi = None if any(b[1] is None for b in bounds) else max(b[1] for b in bounds if b[1] is not None)
    return lo, hi


def _covers(expr: Expr, day_days: int, t0: int, t1: int) -> bool:
    if isinstance(expr, Comparison):
        if expr.end:
            return False  # records are owned by their start (sleep, keyed by its end, is small anyway)
        if expr.civil:
            lo, hi = day_days * DAY, (day_days + 1) * DAY
        else:
            lo, hi = t0, t1
        return lo >= expr.value if expr.op == ">=" else hi <= expr.value
    results = [_covers(p, day_days, t0, t1) for p in expr.parts]
    return all(results) if expr.op == "AND" else any(results)


def _check_ranges(expr: Expr) -> None:
    """An AND with ``m >= a`` and ``m < b`` where a >= b selects nothing: INVALID_TIME_RANGE."""
    if isinstance(expr, Comparison):
        return
    for part in expr.parts:
        _check_ranges(part)
    if expr.op != "AND":
        return
    lows: dict[str, float] = {}
    highs: dict[str, float] = {}
    for part in expr.parts:
        if isinstance(part, Comparison):
            if part.op == ">=":
                lows[part.member] = max(lows.get(part.member, part.value), part.value)
            else:
                highs[part.member] = min(highs.get(part.member, part.value), part.value)
    for member, low in lows.items():
        if member in highs and low >= highs[member]:
            raise invalid_argument(
                f"INVALID_TIME_RANGE: the filter on {member} selects an empty time range (start must be before end)",
                "INVALID_TIME_RANGE",
            )
