"""The catalogue and the schema agree: every stream fills existing measurements."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from fitbit_sync import catalog, schema


def test_every_stream_targets_known_measurements() -> None:
    for stream in catalog.STREAMS:
        for name in stream.measurements:
            assert name in schema.MEASUREMENTS, f"{stream.key} -> {name}"


def test_stream_keys_are_unique_and_selectable() -> None:
    keys = [s.key for s in catalog.STREAMS]
    assert len(keys) == len(set(keys))
    assert {s.key for s in catalog.select_streams(["steps"])} == {"steps", "steps:daily"}
    assert [s.key for s in catalog.select_streams(["steps:daily"])] == ["steps:daily"]
    assert len(catalog.select_streams([])) == len(catalog.STREAMS)


def test_unknown_type_names_the_culprit() -> None:
    with pytest.raises(ValueError, match="'stepz'"):
        catalog.select_streams(["steps", "stepz"])


def test_api_limits_follow_the_reference() -> None:
    by_key = catalog.STREAMS_BY_KEY
    assert by_key["sleep"].page_size == 25 and by_key["exercise"].page_size == 25
    assert by_key["heart-rate"].page_size == 10_000
    assert by_key["total-calories:daily"].max_range_days == 14
    assert by_key["steps:daily"].max_range_days == 90
    assert by_key["heart-rate"].filter_field == "heart_rate.sample_time.physical_time"
    assert by_key["sleep"].filter_field == "sleep.interval.end_time"
    assert by_key["daily-resting-heart-rate"].filter_field == "daily_resting_heart_rate.date"
    assert catalog.json_key("daily-sleep-temperature-derivations") == "dailySleepTemperatureDerivations"


STREAM_NAMES = frozenset({"type_id", "key", "stream_key", "data_type", "path_id"})


def _is_stream_name(node: ast.expr) -> bool:
    """``stream.type_id``, ``request.stream.key``, ``type_id``, ``stream_key`` ..."""
    return (isinstance(node, ast.Attribute) and node.attr in STREAM_NAMES) or (
        isinstance(node, ast.Name) and node.id in STREAM_NAMES)


def _names_tested(tree: ast.AST, names: set[str]) -> list[tuple[int, str]]:
    """(line, name) of every comparison (``==``, ``in (...)``, ``match`` case) of a stream's type
    id or key against a catalogue type id or stream key written as a string literal."""
    hits: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        literals: list[ast.expr] = []
        if isinstance(node, ast.Compare) and any(map(_is_stream_name, (node.left, *node.comparators))):
            for side in (node.left, *node.comparators):
                literals += side.elts if isinstance(side, ast.Tuple | ast.List | ast.Set) else [side]
        elif isinstance(node, ast.Match) and _is_stream_name(node.subject):
            literals += [p.value for case in node.cases for p in ast.walk(case.pattern)
                         if isinstance(p, ast.MatchValue)]
        hits += [(node.lineno, c.value) for c in literals
                 if isinstance(c, ast.Constant) and isinstance(c.value, str) and c.value in names]
    return hits


def test_no_module_outside_the_catalogue_tests_a_data_type_by_name() -> None:
    """Stream facts live in catalog.py: the planner, engine, converters, Takeout coverage and
    status read them from the stream, never ``if stream.type_id == "sleep"``. The emulator keeps
    its own table on purpose (it is the independent second opinion)."""
    names = {s.type_id for s in catalog.ALL_STREAMS_BY_KEY.values()} | set(catalog.ALL_STREAMS_BY_KEY)
    package = Path(catalog.__file__).parent
    found = []
    for path in sorted(package.rglob("*.py")):
        rel = path.relative_to(package).as_posix()
        if rel == "catalog.py" or rel.startswith("emulator/"):
            continue
        found += [f"{rel}:{line}: {name!r}" for line, name in _names_tested(ast.parse(path.read_text()), names)]
    assert found == []


def test_the_name_check_sees_each_way_of_testing_a_name() -> None:
    source = ('a = s.type_id == "sleep"\nb = r.stream.key in ("exercise", "x")\nmatch type_id:\n'
              '    case "heart-rate": pass\nc = "sleep" in column_name\n')
    assert sorted(_names_tested(ast.parse(source), {"sleep", "exercise", "heart-rate"})) == [
        (1, "sleep"), (2, "exercise"), (3, "heart-rate")]
