"""The catalogue and the schema agree: every stream fills existing measurements."""

from __future__ import annotations

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
