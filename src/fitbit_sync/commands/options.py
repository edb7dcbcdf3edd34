"""The store options every command that touches a store takes, spelled once: ``--config FILE`` and
``--db FILE`` (a SQLite file instead of the configured store), and the settings they give.

One definition so ``status``, ``export``, ``dashboard``, ``sync``, ``backfill``, ``daemon`` and
``import`` cannot drift apart in name, help text or meaning.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from fitbit_sync.config import Settings, load_settings
from fitbit_sync.stores.registry import SQLITE

CONFIG_HELP = "TOML config file (default: $FITBIT_SYNC_CONFIG or ~/.config/fitbit-sync/config.toml)"
DB_HELP = "use this SQLite file instead of the configured store"
TYPES_HELP = "comma-separated data types or streams (e.g. heart-rate,steps:daily); default: settings.types, else all"


def config_option() -> Any:
    return typer.Option(None, "--config", metavar="FILE", help=CONFIG_HELP)


def types_option() -> Any:
    return typer.Option(None, "--types", help=TYPES_HELP)


def db_option() -> Any:
    return typer.Option(None, "--db", metavar="FILE", help=DB_HELP)


def store_settings(config: Path | None, db: Path | None) -> Settings:
    """The settings of ``--config``, with ``--db`` (when given) as the store."""
    if db is None:
        return load_settings(config)
    return load_settings(config, store=SQLITE.name, sqlite_path=db.expanduser())
