"""Google's OAuth token endpoints over httpx: code exchange, refresh and revoke.

Transient failures (network, 429, 5xx) are retried a few times; OAuth errors come back as
``OAuthError`` carrying Google's ``error`` code so callers can map ``invalid_grant``. No message
ever contains a token, the code verifier or the client secret.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

import httpx
import orjson

from fitbit_sync import __version__
from fitbit_sync.auth.legacy import README_CREDENTIALS, check_settings
from fitbit_sync.config import Settings
from fitbit_sync.errors import ConfigError, FitbitSyncError, SourceError
from fitbit_sync.redact import one_line, redact
from fitbit_sync.sources.google_health.retry import (
    RetryPolicy,
    is_retryable_exception,
    is_retryable_status,
    parse_retry_after,
)

log = logging.getLogger(__name__)

USER_AGENT = f"fitbit-sync/{__version__}"
OAUTH_RETRIES = 3


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


class OAuthClient:
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
        self._policy = policy or RetryPolicy(max_retries=min(OAUTH_RETRIES, settings.max_retries), cap=10.0)
        self._http = httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(settings.request_timeout),
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
        )

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
        retry = 0
        while True:
            wait: float | None = None
            try:
                response = self._http.post(url, data=form)
            except httpx.HTTPError as exc:
                if not is_retryable_exception(exc) or not self._policy.should_retry(retry):
                    raise SourceError(one_line(redact(
                        f"{what} failed: cannot reach {url}: {type(exc).__name__}: {exc}", hidden))) from None
                log.info("%s: %s, retrying", what, type(exc).__name__)
            else:
                if response.is_success:
                    if not expect_json:
                        return {}
                    body = _json_object(response.content)
                    if body is not None:
                        return body
                    if not self._policy.should_retry(retry):
                        raise SourceError(f"{what} failed: {url} answered HTTP {response.status_code} "
                                          "with a body that is not JSON")
                    log.info("%s: malformed JSON answer, retrying", what)
                elif is_retryable_status(response.status_code) and self._policy.should_retry(retry):
                    wait = parse_retry_after(response.headers.get("Retry-After"))
                    log.info("%s: HTTP %d, retrying", what, response.status_code)
                else:
                    raise self._error(response, what, url, hidden)
            self._sleep(self._policy.delay(retry, wait))
            retry += 1

    @staticmethod
    def _error(response: httpx.Response, what: str, url: str, hidden: tuple[str, ...]) -> FitbitSyncError:
        status = response.status_code
        body = _json_object(response.content) or {}
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

    def __enter__(self) -> OAuthClient:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def _json_object(content: bytes) -> dict[str, Any] | None:
    try:
        data = orjson.loads(content)
    except orjson.JSONDecodeError:
        return None
    return data if isinstance(data, dict) else None
