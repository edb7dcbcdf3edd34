"""Our schema against the peer Fitbit dashboards (InfluxQL and Flux) and the peer script's types.

Every measurement, field and tag the peer dashboards query must exist in our schema, with the
type the peer script wrote (so our points can share shards with points it wrote before).
"""

from __future__ import annotations

import re

import pytest
from grafana_queries import (
    PEER_FIELD_TYPES,
    PEER_TAGS,
    PEER_V1,
    PEER_V2,
    flux_fields_in,
    flux_queries,
    flux_tags_in,
    influxql_queries,
    load,
    measurements_in,
)

from fitbit_sync.schema import MEASUREMENTS, RETIRED_FIELDS

V1 = influxql_queries(load(PEER_V1))
V2 = flux_queries(load(PEER_V2))


@pytest.mark.parametrize("name", sorted(PEER_FIELD_TYPES))
def test_peer_script_fields_exist_with_the_same_type(name: str) -> None:
    m = MEASUREMENTS[name]
    assert m.peer
    for field, kind in PEER_FIELD_TYPES[name].items():
        if field in RETIRED_FIELDS.get(name, {}):
            assert field not in m.field_types  # documented as having no source any more
            continue
        assert m.field_types.get(field) == kind, f"{name}.{field}"
    assert set(PEER_TAGS.get(name, ("Device",))) <= set(m.tags)


def test_no_measurement_has_a_tag_and_a_field_of_the_same_name() -> None:
    for m in MEASUREMENTS.values():  # InfluxDB 3 (and InfluxQL's SELECT *) cannot tell them apart
        assert not set(m.tags) & set(m.field_names), m.name


def test_every_v1_query_names_known_measurements_fields_and_tags() -> None:
    assert len(V1) > 50
    for q in V1:
        names = {q.measurement} if q.measurement else measurements_in(q.text)
        assert names, q
        for name in names:
            assert name in MEASUREMENTS, (q.panel, name)
            m = MEASUREMENTS[name]
            for field in q.fields:
                assert field in m.field_types, (q.panel, field)
            for tag in q.tags:
                assert tag in m.tags, (q.panel, tag)
            select = re.split(r"\sFROM\s", q.text, flags=re.IGNORECASE)[0] if not q.measurement else ""
            for quoted in re.findall(r'"([^"]+)"', select):
                assert quoted in m.field_types, (q.panel, quoted)
            for tag in re.findall(r'"([A-Za-z]+)"::tag', q.text):
                assert tag in m.tags, (q.panel, tag)


def test_every_v2_flux_query_names_known_measurements_fields_and_tags() -> None:
    assert len(V2) > 30
    for q in V2:
        for name in measurements_in(q.text):
            m = MEASUREMENTS[name]
            for field in flux_fields_in(q.text):
                assert field in m.field_types, (q.panel, field)
            for tag in flux_tags_in(q.text):
                assert tag in m.tags, (q.panel, tag)
            if not flux_fields_in(q.text):
                # no field filter: every field of the measurement becomes a series of this panel, so
                # the measurement must hold only the peer's numeric fields (median() fails on strings)
                assert set(m.field_names) <= set(PEER_FIELD_TYPES[name]), (q.panel, name)
                assert all(m.field_types[f] in ("int", "float") for f in m.field_names), (q.panel, name)


def test_tag_values_the_dashboards_filter_on_are_the_ones_we_write() -> None:
    values = {}
    for q in V2:
        for tag, found in flux_tags_in(q.text).items():
            values.setdefault(tag, set()).update(found)
    assert values["isMainSleep"] == {"True"}  # Python's str(True), as the peer script wrote it
    assert "Walk" in values["ActivityName"]
    assert any("\"isMainSleep\" = 'True'" in q.text for q in V1)
