"""The one-shot loopback server: 127.0.0.1 only, captures code/state/error, answers the tab."""

from __future__ import annotations

import socket

import httpx
import pytest

from fitbit_sync.auth.loopback import LoopbackServer, parse_callback


def test_listens_on_127_0_0_1_only_and_captures_the_code(capfd: pytest.CaptureFixture[str]) -> None:
    with LoopbackServer(expected_state="s1") as server:
        assert server.host == "127.0.0.1"
        assert server.redirect_uri == f"http://127.0.0.1:{server.port}/"
        # another loopback address of this machine is not served: the socket is bound to 127.0.0.1
        with pytest.raises(OSError), socket.create_connection(("127.0.0.2", server.port), timeout=2):
            pass
        assert server.wait(0.05) is None
        page = httpx.get(server.redirect_uri + "?code=4/secret-code&state=s1&scope=a+b")
        assert page.status_code == 200
        assert "close this tab" in page.text
        result = server.wait(5)
    assert result is not None
    assert (result.code, result.state, result.error) == ("4/secret-code", "s1", None)
    assert "secret-code" not in repr(result)
    out, err = capfd.readouterr()
    assert "secret-code" not in out + err  # http.server's request log is silenced


def test_ignores_stray_requests_and_keeps_the_first_redirect() -> None:
    with LoopbackServer(expected_state="s") as server:
        assert httpx.get(server.redirect_uri + "favicon.ico").status_code == 404
        assert server.wait(0.05) is None
        httpx.get(server.redirect_uri + "?error=access_denied&state=s")
        httpx.get(server.redirect_uri + "?code=late&state=s")
        result = server.wait(5)
    assert result is not None and result.error == "access_denied" and result.code is None


def test_state_mismatch_is_shown_to_the_browser() -> None:
    with LoopbackServer(expected_state="good") as server:
        page = httpx.get(server.redirect_uri + "?code=c&state=evil")
        assert page.status_code == 400
        assert "state mismatch" in page.text
        result = server.wait(5)
    assert result is not None and result.state == "evil"


def test_port_is_released_after_close() -> None:
    server = LoopbackServer()
    port = server.port
    server.close()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


@pytest.mark.parametrize(
    ("text", "code", "state", "error"),
    [
        ("http://127.0.0.1:5555/?code=abc&state=xyz&scope=s", "abc", "xyz", None),
        ("?code=abc&state=xyz", "abc", "xyz", None),
        ("code=abc&state=xyz", "abc", "xyz", None),
        ("http://127.0.0.1:5555/?error=access_denied&state=xyz", None, "xyz", "access_denied"),
    ],
)
def test_parse_callback(text: str, code: str | None, state: str, error: str | None) -> None:
    result = parse_callback(text)
    assert result is not None
    assert (result.code, result.state, result.error) == (code, state, error)


@pytest.mark.parametrize("text", ["", "abc", "http://127.0.0.1:5555/", "http://127.0.0.1:5555/?state=x"])
def test_parse_callback_without_code_or_error(text: str) -> None:
    assert parse_callback(text) is None
