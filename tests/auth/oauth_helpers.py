"""The user's browser in the auth tests: consent at the emulator, scripted (settings that point at
the emulator are ``support.emulator``)."""

from __future__ import annotations

import httpx


def browser(url: str) -> bool:
    """The user's browser: Google (the emulator) consents and redirects to the loopback server."""
    response = httpx.get(url, follow_redirects=True, timeout=10)
    response.raise_for_status()
    return True


def redirect_of(url: str) -> str:
    """What the address bar shows after consent on a machine where nothing listens on the port."""
    response = httpx.get(url, follow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text
    return response.headers["Location"]
