"""Passwords inside the settings that name a server: InfluxDB 1.x's query-string credentials
(``?u=...&p=...``) and URL userinfo, PostgreSQL DSNs in URL and keyword form (``password=...``),
with the server down, refusing, or up, through ``backfill``, ``status`` and ``export``. Every run
ends with exit 0 or one ``fitbit-sync: error:`` line, and nothing it prints, in any log of any
library at DEBUG, holds the password (``rel_support.WATCH``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import rel_support as rs
from rel_ledger import Ledger

from support.servers import influx_server, postgres_server  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.reliability, pytest.mark.slow]

PASSWORD = "rel-url-pw-" + rs.rng("secret-urls").randbytes(10).hex()


def cases(influx_url: str, pg_port: int) -> list[tuple[str, dict[str, str]]]:
    down = "127.0.0.1:9"
    live = influx_url.removeprefix("http://")
    return [
        ("InfluxDB 1.x ?u=&p= (down)", {"STORE": "influxdb1", "INFLUXDB_URL": f"http://{down}/?u=rel&p={PASSWORD}"}),
        ("InfluxDB 1.x ?p= (up)", {"STORE": "influxdb1", "INFLUXDB_URL": f"http://{live}/?db=x&p={PASSWORD}"}),
        ("InfluxDB 1.x userinfo (down)", {"STORE": "influxdb1", "INFLUXDB_URL": f"http://rel:{PASSWORD}@{down}"}),
        ("PostgreSQL URL DSN (down)", {"STORE": "postgres", "POSTGRES_DSN": f"postgresql://postgres:{PASSWORD}@{down}/x"}),
        ("PostgreSQL URL DSN (wrong password)",
         {"STORE": "postgres", "POSTGRES_DSN": f"postgresql://postgres:{PASSWORD}@127.0.0.1:{pg_port}/postgres"}),
        ("PostgreSQL keyword DSN (down)",
         {"STORE": "postgres", "POSTGRES_DSN": f"host=127.0.0.1 port=9 user=postgres password={PASSWORD} dbname=x"}),
        ("PostgreSQL keyword DSN, quoted (wrong password)",
         {"STORE": "postgres", "POSTGRES_DSN": f"host=127.0.0.1 port={pg_port} user=postgres "
                                               f"password='{PASSWORD}' dbname=postgres"}),
    ]


@pytest.mark.influx
@pytest.mark.postgres
def test_passwords_in_server_urls_never_shown(account: Any, influx_server: Any, postgres_server: Any,  # noqa: F811
                                              ledger: Ledger, tmp_path: Path) -> None:
    rs.WATCH.add(PASSWORD)
    ws = rs.workspace(account.emu, tmp_path / "ws")
    tried = survived = shown = 0
    codes: dict[int, int] = {}
    failures: list[str] = []
    try:
        for label, settings in cases(influx_server.url, postgres_server.port):
            env = {**ws.env, **{f"FITBIT_SYNC_{k}": v for k, v in settings.items()}}
            for args in (rs.backfill_args(*rs.NEXT_RANGE, types="weight"), ["status"],
                         ["export", "--out", str(tmp_path / "export")]):
                tried += 1
                try:
                    result = rs.run_main(args, env)
                except AssertionError as exc:  # run_main's secret scan
                    shown += 1
                    failures.append(f"{args[0]} with {label}: {str(exc)[:160]}")
                    continue
                codes[result.code] = codes.get(result.code, 0) + 1
                if result.code != 0 and not result.one_line_error():
                    failures.append(f"{args[0]} with {label}: exit {result.code}, not one line: "
                                    f"{result.last_line[:120]}")
                    continue
                survived += 1
    finally:
        ledger.add("Secrets", "passwords in server URLs and DSNs (InfluxDB ?p=, userinfo; PostgreSQL URL and "
                              "keyword DSNs): backfill, status, export", tried=tried, survived=survived,
                   lost={"passwords shown": shown},
                   detail=", ".join(f"exit {code}: {n}" for code, n in sorted(codes.items()))
                          + (f"; {'; '.join(failures[:3])}" if failures else "; every line redacted"))
    assert failures == []
