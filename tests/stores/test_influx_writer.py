"""The shared line-protocol writer over real HTTP: retries, 413 splits, spooling, permanent errors."""

from __future__ import annotations

import gzip
from pathlib import Path

import httpx
import pytest

from fitbit_sync.errors import StoreError
from fitbit_sync.records import Record
from fitbit_sync.stores.influx_writer import LineProtocolWriter, WriteEndpoint, write_retry
from fitbit_sync.stores.spool import Spool
from support.capture_server import Captured, CaptureServer, Reply, sequence

FAST = write_retry(retries=3, base_seconds=0.001, max_seconds=0.002)


def hr(n: int, start: int = 0, value: int = 60) -> list[Record]:
    return [Record("HeartRate_Intraday", (start + i) * 1000, {"value": value + i % 40}, {"Device": "Charge 6"})
            for i in range(n)]


def make_writer(server: CaptureServer, tmp_path: Path, **kw: object) -> LineProtocolWriter:
    endpoint = WriteEndpoint(server.url + "/write", {"db": "fitbit", "precision": "ms"},
                             headers={"Authorization": "Token sekret-token"}, label="InfluxDB test",
                             credential_hint="check FITBIT_SYNC_INFLUXDB_TOKEN")
    options: dict = {"retry": FAST, "max_points": 100, "secrets": ["sekret-token"], **kw}
    return LineProtocolWriter(httpx.Client(timeout=5), endpoint, Spool(tmp_path / "spool"), **options)


def delivered_lines(server: CaptureServer, ok: set[int] | None = None) -> list[str]:
    """Lines of the requests the server answered 2xx (the responder marks them in ``ok``)."""
    out = []
    for i, req in enumerate(server.writes("/write")):
        if ok is None or i in ok:
            out += req.text.splitlines()
    return out


def test_batches_are_gzipped_bounded_and_complete(tmp_path: Path) -> None:
    with CaptureServer() as server:
        writer = make_writer(server, tmp_path)
        assert writer.write(hr(250)) == 250
    reqs = list(server.writes("/write"))
    assert [len(r.text.splitlines()) for r in reqs] == [100, 100, 50]
    first = reqs[0]
    assert first.query == {"db": "fitbit", "precision": "ms"}
    assert first.headers["content-encoding"] == "gzip"
    assert first.headers["content-type"] == "text/plain; charset=utf-8"
    assert first.headers["authorization"] == "Token sekret-token"
    assert first.text.splitlines()[0] == "HeartRate_Intraday,Device=Charge\\ 6 value=60i 0"
    assert len(first.body) < len(first.text)  # really compressed
    assert delivered_lines(server) == [line for r in reqs for line in r.text.splitlines()]


def test_transient_failures_are_retried_with_backoff_then_delivered(tmp_path: Path) -> None:
    sleeps: list[float] = []
    policy = write_retry(retries=4, base_seconds=0.01, max_seconds=1.0)
    replies = sequence(Reply(503), Reply(drop=True), Reply(429, headers={"Retry-After": "0"}), Reply(500))
    with CaptureServer(replies) as server:
        writer = make_writer(server, tmp_path, retry=policy, sleep=sleeps.append)
        assert writer.write(hr(10)) == 10
    assert len(server.requests) == 5  # four failures, one success, the same body each time
    assert len({r.body for r in server.requests}) == 1
    assert sleeps[2] == 0.0  # Retry-After honoured
    assert 0.005 <= sleeps[0] <= 0.01 and 0.01 <= sleeps[1] <= 0.02 and 0.04 <= sleeps[3] <= 0.08
    assert len(writer.spool) == 0


def test_413_splits_the_batch_until_it_fits(tmp_path: Path) -> None:
    def respond(req: Captured) -> Reply:
        return Reply(413) if len(req.text.splitlines()) > 30 else Reply(204)

    with CaptureServer(respond) as server:
        writer = make_writer(server, tmp_path)
        writer.write(hr(100))
    accepted = [line for r in server.requests if len(r.text.splitlines()) <= 30 for line in r.text.splitlines()]
    assert accepted == list(writer.encoder.lines(hr(100)))  # every point once, in order


def test_a_server_that_stays_down_gets_the_batches_spooled_then_replayed_first(tmp_path: Path) -> None:
    down = {"on": True}

    def respond(req: Captured) -> Reply:
        return Reply(503) if down["on"] else Reply(204)

    with CaptureServer(respond) as server:
        writer = make_writer(server, tmp_path)
        assert writer.write(hr(250)) == 250  # returns: durable in the spool
        spooled = writer.spool.files()
        assert len(spooled) == 3
        assert gzip.decompress(spooled[0].read_bytes()).decode().splitlines()[0].endswith(" 0")
        # the first batch was retried (1 + 3), the others went straight to the spool
        assert len(server.requests) == 4

        assert writer.write(hr(10, start=1000, value=100)) == 10  # still down: queued behind
        assert len(writer.spool) == 4

        down["on"] = False
        server.requests.clear()
        writer.write(hr(5, start=2000, value=120))
    assert len(writer.spool) == 0
    sent = [line for r in server.requests for line in r.text.splitlines()]
    expected = list(writer.encoder.lines(hr(250) + hr(10, start=1000, value=100) + hr(5, start=2000, value=120)))
    assert sent == expected  # spooled batches first, in order, then the new one


def test_credentials_refused_is_a_store_error_without_the_secret(tmp_path: Path) -> None:
    with CaptureServer(lambda req: Reply(401, b'{"error":"token sekret-token is invalid"}')) as server:
        writer = make_writer(server, tmp_path)
        with pytest.raises(StoreError) as info:
            writer.write(hr(5))
    message = str(info.value)
    assert "refused the credentials (HTTP 401)" in message and "FITBIT_SYNC_INFLUXDB_TOKEN" in message
    assert "sekret-token" not in message and "\n" not in message
    assert len(writer.spool) == 0 and len(server.requests) == 1  # not retried, not spooled


def test_a_rejected_line_is_a_store_error_with_the_server_reason(tmp_path: Path) -> None:
    body = (b'{"error":"partial write: field type conflict: input field \\"value\\" is type float, '
            b'already exists as type integer dropped=5"}')
    with CaptureServer(lambda req: Reply(400, body)) as server:
        writer = make_writer(server, tmp_path)
        with pytest.raises(StoreError, match=r"rejected a write \(HTTP 400\): partial write: field type conflict"):
            writer.write(hr(5))
    assert len(writer.spool) == 0


def test_points_beyond_the_retention_policy_are_not_an_error(tmp_path: Path) -> None:
    body = b'{"error":"partial write: points beyond retention policy dropped=3"}'
    with CaptureServer(lambda req: Reply(400, body)) as server:
        assert make_writer(server, tmp_path).write(hr(5)) == 5


def test_a_spooled_batch_the_server_refuses_for_good_is_set_aside(tmp_path: Path) -> None:
    state = {"phase": "down"}

    def respond(req: Captured) -> Reply:
        if state["phase"] == "down":
            return Reply(503)
        if "value=60i 0" in req.text:  # the old spooled batch
            return Reply(400, b'{"error":"unable to parse"}')
        return Reply(204)

    with CaptureServer(respond) as server:
        writer = make_writer(server, tmp_path)
        writer.write(hr(3))
        state["phase"] = "up"
        assert writer.write(hr(3, start=50)) == 3
    assert len(writer.spool) == 0
    kept = list((tmp_path / "spool" / "rejected").glob("*.lp.gz"))
    assert len(kept) == 1 and b"value=60i 0" in gzip.decompress(kept[0].read_bytes())
    assert writer.rejected == 1


def test_a_full_spool_refuses_instead_of_pretending(tmp_path: Path) -> None:
    with CaptureServer(lambda req: Reply(503)) as server:
        writer = make_writer(server, tmp_path)
        writer.spool.max_bytes = 300
        with pytest.raises(StoreError, match=r"spool .* is full"):
            writer.write(hr(250))


def test_without_gzip_the_body_is_plain(tmp_path: Path) -> None:
    with CaptureServer() as server:
        make_writer(server, tmp_path, use_gzip=False).write(hr(3))
    [req] = server.requests
    assert "content-encoding" not in req.headers
    assert req.body.decode().splitlines()[2] == "HeartRate_Intraday,Device=Charge\\ 6 value=62i 2000"
