"""Google OAuth 2.0 for fitbit-sync: PKCE + loopback consent, the token file, refreshing tokens.

Public names: ``authorize`` (the consent flow), ``TokenStore`` / ``TokenSet`` (the 0600 token
file), ``TokenProvider`` (protocol the API client uses), ``StoredTokenProvider`` and
``open_token_provider(settings)`` (refreshing provider for a sync), ``OAuthClient`` (token
endpoints).
"""

from fitbit_sync.auth.flow import AuthResult, authorize, build_auth_url
from fitbit_sync.auth.legacy import LegacyFitbitError
from fitbit_sync.auth.oauth import OAuthClient, OAuthError, require_client
from fitbit_sync.auth.tokens import (
    StoredTokenProvider,
    TokenFileError,
    TokenProvider,
    TokenSet,
    TokenStore,
    open_token_provider,
)

__all__ = [
    "AuthResult",
    "LegacyFitbitError",
    "OAuthClient",
    "OAuthError",
    "StoredTokenProvider",
    "TokenFileError",
    "TokenProvider",
    "TokenSet",
    "TokenStore",
    "authorize",
    "build_auth_url",
    "open_token_provider",
    "require_client",
]
