"""Google OAuth 2.0, as a Desktop-app client sees it: auth endpoint, token, revoke, tokeninfo.

- ``GET /o/oauth2/v2/auth`` consents automatically and redirects (302) to the loopback
  ``redirect_uri`` with ``state``, ``code`` and the granted ``scope``. Bad ``client_id`` or
  ``redirect_uri`` get Google's error page (no redirect), other bad requests a 400 page with the
  OAuth error code; a consent refusal (``set_consent(deny=True)``) redirects with
  ``error=access_denied``.
- ``POST /token`` handles ``authorization_code`` (PKCE: S256 or plain, verifier checked) and
  ``refresh_token``; errors are ``{"error": ..., "error_description": ...}`` with Google's codes.
- ``POST /revoke`` revokes a refresh or access token and everything issued with it.
- Access tokens (``ya29.emu-...``) live ``access_token_ttl`` seconds; refresh tokens
  (``1//emu-...``) never rotate, and in testing mode expire after 7 days
  (``refresh_token_expires_in``). All times come from the emulator clock.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

import orjson
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from fitbit_sync.emulator.config import EmulatorConfig
from fitbit_sync.emulator.datatypes import ALL_READ_SCOPES, HEALTH_SCOPES, OTHER_KNOWN_SCOPES
from fitbit_sync.emulator.errors import oauth_error, unauthenticated

_PKCE = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


@dataclass
class Grant:
    id: int
    client_id: str
    scopes: tuple[str, ...]
    created: float
    refresh_token: str | None
    refresh_expires: float | None  # testing mode only
    revoked: bool = False


@dataclass
class AccessToken:
    token: str
    grant: Grant
    scopes: tuple[str, ...]
    expires: float


@dataclass
class AuthCode:
    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    challenge: str | None
    method: str
    offline: bool
    expires: float
    used: bool = False


@dataclass
class ConsentSettings:
    deny: bool = False
    grant_only: tuple[str, ...] | None = None  # granular consent: the user unticks the rest


@dataclass
class _Store:
    grants: list[Grant] = field(default_factory=list)
    access: dict[str, AccessToken] = field(default_factory=dict)
    refresh: dict[str, Grant] = field(default_factory=dict)
    codes: dict[str, AuthCode] = field(default_factory=dict)
    granted: dict[str, set[str]] = field(default_factory=dict)  # client -> scopes ever granted


class OAuthServer:
    def __init__(self, config: EmulatorConfig, clock: Callable[[], float]) -> None:
        self.config = config
        self.clock = clock
        self.testing_mode = config.testing_mode_refresh_expiry
        self.access_token_ttl = config.access_token_ttl
        self.consent = ConsentSettings()
        self._lock = threading.Lock()
        self._store = _Store()
        self._next_grant = 1

    # -- helpers for tests and the control endpoint ------------------------------------------
    def issue(
        self,
        scopes: tuple[str, ...] | list[str] = ALL_READ_SCOPES,
        *,
        offline: bool = True,
        testing: bool | None = None,
        client_id: str | None = None,
    ) -> dict[str, Any]:
        """Mint tokens as if the user had consented (skips the browser step)."""
        with self._lock:
            return self._mint(client_id or self.config.client_id, tuple(scopes), offline, testing)

    def expire_access_tokens(self) -> int:
        now = self.clock()
        with self._lock:
            for tok in self._store.access.values():
                tok.expires = min(tok.expires, now)
            return len(self._store.access)

    def expire_refresh_tokens(self) -> int:
        """Make every refresh token fail with invalid_grant (as after the 7-day testing expiry)."""
        now = self.clock()
        with self._lock:
            for grant in self._store.grants:
                if grant.refresh_token:
                    grant.refresh_expires = now
            return len(self._store.grants)

    def revoke_all(self) -> None:
        with self._lock:
            for grant in self._store.grants:
                grant.revoked = True

    def set_consent(self, *, deny: bool = False, grant_only: list[str] | tuple[str, ...] | None = None) -> None:
        self.consent = ConsentSettings(deny, tuple(grant_only) if grant_only is not None else None)

    def describe(self) -> dict[str, Any]:
        now = self.clock()
        with self._lock:
            return {
                "grants": len(self._store.grants),
                "live_grants": sum(1 for g in self._store.grants if not g.revoked),
                "live_access_tokens": sum(
                    1 for t in self._store.access.values() if t.expires > now and not t.grant.revoked
                ),
                "testing_mode": self.testing_mode,
                "access_token_ttl": self.access_token_ttl,
                "consent": {"deny": self.consent.deny, "grant_only": self.consent.grant_only},
            }

    # -- bearer tokens on the data plane --------------------------------------------------------
    def check_bearer(self, token: str | None, method: str) -> AccessToken:
        if not token:
            raise unauthenticated("CREDENTIALS_MISSING", method)
        with self._lock:
            found = self._store.access.get(token)
        if found is None or found.grant.revoked:
            raise unauthenticated("ACCESS_TOKEN_TYPE_UNSUPPORTED", method)
        if found.expires <= self.clock():
            raise unauthenticated("ACCESS_TOKEN_EXPIRED", method)
        return found

    # -- endpoints ---------------------------------------------------------------------------------
    async def authorize(self, request: Request) -> Response:
        q = request.query_params
        client_id = q.get("client_id")
        redirect_uri = q.get("redirect_uri")
        if not client_id:
            return _error_page(400, "invalid_request", "Missing required parameter: client_id")
        if client_id != self.config.client_id:
            return _error_page(401, "invalid_client", "The OAuth client was not found.")
        if not redirect_uri:
            return _error_page(400, "invalid_request", "Missing required parameter: redirect_uri")
        if not self._redirect_allowed(redirect_uri):
            return _error_page(
                400,
                "redirect_uri_mismatch",
                "You can't sign in to this app because it doesn't comply with Google's OAuth 2.0 policy. "
                f"redirect_uri={redirect_uri}",
            )
        response_type = q.get("response_type")
        if not response_type:
            return _error_page(400, "invalid_request", "Required parameter is missing: response_type")
        if response_type != "code":
            return _error_page(400, "unsupported_response_type", f"Invalid response_type: {response_type}")
        scope = q.get("scope", "").split()
        if not scope:
            return _error_page(400, "invalid_request", "Missing required parameter: scope")
        unknown = [s for s in scope if s not in HEALTH_SCOPES and s not in OTHER_KNOWN_SCOPES]
        if unknown:
            return _error_page(400, "invalid_scope", f"Some requested scopes were invalid: {' '.join(unknown)}")
        access_type = q.get("access_type", "online")
        if access_type not in ("online", "offline"):
            return _error_page(400, "invalid_request", f"Invalid access_type: {access_type}")
        challenge = q.get("code_challenge")
        method = q.get("code_challenge_method")
        if challenge is None:
            if method is not None:
                return _error_page(400, "invalid_request", "code_challenge_method without code_challenge")
            if self.config.require_pkce:
                return _error_page(400, "invalid_request", "Missing required parameter: code_challenge (PKCE)")
        else:
            method = method or "plain"
            if method not in ("S256", "plain"):
                return _error_page(400, "invalid_request", f"Invalid code_challenge_method: {method}")
            if not _PKCE.match(challenge):
                return _error_page(400, "invalid_request", "Invalid code_challenge")
        state = q.get("state")

        if self.consent.deny:
            return _redirect(redirect_uri, {**({"state": state} if state else {}), "error": "access_denied"})
        granted = [s for s in scope if self.consent.grant_only is None or s in self.consent.grant_only]
        if q.get("include_granted_scopes") == "true":
            with self._lock:
                previous = self._store.granted.get(client_id, set())
            granted += [s for s in sorted(previous) if s not in granted]
        code = "4/0A" + secrets.token_urlsafe(40)
        with self._lock:
            self._store.codes[code] = AuthCode(
                client_id=client_id,
                redirect_uri=redirect_uri,
                scopes=tuple(granted),
                challenge=challenge,
                method=method or "plain",
                offline=access_type == "offline",
                expires=self.clock() + self.config.auth_code_ttl,
            )
        params = {**({"state": state} if state else {}), "code": code, "scope": " ".join(granted)}
        return _redirect(redirect_uri, params)

    async def token(self, request: Request) -> Response:
        form = await _form(request)
        client_id, secret = form.get("client_id"), form.get("client_secret")
        basic = _basic_auth(request)
        if basic is not None:
            client_id, secret = basic
        grant_type = form.get("grant_type")
        if not grant_type:
            return oauth_error("invalid_request", "Required parameter is missing: grant_type")
        if grant_type not in ("authorization_code", "refresh_token"):
            return oauth_error("unsupported_grant_type", f"Invalid grant_type: {grant_type}")
        if not client_id:
            return oauth_error("invalid_request", "Could not determine client ID from request.")
        if client_id != self.config.client_id:
            return oauth_error("invalid_client", "The OAuth client was not found.", 401)
        if not secret:
            return oauth_error("invalid_request", "client_secret is missing.")
        if not secrets.compare_digest(secret, self.config.client_secret):
            return oauth_error("invalid_client", "Unauthorized", 401)
        if grant_type == "authorization_code":
            return self._exchange_code(form, client_id)
        return self._refresh(form, client_id)

    def _exchange_code(self, form: dict[str, str], client_id: str) -> Response:
        code = form.get("code")
        if not code:
            return oauth_error("invalid_request", "Missing required parameter: code")
        redirect_uri = form.get("redirect_uri")
        if not redirect_uri:
            return oauth_error("invalid_request", "Missing parameter: redirect_uri")
        with self._lock:
            auth = self._store.codes.get(code)
            if auth is None:
                return oauth_error("invalid_grant", "Malformed auth code.")
            if auth.used or auth.expires <= self.clock() or auth.client_id != client_id:
                return oauth_error("invalid_grant", "Bad Request")
            if auth.redirect_uri != redirect_uri:
                return oauth_error("redirect_uri_mismatch", "Bad Request")
            verifier = form.get("code_verifier")
            if auth.challenge is not None:
                if not verifier:
                    return oauth_error("invalid_grant", "Missing code verifier.")
                if not _PKCE.match(verifier) or not secrets.compare_digest(
                    _challenge(verifier, auth.method), auth.challenge
                ):
                    return oauth_error("invalid_grant", "Invalid code verifier.")
            elif verifier:
                return oauth_error("invalid_grant", "code_verifier sent but no code_challenge was used.")
            auth.used = True
            body = self._mint(client_id, auth.scopes, auth.offline, None)
        return _json(body)

    def _refresh(self, form: dict[str, str], client_id: str) -> Response:
        token = form.get("refresh_token")
        if not token:
            return oauth_error("invalid_request", "Missing required parameter: refresh_token")
        now = self.clock()
        with self._lock:
            grant = self._store.refresh.get(token)
            if grant is None or grant.revoked:
                return oauth_error("invalid_grant", "Token has been expired or revoked.")
            if grant.refresh_expires is not None and grant.refresh_expires <= now:
                return oauth_error("invalid_grant", "Token has been expired or revoked.")
            if grant.client_id != client_id:
                return oauth_error("unauthorized_client", "Unauthorized")
            scopes = grant.scopes
            if form.get("scope"):
                wanted = tuple(form["scope"].split())
                if not set(wanted) <= set(grant.scopes):
                    return oauth_error("invalid_scope", "Some requested scopes were invalid.")
                scopes = wanted
            body = self._access_body(grant, scopes)
            if grant.refresh_expires is not None:
                body["refresh_token_expires_in"] = max(0, int(grant.refresh_expires - now) - 1)
        return _json(body)

    async def revoke(self, request: Request) -> Response:
        form = await _form(request)
        token = form.get("token") or request.query_params.get("token")
        if not token:
            return oauth_error("invalid_request", "Missing required parameter: token")
        with self._lock:
            grant = self._store.refresh.get(token)
            if grant is None and token in self._store.access:
                grant = self._store.access[token].grant
            if grant is None or grant.revoked:
                return oauth_error("invalid_token", "Token expired or revoked")
            grant.revoked = True
        return Response(b"{}", media_type="application/json; charset=utf-8")

    async def tokeninfo(self, request: Request) -> Response:
        form = await _form(request)
        token = request.query_params.get("access_token") or form.get("access_token")
        with self._lock:
            found = self._store.access.get(token or "")
        now = self.clock()
        if found is None or found.grant.revoked or found.expires <= now:
            return oauth_error("invalid_token", "Invalid Value")
        return _json(
            {
                "azp": found.grant.client_id,
                "aud": found.grant.client_id,
                "scope": " ".join(found.scopes),
                "exp": str(int(found.expires)),
                "expires_in": str(int(found.expires - now)),
                "access_type": "offline" if found.grant.refresh_token else "online",
            }
        )

    # -- internals ----------------------------------------------------------------------------
    def _redirect_allowed(self, uri: str) -> bool:
        if uri in self.config.allowed_redirect_uris:
            return True
        if not self.config.allow_loopback_redirects:
            return False
        try:
            parts = urlsplit(uri)
            _ = parts.port  # raises ValueError on a malformed port
        except ValueError:
            return False
        return parts.scheme == "http" and (parts.hostname or "") in LOOPBACK_HOSTS and not parts.fragment

    def _mint(self, client_id: str, scopes: tuple[str, ...], offline: bool, testing: bool | None) -> dict[str, Any]:
        now = self.clock()
        testing = self.testing_mode if testing is None else testing
        refresh = "1//emu-" + secrets.token_urlsafe(40) if offline else None
        grant = Grant(
            id=self._next_grant,
            client_id=client_id,
            scopes=scopes,
            created=now,
            refresh_token=refresh,
            refresh_expires=now + self.config.testing_refresh_ttl if testing and refresh else None,
        )
        self._next_grant += 1
        self._store.grants.append(grant)
        self._store.granted.setdefault(client_id, set()).update(scopes)
        if refresh:
            self._store.refresh[refresh] = grant
            live = [g for g in self._store.grants if g.refresh_token and not g.revoked and g.client_id == client_id]
            for old in live[: max(0, len(live) - self.config.max_refresh_tokens)]:
                old.revoked = True
        body = self._access_body(grant, scopes)
        if refresh:
            body["refresh_token"] = refresh
            if grant.refresh_expires is not None:
                body["refresh_token_expires_in"] = self.config.testing_refresh_ttl - 1
        return body

    def _access_body(self, grant: Grant, scopes: tuple[str, ...]) -> dict[str, Any]:
        """A token response with a new access token for ``scopes`` of ``grant`` (no refresh token yet)."""
        access = self._new_access(grant, scopes)
        return {"access_token": access.token, "expires_in": self.access_token_ttl - 1, "scope": " ".join(scopes),
                "token_type": "Bearer"}

    def _new_access(self, grant: Grant, scopes: tuple[str, ...]) -> AccessToken:
        now = self.clock()
        # Drop long-dead tokens so a long benchmark does not grow the table without bound.
        if len(self._store.access) > 5000:
            self._store.access = {k: v for k, v in self._store.access.items() if v.expires > now - 86400}
        token = AccessToken("ya29.emu-" + secrets.token_urlsafe(48), grant, scopes, now + self.access_token_ttl)
        self._store.access[token.token] = token
        return token


def _challenge(verifier: str, method: str) -> str:
    if method == "plain":
        return verifier
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")


def pkce_pair() -> tuple[str, str]:
    """A fresh (verifier, S256 challenge) pair; handy for tests."""
    verifier = secrets.token_urlsafe(48)
    return verifier, _challenge(verifier, "S256")


async def _form(request: Request) -> dict[str, str]:
    body = await request.body()
    ctype = request.headers.get("content-type", "")
    if "application/json" in ctype:
        try:
            data = orjson.loads(body or b"{}")
        except orjson.JSONDecodeError:
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
    try:
        return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    except UnicodeDecodeError:
        return {}


def _basic_auth(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    return unquote(user), unquote(password)


def _json(body: dict[str, Any]) -> Response:
    return Response(
        orjson.dumps(body),
        media_type="application/json; charset=utf-8",
        headers={"Cache-Control": "no-cache, no-store, max-age=0, must-revalidate", "Pragma": "no-cache"},
    )


def _redirect(uri: str, params: dict[str, str]) -> Response:
    sep = "&" if "?" in uri else "?"
    return RedirectResponse(uri + sep + urlencode(params), status_code=302)


def _error_page(status: int, error: str, description: str) -> Response:
    text = html.escape(description)
    return HTMLResponse(
        f"<!DOCTYPE html><html><head><title>Error {status}: {error}</title></head><body>"
        f"<h1>Access blocked: Authorization Error</h1><p>{text}</p>"
        f"<p>Error {status}: {error}</p></body></html>",
        status_code=status,
    )
