"""The token file and the refreshing token provider.

``TokenStore`` owns one JSON file: written atomically (temp file, fsync, rename, fsync of the
directory) with mode 0600, guarded by a ``filelock`` lock file beside it; a group/world-readable
or corrupt file is refused with one line and never touched. ``StoredTokenProvider`` hands out
access tokens, refreshing them before they expire under that lock (re-reading the file inside
it, so two processes never both refresh) and turns ``invalid_grant`` into ``ReauthRequiredError``.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import filelock
import orjson
from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError

from fitbit_sync.auth.legacy import LegacyFitbitError, looks_like_fitbit_token
from fitbit_sync.auth.oauth import OAuthClient, OAuthError
from fitbit_sync.config import Settings
from fitbit_sync.errors import AuthRequiredError, LockedError, ReauthRequiredError
from fitbit_sync.files import LOCK_MODE, private_dir

FILE_FORMAT = "fitbit-sync/google-oauth/1"
REFRESH_MARGIN_S = 300.0
LOCK_TIMEOUT_S = 120.0
RUN_AUTH = "run `fitbit-sync auth`"
REAUTH_MESSAGE = (
    "Google refused the refresh token (invalid_grant): the refresh token expired or was revoked "
    "(Google expires them after 7 days while the OAuth app is in Testing: publish the app, then run "
    "`fitbit-sync auth`)"
)


@runtime_checkable
class TokenProvider(Protocol):
    """What the API client needs: a valid bearer token, and a way to say "that one was refused"."""

    def access_token(self) -> str: ...

    def invalidate(self) -> None: ...


class TokenFileError(AuthRequiredError):
    """The token file exists but cannot be used (corrupt, unsafe permissions, unreadable)."""


class TokenSet(BaseModel):
    """One grant: tokens (kept as ``SecretStr`` so they never show in reprs or logs) and times as
    UTC epoch seconds."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    access_token: SecretStr
    refresh_token: SecretStr | None = None
    token_type: str = "Bearer"
    scopes: tuple[str, ...] = ()
    expires_at: float
    obtained_at: float
    refresh_token_expires_at: float | None = None  # set while the OAuth app is in Testing (7 days)
    client_id: str = ""
    refresh_failed: str | None = None  # "invalid_grant" once Google refused the refresh token

    @classmethod
    def from_response(cls, data: dict[str, Any], *, now: float, client_id: str,
                      previous: TokenSet | None = None) -> TokenSet:
        """From a token endpoint answer; keeps ``previous``'s refresh token and scopes when the
        answer carries none (Google does not rotate refresh tokens)."""
        access = data.get("access_token")
        expires_in = data.get("expires_in", 3600)
        if not isinstance(access, str) or not access:
            raise AuthRequiredError("Google's token answer has no access_token; " + RUN_AUTH)
        if isinstance(expires_in, str) and expires_in.isdigit():
            expires_in = int(expires_in)
        if not isinstance(expires_in, int | float) or isinstance(expires_in, bool) or expires_in <= 0:
            raise AuthRequiredError("Google's token answer has no valid expires_in; " + RUN_AUTH)
        refresh = data.get("refresh_token")
        refresh_secret = SecretStr(refresh) if isinstance(refresh, str) and refresh else None
        scope = data.get("scope")
        scopes = tuple(scope.split()) if isinstance(scope, str) and scope.strip() else None
        rt_expires_in = data.get("refresh_token_expires_in")
        rt_expires_at = float(now + rt_expires_in) if isinstance(rt_expires_in, int | float) else None
        if previous is not None:
            if refresh_secret is None:
                refresh_secret = previous.refresh_token
                rt_expires_at = rt_expires_at or previous.refresh_token_expires_at
            scopes = scopes if scopes is not None else previous.scopes
        return cls(
            access_token=SecretStr(access),
            refresh_token=refresh_secret,
            token_type=str(data.get("token_type") or "Bearer"),
            scopes=scopes or (),
            expires_at=float(now + expires_in),
            obtained_at=float(now),
            refresh_token_expires_at=rt_expires_at,
            client_id=client_id,
        )

    def expires_within(self, seconds: float, now: float) -> bool:
        return self.expires_at - now <= seconds

    def to_file_bytes(self) -> bytes:
        data = self.model_dump(mode="python")
        data["access_token"] = self.access_token.get_secret_value()
        data["refresh_token"] = self.refresh_token.get_secret_value() if self.refresh_token else None
        data["scopes"] = list(self.scopes)
        return orjson.dumps({"format": FILE_FORMAT, **data}, option=orjson.OPT_INDENT_2) + b"\n"


class TokenStore:
    """The token file at ``path`` (mode 0600) and its lock file ``<path>.lock``."""

    def __init__(self, path: Path | str, *, lock_timeout: float = LOCK_TIMEOUT_S) -> None:
        self.path = Path(path).expanduser()
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self._lock_timeout = lock_timeout
        self._lock: filelock.FileLock | None = None

    # --- reading ------------------------------------------------------------------------------

    def exists(self) -> bool:
        return self.path.exists()

    def load(self) -> TokenSet | None:
        """The stored tokens, or None when there is no file. Unsafe permissions, corrupt content,
        or a Fitbit token raise one-line errors and leave the file as it is."""
        try:
            # O_NONBLOCK: a FIFO in place of the file must not hang us before the type check
            fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise TokenFileError(f"cannot read token file {self.path}: {exc.strerror}") from None
        try:
            self._check_mode(os.fstat(fd))
            with os.fdopen(fd, "rb", closefd=False) as fh:
                raw = fh.read()
        except OSError as exc:
            raise TokenFileError(f"cannot read token file {self.path}: {exc.strerror}") from None
        finally:
            os.close(fd)
        return self._parse(raw)

    def _check_mode(self, st: os.stat_result) -> None:
        if os.name != "posix":
            return
        if not stat.S_ISREG(st.st_mode):
            raise TokenFileError(f"token file {self.path} is not a regular file")
        if st.st_mode & 0o077:
            raise TokenFileError(
                f"token file {self.path} is readable by other users (mode {stat.S_IMODE(st.st_mode):04o}): "
                f"run `chmod 600 {self.path}`"
            )

    def _parse(self, raw: bytes) -> TokenSet:
        corrupt = (f"token file {self.path} is corrupt ({{}}); it was left untouched: move it away and "
                   f"{RUN_AUTH}")
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise TokenFileError(corrupt.format("not valid JSON")) from None
        if looks_like_fitbit_token(data):
            raise LegacyFitbitError(f"{self.path} holds a Fitbit token")
        if not isinstance(data, dict) or data.get("format") != FILE_FORMAT:
            raise TokenFileError(corrupt.format("not a fitbit-sync token file"))
        try:
            return TokenSet.model_validate(data)
        except ValidationError as exc:
            field = ".".join(str(p) for p in exc.errors()[0].get("loc", ())) or "content"
            raise TokenFileError(corrupt.format(f"bad or missing {field}")) from None

    # --- writing ------------------------------------------------------------------------------

    def save(self, tokens: TokenSet) -> None:
        """Atomically replace the file: temp file (0600) in the same directory, fsync, rename,
        fsync the directory. A crash at any point leaves the old file or the new one, whole."""
        try:
            self._write(tokens.to_file_bytes())
        except OSError as exc:
            raise TokenFileError(f"cannot write token file {self.path}: {exc.strerror or type(exc).__name__}; "
                                 "the previous file, if any, is unchanged") from None

    def _write(self, data: bytes) -> None:
        directory = self.path.parent
        private_dir(directory)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=directory)
        try:
            with os.fdopen(fd, "wb") as fh:
                if os.name == "posix":  # mkstemp already uses 0600; make it explicit
                    os.fchmod(fh.fileno(), 0o600)
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp_name, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
            raise
        _fsync_dir(directory)

    def delete(self) -> None:
        try:
            self.path.unlink()
        except FileNotFoundError:
            return
        except OSError as exc:
            raise TokenFileError(f"cannot delete token file {self.path}: {exc.strerror}") from None
        _fsync_dir(self.path.parent)

    def set_aside(self) -> Path:
        """Rename an unusable token file to ``<name>.bad-<timestamp>`` (kept, never deleted)."""
        target = self.path.with_name(f"{self.path.name}.bad-{time.strftime('%Y%m%dT%H%M%S')}")
        try:
            os.replace(self.path, target)
        except OSError as exc:
            raise TokenFileError(f"cannot move the unusable token file {self.path} aside: {exc.strerror}") from None
        with contextlib.suppress(OSError):
            os.chmod(target, 0o600)
        return target

    # --- locking ------------------------------------------------------------------------------

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the lock file beside the token file (across processes)."""
        try:
            if self._lock is None:
                private_dir(self.lock_path.parent)
                self._lock = filelock.FileLock(self.lock_path, timeout=self._lock_timeout, mode=LOCK_MODE)
            self._lock.acquire()
        except filelock.Timeout:  # a TimeoutError, hence an OSError: first
            raise LockedError(
                f"another fitbit-sync process holds the token lock {self.lock_path} "
                f"(waited {self._lock_timeout:.0f} s)"
            ) from None
        except OSError as exc:
            raise TokenFileError(f"cannot create the token lock file {self.lock_path}: {exc.strerror}") from None
        try:
            yield
        finally:
            self._lock.release()


def _fsync_dir(directory: Path) -> None:
    if os.name != "posix":
        return
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class StoredTokenProvider:
    """Access tokens from a ``TokenStore``, refreshed ``margin`` seconds before they expire.

    Thread-safe (one refresh at a time per process) and process-safe (the refresh happens under
    the file lock after re-reading the file, so a token another process just refreshed is used
    instead of refreshing again).
    """

    def __init__(
        self,
        settings: Settings,
        store: TokenStore | None = None,
        *,
        oauth: OAuthClient | None = None,
        now: Callable[[], float] = time.time,
        margin: float = REFRESH_MARGIN_S,
    ) -> None:
        self._settings = settings
        self.store = store or TokenStore(settings.token_file)
        self._oauth = oauth
        self._owns_oauth = oauth is None
        self._now = now
        self._margin = margin
        self._mutex = threading.Lock()
        self._cached: TokenSet | None = None
        self._refused: str | None = None  # an access token the API answered 401 to
        self.refresh_count = 0

    def access_token(self) -> str:
        with self._mutex:
            tokens = self._cached
            if tokens is None or self._needs_refresh(tokens):
                tokens = self._load_or_refresh()
            return tokens.access_token.get_secret_value()

    def invalidate(self) -> None:
        """The API refused the current access token: the next ``access_token()`` refreshes."""
        with self._mutex:
            if self._cached is not None:
                self._refused = self._cached.access_token.get_secret_value()
            self._cached = None

    def tokens(self) -> TokenSet:
        """The stored tokens (as on disk), checked; raises ``AuthRequiredError`` when absent."""
        return self._check(self.store.load())

    def _needs_refresh(self, tokens: TokenSet) -> bool:
        return (tokens.expires_within(self._margin, self._now())
                or tokens.access_token.get_secret_value() == self._refused)

    def _check(self, tokens: TokenSet | None) -> TokenSet:
        if tokens is None:
            raise AuthRequiredError(f"no Google token yet ({self.store.path} does not exist): {RUN_AUTH}")
        if tokens.refresh_failed:
            raise ReauthRequiredError(REAUTH_MESSAGE)
        client_id = self._settings.client_id.strip()
        if tokens.client_id and client_id and tokens.client_id != client_id:
            raise ReauthRequiredError(
                f"the token in {self.store.path} was issued to another OAuth client than "
                f"FITBIT_SYNC_CLIENT_ID: {RUN_AUTH}"
            )
        return tokens

    def _load_or_refresh(self) -> TokenSet:
        with self.store.lock():
            tokens = self._check(self.store.load())  # re-read: another process may have refreshed
            if self._needs_refresh(tokens):
                tokens = self._refresh_locked(tokens)
            self._cached = tokens
            return tokens

    def _refresh_locked(self, tokens: TokenSet) -> TokenSet:
        if tokens.refresh_token is None:
            raise AuthRequiredError(f"the stored token has no refresh token: {RUN_AUTH}")
        oauth = self._oauth_client()
        started = self._now()
        try:
            data = oauth.refresh(tokens.refresh_token.get_secret_value())
        except OAuthError as err:
            if err.error == "invalid_grant":
                # remember it, so later runs (a restarted daemon) fail fast with the same line
                # instead of asking Google again: no crash loop hammering the token endpoint
                self.store.save(tokens.model_copy(update={"refresh_failed": "invalid_grant"}))
                raise ReauthRequiredError(REAUTH_MESSAGE) from None
            if err.error == "unauthorized_client":  # the token belongs to another OAuth client
                raise ReauthRequiredError(
                    f"Google refused to refresh this token for FITBIT_SYNC_CLIENT_ID (unauthorized_client): "
                    f"{RUN_AUTH}"
                ) from None
            raise
        fresh = TokenSet.from_response(data, now=started, client_id=tokens.client_id or
                                       self._settings.client_id.strip(), previous=tokens)
        self.store.save(fresh)
        self.refresh_count += 1
        self._refused = None
        return fresh

    def _oauth_client(self) -> OAuthClient:
        if self._oauth is None:
            self._oauth = OAuthClient(self._settings)
        return self._oauth

    def close(self) -> None:
        if self._owns_oauth and self._oauth is not None:
            self._oauth.close()
            self._oauth = None


def open_token_provider(settings: Settings, **kwargs: Any) -> StoredTokenProvider:
    """The provider for ``settings``: checks the client settings (missing id, Fitbit values) and
    that a usable token file exists, so a sync fails at once with one line when it cannot work."""
    from fitbit_sync.auth.oauth import require_client

    require_client(settings)
    provider = StoredTokenProvider(settings, **kwargs)
    provider.tokens()
    return provider
