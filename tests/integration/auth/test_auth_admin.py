"""Admins over HTTP: the first admin from the CLI, disabling and deleting users, groups,
key rotation — and revocation that bites: a disabled user's access token is refused
within seconds, not when it expires."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from tests.integration.auth.auth_server import PASSWORD, auth_server, create_admin

ADMIN = "lena@example.com"


def _create_admin(data_dir: Path) -> None:
    create_admin(data_dir, ADMIN)


def _auth(token: object) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_admin_disables_a_user_and_their_tokens_die_at_once(tmp_path: Path) -> None:
    _create_admin(tmp_path)
    with auth_server(tmp_path) as server:
        admin = server.signin(ADMIN)
        server.signup_verified("omar@example.com")
        omar = server.signin("omar@example.com")
        omar_id = omar["user"]["id"]  # type: ignore[index]
        assert server.get("/auth/me", token=str(omar["access_token"])).status_code == 200

        listed = server.client.get("/auth/admin/users", headers=_auth(admin["access_token"]))
        assert listed.status_code == 200
        assert {u["email"] for u in listed.json()["users"]} == {ADMIN, "omar@example.com"}
        forbidden = server.client.get("/auth/admin/users", headers=_auth(omar["access_token"]))
        assert forbidden.status_code == 403

        disabled = server.post(
            f"/auth/admin/users/{omar_id}/disable", token=str(admin["access_token"])
        )
        assert disabled.status_code == 200
        assert disabled.json()["status"] == "disabled"
        started = time.monotonic()
        refused = server.get("/auth/me", token=str(omar["access_token"]))
        assert refused.status_code == 401
        assert refused.json()["error"]["code"] == "invalid_token"
        assert time.monotonic() - started < 3
        refresh = server.post(
            "/auth/token", {"grant_type": "refresh_token", "refresh_token": omar["refresh_token"]}
        )
        assert refresh.status_code == 400
        assert (
            server.post(
                "/auth/signin", {"email": "omar@example.com", "password": PASSWORD}
            ).status_code
            == 401
        )

        enabled = server.post(
            f"/auth/admin/users/{omar_id}/enable", token=str(admin["access_token"])
        )
        assert enabled.json()["status"] == "enabled"
        omar = server.signin("omar@example.com")
        deleted = server.client.delete(
            f"/auth/admin/users/{omar_id}", headers=_auth(admin["access_token"])
        )
        assert deleted.status_code == 204
        assert server.get("/auth/me", token=str(omar["access_token"])).status_code == 401
        assert (
            server.post(
                "/auth/signin", {"email": "omar@example.com", "password": PASSWORD}
            ).status_code
            == 401
        )


def test_revocation_reaches_another_api_process_within_seconds(tmp_path: Path) -> None:
    """Two API processes on one store: a sign-out-everywhere on one is honoured by the other."""
    with auth_server(tmp_path) as first, auth_server(tmp_path) as second:
        first.signup_verified("two@example.com")
        tokens = first.signin("two@example.com")
        # The second process shares the signing keys through the store.
        assert second.get("/auth/me", token=str(tokens["access_token"])).status_code == 200
        assert first.post("/auth/signout-all", token=str(tokens["access_token"])).status_code == 204
        deadline = time.monotonic() + 5
        while second.get("/auth/me", token=str(tokens["access_token"])).status_code == 200:
            assert time.monotonic() < deadline, "the other process still accepts the token"
            time.sleep(0.1)


def test_groups_and_key_rotation(tmp_path: Path) -> None:
    _create_admin(tmp_path)
    with auth_server(tmp_path) as server:
        admin = server.signin(ADMIN)
        server.signup_verified("member@example.com")
        member = server.signin("member@example.com")
        member_id = member["user"]["id"]  # type: ignore[index]
        bad = server.client.put(
            f"/auth/admin/users/{member_id}/groups",
            json={"groups": ["no spaces"]},
            headers=_auth(admin["access_token"]),
        )
        assert bad.json()["error"]["code"] == "invalid_request"
        set_groups = server.client.put(
            f"/auth/admin/users/{member_id}/groups",
            json={"groups": ["editors"]},
            headers=_auth(admin["access_token"]),
        )
        assert set_groups.json()["groups"] == ["editors"]
        # Old tokens carry the old groups: refused; the next refresh carries the new ones.
        assert server.get("/auth/me", token=str(member["access_token"])).status_code == 401
        refreshed = server.post(
            "/auth/token", {"grant_type": "refresh_token", "refresh_token": member["refresh_token"]}
        )
        assert refreshed.json()["user"]["groups"] == ["editors"]
        assert server.get("/auth/me", token=refreshed.json()["access_token"]).status_code == 200

        before = {key["kid"] for key in server.get("/.well-known/jwks.json").json()["keys"]}
        rotated = server.post("/auth/admin/signing-keys/rotate", token=str(admin["access_token"]))
        assert rotated.status_code == 201
        after = {key["kid"] for key in server.get("/.well-known/jwks.json").json()["keys"]}
        assert after == before | {rotated.json()["kid"]}  # the retired key still verifies
        # A token signed before the rotation still works; a new one uses the new key.
        assert server.get("/auth/me", token=str(admin["access_token"])).status_code == 200
        fresh = server.signin(ADMIN)
        assert (
            httpx.get(f"{server.base}/auth/me", headers=_auth(fresh["access_token"])).status_code
            == 200
        )
