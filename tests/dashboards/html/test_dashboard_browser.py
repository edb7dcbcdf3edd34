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
from dash_live import LiveServer

from fitbit_sync.cli import main
from fitbit_sync.dashboards.html.sqlite_source import SQLiteSource
from fitbit_sync.records import Record
from fitbit_sync.stores.sqlite import SQLiteStore
from fitbit_sync.sync.runner import STATE_ZONE
from support.dash_demo import TZ, DemoSummary

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


SPARSE_DAY = date(2026, 3, 2)


@pytest.fixture(scope="module")
def sparse_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, int]]:
    """Three days as a real account may have them: heart rate into a thin Peak zone, three battery readings
    at the end, weight without BMI, steps with a few outlier hours. Yields the server and the newest time."""
    zone = ZoneInfo(TZ)
    start = int(datetime.combine(SPARSE_DAY, datetime.min.time(), zone).timestamp() * 1000)
    minutes = [start + i * 60_000 for i in range(3 * 24 * 60)]
    records = [Record("HeartRate_Intraday", t, {"value": 171 if 1000 <= i % 1440 < 1020 else 60 + i % 15})
               for i, t in enumerate(minutes)]
    records += [Record("Steps_Intraday", t, {"value": 9000 if i in (600, 2040, 3480) else (i % 7) * 3})
                for i, t in enumerate(minutes)]
    records += [Record("DeviceBatteryLevel", minutes[-1] - k * 1_800_000, {"value": 64.0 + k, "status": "High"})
                for k in range(3)]
    records += [Record("weight", start + d * 86_400_000 + 7 * 3_600_000, {"kg": 80.0 - d / 10, "value": 176.0})
                for d in range(3)]
    day = SPARSE_DAY.isoformat()
    records.append(Record("HR Zone Thresholds", start, {"lightMin": 88, "moderateMin": 114, "vigorousMin": 138,
                                                        "peakMin": 168, "peakMax": 172}, date=day))  # a thin Peak band
    db = tmp_path_factory.mktemp("sparse") / "sparse.db"
    with SQLiteStore(db) as store:
        store.write(records)
        store.set_state(STATE_ZONE, TZ)
    source = SQLiteSource(db)
    with LiveServer(source) as server:
        yield server, minutes[-1]
    source.close()


# Every tile whose text is wider than the tile (cut off), and the text rectangles of the heart-rate zone labels.
LAYOUT_READ = """() => {
  const cut = [];
  for (const el of document.querySelectorAll('#stats .stat')) {
    for (const part of el.querySelectorAll('.value, .when, .label')) {
      const outside = part.getBoundingClientRect().right > el.getBoundingClientRect().right - 4;
      if (part.scrollWidth > part.clientWidth + 1 || outside) {
        cut.push(`${el.dataset.tile}: ${part.textContent}`);
      }
    }
  }
  const chart = echarts.getInstanceByDom(document.querySelector('.panel[data-panel="heart_rate"] .chart'));
  const labels = [];
  for (const el of chart.getZr().storage.getDisplayList()) {
    const text = el.style && el.style.text;
    if (['Fat Burn', 'Cardio', 'Peak'].includes(text) && !el.ignore && !el.invisible) {
      const r = el.getBoundingRect().clone();
      if (el.transform) r.applyTransform(el.transform);
      const line = (parseFloat(el.style.fontSize) || 12) * 1.2;  // a line of text is at least this tall
      labels.push({text: text, x: r.x, y: r.y + (r.height - Math.max(r.height, line)) / 2, w: r.width,
                   h: Math.max(r.height, line)});
    }
  }
  return {cut: cut, labels: labels};
}"""


def overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return (a["x"] < b["x"] + b["w"] and b["x"] < a["x"] + a["w"]
            and a["y"] < b["y"] + b["h"] and b["y"] < a["y"] + a["h"])


@pytest.mark.parametrize("width", [1280, 1500])
def test_tiles_are_never_cut_off(browser: Any, sparse_server: tuple[LiveServer, int], width: int) -> None:
    """Issue 11: "LATEST DATA 19 min ag" was cut off."""
    server, newest = sparse_server
    context = browser.new_context(viewport={"width": width, "height": 1000}, timezone_id="UTC", locale="en-GB")
    try:
        page = context.new_page()
        page.clock.set_fixed_time(datetime.fromtimestamp((newest + 19 * 60_000) / 1000, ZoneInfo("UTC")))
        p = Page(page)
        page.goto(server.url)
        p.wait_renders(1)
        tile = page.locator('#stats .stat[data-tile="Latest data"] .value').inner_text()
        assert "".join(tile.split()) == "19minago"
        assert page.evaluate(LAYOUT_READ)["cut"] == []
        assert p.problems == []
    finally:
        context.close()


def test_heart_rate_zone_labels_never_overlap(browser: Any, sparse_server: tuple[LiveServer, int]) -> None:
    """Issue 11: the Peak and Cardio band labels overlapped: a band thinner than its label (here Peak,
    168-172 bpm) put its label over the next one's."""
    server, _ = sparse_server
    with open_page(browser, server.url + "#range=7d", zone="UTC") as p:
        p.wait_renders(1)
        labels = p.page.evaluate(LAYOUT_READ)["labels"]
        assert {label["text"] for label in labels} >= {"Cardio", "Fat Burn"}
        assert not any(overlap(a, b) for i, a in enumerate(labels) for b in labels[i + 1:]), labels
        assert p.problems == []


SERIES_READ = """(id) => {
  const option = echarts.getInstanceByDom(document.querySelector(`.panel[data-panel="${id}"] .chart`)).getOption();
  return {series: option.series.map((s) => ({name: s.name, type: s.type, step: s.step || null,
                                             value: s.type === 'gauge' ? s.data[0].value : null})),
          legend: option.legend.map((l) => l.show !== false), visualMax: (option.visualMap || []).map((v) => v.max)};
}"""


def test_a_series_without_data_is_neither_drawn_nor_in_the_legend(browser: Any,
                                                                    sparse_server: tuple[LiveServer, int]) -> None:
    """Issue 11: the Weight legend showed BMI with no BMI data."""
    server, _ = sparse_server
    with open_page(browser, server.url + "#range=7d", zone="UTC") as p:
        p.wait_renders(1)
        weight = p.page.evaluate(SERIES_READ, "weight")
        assert [s["name"] for s in weight["series"]] == ["Weight (kg)"] and weight["legend"] == [False]
        assert p.problems == []


def test_few_battery_readings_make_a_gauge(browser: Any, sparse_server: tuple[LiveServer, int],
                                           artifacts: Path) -> None:
    """Issue 11: a few battery readings drew an empty chart with a stub at the right edge."""
    server, _ = sparse_server
    with open_page(browser, server.url + "#range=7d", zone="UTC") as p:
        p.wait_renders(1)
        battery = p.page.evaluate(SERIES_READ, "battery")
        assert [(s["type"], s["value"]) for s in battery["series"]] == [("gauge", 64)]  # the newest reading
        assert p.panels()["battery"]["painted"] > 0
        p.page.screenshot(path=str(artifacts / "dashboard-sparse.png"), full_page=True)
        p.page.locator('.panel[data-panel="battery"]').screenshot(path=str(artifacts / "dashboard-battery-gauge.png"))
        assert p.problems == []


def test_the_battery_is_a_step_line_and_the_steps_scale_ignores_outliers(browser: Any,
                                                                          live_server: LiveServer) -> None:
    """Issue 11: many battery readings draw the level over time as steps; the steps-by-hour colour scale
    ends at the 95th percentile of the hours (the server's ``scale_max``), not at the largest hour."""
    with open_page(browser, live_server.url, zone="UTC") as p:
        p.wait_renders(1)
        battery = p.page.evaluate(SERIES_READ, "battery")
        assert [(s["type"], s["step"]) for s in battery["series"]] == [("line", "end")]
        heat = p.page.evaluate(SERIES_READ, "steps_heatmap")
        scale = p.state("payload.panels.steps_heatmap.scale_max")
        biggest = max(c[2] for c in p.state("payload.panels.steps_heatmap.cells"))
        assert heat["visualMax"] == [scale] and scale < biggest
        assert p.problems == []


# The GPS panel's scale bar against the chart's own axes, and its distance marks.
GPS_READ = """() => {
  const chart = echarts.getInstanceByDom(document.querySelector('.panel[data-panel="gps"] .chart'));
  const option = chart.getOption();
  const find = (els, id) => {
    for (const e of els || []) { if (e.id === id) return e; const c = find(e.children, id); if (c) return c; }
    return null;
  };
  const elements = option.graphic[0].elements;
  const bar = find(elements, 'scale-bar');
  const label = find(elements, 'scale-label');
  const x = option.xAxis[0], y = option.yAxis[0];
  const lat = (y.min + y.max) / 2, lon = (x.min + x.max) / 2;
  const metres = parseFloat(label.style.text) * (label.style.text.endsWith(' km') ? 1000 : 1);
  const dLon = metres / (6371008.8 * Math.PI / 180 * Math.cos(lat * Math.PI / 180));
  const a = chart.convertToPixel({gridIndex: 0}, [lon, lat]);
  const b = chart.convertToPixel({gridIndex: 0}, [lon + dLon, lat]);
  const marks = option.series.find((s) => s.name === 'distance marks');
  return {bar: bar.shape.width, expected: b[0] - a[0], label: label.style.text, marks: marks.data.length,
          width: chart.getWidth()};
}"""


def test_the_gps_track_has_a_true_scale_bar_and_distance_marks(browser: Any, live_server: LiveServer,
                                                                artifacts: Path) -> None:
    """Issue 11: the GPS track had no scale bar or distance marks."""
    with open_page(browser, live_server.url + "#range=7d", zone="UTC") as p:
        p.wait_renders(1)
        p.page.wait_for_function("window.fitbitDashboard.panels.gps && window.fitbitDashboard.panels.gps.drawn")
        gps = p.page.evaluate(GPS_READ)
        assert gps["bar"] == pytest.approx(gps["expected"], abs=1.0)  # the bar is as long as its label says
        assert 20 < gps["bar"] <= gps["width"] / 4
        track = p.state(f"payload.panels.workouts.tracks[{p.state('workout')!r}].distance")
        assert track["km"] > 1 and gps["marks"] == len(track["marks"]) == int(track["km"] / track["step_km"] - 1e-9)
        p.page.locator('.panel[data-panel="gps"]').screenshot(path=str(artifacts / "dashboard-gps.png"))
        assert p.problems == []
