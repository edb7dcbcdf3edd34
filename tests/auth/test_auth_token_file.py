"""The token file: atomic 0600 writes, refusing unsafe or corrupt files, locking, TokenSet rules."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import filelock
import orjson
import pytest

from fitbit_sync.auth.legacy import LegacyFitbitError
from fitbit_sync.auth.tokens import TokenFileError, TokenSet, TokenStore
from fitbit_sync.errors import ExitCode, LockedError

NOW = 1_800_000_000.0

pytestmark = pytest.mark.reliability  # bad input, crashes, secrets


def make_tokens(access: str = "ya29.access-one", refresh: str | None = "1//refresh-one") -> TokenSet:
    data = {"access_token": access, "expires_in": 3599, "scope": "s1 s2", "token_type": "Bearer"}
    if refresh:
        data["refresh_token"] = refresh
    return TokenSet.from_response(data, now=NOW, client_id="cid.apps.googleusercontent.com")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_save_writes_0600_and_round_trips(tmp_path: Path) -> None:
    store = TokenStore(tmp_path / "cfg" / "token.json")
    tokens = make_tokens()
    store.save(tokens)
    assert mode(store.path) == 0o600
    assert mode(store.path.parent) == 0o700
    loaded = store.load()
    assert loaded == tokens
    assert loaded is not None and loaded.access_token.get_secret_value() == "ya29.access-one"
    assert loaded.expires_at == NOW + 3599
    assert loaded.scopes == ("s1", "s2")
    assert list(tmp_path.joinpath("cfg").iterdir()) == [store.path]  # no temp file left behind


def test_save_replaces_and_keeps_0600_even_under_a_lax_umask(tmp_path: Path) -> None:
    store = TokenStore(tmp_path / "token.json")
    old = os.umask(0)
    try:
        store.save(make_tokens("a1"))
        store.save(make_tokens("a2"))
    finally:
        os.umask(old)
    assert mode(store.path) == 0o600
    loaded = store.load()
    assert loaded is not None and loaded.access_token.get_secret_value() == "a2"


def test_missing_file_loads_as_none(tmp_path: Path) -> None:
    assert TokenStore(tmp_path / "nope.json").load() is None


def test_tokens_never_show_in_repr() -> None:
    tokens = make_tokens("ya29.visible?", "1//visible?")
    assert "visible" not in repr(tokens) and "visible" not in str(tokens)


def test_refresh_answer_without_refresh_token_keeps_the_old_one() -> None:
    first = TokenSet.from_response(
        {"access_token": "a1", "expires_in": 3599, "refresh_token": "r1", "scope": "s1 s2",
         "refresh_token_expires_in": 604799}, now=NOW, client_id="c")
    second = TokenSet.from_response({"access_token": "a2", "expires_in": 3599}, now=NOW + 100, client_id="c",
                                    previous=first)
    assert second.refresh_token is not None and second.refresh_token.get_secret_value() == "r1"
    assert second.scopes == ("s1", "s2")
    assert second.refresh_token_expires_at == NOW + 604799
    assert second.expires_at == NOW + 100 + 3599
    rotated = TokenSet.from_response({"access_token": "a3", "expires_in": 10, "refresh_token": "r2"},
                                     now=NOW, client_id="c", previous=first)
    assert rotated.refresh_token is not None and rotated.refresh_token.get_secret_value() == "r2"


@pytest.mark.parametrize("file_mode", [0o644, 0o640, 0o604, 0o660])
def test_group_or_world_readable_file_is_refused_and_left_alone(tmp_path: Path, file_mode: int) -> None:
    store = TokenStore(tmp_path / "token.json")
    store.save(make_tokens())
    os.chmod(store.path, file_mode)
    before = store.path.read_bytes()
    with pytest.raises(TokenFileError) as info:
        store.load()
    message = str(info.value)
    assert f"chmod 600 {store.path}" in message
    assert "\n" not in message and "ya29" not in message
    assert info.value.exit_code == ExitCode.AUTH_REQUIRED
    assert store.path.read_bytes() == before and mode(store.path) == file_mode


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"", "not valid JSON"),
        (b"\x00\xff garbage", "not valid JSON"),
        (b'{"format": "fitbit-sync/google-oauth/1", "access_token": "ya29.x", "expi', "not valid JSON"),
        (b"[1, 2]", "not a fitbit-sync token file"),
        (b'{"hello": "world"}', "not a fitbit-sync token file"),
        (b'{"format": "fitbit-sync/google-oauth/1", "access_token": "ya29.x"}', "expires_at"),
        (b'{"format": "fitbit-sync/google-oauth/1", "access_token": "ya29.x", "expires_at": "soon", '
         b'"obtained_at": 1}', "expires_at"),
    ],
)
def test_corrupt_file_is_refused_and_left_untouched(tmp_path: Path, content: bytes, why: str) -> None:
    path = tmp_path / "token.json"
    path.write_bytes(content)
    os.chmod(path, 0o600)
    before = path.stat()
    with pytest.raises(TokenFileError) as info:
        TokenStore(path).load()
    message = str(info.value)
    assert "corrupt" in message and why in message and "left untouched" in message
    assert "\n" not in message and "ya29" not in message
    after = path.stat()
    assert path.read_bytes() == content
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


@pytest.mark.parametrize(
    "fitbit_token",
    [
        {"access_token": "eyJhbGciOi.fitbit", "expires_in": 28800, "refresh_token": "abc", "scope":
         "activity heartrate sleep", "token_type": "Bearer", "user_id": "26FWFL"},
        {"access_token": "eyJhbGciOi.fitbit", "refresh_token": "abc", "expires_at": 1.7e9, "scope":
         ["weight", "profile", "settings"]},
    ],
)
def test_a_fitbit_token_file_gets_the_410_line(tmp_path: Path, fitbit_token: dict[str, object]) -> None:
    path = tmp_path / "token.json"
    path.write_bytes(orjson.dumps(fitbit_token))
    os.chmod(path, 0o600)
    with pytest.raises(LegacyFitbitError) as info:
        TokenStore(path).load()
    message = str(info.value)
    assert "410 Gone" in message and "README: Google Health API credentials" in message
    assert "eyJ" not in message and "\n" not in message
    assert path.read_bytes() == orjson.dumps(fitbit_token)


def test_failure_inside_write_leaves_the_old_file_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = TokenStore(tmp_path / "token.json")
    store.save(make_tokens("ya29.old"))
    before = store.path.read_bytes()

    def broken_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(TokenFileError) as info:
        store.save(make_tokens("ya29.new"))
    monkeypatch.undo()
    assert "No space left on device" in str(info.value) and "unchanged" in str(info.value)
    assert "ya29" not in str(info.value)
    assert store.path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["token.json"]  # the temp file was removed
    loaded = store.load()
    assert loaded is not None and loaded.access_token.get_secret_value() == "ya29.old"


def test_process_killed_mid_write_leaves_the_old_file_whole(tmp_path: Path) -> None:
    store = TokenStore(tmp_path / "token.json")
    store.save(make_tokens("ya29.old"))
    before = store.path.read_bytes()
    # a child process dies (os._exit, no cleanup) after writing the new content, before the rename
    script = textwrap.dedent(
        f"""
        import os
        from fitbit_sync.auth.tokens import TokenSet, TokenStore
        real_fsync = os.fsync
        def die(fd):
            real_fsync(fd)
            os._exit(9)
        os.fsync = die
        tokens = TokenSet.from_response({{"access_token": "ya29.new", "expires_in": 3599, "refresh_token": "r"}},
                                        now=0, client_id="c")
        TokenStore({str(store.path)!r}).save(tokens)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert result.returncode == 9
    assert store.path.read_bytes() == before
    leftovers = [p for p in tmp_path.iterdir() if p != store.path]
    assert leftovers, "the child should have died with its temp file written"
    assert all(mode(p) == 0o600 for p in leftovers)  # even a leftover never exposes a token
    loaded = store.load()
    assert loaded is not None and loaded.access_token.get_secret_value() == "ya29.old"


def test_lock_held_elsewhere_gives_locked_error(tmp_path: Path) -> None:
    store = TokenStore(tmp_path / "token.json", lock_timeout=0.2)
    other = filelock.FileLock(store.lock_path)
    with other:
        with pytest.raises(LockedError) as info, store.lock():
            pass
        assert info.value.exit_code == ExitCode.LOCKED
    with store.lock():  # free again
        assert store.lock_path.exists()


def test_set_aside_keeps_the_unusable_file(tmp_path: Path) -> None:
    store = TokenStore(tmp_path / "token.json")
    store.path.write_bytes(b"junk")
    os.chmod(store.path, 0o644)
    moved = store.set_aside()
    assert not store.path.exists()
    assert moved.read_bytes() == b"junk" and mode(moved) == 0o600


def test_unwritable_places_give_one_line_errors(tmp_path: Path) -> None:
    directory_in_the_way = TokenStore(tmp_path / "token.json")
    directory_in_the_way.path.mkdir()
    with pytest.raises(TokenFileError) as info:
        directory_in_the_way.load()
    assert "not a regular file" in str(info.value)
    with pytest.raises(TokenFileError) as info:
        directory_in_the_way.save(make_tokens())
    assert "cannot write token file" in str(info.value)

    blocked = tmp_path / "file-not-dir"
    blocked.write_text("x")
    store = TokenStore(blocked / "token.json")
    with pytest.raises(TokenFileError) as info:
        store.save(make_tokens())
    assert "cannot write token file" in str(info.value) and "\n" not in str(info.value)
    with pytest.raises(TokenFileError) as info, store.lock():
        pass
    assert "lock file" in str(info.value)


def test_a_symlinked_token_file_is_followed(tmp_path: Path) -> None:
    real = TokenStore(tmp_path / "real.json")
    real.save(make_tokens("ya29.linked"))
    (tmp_path / "token.json").symlink_to(real.path)
    loaded = TokenStore(tmp_path / "token.json").load()
    assert loaded is not None and loaded.access_token.get_secret_value() == "ya29.linked"


def test_a_fifo_in_place_of_the_token_file_is_refused_without_hanging(tmp_path: Path) -> None:
    path = tmp_path / "token.json"
    os.mkfifo(path, 0o600)
    with pytest.raises(TokenFileError, match="not a regular file"):
        TokenStore(path).load()  # opening a FIFO for reading would block without O_NONBLOCK
    assert stat.S_ISFIFO(path.stat().st_mode)
