"""Settings with control characters, fuzzed with hypothesis through the whole command line
(``fitbit_sync.cli.main`` in this process, as the other fuzzers): a newline, CR, tab, NUL, ESC,
DEL, a C1 control or a vertical tab put at the start, in the middle or at the end of a valid value
of a text setting (the device name, the time zone, the types, the log level, the client secret,
the InfluxDB URL, database, user and password, the PostgreSQL DSN and schema), through the
environment or a TOML file (where ``\\u0000`` can spell a NUL), for a backfill into a fresh
SQLite file, InfluxDB 1.x database or PostgreSQL database. Printable oddities (U+2028, a
no-break space, a BOM, an accented letter) go into the device name, which must then be stored.

The rule: exit 0, or exit 2 with one ``fitbit-sync: error:`` line; never a traceback. A control
character in what a setting means (a stripped separator of ``types`` does not count) is refused
at start (exit 2: text settings are one line of printable text), and a refused run has written
nothing: no file under its directory, no measurement in its InfluxDB database, no schema in its
PostgreSQL database.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import rel_support as rs
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from rel_ledger import Ledger

from support.emulator import emulator_env
from support.servers import PG_PASSWORD, influx_server, postgres_server  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.reliability, pytest.mark.slow]

FUZZ = settings(max_examples=rs.EXAMPLES, deadline=None, database=None, print_blob=True,
                suppress_health_check=list(HealthCheck))
SEED = int.from_bytes(rs.SEED.encode()[:8].ljust(8, b"\0"), "big") + 11
CONTROL = ("\n", "\r", "\r\n", "\t", "\x00", "\x1b", "\x7f", "\x85", "\x0b", "\x0c", "\x1f")
PRINTABLE = ("\u2028", "\u00a0", "\ufeff", "\u00e9", " ")
INFLUX_PASSWORD = "rel-influx-pw-" + rs.rng("settings-control").randbytes(8).hex()
COMMON = ("DEVICE_NAME", "TIME_ZONE", "TYPES", "LOG_LEVEL", "CLIENT_SECRET")
BY_STORE = {"sqlite": COMMON,
            "influxdb1": (*COMMON, "INFLUXDB_URL", "INFLUXDB_DATABASE", "INFLUXDB_USERNAME", "INFLUXDB_PASSWORD"),
            "postgres": (*COMMON, "POSTGRES_DSN", "POSTGRES_SCHEMA")}
#: where the character goes: 0.0 the start, 1.0 the end
EDIT = st.tuples(st.integers(min_value=0, max_value=10_000),  # which of the store's settings
                 st.sampled_from(CONTROL), st.sampled_from([0.0, 0.5, 1.0]), st.sampled_from(["env", "toml"]))


def meaning_has_control(name: str, value: str) -> bool:
    """Whether the value, as the setting reads it, holds a control character (``types`` is a
    comma-separated list whose items are stripped)."""
    parts = [p.strip() for p in value.split(",")] if name == "TYPES" else [value]
    return any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for part in parts for c in part)


def insert(value: str, char: str, where: float) -> str:
    at = int(len(value) * where)
    return value[:at] + char + value[at:]


class Stores:
    """A fresh, empty store per example, and what it holds afterwards."""

    def __init__(self, influx: Any, postgres: Any) -> None:
        self.influx = influx
        self.postgres = postgres

    def settings(self, kind: str) -> dict[str, str]:
        if kind == "influxdb1":
            return {"STORE": "influxdb1", "INFLUXDB_URL": self.influx.url,
                    "INFLUXDB_DATABASE": self.influx.new_database(), "INFLUXDB_USERNAME": "rel",
                    "INFLUXDB_PASSWORD": INFLUX_PASSWORD}
        if kind == "postgres":
            return {"STORE": "postgres", "POSTGRES_DSN": self.postgres.dsn(self.postgres.new_database()),
                    "POSTGRES_SCHEMA": "fitbit"}
        return {"STORE": "sqlite"}

    def written(self, kind: str, base: dict[str, str]) -> int:
        """Measurements (InfluxDB) or schemas (PostgreSQL) the run created; 0 for SQLite (its
        files are checked by the caller)."""
        if kind == "influxdb1":
            body = httpx.post(self.influx.url + "/query", data={"q": "SHOW MEASUREMENTS",
                                                                "db": base["INFLUXDB_DATABASE"]}, timeout=30).json()
            return sum(len(s.get("values", [])) for s in body["results"][0].get("series", []))
        if kind == "postgres":
            import psycopg

            with psycopg.connect(base["POSTGRES_DSN"]) as conn:
                row = conn.execute("SELECT count(*) FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' "
                                   "AND nspname NOT IN ('public', 'information_schema')").fetchone()
            return int(row[0]) if row else 0
        return 0


@pytest.fixture
def scratch() -> Iterator[Callable[[], Path]]:
    made: list[Path] = []

    def make() -> Path:
        made.append(Path(tempfile.mkdtemp(prefix="fitbit-sync-rel-settings-")))
        return made[-1]

    try:
        yield make
    finally:
        for path in made:
            shutil.rmtree(path, ignore_errors=True)


@pytest.mark.influx
@pytest.mark.postgres
def test_fuzzed_settings_with_control_characters(account: Any, influx_server: Any,  # noqa: F811
                                                 postgres_server: Any, ledger: Ledger,  # noqa: F811
                                                 tmp_path: Path, scratch: Callable[[], Path]) -> None:
    rs.WATCH.add(INFLUX_PASSWORD, PG_PASSWORD)
    token = tmp_path / "token.json"
    rs.sign_in(account.emu, token)
    stores = Stores(influx_server, postgres_server)
    tried = survived = written_on_refusal = 0
    codes: dict[int, int] = {}
    by_store: dict[str, int] = {}

    @FUZZ
    @seed(SEED)
    @given(kind=st.sampled_from(sorted(BY_STORE)), edits=st.lists(EDIT, min_size=0, max_size=3),
           printable=st.none() | st.tuples(st.sampled_from(PRINTABLE), st.sampled_from([0.0, 0.5, 1.0])))
    def example(kind: str, edits: list[tuple[int, str, float, str]], printable: tuple[str, float] | None) -> None:
        nonlocal tried, survived, written_on_refusal
        tried += 1
        root = scratch()
        base = {"DEVICE_NAME": "Charge 6", "TIME_ZONE": "Europe/Berlin", "TYPES": "weight", "LOG_LEVEL": "DEBUG",
                "CLIENT_SECRET": account.emu.client_secret, **stores.settings(kind)}
        values = dict(base)
        if printable is not None:
            values["DEVICE_NAME"] = insert(values["DEVICE_NAME"], *printable)
        in_toml: set[str] = set()
        for index, char, where, place in edits:
            name = BY_STORE[kind][index % len(BY_STORE[kind])]
            values[name] = insert(values[name], char, where)
            if place == "toml" or "\x00" in values[name]:  # the environment cannot hold a NUL
                in_toml.add(name)
        env = emulator_env(account.emu, root, **rs.TIER_SETTINGS)
        env["FITBIT_SYNC_TOKEN_FILE"] = str(token)
        env.update({f"FITBIT_SYNC_{name}": value for name, value in values.items()})
        for name in in_toml:  # the environment would win over the file
            del env[f"FITBIT_SYNC_{name}"]
        if in_toml:
            toml = "\n".join(f"{name.lower()} = {json.dumps(values[name])}" for name in sorted(in_toml))
            (root / "config.toml").write_text(toml + "\n", encoding="utf-8")
            env["FITBIT_SYNC_CONFIG"] = str(root / "config.toml")
        before = sorted(p.relative_to(root) for p in root.rglob("*"))
        result = rs.run_main(rs.backfill_args(*rs.NEXT_RANGE, types=values["TYPES"]), env)
        codes[result.code] = codes.get(result.code, 0) + 1
        by_store[kind] = by_store.get(kind, 0) + 1
        assert "Traceback" not in result.err + result.out, result.describe()
        assert result.code in (0, 2), result.describe()
        controls = sorted(name for name, value in values.items() if meaning_has_control(name, value))
        if controls:
            assert result.code == 2, f"control characters in {controls} were accepted: {result.describe()}"
        if result.code == 2:
            assert result.one_line_error(), result.describe()
            after = sorted(p.relative_to(root) for p in root.rglob("*"))
            created = [str(p) for p in after if p not in before]
            written = stores.written(kind, base) + len(created)
            written_on_refusal += bool(written)
            assert not written, f"a refused run wrote {created or kind}: {result.describe()}"
        survived += 1

    try:
        example()
    finally:
        ledger.add("Bad input", "settings with control characters (environment, TOML), backfill into each store",
                   tried=tried, survived=survived, lost={"refused runs that wrote something": written_on_refusal},
                   detail=", ".join(f"exit {code}: {n}" for code, n in sorted(codes.items())) + "; "
                          + ", ".join(f"{k} {n}" for k, n in sorted(by_store.items())))
