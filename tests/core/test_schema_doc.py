"""docs/schema.md is generated from the schema and must be current."""

from __future__ import annotations

from pathlib import Path

from fitbit_sync import schema_doc
from fitbit_sync.schema import MEASUREMENTS

DOC = Path(__file__).resolve().parents[2] / "docs" / "schema.md"


def test_docs_schema_md_is_current() -> None:
    assert DOC.read_text() == schema_doc.render(), "run: python -m fitbit_sync.schema_doc > docs/schema.md"


def test_every_measurement_and_field_is_documented_with_type_and_source() -> None:
    text = DOC.read_text()
    for m in MEASUREMENTS.values():
        assert f"## {m.name}" in text
        assert m.source, m.name
        for f in m.fields:
            assert f"| `{f.name}` | {f.type} |" in text
            assert f.source or m.source, (m.name, f.name)
