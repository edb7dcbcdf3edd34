"""Google's OAuth token endpoints over httpx: code exchange, refresh and revoke.

Transient failures (network, 429, 5xx, a malformed answer) are retried a few times under the
shared policy (``net.retry``: jitter, ``Retry-After``, a time budget); OAuth errors come back as
``OAuthError`` carrying Google's ``error`` code so callers can map ``invalid_grant``. Answers are
read like the API client's (``net.transport.send_capped``): within ``request_deadline`` and at
most ``TOKEN_BODY_CAP`` bytes, so no token endpoint can make memory or time unbounded. No message
ever contains a token, the code verifier or the client secret.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import httpx
import orjson

from fitbit_sync import __version__
from fitbit_sync.auth.legacy import README_CREDENTIALS, check_settings
from fitbit_sync.closing import Closing
from fitbit_sync.config import Settings
from fitbit_sync.errors import ConfigError, FitbitSyncError, SourceError
from fitbit_sync.net.retry import MalformedResponse, RetryPolicy
from fitbit_sync.net.transport import RequestGuard, make_abortable, send_once
from fitbit_sync.redact import one_line, redact

log = logging.getLogger(__name__)

USER_AGENT = f"fitbit-sync/{__version__}"
OAUTH_RETRIES = 3
OAUTH_RETRY_BUDGET = 300.0  # seconds one token request may spend in all its attempts and waits
TOKEN_BODY_CAP = 1024 * 1024  # a token answer is about a kilobyte


class OAuthError(FitbitSyncError):
    """The token endpoint refused a request; ``error`` is Google's OAuth error code."""

    def __init__(self, message: str, *, error: str, status: int) -> None:
        super().__init__(message)
        self.error = error
        self.status = status


def require_client(settings: Settings) -> None:
    """Raise a one-line ``ConfigError`` unless an OAuth client id is configured (and not Fitbit's)."""
    check_settings(settings)
    if not settings.client_id.strip():
        raise ConfigError(
            "no OAuth client id: set FITBIT_SYNC_CLIENT_ID and FITBIT_SYNC_CLIENT_SECRET "
            f"(or client_id / client_secret in config.toml), see {README_CREDENTIALS}"
        )


class OAuthClient(Closing):
    """The token, refresh and revoke endpoints of ``settings`` (Google, or the emulator)."""

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        policy: RetryPolicy | None = None,
    ) -> None:
        require_client(settings)
        self._settings = settings
        self._sleep = sleep
        self._policy = policy or RetryPolicy(max_retries=min(OAUTH_RETRIES, settings.max_retries), cap=10.0,
                                             budget=OAUTH_RETRY_BUDGET)
        self._http = httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(settings.request_timeout),
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
        )
        self._guard = RequestGuard()
        make_abortable(self._http, self._guard)

    # --- the three grants -------------------------------------------------------------------------

    def exchange_code(self, code: str, *, verifier: str, redirect_uri: str) -> dict[str, Any]:
        """Trade an authorization code (+ PKCE verifier) for tokens; the raw token response."""
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "code_verifier": verifier,
            "redirect_uri": redirect_uri,
            **self._client_form(),
        }
        return self._post(self._settings.token_url, form, "code exchange", secrets=(code, verifier))

    def refresh(self, refresh_token: str) -> dict[str, Any]:
        """A new access token for ``refresh_token``; the raw token response."""
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token, **self._client_form()}
        return self._post(self._settings.token_url, form, "token refresh", secrets=(refresh_token,))

    def revoke(self, token: str) -> bool:
        """Revoke ``token`` (a refresh token revokes the whole grant). False if Google says it was
        already invalid; raises on other failures."""
        try:
            self._post(self._settings.revoke_url, {"token": token}, "revoke", secrets=(token,), expect_json=False)
        except OAuthError as err:
            if err.error in ("invalid_token", "invalid_grant", "invalid_request") and err.status == 400:
                return False
            raise
        return True

    # --- plumbing ----------------------------------------------------------------------------------

    def _client_form(self) -> dict[str, str]:
        form = {"client_id": self._settings.client_id.strip()}
        secret = self._settings.client_secret.get_secret_value()
        if secret:
            form["client_secret"] = secret
        return form

    def _post(
        self, url: str, form: dict[str, str], what: str, *, secrets: tuple[str, ...], expect_json: bool = True
    ) -> dict[str, Any]:
        hidden = (*secrets, self._settings.client_secret.get_secret_value())
        backoff = self._policy.backoff()
        while True:
            request = self._http.build_request("POST", url, data=form)
            try:
                sent = send_once(self._http, request, guard=self._guard, deadline_s=self._settings.request_deadline,
                                 cap=TOKEN_BODY_CAP)
            except httpx.HTTPError as exc:
                raise _unreachable(what, url, exc, hidden) from None
            response, problem = sent.response, sent.problem
            final: FitbitSyncError
            if isinstance(sent.error, MalformedResponse):
                final = SourceError(f"{what} failed: {url} answered HTTP {sent.error.status} with {sent.error}")
                problem = "an answer over the size cap"
            elif sent.error is not None or response is None:
                final = _unreachable(what, url, sent.error, hidden)
            elif response.is_success:
                if not expect_json:
                    return {}
                body = _json_object(sent.content)
                if body is not None:
                    return body
                final = SourceError(f"{what} failed: {url} answered HTTP {response.status_code} with a body that "
                                    "is not JSON")
                problem = "malformed JSON answer"
            elif problem:
                final = self._error(response.status_code, sent.content, what, url, hidden)
            else:
                raise self._error(response.status_code, sent.content, what, url, hidden)
            delay = backoff.next_delay(sent.retry_after)
            if delay is None:
                raise final from None
            log.info("%s: %s, retrying", what, problem)
            self._sleep(delay)

    @staticmethod
    def _error(status: int, content: bytes | bytearray, what: str, url: str,
               hidden: tuple[str, ...]) -> FitbitSyncError:
        body = _json_object(content) or {}
        error = body.get("error")
        if isinstance(error, dict):  # a Google API style error body
            error = error.get("status") or error.get("message")
        code = str(error) if error else f"http_{status}"
        description = str(body.get("error_description") or "")
        if status == 410:
            from fitbit_sync.auth.legacy import LegacyFitbitError

            return LegacyFitbitError(f"{url} answered 410 Gone")
        if code == "invalid_client" or status == 401:
            return ConfigError(
                "Google rejected the OAuth client (invalid_client): check FITBIT_SYNC_CLIENT_ID and "
                f"FITBIT_SYNC_CLIENT_SECRET, see {README_CREDENTIALS}"
            )
        if status >= 500 or status == 429:
            return SourceError(f"{what} failed: {url} answered HTTP {status} after retries")
        detail = f": {description}" if description else ""
        return OAuthError(one_line(redact(f"{what} refused by Google ({code}{detail})", hidden)), error=code,
                          status=status)

    def close(self) -> None:
        self._http.close()


def _unreachable(what: str, url: str, exc: BaseException | None, hidden: tuple[str, ...]) -> SourceError:
    return SourceError(one_line(redact(f"{what} failed: cannot reach {url}: {type(exc).__name__}: {exc}", hidden)))


def _json_object(content: bytes | bytearray) -> dict[str, Any] | None:
    try:
        data = orjson.loads(content)
    except orjson.JSONDecodeError:
        return None
    return data if isinstance(data, dict) else None
