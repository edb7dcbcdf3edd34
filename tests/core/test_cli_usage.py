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
