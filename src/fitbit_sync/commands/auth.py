"""``fitbit-sync auth``: sign in with Google (PKCE, loopback or pasted redirect), show or revoke."""

from __future__ import annotations

import time
from datetime import datetime

import typer

from fitbit_sync import catalog
from fitbit_sync.auth.flow import authorize, short_scope
from fitbit_sync.auth.oauth import OAuthClient, require_client
from fitbit_sync.auth.tokens import StoredTokenProvider, TokenStore
from fitbit_sync.config import Settings, load_settings
from fitbit_sync.errors import AuthRequiredError, ConfigError


def _when(epoch: float) -> str:
    return datetime.fromtimestamp(epoch).astimezone().strftime("%Y-%m-%d %H:%M %Z")


def _in(seconds: float) -> str:
    if seconds <= 0:
        return "expired"
    if seconds < 5400:
        return f"in {seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"in {seconds / 3600:.1f} h"
    return f"in {seconds / 86400:.1f} days"


def show_status(settings: Settings) -> None:
    require_client(settings)
    store = TokenStore(settings.token_file)
    tokens = store.load()
    if tokens is None:
        raise AuthRequiredError(f"no Google token yet ({store.path} does not exist): run `fitbit-sync auth`")
    now = time.time()
    typer.echo(f"token file:      {store.path}")
    typer.echo(f"obtained:        {_when(tokens.obtained_at)}")
    typer.echo(f"access token:    expires {_when(tokens.expires_at)} ({_in(tokens.expires_at - now)}; "
               "refreshed automatically)")
    if tokens.refresh_failed:
        typer.echo(f"refresh token:   refused by Google ({tokens.refresh_failed})")
    elif tokens.refresh_token_expires_at is not None:
        left = tokens.refresh_token_expires_at - now
        typer.echo(f"refresh token:   expires {_when(tokens.refresh_token_expires_at)} ({_in(left)}): the OAuth "
                   "app is in Testing; publish it and run `fitbit-sync auth` for a lasting token")
    else:
        typer.echo("refresh token:   no expiry announced")
    granted = [short_scope(s) for s in tokens.scopes]
    typer.echo(f"granted scopes:  {', '.join(granted) if granted else '(not reported)'}")
    missing = [short_scope(s) for s in catalog.ALL_SCOPES if tokens.scopes and s not in tokens.scopes]
    if missing:
        typer.echo(f"missing scopes:  {', '.join(missing)} (data needing them is skipped; run "
                   "`fitbit-sync auth` and allow all)")
    # the same checks a sync makes (refused refresh token, token of another client): same exit code
    StoredTokenProvider(settings, store).tokens()


def revoke(settings: Settings) -> None:
    require_client(settings)
    store = TokenStore(settings.token_file)
    with store.lock():
        tokens = store.load()
        if tokens is None:
            typer.echo(f"no token file at {store.path}: nothing to revoke")
            return
        secret = tokens.refresh_token or tokens.access_token
        with OAuthClient(settings) as oauth:
            revoked = oauth.revoke(secret.get_secret_value())  # raises, keeping the file, on failure
        store.delete()
    if revoked:
        typer.echo(f"access revoked at Google; removed {store.path}")
    else:
        typer.echo(f"Google no longer knew this token (already revoked or expired); removed {store.path}")


def login(settings: Settings, *, no_browser: bool) -> None:
    result = authorize(settings, no_browser=no_browser, echo=typer.echo)
    if result.set_aside:
        typer.echo(f"the previous token file was unusable and is kept as {result.set_aside}")
    typer.echo(f"signed in; tokens saved to {settings.token_file} (mode 0600)")
    if result.missing_scopes:
        names = ", ".join(short_scope(s) for s in result.missing_scopes)
        typer.echo(f"warning: Google granted only part of the access; missing: {names}. Data needing them "
                   "is skipped; run `fitbit-sync auth` again and allow all to fix.")


def register(app: typer.Typer) -> None:
    @app.command("auth")
    def auth_command(
        no_browser: bool = typer.Option(False, "--no-browser",
                                        help="print the URL and paste the redirect address back (headless)"),
        revoke_: bool = typer.Option(False, "--revoke", help="revoke the grant at Google and delete the token"),
        status: bool = typer.Option(False, "--status", help="show token expiry and granted scopes"),
    ) -> None:
        """Sign in with Google (OAuth 2.0 + PKCE) and store the tokens; or show / revoke them."""
        if revoke_ and status:
            raise ConfigError("use either --revoke or --status, not both")
        settings = load_settings()
        if status:
            show_status(settings)
        elif revoke_:
            revoke(settings)
        else:
            login(settings, no_browser=no_browser)
