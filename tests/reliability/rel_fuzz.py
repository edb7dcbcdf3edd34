"""Hypothesis strategies and mutators for the bad-input fuzzers.

A *mutation* is drawn in the test thread as plain data (paths of indices, replacement values,
byte edits) and applied later wherever the input is made: to each API answer inside the
emulator (``mutate_body``), to the bytes of an archive (``mutate_bytes``), to a JSON document
(``mutate_json``). Walking a document by indices modulo the size of each container reaches
every level of Google's nested answers without knowing their shape.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable
from typing import Any

import orjson
from hypothesis import strategies as st

JSON_LEAVES = (st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
               | st.floats(allow_nan=True, allow_infinity=True)
               | st.sampled_from(["", "0", "-1", "1e309", "NaN", "2025-13-45T99:99:99Z", "25:00", "ø", "\x00",
                                  "1//", "9" * 40, "2025-03-15T10:00:00Z", "2025-03-15", "-PT5S", "3600s"])
               | st.text(max_size=12))
JSON_VALUES = st.recursive(
    JSON_LEAVES,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=6,
)
PATHS = st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=8)

JSON_EDIT = st.one_of(
    st.tuples(st.just("replace"), PATHS, JSON_VALUES),
    st.tuples(st.just("delete"), PATHS, st.none()),
    st.tuples(st.just("duplicate"), PATHS, st.none()),
)
BODY_EDIT = st.one_of(
    JSON_EDIT, JSON_EDIT, JSON_EDIT,
    st.tuples(st.just("whole"), st.just([0]), JSON_VALUES),  # the body is some other JSON value
    st.tuples(st.just("bytes"), st.just([0]), st.binary(max_size=48)),  # not JSON at all
    st.tuples(st.just("cut"), st.just([0]), st.floats(min_value=0.0, max_value=1.0)),  # truncated
)
#: For each answer (in order, cycling) a list of edits.
RESPONSE_PLANS = st.lists(st.lists(BODY_EDIT, min_size=1, max_size=4), min_size=1, max_size=6)

BYTE_EDIT = st.one_of(
    st.tuples(st.just("set"), st.floats(min_value=0.0, max_value=1.0, exclude_max=True), st.binary(min_size=1,
                                                                                                max_size=8)),
    st.tuples(st.just("cut"), st.floats(min_value=0.0, max_value=1.0), st.just(b"")),
    st.tuples(st.just("insert"), st.floats(min_value=0.0, max_value=1.0), st.binary(min_size=1, max_size=16)),
)


def _walk(doc: Any, path: list[int]) -> tuple[Any, Any] | None:
    """(container, key) of the node ``path`` leads to; None for an empty document."""
    parent: Any = None
    key: Any = None
    node = doc
    for step in path:
        if isinstance(node, dict) and node:
            keys = sorted(node)
            parent, key = node, keys[step % len(keys)]
        elif isinstance(node, list) and node:
            parent, key = node, step % len(node)
        else:
            break
        node = parent[key]
    return None if parent is None else (parent, key)


def mutate_json(doc: Any, edits: list[tuple[str, Any, Any]]) -> Any:
    """``doc`` (parsed JSON) changed by the JSON edits (in place where possible)."""
    for op, path, value in edits:
        if op == "whole":
            doc = value
            continue
        found = _walk(doc, path)
        if found is None:
            continue
        parent, key = found
        if op == "replace":
            parent[key] = value
        elif op == "delete":
            if isinstance(parent, dict):
                del parent[key]
            else:
                parent.pop(key)
        elif op == "duplicate" and isinstance(parent, list):
            parent.insert(key, parent[key])
    return doc


def mutate_body(body: bytes, edits: list[tuple[str, Any, Any]]) -> bytes:
    """An API answer's bytes after ``edits``; non-JSON bodies (TCX) get byte-level edits."""
    if any(op == "bytes" for op, _, _ in edits):
        return next(value for op, _, value in edits if op == "bytes")
    cut = next((value for op, _, value in edits if op == "cut"), None)
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError:
        doc = None
    if doc is not None:
        doc = mutate_json(doc, [e for e in edits if e[0] not in ("cut", "bytes")])
        # the standard library writes what orjson refuses: integers beyond 64 bits, NaN, Infinity
        body = json.dumps(doc, separators=(",", ":")).encode()
    if cut is not None:
        body = body[: int(len(body) * cut)]
    return body


def response_mutator(plan: list[list[tuple[str, Any, Any]]]) -> Callable[[str, bytes], bytes]:
    """For the probe: the i-th API answer gets ``plan[i % len(plan)]``."""
    counter = itertools.count()
    lock = threading.Lock()

    def mutate(path: str, body: bytes) -> bytes:
        with lock:
            i = next(counter)
        return mutate_body(body, plan[i % len(plan)])

    return mutate


def mutate_bytes(data: bytes, edits: list[tuple[str, float, bytes]]) -> bytes:
    out = bytearray(data)
    for op, where, value in edits:
        at = int(len(out) * where)
        if op == "set":
            out[at: at + len(value)] = value
        elif op == "cut":
            del out[at:]
        else:
            out[at:at] = value
    return bytes(out)
