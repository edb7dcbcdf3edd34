"""``fitbit-sync daemon``: keep syncing on a schedule, catching up after downtime."""

from __future__ import annotations

from pathlib import Path

import typer

from fitbit_sync.config import load_settings

CONFIG_HELP = "TOML config file (default: $FITBIT_SYNC_CONFIG or ~/.config/fitbit-sync/config.toml)"
TYPES_HELP = "comma-separated data types or streams; default: settings.types, else all"


def run_daemon(types: str | None, config: Path | None) -> int:
    from fitbit_sync.sync.daemon import Daemon, install_signal_handlers, setup_logging
    from fitbit_sync.sync.runner import choose_streams

    settings = load_settings(config)
    streams = choose_streams(settings, types)
    setup_logging(settings)
    daemon = Daemon(settings, streams)
    install_signal_handlers(daemon)
    return daemon.run()


def register(app: typer.Typer) -> None:
    @app.command("daemon")
    def daemon_command(
        types: str | None = typer.Option(None, "--types", help=TYPES_HELP),
        config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
    ) -> None:
        """Sync every sync_interval_minutes (daily values every daily_interval_minutes) until stopped.
        Logs to stderr and, with log_file set, to a rotating file. SIGTERM stops it cleanly."""
        code = run_daemon(types, config)
        if code:
            raise typer.Exit(code)
