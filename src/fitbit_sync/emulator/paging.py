"""Opaque page tokens bound to the query that produced them.

A token carries a cursor (where the next page starts) and a fingerprint of the request fields
that must not change between pages (data type, method, filter, data source family, rollup
range and window). It is URL-safe base64 with a short MAC, so a token from another query or a
hand-edited one is rejected with 400 INVALID_ARGUMENT, as Google does.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

import orjson

from fitbit_sync.emulator.errors import invalid_argument


def fingerprint(*parts: object) -> str:
    return hashlib.sha256(orjson.dumps([str(p) for p in parts])).hexdigest()[:16]


class PageTokens:
    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def encode(self, query: str, cursor: list[Any]) -> str:
        payload = orjson.dumps([query, cursor])
        mac = hmac.new(self._secret, payload, hashlib.sha256).digest()[:8]
        return base64.urlsafe_b64encode(payload + mac).decode().rstrip("=")

    def decode(self, query: str, token: str) -> list[Any]:
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            payload, mac = raw[:-8], raw[-8:]
            if not hmac.compare_digest(mac, hmac.new(self._secret, payload, hashlib.sha256).digest()[:8]):
                raise ValueError("bad mac")
            token_query, cursor = orjson.loads(payload)
        except (ValueError, TypeError, orjson.JSONDecodeError):
            raise invalid_argument("Invalid page token.", "INVALID_PAGE_TOKEN") from None
        if token_query != query:
            raise invalid_argument(
                "The page token does not match the request: all other request fields must stay the same "
                "as in the request that returned it.",
                "INVALID_PAGE_TOKEN",
            )
        if not isinstance(cursor, list):
            raise invalid_argument("Invalid page token.", "INVALID_PAGE_TOKEN")
        return cursor
