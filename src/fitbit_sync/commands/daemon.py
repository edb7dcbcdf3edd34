"""``fitbit-sync daemon``: keep syncing on a schedule, catching up after downtime."""

from __future__ import annotations

from pathlib import Path

import typer

from fitbit_sync.commands.options import config_option, db_option, store_settings, types_option


def run_daemon(types: str | None, config: Path | None, db: Path | None = None) -> int:
    from fitbit_sync.sync.daemon import Daemon, install_signal_handlers, setup_logging
    from fitbit_sync.sync.runner import choose_streams

    settings = store_settings(config, db)
    streams = choose_streams(settings, types)
    setup_logging(settings)
    daemon = Daemon(settings, streams)
    install_signal_handlers(daemon)
    return daemon.run()


def register(app: typer.Typer) -> None:
    @app.command("daemon")
    def daemon_command(
        types: str | None = types_option(),
        db: Path | None = db_option(),
        config: Path | None = config_option(),
    ) -> None:
        """Sync every sync_interval_minutes (daily values every daily_interval_minutes) until stopped.
        Logs to stderr and, with log_file set, to a rotating file. SIGTERM stops it cleanly."""
        code = run_daemon(types, config, db)
        if code:
            raise typer.Exit(code)
