"""Text settings are one line of printable text, checked at start: a control character or an
undecodable byte is one line naming the setting (never its value), not a failure on every write."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from fitbit_sync.cli import main
from fitbit_sync.config import load_settings
from fitbit_sync.errors import ConfigError, ExitCode
from fitbit_sync.stores.values import MAX_TEXT_CHARS


@pytest.mark.parametrize(("name", "value", "code_point"), [
    ("device_name", "Charge\n6", "U+000A"),
    ("device_name", "Charge\r", "U+000D"),
    ("device_name", "dev\x00ice", "U+0000"),
    ("device_name", "bell\x07", "U+0007"),
    ("device_name", "c1\x85", "U+0085"),
    ("influxdb_database", "fit\nbit", "U+000A"),
    ("influxdb_password", "s3cret-pw\n", "U+000A"),
    ("types", "steps,heart\nrate", "U+000A"),
    ("sqlite_path", "fit\nbit.db", "U+000A"),
    ("token_file", "tok\x1ben.json", "U+001B"),
    ("log_file", "daemon\r.log", "U+000D"),
    ("data_dir", "data\x00dir", "U+0000"),
])
def test_control_characters_are_refused_in_one_line(name: str, value: str, code_point: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(**{name: value})
    message = str(caught.value)
    assert "\n" not in message and f"invalid setting {name} (env FITBIT_SYNC_{name.upper()})" in message
    assert f"control character ({code_point})" in message
    assert value.strip() not in message and "s3cret" not in message  # the value is never shown


def test_undecodable_bytes_in_the_environment_are_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("FITBIT_SYNC_CONFIG", str(tmp_path / "none.toml"))
    (tmp_path / "none.toml").write_text("")
    monkeypatch.setitem(os.environ, "FITBIT_SYNC_DEVICE_NAME", os.fsdecode(b"Charge \xff"))
    with pytest.raises(ConfigError, match=r"^invalid setting device_name \(env FITBIT_SYNC_DEVICE_NAME\): "
                                          r"Input should be a valid string, unable to parse raw data as a unicode"):
        load_settings()


def test_a_device_name_is_held_to_the_stores_length_cap() -> None:
    assert load_settings(device_name="x" * MAX_TEXT_CHARS).device_name == "x" * MAX_TEXT_CHARS
    with pytest.raises(ConfigError, match=f"device_name .*at most {MAX_TEXT_CHARS} characters"):
        load_settings(device_name="x" * (MAX_TEXT_CHARS + 1))


def test_odd_but_printable_names_are_kept_verbatim() -> None:
    for value in ("  Charge 6  ", 'Sense "2", v=3', "Pixel\\", "Montre connectée ⌚"):
        assert load_settings(device_name=value).device_name == value


def test_the_cli_refuses_a_device_name_with_a_line_break_at_start(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    toml = tmp_path / "config.toml"
    toml.write_text('client_id = "x.apps.googleusercontent.com"\ndevice_name = "Charge\\n6"\n')
    monkeypatch.setenv("FITBIT_SYNC_CONFIG", str(toml))
    monkeypatch.setenv("FITBIT_SYNC_DATA_DIR", str(tmp_path / "data"))
    code = main(["backfill", "--start", "2025-03-01", "--end", "2025-03-02"])
    err = capsys.readouterr().err
    assert code == ExitCode.USAGE
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "invalid setting device_name (env FITBIT_SYNC_DEVICE_NAME): contains a control character (U+000A)" in err
    assert not (tmp_path / "data").exists()  # nothing written
