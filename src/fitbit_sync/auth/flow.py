"""The interactive consent: Google OAuth 2.0 authorization code flow with PKCE (S256).

``authorize()`` builds the authorization URL (client id, loopback redirect, offline access,
consent prompt, every scope of ``catalog.ALL_SCOPES``, ``state``, S256 challenge), opens the
browser and catches the redirect on 127.0.0.1 — or, with ``no_browser``, prints the URL and reads
the redirect address the user pastes back — checks ``state``, exchanges the code and stores the
tokens. Nothing is stored unless every step succeeded.
"""

from __future__ import annotations

import contextlib
import socket
import time
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from fitbit_sync import catalog
from fitbit_sync.auth.legacy import LegacyFitbitError
from fitbit_sync.auth.loopback import LOOPBACK_HOST, Callback, LoopbackServer, parse_callback
from fitbit_sync.auth.oauth import OAuthClient, OAuthError, require_client
from fitbit_sync.auth.pkce import PkcePair, new_state
from fitbit_sync.auth.tokens import TokenFileError, TokenSet, TokenStore
from fitbit_sync.config import Settings
from fitbit_sync.errors import AuthRequiredError

BROWSER_TIMEOUT_S = 300.0
AGAIN = "run `fitbit-sync auth` again"


@dataclass(frozen=True, slots=True)
class AuthResult:
    tokens: TokenSet
    missing_scopes: tuple[str, ...]
    set_aside: str | None = None  # where an unusable previous token file was moved


def build_auth_url(settings: Settings, *, redirect_uri: str, state: str, pkce: PkcePair) -> str:
    """Google's authorization URL for this client, redirect and PKCE challenge."""
    params = {
        "client_id": settings.client_id.strip(),
        "redirect_uri": redirect_uri,
        "response_type": "code",
        "scope": " ".join(catalog.ALL_SCOPES),
        "access_type": "offline",
        "prompt": "consent",
        "state": state,
        "code_challenge": pkce.challenge,
        "code_challenge_method": pkce.method,
    }
    return f"{settings.auth_url}?{urlencode(params)}"


def short_scope(scope: str) -> str:
    return scope.removeprefix(catalog.SCOPE_PREFIX)


def free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK_HOST, 0))
        return int(sock.getsockname()[1])


def check_callback(callback: Callback | None, state: str) -> str:
    """The authorization code of a redirect that answers *this* request; one-line errors otherwise."""
    if callback is None:
        raise AuthRequiredError(
            "that is not the redirect address: paste the whole address from the browser's address bar "
            f"(it starts with http://{LOOPBACK_HOST}: and contains code= and state=); {AGAIN}"
        )
    if callback.state != state:
        raise AuthRequiredError(
            "the redirect does not belong to this sign-in (state mismatch, possible cross-site request "
            f"forgery); nothing was stored: {AGAIN}"
        )
    if callback.error:
        hint = " and allow access" if callback.error == "access_denied" else ""
        raise AuthRequiredError(f"Google did not grant access ({callback.error}): {AGAIN}{hint}")
    if not callback.code:
        raise AuthRequiredError(f"the redirect carries no authorization code: {AGAIN}")
    return callback.code


def authorize(
    settings: Settings,
    store: TokenStore | None = None,
    *,
    no_browser: bool = False,
    open_browser: Callable[[str], object] | None = None,
    prompt: Callable[[str], str] | None = None,
    echo: Callable[[str], None] = print,
    timeout: float = BROWSER_TIMEOUT_S,
    oauth: OAuthClient | None = None,
    now: Callable[[], float] = time.time,
) -> AuthResult:
    """Run the consent flow and store the tokens; returns them and any scopes the user withheld."""
    require_client(settings)
    store = store or TokenStore(settings.token_file)
    open_browser = open_browser or webbrowser.open  # looked up now, so tests can replace them
    prompt = prompt or input
    pkce, state = PkcePair.generate(), new_state()

    if no_browser:
        redirect_uri = f"http://{LOOPBACK_HOST}:{free_loopback_port()}/"
        url = build_auth_url(settings, redirect_uri=redirect_uri, state=state, pkce=pkce)
        echo("Open this address in a browser on any machine and sign in with Google:")
        echo(f"  {url}")
        echo(f"The browser then tries to load http://{LOOPBACK_HOST}:... and shows an error page: that is "
             "expected. Copy the whole address from its address bar and paste it here.")
        try:
            pasted = prompt("Redirect address: ")
        except EOFError:  # stdin closed: run without a terminal
            raise AuthRequiredError(
                "no redirect address was pasted (standard input is closed): run `fitbit-sync auth --no-browser` "
                "in a terminal"
            ) from None
        callback = parse_callback(pasted.strip())
    else:
        with LoopbackServer(expected_state=state) as server:
            redirect_uri = server.redirect_uri
            url = build_auth_url(settings, redirect_uri=redirect_uri, state=state, pkce=pkce)
            echo("Opening your browser to sign in with Google. If it does not open, visit:")
            echo(f"  {url}")
            with contextlib.suppress(Exception):  # no browser is fine: the URL is printed
                open_browser(url)
            callback = server.wait(timeout)
            if callback is None:
                raise AuthRequiredError(
                    f"no answer from the browser within {timeout:.0f} s: {AGAIN}, or use "
                    "`fitbit-sync auth --no-browser` on a machine without a browser"
                )

    code = check_callback(callback, state)
    started = now()
    own_client = oauth is None
    client = oauth or OAuthClient(settings)
    try:
        data = client.exchange_code(code, verifier=pkce.verifier, redirect_uri=redirect_uri)
    except OAuthError as err:
        raise AuthRequiredError(f"Google refused the authorization code ({err.error}): {AGAIN}") from None
    finally:
        if own_client:
            client.close()
    tokens = TokenSet.from_response(data, now=started, client_id=settings.client_id.strip())
    if tokens.refresh_token is None:
        raise AuthRequiredError(f"Google sent no refresh token, so the access would end within an hour: {AGAIN}")
    moved = _store(store, tokens)
    missing = tuple(s for s in catalog.ALL_SCOPES if s not in tokens.scopes) if tokens.scopes else ()
    return AuthResult(tokens=tokens, missing_scopes=missing, set_aside=moved)


def _store(store: TokenStore, tokens: TokenSet) -> str | None:
    """Save under the lock; an unusable old file is renamed aside (kept), never overwritten."""
    moved = None
    with store.lock():
        try:
            store.load()
        except (TokenFileError, LegacyFitbitError):
            moved = str(store.set_aside())
        store.save(tokens)
    return moved
