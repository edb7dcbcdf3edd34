"""``fitbit-sync status``: per data type the newest point, last sync and rows; token expiry; quota."""

from __future__ import annotations

from pathlib import Path

import typer

from fitbit_sync.config import load_settings

CONFIG_HELP = "TOML config file (default: $FITBIT_SYNC_CONFIG or ~/.config/fitbit-sync/config.toml)"


def run_status(config: Path | None) -> None:
    from fitbit_sync.stores.factory import open_store
    from fitbit_sync.sync.status import collect, render

    settings = load_settings(config)
    store = open_store(settings)
    try:
        render(collect(settings, store))
    finally:
        store.close()


def register(app: typer.Typer) -> None:
    @app.command("status")
    def status_command(config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP)) -> None:
        """Show what is stored per data type, the token's expiry and the last run's API calls."""
        run_status(config)
