"""Measure serving one day of 5-second heart rate (~17,000 points, 2 pages) over real HTTP.

    python -m fitbit_sync.emulator.benchmark [--days 5] [--seed 7]

For each of ``--days`` consecutive worn days: page through the day's heart rate with
``pageSize=10000`` from a fresh server (cold: includes generating the day) and again (warm:
cached), parsing every page with orjson as a client would. Prints per-day figures and medians.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import date, timedelta

import httpx
import orjson

from fitbit_sync.emulator.config import EmulatorConfig
from fitbit_sync.emulator.server import run_in_thread


def fetch_day(client: httpx.Client, day: date) -> tuple[int, int, float, float]:
    """(points, pages, seconds end to end, seconds in the server)."""
    flt = (
        f'heart_rate.sample_time.civil_time >= "{day}" AND '
        f'heart_rate.sample_time.civil_time < "{day + timedelta(days=1)}"'
    )
    points = pages = 0
    token = ""
    server = 0.0
    started = time.perf_counter()
    while True:
        params = {"filter": flt, "pageSize": "10000", **({"pageToken": token} if token else {})}
        response = client.get("/v4/users/me/dataTypes/heart-rate/dataPoints", params=params)
        response.raise_for_status()
        body = orjson.loads(response.content)
        points += len(body.get("dataPoints", []))
        pages += 1
        server += float(response.headers.get("x-emulator-ms", "0")) / 1000
        token = body["nextPageToken"]
        if not token:
            return points, pages, time.perf_counter() - started, server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--start", default="2025-09-01")
    args = parser.parse_args(argv)
    first = date.fromisoformat(args.start)
    config = EmulatorConfig(seed=args.seed, start=first, end=first + timedelta(days=args.days + 30))
    cold: list[float] = []
    warm: list[float] = []
    server_cold: list[float] = []
    with run_in_thread(config) as running:
        gen = running.state.generator
        token = running.state.access_token()
        running.state.set_quota(1_000_000)
        client = httpx.Client(base_url=running.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=60)
        day = first
        while len(cold) < args.days:
            if not gen.worn(day) or gen.exercise_ids(day):
                day += timedelta(days=1)
                continue
            n, pages, seconds, server = fetch_day(client, day)
            _n, _pages, again, _server = fetch_day(client, day)
            cold.append(seconds)
            warm.append(again)
            server_cold.append(server)
            print(f"{day}: {n} points, {pages} pages: cold {seconds * 1000:.0f} ms "
                  f"(server {server * 1000:.0f} ms), warm {again * 1000:.0f} ms")  # fmt: skip
            day += timedelta(days=1)
    print(
        f"median over {len(cold)} days: cold {statistics.median(cold) * 1000:.0f} ms "
        f"(server {statistics.median(server_cold) * 1000:.0f} ms), warm {statistics.median(warm) * 1000:.0f} ms"
    )
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
