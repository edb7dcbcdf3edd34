"""The "browser" of ``fitbit-sync auth`` in the reliability tier (``BROWSER="python rel_browser.py %s"``).

It asks the emulator's consent page for the authorization URL, notes every TCP socket the
``fitbit-sync`` process (its parent) is listening on, and then delivers the redirect to the
loopback server as ``$REL_BROWSER_MODE`` says:

- ``honest``: the redirect as Google sent it;
- ``forged-state``: the same code with another ``state``;
- ``no-state``: the code without ``state``;
- ``attacker-first``: first a forged redirect (random code and state), then the real one.

What it saw goes to ``$REL_BROWSER_REPORT`` as JSON.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import httpx


def listening_sockets(pid: int) -> list[str]:
    """``host:port`` of every listening TCP socket of process ``pid`` (IPv4 and IPv6)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = []
    for table, family in (("/proc/net/tcp", socket.AF_INET), ("/proc/net/tcp6", socket.AF_INET6)):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] != "0A" or fields[9] not in inodes:  # 0A: LISTEN
                continue
            address, port = fields[1].split(":")
            raw = bytes.fromhex(address)
            if family == socket.AF_INET:
                host = socket.inet_ntop(family, raw[::-1])
            else:  # four little-endian 32-bit words
                host = socket.inet_ntop(family, b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4)))
            found.append(f"{host}:{int(port, 16)}")
    return found


def reach_from_outside(listening: list[str]) -> str:
    """Whether a listening socket is reachable from another host, judged from its bound address
    alone: this workplace allows no test traffic to any address but loopback, so nothing is sent."""
    exposed = [a for a in listening if not a.startswith(("127.", "[::1]", "::1"))]
    return f"exposed: {', '.join(exposed)}" if exposed else "bound to loopback only"


def with_query(url: str, **changes: str | None) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    for key, value in changes.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = value
    return urlunsplit(parts._replace(query=urlencode(query)))


def main(url: str) -> None:
    mode = os.environ.get("REL_BROWSER_MODE", "honest")
    listening = listening_sockets(os.getppid())
    report: dict[str, object] = {"mode": mode, "listening": listening,
                                 "outside": reach_from_outside(listening)}
    consent = httpx.get(url, follow_redirects=False, timeout=30)
    redirect = consent.headers["Location"]
    report["redirect_host"] = urlsplit(redirect).hostname
    if mode == "forged-state":
        redirect = with_query(redirect, state=secrets.token_urlsafe(16))
    elif mode == "no-state":
        redirect = with_query(redirect, state=None)
    elif mode == "attacker-first":
        forged = with_query(redirect, code="4/0A" + secrets.token_urlsafe(30), state=secrets.token_urlsafe(16))
        report["forged_status"] = httpx.get(forged, timeout=30).status_code
    try:
        report["status"] = httpx.get(redirect, timeout=30).status_code
    except httpx.HTTPError as exc:  # the one-shot server already took the forged redirect
        report["status"] = type(exc).__name__
    Path(os.environ["REL_BROWSER_REPORT"]).write_text(json.dumps(report))


if __name__ == "__main__":
    main(sys.argv[1])
