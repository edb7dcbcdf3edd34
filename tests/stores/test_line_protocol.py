"""Line protocol: escaping, fixed field types, batching; escaping round-trips through real InfluxDB."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fitbit_sync.errors import StoreError
from fitbit_sync.records import Record
from fitbit_sync.stores.line_protocol import Batch, Encoder, batches, split_batch
from fitbit_sync.stores.values import influx_field_text, influx_tag_text


def lines(*records: Record) -> list[str]:
    return list(Encoder().lines(records))


def test_field_types_come_from_the_schema_not_the_value() -> None:
    # HeartRate_Intraday.value is int, SPO2_Intraday.value float, Total Steps.value float (as the peer)
    assert lines(Record("HeartRate_Intraday", 5, {"value": 61.0}), Record("HeartRate_Intraday", 6, {"value": "62"}),
                 Record("SPO2_Intraday", 7, {"value": 95}), Record("Total Steps", 8, {"value": 9000}, {}, "2026-01-01"),
                 ) == ["HeartRate_Intraday value=61i 5", "HeartRate_Intraday value=62i 6",
                       "SPO2_Intraday value=95.0 7", "Total\\ Steps value=9000.0 8"]


def test_tags_sorted_escaped_and_empty_ones_left_out() -> None:
    rec = Record("Sleep Levels", 1000, {"level": 2, "stage": 'r"em', "duration_seconds": 30},
                 {"isMainSleep": "True", "Device": "Charge 6, v=2"})
    assert lines(rec) == [
        'Sleep\\ Levels,Device=Charge\\ 6\\,\\ v\\=2,isMainSleep=True level=2i,stage="r\\"em",duration_seconds=30i 1000'
    ]
    assert lines(Record("Sleep Levels", 1, {"level": 0}, {"Device": "", "isMainSleep": "False"})) == [
        "Sleep\\ Levels,isMainSleep=False level=0i 1"
    ]


def test_none_and_non_finite_fields_are_left_out_and_empty_records_skipped() -> None:
    assert lines(Record("SPO2", 1, {"avg": float("nan"), "lowerBound": 90.5, "upperBound": None}, {}, "2026-01-01"),
                 Record("SPO2_Intraday", 2, {"value": float("inf")}), Record("SPO2_Intraday", 3, {"value": None})
                 ) == ["SPO2 lowerBound=90.5 1"]


def test_bool_and_string_fields() -> None:
    assert lines(Record("VO2 Max", 1, {"vo2Max": 44, "estimated": True, "cardioFitnessLevel": "GOOD"}, {}, "d")) == [
        'VO2\\ Max vo2Max=44.0,cardioFitnessLevel="GOOD",estimated=true 1'
    ]


def test_unknown_fields_measurements_and_bad_values_are_store_errors() -> None:
    with pytest.raises(StoreError, match="unknown fields: bogus"):
        lines(Record("HeartRate_Intraday", 1, {"value": 60, "bogus": 1}))
    with pytest.raises(StoreError, match="unknown measurement 'Nope'"):
        lines(Record("Nope", 1, {"value": 1}))
    with pytest.raises(StoreError, match="'value' is not a valid int"):
        lines(Record("HeartRate_Intraday", 1, {"value": "sixty"}))


def test_backslashes_that_line_protocol_cannot_carry_become_a_lookalike_in_tags_only() -> None:
    assert influx_tag_text("a\\b") == ("a\\b", ())
    assert influx_tag_text("a\\ b") == ("a\u29f5 b", ("backslash replaced",))
    assert influx_tag_text("end\\") == ("end\u29f5", ("backslash replaced",))
    assert influx_field_text("end\\") == ("end\\", ())
    rec = Record("Activity Records", 1, {"steps": 1, "ActivityID": "x\\"}, {"ActivityName": "x\\"})
    assert lines(rec) == ['Activity\\ Records,ActivityName=x\u29f5 steps=1i,ActivityID="x\\\\" 1']


def test_batches_are_bounded_by_points_and_bytes() -> None:
    text = [f"m v={i}i {i}" for i in range(25)]
    by_points = list(batches(iter(text), 10, 1 << 20))
    assert [b.points for b in by_points] == [10, 10, 5]
    assert b"".join(b.body for b in by_points).decode().splitlines() == text
    by_bytes = list(batches(iter(text), 1000, 40))
    assert all(len(b.body) <= 40 + 20 for b in by_bytes) and sum(b.points for b in by_bytes) == 25
    first, second = split_batch(Batch(by_points[0].body, 10))
    assert (first.points, second.points) == (5, 5)
    assert (first.body + second.body) == by_points[0].body


any_text = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12) | st.sampled_from(
    ["a\\", "\\", "x\\ y", " lead", "trail ", "l1\nl2", "r\r", "nul\x00", '"q"', "a,b=c d", "x" * 300])


@pytest.mark.influx
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(device=any_text, activity=any_text, note=any_text)
def test_escaping_round_trips_through_real_influxdb(influx_server, device: str, activity: str, note: str) -> None:
    """Whatever the tag values and strings, InfluxDB stores exactly the documented transform of
    them (``stores.values``): verbatim unless it has a line break, NUL, a backslash a tag cannot
    carry, or is over-long."""
    import httpx

    db = influx_server.new_database()
    rec = Record("Activity Records", 1_700_000_000_000, {"steps": 10, "ActivityID": note},
                 {"Device": device, "ActivityName": activity})
    body = "\n".join(lines(rec)).encode()
    response = httpx.post(f"{influx_server.url}/write", params={"db": db, "precision": "ms"}, content=body)
    assert response.status_code == 204, response.text
    [point] = influx_server.points(db, "Activity Records")
    assert point["Device"] == influx_tag_text(device)[0]
    assert point["ActivityName"] == influx_tag_text(activity)[0]
    assert point["ActivityID"] == influx_field_text(note)[0]
    assert point["steps"] == 10
