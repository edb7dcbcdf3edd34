"""The command line: a thin Typer app; every command lives in ``fitbit_sync.commands.<name>``.

Each command module exposes ``register(app: typer.Typer) -> None``. ``main()`` turns expected
failures (``FitbitSyncError``) into one line on stderr and a distinct exit code.
"""

from __future__ import annotations

import importlib
import sys

import typer

from fitbit_sync.errors import ExitCode, FitbitSyncError
from fitbit_sync.redact import one_line, redact

# One module per command (or small group of commands). Add a line here to add a command.
COMMAND_MODULES: list[str] = [
    "auth",
    "dashboard",
    "sync",
    "status",
    "daemon",
    "demo",
    "import_",
    "emulator",
    "export",
]

app = typer.Typer(
    name="fitbit-sync",
    help="Own your Fitbit and Pixel Watch data: Google Health API and Takeout into your own database.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """fitbit-sync: Google Health API and Takeout archives into SQLite, InfluxDB or PostgreSQL."""


def _register_commands() -> None:
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"fitbit_sync.commands.{name}")
        module.register(app)


_register_commands()


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point; returns the process exit code."""
    try:
        result = app(args=argv, standalone_mode=False)
    except FitbitSyncError as err:
        print(f"fitbit-sync: error: {redact(str(err))}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("fitbit-sync: interrupted", file=sys.stderr)
        return ExitCode.INTERRUPTED
    except typer.Abort:
        print("fitbit-sync: aborted", file=sys.stderr)
        return ExitCode.INTERRUPTED
    except typer.Exit as exc:
        return int(exc.exit_code or 0)
    except Exception as exc:  # click usage errors arrive as ClickException subclasses
        # click's, or the copy typer vendors as typer._click (typer >= 0.16): match by class name
        if any(cls.__name__ == "ClickException" for cls in type(exc).__mro__):
            print(_one_line_usage_error(exc), file=sys.stderr)
            return ExitCode.USAGE
        raise
    return int(result or 0) if isinstance(result, int) else 0


def _one_line_usage_error(exc: Exception) -> str:
    """click's usage error as one line: the message and where to find help."""
    message = one_line(redact(str(exc.format_message())), limit=1000)  # type: ignore[attr-defined]
    ctx = getattr(exc, "ctx", None)
    command = getattr(ctx, "command_path", None) or "fitbit-sync"
    return f"fitbit-sync: error: {message} (see '{command} --help')"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
