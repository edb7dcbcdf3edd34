"""Google's ``fields`` system parameter (partial responses): ``a,b/c,d(e,f)``.

Applied to the parsed response body; a selector naming a list applies to each element.
"""

from __future__ import annotations

from typing import Any

from fitbit_sync.emulator.errors import invalid_argument

Mask = dict[str, "Mask"]  # empty dict: keep the whole value


def parse_fields(text: str) -> Mask:
    mask: Mask = {}
    pos = _parse_list(text.replace(" ", ""), 0, mask, top=True)
    if pos != len(text.replace(" ", "")):
        raise invalid_argument(f"Invalid field selection {text}", "INVALID_FIELD_SELECTION")
    return mask


def _parse_list(text: str, pos: int, into: Mask, top: bool = False) -> int:
    while True:
        pos = _parse_path(text, pos, into)
        if pos < len(text) and text[pos] == ",":
            pos += 1
            continue
        if pos < len(text) and text[pos] == ")" and not top:
            return pos
        if pos >= len(text):
            if not top:
                raise invalid_argument("Invalid field selection: missing ')'", "INVALID_FIELD_SELECTION")
            return pos
        raise invalid_argument(f"Invalid field selection near {text[pos:]!r}", "INVALID_FIELD_SELECTION")


def _parse_path(text: str, pos: int, into: Mask) -> int:
    start = pos
    while pos < len(text) and (text[pos].isalnum() or text[pos] in "_@*$"):
        pos += 1
    name = text[start:pos]
    if not name:
        raise invalid_argument("Invalid field selection: empty field name", "INVALID_FIELD_SELECTION")
    node = into.setdefault(name, {})
    if pos < len(text) and text[pos] == "/":
        return _parse_path(text, pos + 1, node)
    if pos < len(text) and text[pos] == "(":
        pos = _parse_list(text, pos + 1, node)
        return pos + 1
    if into[name]:  # "a/b,a" keeps all of a
        into[name] = {}
    return pos


def apply_fields(value: Any, mask: Mask) -> Any:
    if not mask:
        return value
    if isinstance(value, list):
        return [apply_fields(v, mask) for v in value]
    if not isinstance(value, dict):
        return value
    if "*" in mask:
        return {k: apply_fields(v, mask["*"]) for k, v in value.items()}
    return {k: apply_fields(value[k], sub) for k, sub in mask.items() if k in value}
