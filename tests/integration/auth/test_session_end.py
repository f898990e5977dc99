"""Sign-out means signed out: ending a session refuses its access tokens at once (their
``sid``), a rotated refresh token cannot sign out "successfully" while ending nothing,
and two tabs refreshing one token at once share a short grace instead of a sign-out."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.integration.auth.auth_server import AuthServer, auth_server

GRACE = 0.5  # seconds: short, so a test can wait it out


@pytest.fixture
def short_grace(tmp_path: Path) -> Iterator[AuthServer]:
    with auth_server(tmp_path, BAAS_AUTH_REFRESH_REUSE_GRACE=str(GRACE)) as running:
        yield running


def refresh(server: AuthServer, token: object) -> httpx.Response:
    return server.post("/auth/token", {"grant_type": "refresh_token", "refresh_token": token})


def sid_of(access: object) -> str:
    """The session id an access token carries (read, not verified: the server verifies)."""
    payload = str(access).split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return str(claims["sid"])


def works(server: AuthServer, access: object) -> bool:
    status = server.get("/auth/me", token=str(access)).status_code
    assert status in (200, 401)
    return status == 200


def test_ending_one_session_refuses_its_access_tokens_and_only_them(server: AuthServer) -> None:
    server.signup_verified("maya@example.com")
    laptop, phone, tablet = (server.signin("maya@example.com") for _ in range(3))
    refreshed = refresh(server, laptop["refresh_token"]).json()

    assert (
        server.post("/auth/signout", {"refresh_token": refreshed["refresh_token"]}).status_code
        == 204
    )
    # Both access tokens of the laptop's session die now, not in 15 minutes.
    assert not works(server, laptop["access_token"])
    assert not works(server, refreshed["access_token"])
    assert works(server, phone["access_token"])

    # Ending a session from the session list does the same; its id is the tokens' sid.
    phone_session = sid_of(phone["access_token"])
    listed = server.get("/auth/sessions", token=str(tablet["access_token"])).json()["sessions"]
    assert phone_session in {session["id"] for session in listed}
    ended = server.client.delete(
        f"/auth/sessions/{phone_session}",
        headers={"Authorization": f"Bearer {tablet['access_token']}"},
    )
    assert ended.status_code == 204
    assert not works(server, phone["access_token"])
    assert works(server, tablet["access_token"])


def test_signing_out_with_a_rotated_token_ends_the_session(server: AuthServer) -> None:
    server.signup_verified("tabs@example.com")
    first = server.signin("tabs@example.com")
    second = refresh(server, first["refresh_token"]).json()

    # One tab refreshed, the other signs out with the token it still holds.
    assert (
        server.post("/auth/signout", {"refresh_token": first["refresh_token"]}).status_code == 204
    )
    assert refresh(server, second["refresh_token"]).status_code == 400
    assert not works(server, second["access_token"])

    # Nothing left to end: invalid_grant, never a 204 that ended nothing.
    again = server.post("/auth/signout", {"refresh_token": second["refresh_token"]})
    assert again.status_code == 400
    assert again.json()["error"]["code"] == "invalid_grant"
    garbage = server.post("/auth/signout", {"refresh_token": "rt1.nonsense"})
    assert garbage.json()["error"]["code"] == "invalid_grant"
    missing = server.post("/auth/signout", {})
    assert missing.json()["error"]["code"] == "invalid_request"

    # An older token, two rotations back, is a replay: it ends the session too.
    oldest = server.signin("tabs@example.com")
    middle = refresh(server, oldest["refresh_token"]).json()
    newest = refresh(server, middle["refresh_token"]).json()
    assert (
        server.post("/auth/signout", {"refresh_token": oldest["refresh_token"]}).status_code == 204
    )
    assert refresh(server, newest["refresh_token"]).status_code == 400
    assert not works(server, newest["access_token"])


def test_two_tabs_refreshing_one_token_at_once_stay_signed_in(short_grace: AuthServer) -> None:
    server = short_grace
    server.signup_verified("two@example.com")
    shared = server.signin("two@example.com")["refresh_token"]
    barrier = threading.Barrier(2)

    def tab() -> httpx.Response:
        barrier.wait()
        body = {"grant_type": "refresh_token", "refresh_token": shared}
        return httpx.post(f"{server.base}/auth/token", json=body, timeout=10)

    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = [answer.json() for answer in pool.map(lambda _: tab(), range(2))]
    assert all("refresh_token" in answer for answer in answers), answers
    assert all(works(server, answer["access_token"]) for answer in answers)
    # The session lives on: the newest cookie (either tab's token) refreshes it.
    assert refresh(server, answers[1]["refresh_token"]).status_code == 200
    # But only once: the shared token a third time is a replay, and ends it all.
    assert refresh(server, shared).status_code == 400
    assert not works(server, answers[0]["access_token"])


def test_reuse_after_the_grace_revokes_the_session_and_its_access_tokens(
    short_grace: AuthServer,
) -> None:
    server = short_grace
    server.signup_verified("late@example.com")
    first = server.signin("late@example.com")
    second = refresh(server, first["refresh_token"]).json()
    time.sleep(GRACE + 0.2)
    replay = refresh(server, first["refresh_token"])
    assert replay.status_code == 400
    assert replay.json()["error"]["code"] == "invalid_grant"
    assert not works(server, first["access_token"])
    assert not works(server, second["access_token"])
    assert refresh(server, second["refresh_token"]).status_code == 400
