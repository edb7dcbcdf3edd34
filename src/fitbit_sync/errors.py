"""Expected failures: one exception family, each with a one-line message and an exit code.

The CLI turns any ``FitbitSyncError`` into a single line on stderr and its exit code, never a
traceback. Messages must never contain secrets (tokens, client secrets, passwords).
"""

from __future__ import annotations


class ExitCode:
    """Process exit codes, distinct so scripts and the daemon's supervisor can tell them apart."""

    OK = 0
    ERROR = 1  # any expected failure not listed below
    USAGE = 2  # bad command line, settings or dates
    AUTH_REQUIRED = 3  # no usable token: run `fitbit-sync auth`
    REAUTH_REQUIRED = 4  # refresh token expired or revoked (invalid_grant)
    STORE_UNAVAILABLE = 5  # database down, unwritable, corrupt
    SOURCE_UNAVAILABLE = 6  # API unreachable after retries
    BAD_ARCHIVE = 7  # import: not a zip, truncated, unreadable
    LOCKED = 8  # another fitbit-sync process holds the lock
    ACCOUNT_UNUSABLE = 9  # the Google account cannot use the API (not linked, not allowed): a person must act
    INTERRUPTED = 130  # Ctrl-C


class FitbitSyncError(Exception):
    """Base of every expected failure; ``str(err)`` is the one line the user sees."""

    exit_code: int = ExitCode.ERROR

    def __init__(self, message: str, *, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class ConfigError(FitbitSyncError):
    exit_code = ExitCode.USAGE


class AuthRequiredError(FitbitSyncError):
    exit_code = ExitCode.AUTH_REQUIRED


class ReauthRequiredError(FitbitSyncError):
    exit_code = ExitCode.REAUTH_REQUIRED


class StoreError(FitbitSyncError):
    exit_code = ExitCode.STORE_UNAVAILABLE


class SourceError(FitbitSyncError):
    exit_code = ExitCode.SOURCE_UNAVAILABLE


class ArchiveError(FitbitSyncError):
    exit_code = ExitCode.BAD_ARCHIVE


class LockedError(FitbitSyncError):
    exit_code = ExitCode.LOCKED


def reason(exc: BaseException, limit: int | None = None) -> str:
    """The first line of ``exc``'s message (its type name when it has none), cut at ``limit``
    characters: what a one-line error or a file report shows of a lower layer's exception."""
    text = str(exc).strip() or type(exc).__name__
    first = text.splitlines()[0]
    return first if limit is None else first[:limit]
