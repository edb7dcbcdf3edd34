"""Google OAuth 2.0 over real HTTP: auth endpoint, PKCE, token, refresh, expiry, revocation."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from fitbit_sync.emulator.datatypes import ALL_READ_SCOPES, SCOPE_PREFIX
from fitbit_sync.emulator.oauth import pkce_pair
from fitbit_sync.emulator.testing import EmulatorServer

REDIRECT = "http://127.0.0.1:8123/callback"
SLEEP = SCOPE_PREFIX + "sleep.readonly"
ACTIVITY = SCOPE_PREFIX + "activity_and_fitness.readonly"


def authorize(server: EmulatorServer, **overrides: Any) -> httpx.Response:
    verifier, challenge = pkce_pair()
    params = {
        "client_id": server.client_id,
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scope": " ".join(ALL_READ_SCOPES),
        "access_type": "offline",
        "state": "s-123",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "prompt": "consent",
    }
    params.update(overrides)
    params = {k: v for k, v in params.items() if v is not None}
    response = httpx.get(server.auth_url, params=params)
    response.verifier = verifier  # type: ignore[attr-defined]
    return response


def redirect_query(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(REDIRECT.split("/callback")[0]) or location.startswith("http://localhost")
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def exchange(server: EmulatorServer, code: str, verifier: str | None, **overrides: Any) -> httpx.Response:
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": server.client_id,
        "client_secret": server.client_secret,
        "redirect_uri": REDIRECT,
        "code_verifier": verifier,
    }
    data.update(overrides)
    return httpx.post(server.token_url, data={k: v for k, v in data.items() if v is not None})


def refresh(server: EmulatorServer, token: str) -> httpx.Response:
    return httpx.post(
        server.token_url,
        data={
            "grant_type": "refresh_token",
            "refresh_token": token,
            "client_id": server.client_id,
            "client_secret": server.client_secret,
        },
    )


def identity(server: EmulatorServer, access_token: str) -> httpx.Response:
    return httpx.get(server.api_root + "/users/me/identity", headers={"Authorization": f"Bearer {access_token}"})


def test_full_flow_with_pkce(emulator: EmulatorServer) -> None:
    auth = authorize(emulator)
    query = redirect_query(auth)
    assert query["state"] == "s-123" and query["code"].startswith("4/0A")
    assert query["scope"].split() == list(ALL_READ_SCOPES)
    token = exchange(emulator, query["code"], auth.verifier)  # type: ignore[attr-defined]
    assert token.status_code == 200, token.text
    body = token.json()
    assert body["access_token"].startswith("ya29.emu-") and body["refresh_token"].startswith("1//emu-")
    assert body["expires_in"] == 3599 and body["token_type"] == "Bearer"
    assert "refresh_token_expires_in" not in body
    assert identity(emulator, body["access_token"]).status_code == 200
    again = refresh(emulator, body["refresh_token"])
    assert again.status_code == 200 and "refresh_token" not in again.json()  # never rotated
    assert refresh(emulator, body["refresh_token"]).status_code == 200  # reusable
    info = httpx.get(emulator.base_url + "/tokeninfo", params={"access_token": again.json()["access_token"]}).json()
    assert info["aud"] == emulator.client_id and info["access_type"] == "offline"


def test_wrong_or_missing_verifier_is_invalid_grant(emulator: EmulatorServer) -> None:
    auth = authorize(emulator)
    code = redirect_query(auth)["code"]
    wrong = exchange(emulator, code, auth.verifier[:-1] + ("A" if auth.verifier[-1] != "A" else "B"))  # type: ignore[attr-defined]
    assert wrong.status_code == 400 and wrong.json() == {
        "error": "invalid_grant",
        "error_description": "Invalid code verifier.",
    }
    missing = exchange(emulator, code, None)
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_grant"
    assert exchange(emulator, code, auth.verifier).status_code == 200  # type: ignore[attr-defined]
    reused = exchange(emulator, code, auth.verifier)  # type: ignore[attr-defined]
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"


def test_code_is_bound_to_redirect_uri_and_expires(emulator: EmulatorServer) -> None:
    auth = authorize(emulator)
    code = redirect_query(auth)["code"]
    other = exchange(emulator, code, auth.verifier, redirect_uri="http://127.0.0.1:9999/callback")  # type: ignore[attr-defined]
    assert other.status_code == 400 and other.json()["error"] == "redirect_uri_mismatch"
    emulator.state.advance_clock(601)
    late = exchange(emulator, code, auth.verifier)  # type: ignore[attr-defined]
    assert late.status_code == 400 and late.json()["error"] == "invalid_grant"
    garbage = exchange(emulator, "4/0Anot-a-code", auth.verifier)  # type: ignore[attr-defined]
    assert garbage.json()["error"] == "invalid_grant"


def test_plain_pkce_and_online_access(emulator: EmulatorServer) -> None:
    verifier = "v" * 50
    auth = authorize(emulator, code_challenge=verifier, code_challenge_method="plain", access_type=None)
    body = exchange(emulator, redirect_query(auth)["code"], verifier).json()
    assert "refresh_token" not in body and body["access_token"]


@pytest.mark.parametrize(
    ("overrides", "status", "error"),
    [
        ({"client_id": "someone-else.apps.googleusercontent.com"}, 401, "invalid_client"),
        ({"client_id": None}, 400, "invalid_request"),
        ({"redirect_uri": "https://evil.example/callback"}, 400, "redirect_uri_mismatch"),
        ({"redirect_uri": "http://192.168.1.5:8080/cb"}, 400, "redirect_uri_mismatch"),
        ({"redirect_uri": None}, 400, "invalid_request"),
        ({"response_type": "token"}, 400, "unsupported_response_type"),
        ({"scope": None}, 400, "invalid_request"),
        ({"scope": "https://www.googleapis.com/auth/fitness.activity.read"}, 400, "invalid_scope"),
        ({"access_type": "forever"}, 400, "invalid_request"),
        ({"code_challenge": None, "code_challenge_method": None}, 400, "invalid_request"),
        ({"code_challenge_method": "S512"}, 400, "invalid_request"),
        ({"code_challenge": "short"}, 400, "invalid_request"),
    ],
)
def test_authorization_errors_show_googles_error_page(
    emulator: EmulatorServer, overrides: dict[str, Any], status: int, error: str
) -> None:
    response = authorize(emulator, **overrides)
    assert response.status_code == status
    assert f"Error {status}: {error}" in response.text


def test_any_loopback_port_and_localhost(emulator: EmulatorServer) -> None:
    for uri in ("http://localhost:53682/", "http://127.0.0.1:1/x?y=1", "http://[::1]:8080/cb"):
        response = authorize(emulator, redirect_uri=uri)
        assert response.status_code == 302 and response.headers["location"].startswith(uri)


def test_consent_denied_and_partial_grants(emulator: EmulatorServer) -> None:
    emulator.state.oauth.set_consent(deny=True)
    denied = redirect_query(authorize(emulator))
    assert denied == {"state": "s-123", "error": "access_denied"}
    emulator.state.oauth.set_consent(grant_only=[SLEEP, ACTIVITY])
    auth = authorize(emulator)
    query = redirect_query(auth)
    assert query["scope"].split() == [ACTIVITY, SLEEP]
    body = exchange(emulator, query["code"], auth.verifier).json()  # type: ignore[attr-defined]
    assert body["scope"].split() == [ACTIVITY, SLEEP]
    hr = httpx.get(
        emulator.api_root + "/users/me/dataTypes/heart-rate/dataPoints",
        headers={"Authorization": f"Bearer {body['access_token']}"},
    )
    assert hr.status_code == 403


def test_token_endpoint_client_errors(emulator: EmulatorServer) -> None:
    auth = authorize(emulator)
    code = redirect_query(auth)["code"]
    wrong_secret = exchange(emulator, code, auth.verifier, client_secret="nope")  # type: ignore[attr-defined]
    assert wrong_secret.status_code == 401 and wrong_secret.json()["error"] == "invalid_client"
    unknown = exchange(emulator, code, auth.verifier, client_id="x.apps.googleusercontent.com")  # type: ignore[attr-defined]
    assert unknown.status_code == 401 and unknown.json()["error"] == "invalid_client"
    no_secret = exchange(emulator, code, auth.verifier, client_secret=None)  # type: ignore[attr-defined]
    assert no_secret.status_code == 400 and no_secret.json()["error"] == "invalid_request"
    grant = httpx.post(emulator.token_url, data={"grant_type": "password", "client_id": emulator.client_id})
    assert grant.status_code == 400 and grant.json()["error"] == "unsupported_grant_type"
    missing = httpx.post(emulator.token_url, data={})
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"
    basic = httpx.post(
        emulator.token_url,
        auth=(emulator.client_id, emulator.client_secret),
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": auth.verifier,
        },
    )  # type: ignore[attr-defined]
    assert basic.status_code == 200


def test_access_token_lives_one_hour(emulator: EmulatorServer) -> None:
    body = emulator.issue_tokens()
    emulator.state.advance_clock(3599)
    assert identity(emulator, body["access_token"]).status_code == 200
    emulator.state.advance_clock(1)
    expired = identity(emulator, body["access_token"])
    assert expired.status_code == 401
    assert expired.json()["error"]["details"][0]["reason"] == "ACCESS_TOKEN_EXPIRED"
    fresh = refresh(emulator, body["refresh_token"]).json()
    assert identity(emulator, fresh["access_token"]).status_code == 200


def test_testing_mode_refresh_tokens_expire_after_seven_days(emulator: EmulatorServer) -> None:
    emulator.state.set_testing_mode(True)
    auth = authorize(emulator)
    body = exchange(emulator, redirect_query(auth)["code"], auth.verifier).json()  # type: ignore[attr-defined]
    assert body["refresh_token_expires_in"] == 604799
    emulator.state.advance_clock(6 * 86400)
    refreshed = refresh(emulator, body["refresh_token"])
    assert refreshed.status_code == 200 and 86000 < refreshed.json()["refresh_token_expires_in"] <= 86400
    emulator.state.advance_clock(86400)
    dead = refresh(emulator, body["refresh_token"])
    assert dead.status_code == 400
    assert dead.json() == {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}


def test_revoke_kills_refresh_and_access_tokens(emulator: EmulatorServer) -> None:
    body = emulator.issue_tokens()
    assert httpx.post(emulator.revoke_url, data={"token": body["refresh_token"]}).status_code == 200
    assert refresh(emulator, body["refresh_token"]).json()["error"] == "invalid_grant"
    assert identity(emulator, body["access_token"]).status_code == 401
    again = httpx.post(emulator.revoke_url, data={"token": body["refresh_token"]})
    assert again.status_code == 400 and again.json()["error"] == "invalid_token"
    other = emulator.issue_tokens()
    assert httpx.post(emulator.revoke_url, params={"token": other["access_token"]}).status_code == 200
    assert refresh(emulator, other["refresh_token"]).status_code == 400  # revoking an access token ends the grant


def test_control_hooks_expire_and_revoke(emulator: EmulatorServer) -> None:
    body = emulator.issue_tokens()
    httpx.post(emulator.base_url + "/_emulator/control", json={"expire_access_tokens": True}).raise_for_status()
    assert identity(emulator, body["access_token"]).status_code == 401
    assert refresh(emulator, body["refresh_token"]).status_code == 200
    httpx.post(emulator.base_url + "/_emulator/control", json={"expire_refresh_tokens": True}).raise_for_status()
    assert refresh(emulator, body["refresh_token"]).json()["error"] == "invalid_grant"


def test_oldest_refresh_token_is_revoked_past_the_cap(emulator_factory: Any) -> None:
    server = emulator_factory(max_refresh_tokens=2)
    first, second, third = (server.issue_tokens() for _ in range(3))
    assert refresh(server, first["refresh_token"]).status_code == 400
    assert refresh(server, second["refresh_token"]).status_code == 200
    assert refresh(server, third["refresh_token"]).status_code == 200


def test_legacy_fitbit_endpoints_answer_410_over_http(emulator: EmulatorServer) -> None:
    for method, url in [
        ("POST", "/oauth2/token"),
        ("GET", "/oauth2/authorize?client_id=ABC123&response_type=code"),
        ("GET", "/1/user/-/activities/heart/date/today/1d/1sec.json"),
        ("GET", "/1.2/user/-/sleep/date/2025-07-01.json"),
    ]:
        response = httpx.request(method, emulator.base_url + url)
        assert response.status_code == 410, url
        assert response.json()["success"] is False
