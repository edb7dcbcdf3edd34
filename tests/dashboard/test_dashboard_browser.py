"""The page in a real headless Chromium: no console errors, every panel drawn, ranges redraw, report offline.

Screenshots are kept under ``tests/_artifacts/`` (dashboard-*.png).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from dash_demo import TZ, DemoSummary
from dash_live import LiveServer

from fitbit_sync.cli import main
from fitbit_sync.dashboards.html.sqlite_source import SQLiteSource
from fitbit_sync.stores.sqlite import SQLiteStore

pytestmark = pytest.mark.browser

CHART_PANELS = (
    "heart_rate", "resting_hr", "hrv", "spo2", "breathing", "skin_temp", "hr_zones", "hypnogram", "sleep_share",
    "sleep_stages", "sleep_regularity", "steps", "steps_heatmap", "activity_minutes", "distance", "calories",
    "weight", "battery", "gps",
)

# What each chart holds according to ECharts itself, and how many of its canvas pixels are painted.
INSPECT = """() => {
  const out = {};
  for (const el of document.querySelectorAll('.panel[data-chart]')) {
    const chart = echarts.getInstanceByDom(el.querySelector('.chart'));
    const series = chart ? chart.getModel().getSeries() : [];
    const canvas = el.querySelector('canvas');
    let painted = 0;
    if (canvas && canvas.width) {
      const copy = document.createElement('canvas');
      copy.width = canvas.width;
      copy.height = canvas.height;
      const ctx = copy.getContext('2d', {willReadFrequently: true});
      ctx.drawImage(canvas, 0, 0);
      const px = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
      for (let i = 3; i < px.length; i += 4) if (px[i] > 0) painted++;
    }
    out[el.dataset.panel] = {state: el.dataset.state, items: series.reduce((n, s) => n + s.getData().count(), 0),
                             painted: painted, area: canvas ? canvas.width * canvas.height : 0};
  }
  return out;
}"""


class Page:
    """A page with every console message, page error, failed request and HTTP error recorded."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.problems: list[str] = []
        self.requests: list[str] = []
        page.on("console", lambda m: self.problems.append(f"console.{m.type}: {m.text}")
                if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e: self.problems.append(f"pageerror: {e}"))
        page.on("requestfailed", lambda r: self.problems.append(f"request failed: {r.url}"))
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("response", lambda r: self.problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)

    def wait_renders(self, count: int) -> None:
        self.page.wait_for_function(f"window.fitbitDashboard && window.fitbitDashboard.renders >= {count}",
                                    timeout=30_000)

    def panels(self) -> dict[str, dict[str, Any]]:
        return self.page.evaluate(INSPECT)  # type: ignore[no-any-return]

    def state(self, expr: str) -> Any:
        return self.page.evaluate(f"() => window.fitbitDashboard.{expr}")


@contextmanager
def open_page(browser: Any, url: str, zone: str = TZ) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1500, "height": 1000}, timezone_id=zone, locale="en-GB")
    try:
        page = Page(context.new_page())
        page.page.goto(url)
        yield page
    finally:
        context.close()


def assert_all_drawn(panels: dict[str, dict[str, Any]]) -> None:
    assert set(panels) == set(CHART_PANELS)
    for name, info in panels.items():
        assert info["state"] == "drawn", (name, info)
        assert info["items"] > 0, (name, info)
        assert info["painted"] > 0.01 * info["area"], (name, info)  # more than a blank canvas with axes


def test_the_30_day_view_draws_every_panel_without_console_errors(browser: Any, live_server: LiveServer,
                                                                   artifacts: Path) -> None:
    with open_page(browser, live_server.url) as p:
        p.wait_renders(1)
        p.page.wait_for_timeout(300)  # let the GPS track (a second request) arrive
        assert p.state("range.label") == "30d"
        assert_all_drawn(p.panels())
        workouts = p.state("payload.panels.workouts.items.length")
        assert workouts >= 10 and p.page.locator('.panel[data-panel="workouts"] tbody tr').count() == workouts
        assert p.page.locator("#stats .stat").count() == 9
        assert "bpm" in p.page.locator("#stats").inner_text()
        p.page.screenshot(path=str(artifacts / "dashboard-30d.png"), full_page=True)
        assert p.problems == []
        assert all(u.startswith(live_server.url) for u in p.requests), p.requests  # nothing from elsewhere


def test_switching_the_range_redraws_every_panel(browser: Any, live_server: LiveServer, artifacts: Path) -> None:
    with open_page(browser, live_server.url) as p:
        p.wait_renders(1)
        buckets = {"30d": p.state("payload.panels.heart_rate.bucket_ms")}
        renders = 1
        for label in ("7d", "24h", "all", "1y"):
            p.page.click(f'#ranges button[data-range="{label}"]')
            renders += 1
            p.wait_renders(renders)
            assert p.state("range.label") == label
            assert p.page.locator(f'#ranges button[data-range="{label}"]').get_attribute("class") == "active"
            buckets[label] = p.state("payload.panels.heart_rate.bucket_ms")
            panels = p.panels()
            if label == "24h":  # one day: some daily panels have a single bar, all still draw
                assert panels["heart_rate"]["items"] >= 1000 and panels["hypnogram"]["items"] > 5
            else:
                assert_all_drawn(panels)
            if label == "7d":
                p.page.screenshot(path=str(artifacts / "dashboard-7d.png"), full_page=True)
                assert p.state("payload.panels.steps.dates.length") == 7
        assert buckets["24h"] < buckets["7d"] < buckets["30d"] <= buckets["all"]
        # a custom range: two dates and Apply
        p.page.fill("#from", "2026-11-02")
        p.page.fill("#to", "2026-11-04")
        p.page.click("#apply-custom")
        p.wait_renders(renders + 1)
        assert p.state("payload.panels.steps.dates") == ["2026-11-02", "2026-11-03", "2026-11-04"]
        assert "from=2026-11-02" in p.page.url
        p.page.screenshot(path=str(artifacts / "dashboard-24h-custom.png"))
        assert p.problems == []


def test_choosing_a_workout_and_a_night_redraws_their_panels(browser: Any, live_server: LiveServer) -> None:
    with open_page(browser, live_server.url + "#range=7d") as p:
        p.wait_renders(1)
        first_track = p.state("payload.panels.workouts.tracks")
        assert len(first_track) == 1
        rows = p.page.locator('.panel[data-panel="workouts"] tbody tr.gps')
        assert rows.count() >= 2
        rows.nth(1).click()
        p.page.wait_for_function("Object.keys(window.fitbitDashboard.payload.panels.workouts.tracks).length === 2")
        selected = p.state("workout")
        assert selected not in first_track
        p.page.wait_for_function("window.fitbitDashboard.panels.gps.drawn")
        assert "sel" in (rows.nth(1).get_attribute("class") or "")
        nights = p.page.locator("#night option")
        assert nights.count() == 7
        older = nights.nth(3).get_attribute("value")
        p.page.select_option("#night", older)
        assert p.state("night") == older
        window = p.page.evaluate("() => echarts.getInstanceByDom(document.querySelector("
                                 "'.panel[data-panel=hypnogram] .chart')).getOption().xAxis[0].min")
        night = p.page.evaluate(f"() => window.fitbitDashboard.payload.panels.hypnogram.nights"
                                f".find(n => n.date === '{older}').start")
        offset = datetime.fromtimestamp(night / 1000, ZoneInfo(TZ)).utcoffset()
        assert offset is not None and window == night + int(offset.total_seconds() * 1000)  # TZ's wall clock
        assert p.problems == []


def test_the_report_file_opens_offline_with_every_panel(browser: Any, demo_db: tuple[Path, DemoSummary],
                                                        tmp_path: Path, artifacts: Path) -> None:
    db, _ = demo_db
    out = tmp_path / "report.html"
    assert main(["dashboard", "--db", str(db), "--out", str(out), "--range", "30d", "--tz", TZ]) == 0
    context = browser.new_context(viewport={"width": 1500, "height": 1000}, timezone_id=TZ, offline=True)
    try:
        page = Page(context.new_page())
        page.page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:")
                        else route.abort())
        page.page.goto(out.as_uri())
        page.wait_renders(1)
        assert_all_drawn(page.panels())
        assert page.requests == [out.as_uri()]  # one file, nothing else
        assert page.page.locator("#ranges button[data-range]").first.is_hidden()  # a report has one range
        page.page.locator('.panel[data-panel="workouts"] tbody tr.gps').nth(2).click()  # tracks are embedded
        page.page.wait_for_function("window.fitbitDashboard.panels.gps.drawn")
        page.page.screenshot(path=str(artifacts / "dashboard-report.png"), full_page=True)
        assert page.problems == []
    finally:
        context.close()


def test_an_empty_database_shows_empty_panels_and_says_what_to_do(browser: Any, tmp_path: Path) -> None:
    db = tmp_path / "empty.db"
    SQLiteStore(db).close()
    source = SQLiteSource(db)
    with LiveServer(source) as server, open_page(browser, server.url) as p:
        p.wait_renders(1)
        panels = p.panels()
        assert {info["state"] for info in panels.values()} == {"empty"}
        assert p.page.locator(".panel .empty").first.inner_text() == "No data in this range"
        assert "No data yet" in p.page.locator("#status").inner_text()
        assert p.problems == []
    source.close()


def day_label(iso: str) -> str:
    """A date as the page writes it (en-GB: ``15 Nov``)."""
    d = date.fromisoformat(iso)
    return f"{d.day} {d:%b}"


def hm_minutes(text: str) -> int:
    hours, minutes = text.strip().split("h")
    return int(hours) * 60 + int(minutes.strip().rstrip("m"))


# The "Average night" centre label and the nights the "Sleep duration by stage" bars show (asleep parts).
SLEEP_READ = """() => {
  const chart = (id) => echarts.getInstanceByDom(document.querySelector(`.panel[data-panel="${id}"] .chart`));
  const pie = chart('sleep_share').getOption().series[0];
  const bars = chart('sleep_stages').getOption().series.filter((s) => s.name !== 'Awake');
  const nights = bars[0].data.map((_, i) => bars.reduce((a, s) => a + (s.data[i] || 0), 0)).filter((v) => v > 0);
  return {centre: pie.label.formatter(), nights: nights.map((h) => h * 60),
          note: document.querySelector('.panel[data-panel="sleep_share"] header .unit').textContent};
}"""


def test_a_viewer_in_another_zone_sees_each_day_on_its_local_date(browser: Any, live_server: LiveServer,
                                                                   demo_db: tuple[Path, DemoSummary],
                                                                   artifacts: Path) -> None:
    """Issue 11, read from the page of a browser in UTC (the machine's zone) over data of a user in TZ:
    the zone is shown, a tile's date is its row's local date, the average night is the mean of the nights
    drawn (staged and classic nights alike), and time axes read TZ's clock."""
    db, _ = demo_db
    with open_page(browser, live_server.url, zone="UTC") as p:
        p.wait_renders(1)
        assert p.page.evaluate("() => Intl.DateTimeFormat().resolvedOptions().timeZone") == "UTC"
        assert TZ in p.page.locator("#zone").inner_text()
        assert p.state("payload.range.tz") == TZ
        last = p.state("payload.range.last_date")
        with sqlite3.connect(db) as conn:
            for tile, table in (("Steps", "Total Steps"), ("Resting HR", "RestingHR")):
                day, value = conn.execute(f'SELECT date, value FROM "{table}" WHERE date <= ? ORDER BY date DESC '
                                          "LIMIT 1", (last,)).fetchone()
                el = p.page.locator(f'#stats .stat[data-tile="{tile}"]')
                assert el.locator(".when").inner_text() == day_label(day), tile
                assert el.locator(".value").inner_text().split("\n")[0].replace(",", "").strip().startswith(
                    str(round(value))), tile
        night = p.page.locator("#night option").first  # the newest night, as the hypnogram names it
        night_date = str(night.get_attribute("value"))
        assert night.inner_text().startswith(day_label(night_date))
        sleep_tile = p.page.locator('#stats .stat[data-tile="Sleep"] .when').inner_text()
        assert sleep_tile == f"night to {day_label(night_date)}"
        sleep = p.page.evaluate(SLEEP_READ)
        nights = sleep["nights"]
        assert len(nights) == 30
        mean = sum(nights) / len(nights)
        assert abs(hm_minutes(sleep["centre"]) - mean) <= 1, (sleep["centre"], mean)
        assert sleep["note"].startswith(sleep["centre"]) and "mean of 30 nights" in sleep["note"]
        assert p.state("payload.panels.sleep_stages.classic").count(None) < 30  # classic nights are among them
        # the hypnogram's axis starts at the night's start on TZ's clock, not the browser's
        start = p.state("payload.panels.hypnogram.nights.at(-1).start")
        shown = p.page.evaluate("() => echarts.getInstanceByDom(document.querySelector("
                                "'.panel[data-panel=hypnogram] .chart')).getOption().xAxis[0].min")
        local = datetime.fromtimestamp(start / 1000, ZoneInfo(TZ))
        assert shown == start + int(local.utcoffset().total_seconds() * 1000)  # type: ignore[union-attr]
        p.page.screenshot(path=str(artifacts / "dashboard-30d-utc-viewer.png"), full_page=True)
        assert p.problems == []
