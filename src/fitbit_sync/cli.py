"""The command line: a thin Typer app; every command lives in ``fitbit_sync.commands.<name>``.

Each command module exposes ``register(app: typer.Typer) -> None``. ``main()`` turns expected
failures (``FitbitSyncError``) into one line on stderr and a distinct exit code. ``--version``
(``-V``) and ``version`` print the package version; a bare ``fitbit-sync`` prints the help alone.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import typer

from fitbit_sync import __version__
from fitbit_sync.errors import ExitCode, FitbitSyncError
from fitbit_sync.redact import one_line, redact

PROG = "fitbit-sync"

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


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"{PROG} {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", "-V", callback=_print_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """fitbit-sync: Google Health API and Takeout archives into SQLite, InfluxDB or PostgreSQL."""


def _version_command() -> None:
    """Print the version."""
    typer.echo(f"{PROG} {__version__}")


def _register_commands() -> None:
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"fitbit_sync.commands.{name}")
        module.register(app)


def _without_flag_types(command: Any) -> Any:
    """Typer's help labels on/off flags with a ``<bool>`` value they do not take: no label.
    (click's options, or typer's vendored copy of them: matched by attribute.)"""
    help_option = command.get_help_option(command.context_class(command))  # made once, then cached
    for param in [*command.params, help_option]:
        if getattr(param, "is_flag", False):
            param.metavar = ""
    for sub in getattr(command, "commands", {}).values():
        _without_flag_types(sub)
    return command


_register_commands()
app.command("version")(_version_command)
command = _without_flag_types(typer.main.get_command(app))


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point; returns the process exit code."""
    try:
        result = command.main(args=argv, prog_name=PROG, standalone_mode=False)
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
        names = {cls.__name__ for cls in type(exc).__mro__}
        if "NoArgsIsHelpError" in names:  # bare `fitbit-sync`: the help is already printed
            return ExitCode.USAGE
        if "ClickException" in names:
            print(_one_line_usage_error(exc), file=sys.stderr)
            return ExitCode.USAGE
        raise
    return int(result or 0) if isinstance(result, int) else 0


def _one_line_usage_error(exc: Exception) -> str:
    """click's usage error as one line: the message and where to find help."""
    message = one_line(redact(str(exc.format_message())), limit=1000)  # type: ignore[attr-defined]
    ctx = getattr(exc, "ctx", None)
    path = getattr(ctx, "command_path", None) or PROG
    return f"{PROG}: error: {message} (see '{path} --help')"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
