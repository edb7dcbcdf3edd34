"""``fitbit-sync emulator``: run the Google Health API + OAuth emulator in the foreground."""

from __future__ import annotations

import sys

import typer

from fitbit_sync.days import optional_day
from fitbit_sync.errors import ConfigError


def register(app: typer.Typer) -> None:
    @app.command("emulator")
    def emulator(
        host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on."),
        port: int = typer.Option(8099, "--port", help="TCP port (0 picks a free one)."),
        seed: int = typer.Option(1, "--seed", help="Seed of the synthetic history."),
        start: str | None = typer.Option(None, "--start", help="First day with data (default: end - 364 days)."),
        end: str | None = typer.Option(None, "--end", help="Last day with data (default: today, UTC)."),
        quota: int = typer.Option(300, "--quota", help="Requests per user per minute before 429."),
        testing_mode: bool = typer.Option(
            False, "--testing-mode", help="Refresh tokens expire after 7 days (OAuth app in Testing)."
        ),
        fault: list[str] = typer.Option(
            [], "--fault", help="Inject faults: KIND[:PROBABILITY[:SECONDS]], e.g. http_503:0.05. Repeatable."
        ),
        fault_seed: int = typer.Option(0, "--fault-seed", help="Seed of the fault dice."),
        client_id: str | None = typer.Option(None, "--client-id", help="OAuth client id to accept."),
        client_secret: str | None = typer.Option(None, "--client-secret", help="OAuth client secret to accept."),
        log_level: str = typer.Option("info", "--log-level", help="uvicorn log level."),
    ) -> None:
        """Serve a Google Health API v4 + Google OAuth emulator with synthetic data."""
        from fitbit_sync.emulator.config import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, EmulatorConfig
        from fitbit_sync.emulator.faults import FaultRule
        from fitbit_sync.emulator.server import bind_socket, serve_forever

        if not 0 <= port <= 65535:
            raise ConfigError(f"--port must be between 0 and 65535, not {port}")
        try:
            rules = tuple(FaultRule.parse(spec) for spec in fault)
        except ValueError as err:
            raise ConfigError(str(err)) from None
        config = EmulatorConfig(
            seed=seed,
            start=optional_day(start, "--start"),
            end=optional_day(end, "--end"),
            quota_per_minute=quota,
            testing_mode_refresh_expiry=testing_mode,
            faults=rules,
            fault_seed=fault_seed,
            client_id=client_id or DEFAULT_CLIENT_ID,
            client_secret=client_secret or DEFAULT_CLIENT_SECRET,
        )
        if port == 0:
            probe = bind_socket(host, 0)
            port = probe.getsockname()[1]
            probe.close()
        shown = f"[{host}]" if ":" in host else host
        base = f"http://{shown}:{port}"
        typer.echo(f"Google Health API emulator on {base}  (API root {base}/v4)")
        typer.echo(f"  OAuth: {base}/o/oauth2/v2/auth, {base}/token, {base}/revoke")
        typer.echo(f"  client id {config.client_id}, client secret {config.client_secret}")
        typer.echo(f"  data {config.first_day} .. {config.last_day}, seed {seed}, quota {quota}/min per user")
        typer.echo(f"  admin: {base}/_emulator/stats, {base}/_emulator/control")
        sys.stdout.flush()
        serve_forever(config, host, port, log_level)
