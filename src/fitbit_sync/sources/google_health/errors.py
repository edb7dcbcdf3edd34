"""Google API error answers as one-line ``FitbitSyncError``s, never carrying a secret.

Google's error body is ``{"error": {"code", "message", "status", "details": [{"reason"}]}}``.
401 after a refresh -> ``AuthRequiredError``; 403 for a missing scope -> ``MissingScopeError``
naming the scope; 410 -> the legacy-Fitbit-API-gone line; other 4xx -> ``ApiRequestError`` with
the status and reason for callers that handle a specific refusal; a refusal of the whole account
or project (``ACCOUNT_NOT_LINKED``, ``USER_PROJECT_DENIED``, ``SERVICE_DISABLED``: every call
would get it) -> ``AccountError`` (exit 9), which stops a run at once.
"""

from __future__ import annotations

from typing import Any

import orjson

from fitbit_sync import catalog
from fitbit_sync.auth.legacy import LegacyFitbitError
from fitbit_sync.errors import AuthRequiredError, ExitCode, FitbitSyncError, SourceError
from fitbit_sync.redact import one_line, redact

RUN_AUTH = "run `fitbit-sync auth`"


class ApiRequestError(SourceError):
    """The API refused a request (4xx other than 401/403-scope/410/429). Exit code 1: retrying
    will not help. ``status``, ``google_status`` and ``reason`` are Google's."""

    exit_code = ExitCode.ERROR

    def __init__(self, message: str, *, status: int, google_status: str = "", reason: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.google_status = google_status
        self.reason = reason


class AccountError(ApiRequestError):
    """Every call of this account would be refused the same way (not linked to Google Health, not a
    test user of the OAuth app, API disabled in the project): stop at once, a person must act."""

    exit_code = ExitCode.ACCOUNT_UNUSABLE


# reason -> what the user must do; Google answers these for every call of the account or project
ACCOUNT_REASONS = {
    "ACCOUNT_NOT_LINKED": "this Google account has no Fitbit / Google Health profile: set it up in the Fitbit app "
                          "(or sign in with the account that has one: run `fitbit-sync auth`), then run the "
                          "command again",
    "USER_PROJECT_DENIED": "this Google account may not use your OAuth app: add it as a test user of the app "
                           "(see README: Google Health API credentials), then run the command again",
    "SERVICE_DISABLED": "enable the Google Health API in your Google Cloud project, then run the command again",
}


class MissingScopeError(AuthRequiredError):
    """The token lacks the scope a request needs (the user unticked it at consent)."""

    def __init__(self, message: str, *, scope: str | None) -> None:
        super().__init__(message)
        self.scope = scope


def parse_error_body(content: bytes) -> tuple[str, str, str]:
    """(message, status, reason) from a Google error body; empty strings when absent."""
    try:
        data: Any = orjson.loads(content)
    except orjson.JSONDecodeError:
        return "", "", ""
    error = data.get("error") if isinstance(data, dict) else None
    if not isinstance(error, dict):
        return (str(error) if isinstance(error, str) else ""), "", ""
    reason = ""
    for detail in error.get("details") or ():
        if isinstance(detail, dict) and detail.get("reason"):
            reason = str(detail["reason"])
            break
    return str(error.get("message") or ""), str(error.get("status") or ""), reason


def scope_for(call: str) -> str | None:
    """The scope a call key (``list:heart-rate``, ``profile``, ...) needs, from the catalogue."""
    method, _, type_id = call.partition(":")
    if method in ("profile",):
        return catalog.SCOPE_PROFILE
    if method in ("settings", "pairedDevices"):
        return catalog.SCOPE_SETTINGS
    if method == "exportExerciseTcx":
        return catalog.SCOPE_LOCATION
    for stream in catalog.STREAMS:
        if stream.type_id == type_id:
            return stream.scope
    return None


def error_for_response(status: int, content: bytes, *, call: str, secrets: tuple[str, ...] = ()
                       ) -> FitbitSyncError:
    """The exception for a final (not retried) error answer to ``call``."""
    message, google_status, reason = parse_error_body(content)
    message = one_line(redact(message, secrets))
    where = f"Google Health API {call}"
    if status == 410:
        return LegacyFitbitError(f"{where} answered 410 Gone")
    if status == 401:
        return AuthRequiredError(f"{where}: Google rejected the access token even after a refresh: {RUN_AUTH}")
    if status == 403 and (reason == "ACCESS_TOKEN_SCOPE_INSUFFICIENT" or "scope" in message.lower()):
        scope = scope_for(call)
        named = f" {scope}" if scope else ""
        return MissingScopeError(
            f"{where}: the token lacks the scope{named}: {RUN_AUTH} and allow every requested permission",
            scope=scope,
        )
    label = " ".join(p for p in (google_status, reason) if p)
    text = f"{where}: HTTP {status}" + (f" {label}" if label else "") + (f": {message}" if message else "")
    if reason in ACCOUNT_REASONS and 400 <= status < 500:
        return AccountError(one_line(redact(f"{text}; {ACCOUNT_REASONS[reason]}", secrets)), status=status,
                            google_status=google_status, reason=reason)
    return ApiRequestError(one_line(redact(text, secrets)), status=status, google_status=google_status, reason=reason)
