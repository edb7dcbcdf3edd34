"""PKCE (RFC 7636, S256) verifier/challenge pairs and the OAuth ``state`` nonce."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass

_VERIFIER_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def challenge_for(verifier: str) -> str:
    """The S256 code challenge: BASE64URL(SHA256(ASCII(verifier))) without padding."""
    if not 43 <= len(verifier) <= 128 or not set(verifier) <= _VERIFIER_CHARS:
        raise ValueError("a PKCE code verifier is 43-128 characters of [A-Za-z0-9-._~]")
    return _b64url(hashlib.sha256(verifier.encode("ascii")).digest())


@dataclass(frozen=True, slots=True)
class PkcePair:
    """A fresh code verifier (kept secret until the code exchange) and its S256 challenge."""

    verifier: str
    challenge: str
    method: str = "S256"

    @classmethod
    def generate(cls) -> PkcePair:
        verifier = _b64url(secrets.token_bytes(64))  # 86 characters, 512 bits of entropy
        return cls(verifier=verifier, challenge=challenge_for(verifier))

    def __repr__(self) -> str:  # never show the verifier
        return f"PkcePair(challenge={self.challenge!r}, method={self.method!r})"


def new_state() -> str:
    """An unguessable ``state`` value binding the browser redirect to this run (CSRF guard)."""
    return secrets.token_urlsafe(24)
