"""Google Health API client overhead and pooling, against the emulator, measured in one run.

The emulator runs in its own process (``fitbit-sync emulator``), so client and server do not
share a GIL. Sign-in goes through the real OAuth flow (PKCE, loopback). Then, for the same
requests:

- small calls (``users/me/identity``): ours (``HealthApiClient``: pooled keep-alive, pacer,
  retry loop, refreshing token provider) vs raw (one ``httpx.Client`` with keep-alive and a fixed
  bearer header) vs a new connection per request (what pooling saves);
- full pages (``heart-rate`` list, one day of samples, ~18,000 points): ours vs raw httpx + orjson;
- concurrency: 1 vs 4 threads sharing one client, when each request waits 0.1 s for the network
  (emulator latency fault); against the emulator's CPU-bound page generation threads cannot help;
- faults: the emulator injects 503s and connection resets into 20 % of requests; every page must
  still come back identical (retries are counted).

Usage: ``.venv/bin/python bench/client_requests.py [--small 2000] [--pages 40]``
Prints requests/s, the ratio ours/raw, and this process's peak RSS.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import orjson

from fitbit_sync.auth.flow import authorize
from fitbit_sync.auth.tokens import StoredTokenProvider, TokenStore
from fitbit_sync.config import Settings
from fitbit_sync.emulator.config import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from fitbit_sync.sources.google_health.client import HealthApiClient

ROOT = Path(__file__).resolve().parents[1]
FIELD = "heart_rate.sample_time.physical_time"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def emulator(port: int, *extra: str) -> Iterator[str]:
    cmd = [str(ROOT / ".venv/bin/fitbit-sync"), "emulator", "--port", str(port), "--quota", "100000",
           "--start", "2026-04-01", "--end", "2026-05-31", "--log-level", "warning", *extra]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(base + "/_emulator/health", timeout=1).status_code == 200:
                    break
            time.sleep(0.05)
        else:
            raise SystemExit("the emulator did not start")
        yield base
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def day_filter(day: int, hours: tuple[int, int] = (0, 24)) -> str:
    start = f'"2026-05-{day:02d}T{hours[0]:02d}:00:00Z"'
    end = f'"2026-05-{day:02d}T{hours[1]:02d}:00:00Z"' if hours[1] < 24 else f'"2026-05-{day + 1:02d}T00:00:00Z"'
    return f"{FIELD} >= {start} AND {FIELD} < {end}"


def digest(page: dict[str, Any]) -> str:
    return hashlib.sha256(orjson.dumps(page["dataPoints"])).hexdigest()


def fetch_page(client: HealthApiClient, day: int) -> str:
    return digest(client.list_data_points("heart-rate", filter=day_filter(day), page_size=10_000))


def rate(n: int, fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    for _ in range(n):
        fn()
    return n / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=2000, help="identity requests per variant")
    parser.add_argument("--pages", type=int, default=40, help="heart-rate day pages per variant")
    args = parser.parse_args()
    days = [1 + i % 28 for i in range(args.pages)]
    rows: list[tuple[str, str]] = []

    with tempfile.TemporaryDirectory() as tmp, emulator(free_port()) as base:
        settings = Settings(client_id=DEFAULT_CLIENT_ID, client_secret=DEFAULT_CLIENT_SECRET, api_base_url=base,
                            auth_url=base + "/o/oauth2/v2/auth", token_url=base + "/token",
                            revoke_url=base + "/revoke", token_file=Path(tmp) / "token.json",
                            quota_per_minute=100_000, max_concurrency=4)
        authorize(settings, open_browser=lambda url: httpx.get(url, follow_redirects=True, timeout=30),
                  echo=lambda line: None, timeout=30)
        provider = StoredTokenProvider(settings)
        tokens = TokenStore(settings.token_file).load()
        assert tokens is not None
        bearer = {"Authorization": f"Bearer {tokens.access_token.get_secret_value()}"}
        ours = HealthApiClient(settings, provider)
        raw = httpx.Client(base_url=base + "/v4/users/me/", headers=bearer, timeout=30)

        # warm up: the emulator generates each day once, then serves it from memory
        for day in sorted(set(days)):
            ours.list_data_points("heart-rate", filter=day_filter(day), page_size=10_000)
        for _ in range(50):
            ours.identity()
            raw.get("identity").raise_for_status()

        n = args.small
        # ours and raw alternate in blocks, so drift on this shared machine favours neither
        t_ours = t_raw = 0.0
        for _ in range(max(1, n // 100)):
            started = time.perf_counter()
            for _ in range(100):
                ours.identity()
            t_ours += time.perf_counter() - started
            started = time.perf_counter()
            for _ in range(100):
                orjson.loads(raw.get("identity").content)
            t_raw += time.perf_counter() - started
        blocks = max(1, n // 100) * 100
        ours_small, raw_small = blocks / t_ours, blocks / t_raw
        fresh = httpx.Client(base_url=base + "/v4/users/me/", headers=bearer, timeout=30,
                             limits=httpx.Limits(max_keepalive_connections=0))
        fresh_small = rate(max(200, n // 4), lambda: orjson.loads(fresh.get("identity").content))
        fresh.close()
        rows += [
            ("identity, ours (pooled)", f"{ours_small:8.0f} req/s"),
            ("identity, raw httpx keep-alive", f"{raw_small:8.0f} req/s"),
            ("identity, new connection each", f"{fresh_small:8.0f} req/s"),
            ("  ratio ours/raw", f"{ours_small / raw_small:8.2f}"),
            ("  ratio pooled/new connection", f"{ours_small / fresh_small:8.2f}"),
        ]

        points = 0
        t_ours = t_raw = 0.0
        for day in days:  # alternating, as above
            started = time.perf_counter()
            page = ours.list_data_points("heart-rate", filter=day_filter(day), page_size=10_000)
            t_ours += time.perf_counter() - started
            points += len(page["dataPoints"])
            started = time.perf_counter()
            params = {"filter": day_filter(day), "pageSize": 10_000}
            response = raw.get("dataTypes/heart-rate/dataPoints", params=params)
            orjson.loads(response.content)
            t_raw += time.perf_counter() - started
        ours_pages, raw_pages = len(days) / t_ours, len(days) / t_raw
        per_page = points / len(days)
        rows += [
            (f"heart-rate pages (~{per_page:,.0f} points), ours", f"{ours_pages:8.1f} pages/s"),
            ("heart-rate pages, raw httpx + orjson", f"{raw_pages:8.1f} pages/s"),
            ("  ratio ours/raw", f"{ours_pages / raw_pages:8.2f}"),
        ]

        pages_1 = [fetch_page(ours, d) for d in days[:8]]
        t_start = time.perf_counter()
        with ThreadPoolExecutor(4) as pool:
            pages_4 = list(pool.map(lambda d: fetch_page(ours, d), days[:8]))
        t4_pages = time.perf_counter() - t_start
        assert pages_1 == pages_4
        rows.append(("8 heart-rate pages, 4 threads (server CPU-bound)", f"{8 / t4_pages:8.1f} pages/s"))
        reference = {d: digest(ours.list_data_points("heart-rate", filter=day_filter(d), page_size=10_000))
                     for d in sorted(set(days))[:10]}
        ours.close()
        raw.close()

    with tempfile.TemporaryDirectory() as tmp, emulator(free_port(), "--fault", "http_503:0.1",
                                                        "--fault", "reset:0.1", "--fault-seed", "3") as base:
        settings = settings.model_copy(update={
            "api_base_url": base, "auth_url": base + "/o/oauth2/v2/auth", "token_url": base + "/token",
            "revoke_url": base + "/revoke", "token_file": Path(tmp) / "token.json"})
        authorize(settings, open_browser=lambda url: httpx.get(url, follow_redirects=True, timeout=30),
                  echo=lambda line: None, timeout=30)
        waits: list[float] = []
        with HealthApiClient(settings, StoredTokenProvider(settings), sleep=waits.append) as faulty:
            started = time.perf_counter()
            for day, expected in reference.items():
                got = faulty.list_data_points("heart-rate", filter=day_filter(day), page_size=10_000)
                # page tokens are keyed per emulator instance; the points must be identical
                assert digest(got) == expected, f"day {day} differs after retries"
            elapsed = time.perf_counter() - started
            calls = faulty.calls
        rows += [
            (f"{len(reference)} pages under 20 % faults (503, reset)",
             f"all identical; {calls['retry']} retries, {elapsed:.1f} s (backoff waits skipped: "
             f"{sum(waits):.1f} s)"),
        ]

    # concurrency where it helps: the network's latency (0.1 s added to every request by the emulator)
    with tempfile.TemporaryDirectory() as tmp, emulator(free_port(), "--fault", "latency:1:0.1") as base:
        settings = settings.model_copy(update={
            "api_base_url": base, "auth_url": base + "/o/oauth2/v2/auth", "token_url": base + "/token",
            "revoke_url": base + "/revoke", "token_file": Path(tmp) / "token.json"})
        authorize(settings, open_browser=lambda url: httpx.get(url, follow_redirects=True, timeout=30),
                  echo=lambda line: None, timeout=30)
        with HealthApiClient(settings, StoredTokenProvider(settings)) as slow:
            slow.identity()
            one_thread = rate(20, slow.identity)
            started = time.perf_counter()
            with ThreadPoolExecutor(4) as pool:
                list(pool.map(lambda _: slow.identity(), range(40)))
            four_threads = 40 / (time.perf_counter() - started)
        rows += [
            ("identity with 0.1 s latency, 1 thread", f"{one_thread:8.1f} req/s"),
            ("identity with 0.1 s latency, 4 threads", f"{four_threads:8.1f} req/s"),
            ("  ratio 4 threads/1 thread", f"{four_threads / one_thread:8.2f}"),
        ]

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows.append(("peak RSS of this process (client side)", f"{peak:8.0f} MiB"))
    width = max(len(r[0]) for r in rows)
    print(f"client_requests.py  (Python {sys.version.split()[0]}, {os.cpu_count()} cores)")
    for label, value in rows:
        print(f"  {label:<{width}}  {value}")


if __name__ == "__main__":
    main()
