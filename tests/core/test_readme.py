"""The README documents every setting, keeps the two-command quick start, names only real commands
and options, and shows what the commands really print (example outputs and failures)."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from fitbit_sync.cli import main
from fitbit_sync.config import Settings

README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_setting_is_in_the_readme_table() -> None:
    section = README.read_text().split("\n## Settings", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `([A-Z0-9_]+)` \|", section, flags=re.MULTILINE))
    expected = {name.upper() for name in Settings.model_fields}
    assert expected - documented == set(), "settings missing from README"
    assert documented - expected == set(), "README documents settings that do not exist"


def test_quick_start_is_two_commands_that_exist() -> None:
    text = README.read_text()
    block = text.split("## Quick start", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#", 1)[0].strip() for line in block.strip().splitlines()]
    assert len(commands) == 2
    root = README.parent
    for command in commands:
        script = command.split()[-1]
        assert (root / script).is_file(), script


# --- the command table and the example outputs --------------------------------------------------------


def _section(title: str) -> str:
    return README.read_text().split(f"\n## {title}", 1)[1].split("\n## ", 1)[0]


def _command_rows() -> list[str]:
    return re.findall(r"^\| `(fitbit-sync [^`]*)` \|", _section("Commands"), flags=re.MULTILINE)


def test_the_command_table_names_real_commands_and_options() -> None:
    import typer

    from fitbit_sync.cli import app

    root = typer.main.get_command(app)
    commands = root.commands  # type: ignore[attr-defined]
    rows = _command_rows()
    named = {row.split()[1] for row in rows if not row.split()[1].startswith("-")}
    assert named == set(commands) - {"version"}, "every command has a row, and only real ones"
    for row in rows:
        words = row.replace("\\|", "|").split()
        command = commands[words[1]] if not words[1].startswith("-") else root
        options = {opt for param in command.params for opt in param.opts}
        for option in re.findall(r"(?<![\w-])--?[a-zA-Z][\w-]*", " ".join(words[1:])):
            assert option in options, f"{row}: {option} is not an option of it"
    # what issue 11 added: the store option where it reads, the demo's fixed end, the version
    assert any(r.startswith("fitbit-sync status") and "--db FILE" in r for r in rows)
    assert any(r.startswith("fitbit-sync export") and "--db FILE" in r for r in rows)
    assert any(r.startswith("fitbit-sync demo") and "--end DATE" in r for r in rows)
    assert "fitbit-sync --version" in rows


def _blocks_after(marker: str) -> list[str]:
    """The ```text block that follows the paragraph starting with ``marker``."""
    text = _section("Commands").split(marker, 1)[1]
    return text.split("```text\n", 1)[1].split("```", 1)[0].splitlines()


def _shape(line: str) -> re.Pattern[str]:
    """A README output line as a pattern: numbers, dates and times may differ (``\\d`` runs), so
    may absolute paths and spaces of alignment; the words, the order and the punctuation may not."""
    line = re.sub(r"([━─])\1+", r"\1", " ".join(line.split()))
    parts = re.split(r"(\d[\d,.:]*|(?<!\S)/\S+)", line)  # odd items: the numbers and paths
    return re.compile("".join(
        re.escape(p) if i % 2 == 0 else r"/\S+" if p.startswith("/") else r"[\d,.:]+" for i, p in enumerate(parts)))


def _assert_shown_in_order(readme_lines: list[str], real_output: str) -> None:
    real = [re.sub(r"([━─])\1+", r"\1", " ".join(line.split())) for line in real_output.splitlines()]
    position = 0
    for line in readme_lines:
        if "…" in line:  # an abridged part of a table
            continue
        pattern = _shape(line)
        found = next((i for i in range(position, len(real)) if pattern.fullmatch(real[i])), None)
        assert found is not None, f"README line not in the real output (in order): {line!r}\n{real_output}"
        position = found + 1


def test_demo_and_status_examples_are_what_they_print(tmp_path: Path) -> None:
    """The two examples, checked against the real thing: ``.venv/bin/fitbit-sync demo`` as
    scripts/demo.sh runs it (7 days at a fixed end), then ``status --db demo.db``, both with
    stdout a pipe at 80 columns."""
    venv = Path(sys.executable).parent.parent
    if not (venv / "bin" / "fitbit-sync").exists():
        pytest.skip("no fitbit-sync script beside this Python (not a venv install)")
    (tmp_path / ".venv").symlink_to(venv)
    src = str(README.parent / "src")
    env = {**os.environ, "COLUMNS": "80", "HOME": str(tmp_path / "home"),
           "PYTHONPATH": os.pathsep.join([src, *filter(None, [os.environ.get("PYTHONPATH")])])}
    env.pop("FITBIT_SYNC_SQLITE_PATH", None)

    def run(*argv: str) -> str:
        done = subprocess.run([".venv/bin/fitbit-sync", *argv], cwd=tmp_path, env=env, capture_output=True,
                              text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stderr
        return done.stdout

    demo = run("demo", "--days", "7", "--end", "2026-11-21")
    readme_demo = _blocks_after("`bash scripts/demo.sh` (that is")
    _assert_shown_in_order(readme_demo, demo)
    quick_start = README.read_text().split("Then look at it: `", 1)[1].split("`", 1)[0]
    assert demo.splitlines()[-1] == f"open it with: {quick_start}"  # what the quick start says
    _assert_shown_in_order(_blocks_after("`fitbit-sync status --db demo.db` at 80 columns"), run("status", "--db",
                                                                                                 "demo.db"))


def test_expected_failures_are_what_they_print(capsys: pytest.CaptureFixture[str]) -> None:
    block = _section("Commands").split("Expected failures are one line:", 1)[1]
    lines = block.split("```text\n", 1)[1].split("```", 1)[0].splitlines()
    pairs = list(zip(lines[::2], lines[1::2], strict=True))
    assert len(pairs) >= 3
    for command, message in pairs:
        argv = shlex.split(command.removeprefix("$ "))
        assert argv[0] == "fitbit-sync"
        assert main(argv[1:]) != 0
        err = capsys.readouterr().err
        assert _shape(message).fullmatch(err.strip()), (command, err)
