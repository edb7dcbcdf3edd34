"""``fitbit-sync dashboard``: serve the built-in HTML dashboard on 127.0.0.1, or write a report file."""

from __future__ import annotations

import errno
import os
import socket
from pathlib import Path

import typer

from fitbit_sync.commands.options import config_option, db_option
from fitbit_sync.config import load_settings
from fitbit_sync.dashboards.html.source import DashboardSource
from fitbit_sync.errors import ConfigError, FitbitSyncError

DEFAULT_PORT = 8765


def local_zone_name(configured: str | None) -> str:
    """The IANA zone to draw days and hours in: the setting, $TZ, the system's, else UTC."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    for candidate in (configured, os.environ.get("TZ", "").lstrip(":")):
        if candidate:
            try:
                ZoneInfo(candidate)
                return candidate
            except (ZoneInfoNotFoundError, ValueError):
                continue
    try:
        target = os.path.realpath("/etc/localtime")
        if "zoneinfo/" in target:
            name = target.split("zoneinfo/", 1)[1]
            ZoneInfo(name)
            return name
    except (OSError, ZoneInfoNotFoundError, ValueError):
        pass
    return "UTC"


def _listen(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise FitbitSyncError(f"port {port} on 127.0.0.1 is in use: choose another with --port") from None
        raise FitbitSyncError(f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}") from None
    sock.listen(128)
    return sock


def run_dashboard(
    *, config: Path | None, db: Path | None, port: int, range_: str, first: str | None, last: str | None,
    tz: str | None, out: Path | None, open_browser: bool,
) -> None:
    from fitbit_sync.dashboards.html import open_source, ranges, user_zone

    if not 0 <= port <= 65535:
        raise ConfigError(f"--port must be 0..65535, not {port}")
    if range_ not in ranges.PRESETS:
        raise ConfigError(f"unknown --range {range_!r}: use one of {', '.join(ranges.PRESETS)}")
    if bool(first) != bool(last):
        raise ConfigError("--from and --to go together")
    settings = load_settings(config)
    if tz:  # validate before opening anything
        ranges.zone(tz)
    if first and last:
        ranges.resolve(None, None, ranges.zone("UTC"), first=first, last=last)
    source = open_source(settings, db)
    try:
        # the user's zone, as `status` uses it: --tz, the settings', the one stored with the data, else this machine's
        zone_name = tz or user_zone(settings.time_zone, source) or local_zone_name(None)
        zone = ranges.zone(zone_name)
        if out is not None:
            from fitbit_sync.dashboards.html.payload import ACTIVITY_MEASUREMENTS
            from fitbit_sync.dashboards.html.report import build_report, write_report

            window = ranges.resolve(range_, source.bounds(ACTIVITY_MEASUREMENTS), zone, first=first, last=last)
            html = build_report(source, window)
            write_report(out, html)
            typer.echo(f"wrote {out} ({len(html.encode()) / 1e6:.1f} MB): {window.first_date} – {window.last_date}, "
                       f"{zone_name}, from {source.name}")
            return
        _serve(source, zone_name, range_, port, first, last, open_browser)
    finally:
        source.close()


def _serve(source: DashboardSource, zone_name: str, range_: str, port: int, first: str | None, last: str | None,
           open_browser: bool) -> None:
    import uvicorn

    from fitbit_sync.dashboards.html.server import create_app

    app = create_app(source, default_tz=zone_name, default_range=range_)
    sock = _listen(port)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/"
    if first and last:
        url += f"#from={first}&to={last}"
    typer.echo(f"dashboard of {source.name} at {url}  (Ctrl-C stops)")
    if open_browser:
        import webbrowser

        webbrowser.open(url)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off"))
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn re-raises the Ctrl-C it handled: stopping is the normal end here
        pass
    finally:
        sock.close()
    typer.echo("dashboard stopped")


def register(app: typer.Typer) -> None:
    @app.command("dashboard")
    def dashboard_command(
        port: int = typer.Option(DEFAULT_PORT, "--port", help="port on 127.0.0.1 (0: any free port)"),
        range_: str = typer.Option("30d", "--range", help="range shown first: 24h, 7d, 30d, 1y or all"),
        first: str | None = typer.Option(None, "--from", help="custom range: first day (YYYY-MM-DD)"),
        last: str | None = typer.Option(None, "--to", help="custom range: last day (YYYY-MM-DD)"),
        tz: str | None = typer.Option(None, "--tz", help="IANA time zone for days and hours (default: yours)"),
        out: Path | None = typer.Option(None, "--out", help="write a self-contained HTML report and exit"),
        db: Path | None = db_option(),
        open_browser: bool = typer.Option(False, "--open", help="open the page in your web browser"),
        config: Path | None = config_option(),
    ) -> None:
        """Show your data in the built-in HTML dashboard (no Grafana needed), or write it to a file."""
        run_dashboard(config=config, db=db, port=port, range_=range_, first=first, last=last, tz=tz, out=out,
                      open_browser=open_browser)
