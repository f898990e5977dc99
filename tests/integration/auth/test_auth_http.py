"""The account journey over HTTP against a real uvicorn server and a real store."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.integration.auth.auth_server import PASSWORD, AuthServer


def test_signup_verify_signin_refresh_reuse_signout(server: AuthServer) -> None:
    email = "maya@example.com"
    server.signup_verified(email)

    tokens = server.signin(email)
    assert tokens["token_type"] == "Bearer"
    assert set(tokens) >= {"access_token", "refresh_token", "expires_in", "user"}
    me = server.get("/auth/me", token=str(tokens["access_token"]))
    assert me.status_code == 200
    assert me.json()["email"] == email
    assert me.json()["email_verified"] is True
    assert "password_hash" not in me.text

    first_refresh = str(tokens["refresh_token"])
    refreshed = server.post(
        "/auth/token", {"grant_type": "refresh_token", "refresh_token": first_refresh}
    )
    assert refreshed.status_code == 200
    assert refreshed.headers["cache-control"] == "no-store"
    second_refresh = refreshed.json()["refresh_token"]
    assert second_refresh != first_refresh
    assert server.get("/auth/me", token=refreshed.json()["access_token"]).status_code == 200

    # The consumed token comes back at once: within the two-tab grace it gets a sibling
    # of the second token, once.
    sibling = server.post(
        "/auth/token", {"grant_type": "refresh_token", "refresh_token": first_refresh}
    )
    assert sibling.status_code == 200
    # It comes back again (a thief, or the victim after the thief): the whole family
    # dies, including the live second token and the sibling.
    reused = server.post(
        "/auth/token", {"grant_type": "refresh_token", "refresh_token": first_refresh}
    )
    assert reused.status_code == 400
    assert reused.json()["error"]["code"] == "invalid_grant"
    for live in (second_refresh, sibling.json()["refresh_token"]):
        after = server.post("/auth/token", {"grant_type": "refresh_token", "refresh_token": live})
        assert after.status_code == 400
        assert after.json()["error"]["code"] == "invalid_grant"

    # A new sign-in, then sign-out ends that session.
    tokens = server.signin(email)
    assert (
        server.post("/auth/signout", {"refresh_token": tokens["refresh_token"]}).status_code == 204
    )
    ended = server.post(
        "/auth/token", {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    )
    assert ended.status_code == 400


def test_token_endpoint_takes_the_form_encoding_and_names_oauth_errors(server: AuthServer) -> None:
    server.signup_verified("form@example.com")
    tokens = server.signin("form@example.com")
    response = server.client.post(
        "/auth/token",
        data={"grant_type": "refresh_token", "refresh_token": str(tokens["refresh_token"])},
    )
    assert response.status_code == 200
    assert response.headers["pragma"] == "no-cache"
    unsupported = server.client.post("/auth/token", data={"grant_type": "password"})
    assert unsupported.json()["error"]["code"] == "unsupported_grant_type"
    missing = server.client.post("/auth/token", data={"grant_type": "refresh_token"})
    assert missing.json()["error"]["code"] == "invalid_request"
    garbage = server.client.post(
        "/auth/token", data={"grant_type": "refresh_token", "refresh_token": "x"}
    )
    assert garbage.status_code == 400
    assert garbage.json()["error"]["code"] == "invalid_grant"


def test_refresh_token_in_an_http_only_strict_cookie(server: AuthServer) -> None:
    server.signup_verified("browser@example.com")
    response = server.post(
        "/auth/signin", {"email": "browser@example.com", "password": PASSWORD, "cookie": True}
    )
    assert response.status_code == 200
    assert "refresh_token" not in response.json()
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "Secure" in cookie
    assert "SameSite=strict" in cookie
    assert "Path=/auth" in cookie
    value = response.cookies["baas_refresh"]
    # Secure cookies are not sent over plain http by httpx: send it as a browser would.
    refreshed = httpx.post(
        f"{server.base}/auth/token",
        json={"grant_type": "refresh_token"},
        headers={"Cookie": f"baas_refresh={value}"},
    )
    assert refreshed.status_code == 200
    assert "refresh_token" not in refreshed.json()
    assert refreshed.cookies["baas_refresh"] != value


def test_signup_does_not_reveal_existing_accounts(server: AuthServer) -> None:
    server.signup_verified("taken@example.com")
    again = server.post(
        "/auth/signup", {"email": "taken@example.com", "password": "another good passphrase"}
    )
    fresh = server.post(
        "/auth/signup", {"email": "fresh@example.com", "password": "another good passphrase"}
    )
    assert again.status_code == fresh.status_code == 202
    assert again.json() == fresh.json()
    server.code_for("fresh@example.com", "verification")
    # The owner is told by mail, and the password did not change.
    deadline_subjects = []
    for _ in range(100):
        deadline_subjects = server.mails_to("taken@example.com")
        if "You already have an account" in deadline_subjects:
            break
        import time

        time.sleep(0.02)
    assert "You already have an account" in deadline_subjects
    server.signin("taken@example.com")


def test_unverified_account_cannot_sign_in_and_wrong_password_is_generic(
    server: AuthServer,
) -> None:
    assert (
        server.post("/auth/signup", {"email": "new@example.com", "password": PASSWORD}).status_code
        == 202
    )
    unverified = server.post("/auth/signin", {"email": "new@example.com", "password": PASSWORD})
    assert unverified.status_code == 403
    assert unverified.json()["error"]["code"] == "email_not_verified"
    wrong = server.post(
        "/auth/signin", {"email": "new@example.com", "password": "not the password"}
    )
    unknown = server.post(
        "/auth/signin", {"email": "nobody@example.com", "password": "not the password"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["error"]["message"] == unknown.json()["error"]["message"]


def test_password_reset_with_an_emailed_code_ends_sessions(server: AuthServer) -> None:
    email = "forgetful@example.com"
    server.signup_verified(email)
    old = server.signin(email)
    assert server.post("/auth/password/forgot", {"email": email}).status_code == 202
    assert server.post("/auth/password/forgot", {"email": "ghost@example.com"}).status_code == 202
    code = server.code_for(email, "reset")
    wrong = server.post(
        "/auth/password/reset",
        {"email": email, "code": "00000000", "new_password": "a brand new passphrase"},
    )
    assert wrong.json()["error"]["code"] == "invalid_code"
    reset = server.post(
        "/auth/password/reset",
        {"email": email, "code": code, "new_password": "a brand new passphrase"},
    )
    assert reset.status_code == 204
    # Single use.
    again = server.post(
        "/auth/password/reset",
        {"email": email, "code": code, "new_password": "yet another passphrase"},
    )
    assert again.json()["error"]["code"] == "invalid_code"
    assert server.post("/auth/signin", {"email": email, "password": PASSWORD}).status_code == 401
    server.signin(email, "a brand new passphrase")
    assert server.get("/auth/me", token=str(old["access_token"])).status_code == 401
    stale = server.post(
        "/auth/token", {"grant_type": "refresh_token", "refresh_token": old["refresh_token"]}
    )
    assert stale.status_code == 400


def test_change_password_needs_the_current_one_and_ends_other_sessions(server: AuthServer) -> None:
    email = "changer@example.com"
    server.signup_verified(email)
    other = server.signin(email)
    mine = server.signin(email)
    token = str(mine["access_token"])
    wrong = server.post(
        "/auth/password/change",
        {"current_password": "nope nope nope", "new_password": "fresh new passphrase"},
        token=token,
    )
    assert wrong.status_code == 401
    changed = server.post(
        "/auth/password/change",
        {"current_password": PASSWORD, "new_password": "fresh new passphrase"},
        token=token,
    )
    assert changed.status_code == 200, changed.text
    # The new session works at once; the other session and the old tokens do not.
    assert server.get("/auth/me", token=changed.json()["access_token"]).status_code == 200
    assert server.get("/auth/me", token=str(other["access_token"])).status_code == 401
    assert (
        server.post(
            "/auth/token", {"grant_type": "refresh_token", "refresh_token": other["refresh_token"]}
        ).status_code
        == 400
    )


def test_sessions_are_listed_and_revoked_one_by_one(server: AuthServer) -> None:
    email = "sessions@example.com"
    server.signup_verified(email)
    first = server.signin(email)
    second = server.signin(email)
    token = str(second["access_token"])
    listed = server.get("/auth/sessions", token=token).json()["sessions"]
    assert len(listed) == 2
    assert all(str(first["refresh_token"]).split(".")[1] not in s["id"] for s in listed)
    target = listed[1]["id"]  # oldest first is the first sign-in
    response = server.client.delete(
        f"/auth/sessions/{target}", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 204
    assert (
        server.post(
            "/auth/token", {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
        ).status_code
        == 400
    )
    assert (
        server.post(
            "/auth/token", {"grant_type": "refresh_token", "refresh_token": second["refresh_token"]}
        ).status_code
        == 200
    )


def test_weak_password_and_bad_input_get_clear_codes(server: AuthServer) -> None:
    short = server.post("/auth/signup", {"email": "a@example.com", "password": "short"})
    assert short.status_code == 400
    assert short.json()["error"]["code"] == "weak_password"
    common = server.post("/auth/signup", {"email": "a@example.com", "password": "password123"})
    assert common.json()["error"]["code"] == "weak_password"
    bad_email = server.post("/auth/signup", {"email": "not-an-email", "password": PASSWORD})
    assert bad_email.json()["error"]["code"] == "invalid_request"
    not_json = server.client.post(
        "/auth/signin", content=b"{", headers={"Content-Type": "application/json"}
    )
    assert not_json.status_code == 400
    assert not_json.json()["error"]["code"] == "invalid_request"
    assert server.get("/auth/me").status_code == 401
    assert server.get("/auth/me").headers["www-authenticate"] == 'Bearer realm="baas"'


def test_anonymous_user_upgrades_to_a_full_account_keeping_its_id(server: AuthServer) -> None:
    created = server.post("/auth/anonymous", {})
    assert created.status_code == 201
    token = created.json()["access_token"]
    anonymous_id = created.json()["user"]["id"]
    assert created.json()["user"]["anonymous"] is True
    upgraded = server.post(
        "/auth/upgrade", {"email": "upgraded@example.com", "password": PASSWORD}, token=token
    )
    assert upgraded.status_code == 202
    code = server.code_for("upgraded@example.com", "verification")
    assert (
        server.post(
            "/auth/verify-email",
            {"email": "upgraded@example.com", "code": code, "password": PASSWORD},
        ).status_code
        == 200
    )
    me = server.get("/auth/me", token=token).json()
    assert me["id"] == anonymous_id
    assert me["anonymous"] is False
    assert server.signin("upgraded@example.com")["user"]["id"] == anonymous_id  # type: ignore[index]


def test_jwks_publishes_public_keys_only(server: AuthServer) -> None:
    jwks = server.get("/.well-known/jwks.json").json()
    assert jwks["keys"]
    for key in jwks["keys"]:
        assert set(key) <= {"kty", "crv", "x", "y", "kid", "alg", "use"}


def test_racing_refreshes_with_one_token_win_at_most_twice(server: AuthServer) -> None:
    """Of four uses at once, one rotates and one more may get the two-tab sibling; the
    others are replays, which end the session."""
    server.signup_verified("racer@example.com")
    token = server.signin("racer@example.com")["refresh_token"]
    body = {"grant_type": "refresh_token", "refresh_token": token}
    barrier = threading.Barrier(4)

    def refresh() -> int:
        barrier.wait()
        return httpx.post(f"{server.base}/auth/token", json=body, timeout=10).status_code

    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = list(pool.map(lambda _: refresh(), range(4)))
    assert statuses.count(200) <= 2
    assert statuses.count(200) + statuses.count(400) == 4
    assert httpx.post(f"{server.base}/auth/token", json=body, timeout=10).status_code == 400
