"""A store is one place: ``stores/registry.py`` holds every kind, and no other module of ``src``
names a kind in a string (so adding a store never means hunting for branches on its name)."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import get_args

import pytest

from fitbit_sync.config import STORE_GROUPS, Settings, StoreKind, load_settings
from fitbit_sync.dashboards.grafana import FLAVOUR_NAMES
from fitbit_sync.dashboards.grafana.build import FLAVOURS
from fitbit_sync.dashboards.grafana.dialects import DIALECTS
from fitbit_sync.errors import ConfigError
from fitbit_sync.stores.registry import KINDS, kind_of
from fitbit_sync.sync.runner import lock_path

SRC = Path(__file__).resolve().parents[2] / "src" / "fitbit_sync"
#: The two homes of the kind names: the registry, and the ``store`` setting's accepted values.
HOMES = {SRC / "stores" / "registry.py", SRC / "config.py"}


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def kind_names_in_strings(path: Path) -> list[str]:
    """``line: text`` of every string literal (f-string parts too, docstrings not) naming a kind."""
    pattern = re.compile(r"(?<![\w\[./:-])(" + "|".join(map(re.escape, KINDS)) + r")(?![\w\]])")
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _docstrings(tree)
    hits = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip
                and pattern.search(node.value)):
            hits.append(f"{path.relative_to(SRC)}:{node.lineno}: {node.value[:60]!r}")
    return hits


def test_no_module_but_the_registry_and_the_settings_names_a_store_kind() -> None:
    hits = [hit for path in sorted(SRC.rglob("*.py")) if path not in HOMES for hit in kind_names_in_strings(path)]
    assert hits == [], "store kinds named outside stores/registry.py:\n" + "\n".join(hits)


def test_the_check_finds_a_kind_named_in_code(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text('"""Docstrings may say sqlite."""\nif store == "sqlite":\n    x = f"the {name} influxdb2 store"\n'
                      'hint = "pip install fitbit-sync[postgres]"\nurl = "postgresql://x"\n')
    global SRC
    saved, SRC = SRC, tmp_path
    try:
        assert [h.split(": ", 1)[0] for h in kind_names_in_strings(sample)] == ["sample.py:2", "sample.py:3"]
    finally:
        SRC = saved


def test_the_registry_and_the_settings_know_the_same_kinds() -> None:
    assert tuple(KINDS) == get_args(StoreKind)
    assert {kind.settings_group for kind in KINDS.values()} == set(STORE_GROUPS)
    for kind in KINDS.values():
        assert kind_of(kind.name) is kind
        assert isinstance(kind.options(load_settings(store=kind.name)), STORE_GROUPS[kind.settings_group])
    with pytest.raises(ConfigError, match="unknown store 'mysql'"):
        kind_of("mysql")


def test_grafana_flavours_come_from_the_registry() -> None:
    assert tuple(name for name, kind in KINDS.items() if kind.grafana_dialect) == FLAVOUR_NAMES
    assert set(FLAVOURS) == set(FLAVOUR_NAMES)
    assert {FLAVOURS[name].dialect for name in FLAVOUR_NAMES} == set(DIALECTS)


def test_lock_paths(tmp_path: Path) -> None:
    sqlite = load_settings(store="sqlite", data_dir=tmp_path, sqlite_path=tmp_path / "db" / "f.db")
    assert lock_path(sqlite) == tmp_path / "db" / "f.db.lock"
    for name in KINDS:
        if name != "sqlite":
            assert lock_path(load_settings(store=name, data_dir=tmp_path)) == tmp_path / "sync.lock"


def test_nested_store_settings_keep_their_flat_names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each store's options are one nested group; the environment variables and TOML keys are the
    flat ones they always were (and only those are settings: the README table lists them)."""
    toml = tmp_path / "config.toml"
    toml.write_text('[fitbit-sync]\npostgres_schema = "health"\ninfluxdb-bucket = "b1"\n')
    monkeypatch.setenv("FITBIT_SYNC_INFLUXDB_URL", "http://influx:8086")
    monkeypatch.setenv("FITBIT_SYNC_INFLUXDB_BATCH_POINTS", "250")
    monkeypatch.setenv("FITBIT_SYNC_SQLITE_PATH", str(tmp_path / "x.db"))
    settings = load_settings(toml, influxdb_token="t0k")
    assert settings.influxdb.url == "http://influx:8086" and settings.influxdb.batch_points == 250
    assert settings.influxdb.bucket == "b1" and settings.influxdb.token.get_secret_value() == "t0k"
    assert settings.postgres.schema_name == "health" and settings.sqlite.path == tmp_path / "x.db"
    assert settings.database_path == tmp_path / "x.db"
    assert not {"influxdb", "postgres", "sqlite"} & set(Settings.model_fields)
    monkeypatch.setenv("FITBIT_SYNC_INFLUXDB_BATCH_POINTS", "0")
    with pytest.raises(ConfigError, match=r"^invalid setting influxdb_batch_points \(env "
                                          r"FITBIT_SYNC_INFLUXDB_BATCH_POINTS\): Input should be greater"):
        load_settings(toml)
