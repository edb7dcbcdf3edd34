"""Usage mistakes on the command line are one line on stderr with exit code 2, never a traceback."""

from __future__ import annotations

import pytest

from fitbit_sync.cli import main
from fitbit_sync.errors import ExitCode


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["backfill", "--start", "2026-01-01"], "Missing option '--end'"),
        (["no-such-command"], "No such command"),
        (["backfill", "--start", "2026-01-01", "--end", "2026-01-02", "--bogus"], "No such option: --bogus"),
        (["dashboard", "--port", "not-a-number"], "--port"),
    ],
)
def test_usage_errors_are_one_line(argv: list[str], words: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith("fitbit-sync: error: ") and words in err
    assert "Traceback" not in err


@pytest.mark.parametrize("argv", [["--version"], ["-V"], ["version"]])
def test_version(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    from fitbit_sync import __version__

    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert out == f"fitbit-sync {__version__}\n" and err == ""


def test_bare_command_prints_the_help_and_no_empty_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == ExitCode.USAGE
    out, err = capsys.readouterr()
    assert "Usage: fitbit-sync [OPTIONS] COMMAND" in out and "export" in out
    assert err == ""


def test_help_labels_no_flag_with_a_value_type(capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import typer

    from fitbit_sync.cli import app

    monkeypatch.setenv("COLUMNS", "160")
    names = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    for argv in [["--help"], *([name, "--help"] for name in names)]:
        assert main(argv) == 0
        out = capsys.readouterr().out
        assert "--help" in out and "<bool>" not in out, argv
