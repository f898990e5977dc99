"""TOTP second factor over HTTP (issue 22): enrolment, the two-step sign-in, recovery
codes, step-up before security changes, per-app policy, the admin's reset — and the
refusals: a wrong code, a reused code, a reused or expired MFA token.
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.auth.auth_server import PASSWORD, AuthServer, auth_server, create_admin
from tests.integration.auth.mfa_support import AuthenticatorApp, claims_of, enrol_totp, mfa_token
from tests.integration.auth.test_security_events import events_of

ADMIN = "lena@example.com"
MAYA = "maya@example.com"


@pytest.fixture
def admin_server(tmp_path: Path) -> Iterator[AuthServer]:
    create_admin(tmp_path, ADMIN)
    with auth_server(tmp_path) as server:
        yield server


def admin_token(server: AuthServer) -> str:
    return str(server.signin(ADMIN)["access_token"])


def error_code(answer: httpx.Response) -> str:
    return str(answer.json()["error"]["code"])


def test_enrol_then_sign_in_in_two_steps(admin_server: AuthServer) -> None:
    server = admin_server
    server.signup_verified(MAYA)
    first = server.signin(MAYA)
    assert claims_of(first["access_token"])["amr"] == ["pwd"]
    assert claims_of(first["access_token"])["aal"] == "aal1"
    access = str(first["access_token"])

    # Enrolment needs the password (re-authentication) and a code from the new app.
    refused = server.post("/auth/mfa/totp/enrol", {"password": "not it at all"}, token=access)
    assert refused.status_code == 401
    started = server.post("/auth/mfa/totp/enrol", {"password": PASSWORD}, token=access)
    assert started.status_code == 200, started.text
    body = started.json()
    assert body["otpauth_uri"].startswith("otpauth://totp/baas:maya@example.com?secret=")
    assert body["qr_svg"].startswith("data:image/svg+xml")
    app = AuthenticatorApp.from_enrolment(body)
    wrong = server.post("/auth/mfa/totp/confirm", {"code": app.wrong_code()}, token=access)
    assert (wrong.status_code, error_code(wrong)) == (400, "invalid_mfa_code")
    confirmed = server.post("/auth/mfa/totp/confirm", {"code": app.code()}, token=access)
    assert confirmed.status_code == 200, confirmed.text
    recovery = confirmed.json()["recovery_codes"]
    assert len(recovery) == 10
    assert len(set(recovery)) == 10
    assert server.get("/auth/mfa", token=access).json() == {
        "enabled": True,
        "totp": True,
        "passkeys": 0,
        "recovery_codes_left": 10,
    }

    # The password alone no longer signs in: it earns an MFA token.
    token = mfa_token(server, MAYA)
    wrong = server.post("/auth/mfa/verify", {"mfa_token": token, "code": app.wrong_code()})
    assert (wrong.status_code, error_code(wrong)) == (400, "invalid_mfa_code")
    code = app.code()
    signed_in = server.post("/auth/mfa/verify", {"mfa_token": token, "code": code})
    assert signed_in.status_code == 200, signed_in.text
    tokens = signed_in.json()
    claims = claims_of(tokens["access_token"])
    assert (claims["amr"], claims["aal"]) == (["pwd", "otp", "mfa"], "aal2")
    assert server.get("/auth/me", token=tokens["access_token"]).status_code == 200
    # The session stays aal2 across refreshes.
    refreshed = server.client.post(
        "/auth/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
    ).json()
    assert claims_of(refreshed["access_token"])["aal"] == "aal2"

    # An MFA token works once; a code works once.
    again = server.post("/auth/mfa/verify", {"mfa_token": token, "code": app.code()})
    assert (again.status_code, error_code(again)) == (400, "invalid_mfa_token")
    replay = server.post("/auth/mfa/verify", {"mfa_token": mfa_token(server, MAYA), "code": code})
    assert (replay.status_code, error_code(replay)) == (400, "invalid_mfa_code")

    # A recovery code stands in for the app, once.
    with_recovery = server.post(
        "/auth/mfa/verify", {"mfa_token": mfa_token(server, MAYA), "code": recovery[3].upper()}
    )
    assert with_recovery.status_code == 200, with_recovery.text
    reused = server.post(
        "/auth/mfa/verify", {"mfa_token": mfa_token(server, MAYA), "code": recovery[3]}
    )
    assert (reused.status_code, error_code(reused)) == (400, "invalid_mfa_code")
    assert server.get("/auth/mfa", token=access).json()["recovery_codes_left"] == 9

    # Each step is a security event, and none holds a code.
    admin = admin_token(server)
    user_id = tokens["user"]["id"]
    assert events_of(server, admin, user=user_id, type="mfa_enrolled")[0]["detail"] == {
        "factor": "totp"
    }
    failures = events_of(server, admin, user=user_id, type="mfa_failed", expect=4)
    assert {f["detail"]["reason"] for f in failures} == {"wrong", "reused"}
    verified = events_of(server, admin, user=user_id, type="mfa_verified", expect=2)
    assert {v["detail"]["factor"] for v in verified} == {"totp", "recovery_code"}
    success = events_of(server, admin, user=user_id, type="sign_in_succeeded", expect=3)
    assert {"method": "password", "factor": "totp"} in [s["detail"] for s in success]
    assert events_of(server, admin, type="mfa_failed", expect=5)[0]["detail"]["reason"]
    stored = str(events_of(server, admin, user=user_id, expect=10))
    assert code not in stored
    assert recovery[3] not in stored


def test_an_expired_mfa_token_is_refused(tmp_path: Path) -> None:
    with auth_server(tmp_path, BAAS_AUTH_MFA_CHALLENGE_TTL="1") as server:
        server.signup_verified(MAYA)
        app, _ = enrol_totp(server, str(server.signin(MAYA)["access_token"]))
        token = mfa_token(server, MAYA)
        time.sleep(1.2)
        late = server.post("/auth/mfa/verify", {"mfa_token": token, "code": app.code()})
        assert (late.status_code, error_code(late)) == (400, "invalid_mfa_token")
        forged = server.post("/auth/mfa/verify", {"mfa_token": token[:-2] + "AA", "code": "1"})
        assert (forged.status_code, error_code(forged)) == (400, "invalid_mfa_token")


def test_security_changes_need_the_second_factor(admin_server: AuthServer) -> None:
    server = admin_server
    server.signup_verified(MAYA)
    app, recovery = enrol_totp(server, str(server.signin(MAYA)["access_token"]))
    token = mfa_token(server, MAYA)
    access = server.post("/auth/mfa/verify", {"mfa_token": token, "code": app.code()}).json()[
        "access_token"
    ]
    new_password = "another long passphrase"
    change = {"current_password": PASSWORD, "new_password": new_password}
    refused = server.post("/auth/password/change", change, token=access)
    assert (refused.status_code, error_code(refused)) == (403, "mfa_required")
    changed = server.post("/auth/password/change", {**change, "mfa_code": app.code()}, token=access)
    assert changed.status_code == 200, changed.text
    assert claims_of(changed.json()["access_token"])["aal"] == "aal2"
    access = changed.json()["access_token"]

    for path in ("/auth/mfa/totp/remove", "/auth/mfa/recovery-codes"):
        refused = server.post(path, {"password": new_password}, token=access)
        assert (refused.status_code, error_code(refused)) == (403, "mfa_required")
    fresh = server.post(
        "/auth/mfa/recovery-codes",
        {"password": new_password, "mfa_code": recovery[0]},
        token=access,
    )
    assert fresh.status_code == 200
    assert recovery[1] not in fresh.json()["recovery_codes"]
    old_code = server.post(
        "/auth/mfa/verify",
        {"mfa_token": mfa_token(server, MAYA, new_password), "code": recovery[1]},
    )
    assert error_code(old_code) == "invalid_mfa_code"  # replaced codes stop working
    removed = server.post(
        "/auth/mfa/totp/remove",
        {"password": new_password, "mfa_code": fresh.json()["recovery_codes"][0]},
        token=access,
    )
    assert removed.status_code == 204, removed.text
    assert "access_token" in server.signin(MAYA, new_password)  # one step again
    user_id = claims_of(access)["sub"]
    removal = events_of(server, admin_token(server), user=user_id, type="mfa_removed")
    assert removal[0]["detail"] == {"factor": "totp"}


def test_policy_requires_enrolment_for_a_group(tmp_path: Path) -> None:
    create_admin(tmp_path, ADMIN)
    with auth_server(tmp_path, BAAS_AUTH_MFA="required", BAAS_AUTH_MFA_GROUPS="staff") as server:
        server.signup_verified(MAYA)
        server.signup_verified("omar@example.com")
        assert "access_token" in server.signin("omar@example.com")  # not in the group
        admin = admin_token(server)
        maya_id = server.signin(MAYA)["user"]["id"]  # type: ignore[index]
        grouped = server.client.put(
            f"/auth/admin/users/{maya_id}/groups",
            json={"groups": ["staff"]},
            headers={"Authorization": f"Bearer {admin}"},
        )
        assert grouped.status_code == 200

        pending = server.post("/auth/signin", {"email": MAYA, "password": PASSWORD}).json()
        assert pending["mfa_required"]
        assert pending["enrol"]
        assert pending["factors"] == []
        token = pending["mfa_token"]
        # The enrolment token completes no sign-in by itself.
        assert error_code(server.post("/auth/mfa/verify", {"mfa_token": token, "code": "1"})) == (
            "invalid_mfa_token"
        )
        started = server.post("/auth/mfa/totp/enrol", {"mfa_token": token})
        assert started.status_code == 200, started.text
        app = AuthenticatorApp.from_enrolment(started.json())
        done = server.post("/auth/mfa/totp/confirm", {"mfa_token": token, "code": app.code()})
        assert done.status_code == 200, done.text
        assert claims_of(done.json()["access_token"])["aal"] == "aal2"
        assert len(done.json()["recovery_codes"]) == 10
        assert mfa_token(server, MAYA)  # from now on, the second step


def test_mfa_off_allows_no_enrolment(tmp_path: Path) -> None:
    with auth_server(tmp_path, BAAS_AUTH_MFA="off") as server:
        server.signup_verified(MAYA)
        access = str(server.signin(MAYA)["access_token"])
        refused = server.post("/auth/mfa/totp/enrol", {"password": PASSWORD}, token=access)
        assert (refused.status_code, error_code(refused)) == (400, "invalid_request")


def test_an_admin_resets_a_users_second_factor(admin_server: AuthServer) -> None:
    server = admin_server
    server.signup_verified(MAYA)
    app, _ = enrol_totp(server, str(server.signin(MAYA)["access_token"]))
    session = server.post(
        "/auth/mfa/verify", {"mfa_token": mfa_token(server, MAYA), "code": app.code()}
    )
    access = session.json()["access_token"]
    user_id = claims_of(access)["sub"]
    admin = admin_token(server)
    headers = {"Authorization": f"Bearer {admin}"}
    shown = server.client.get(f"/auth/admin/users/{user_id}", headers=headers).json()["mfa"]
    assert shown == {"enabled": True, "totp": True, "passkeys": 0, "recovery_codes_left": 10}
    not_admin = server.client.delete(
        f"/auth/admin/users/{user_id}/mfa", headers={"Authorization": f"Bearer {access}"}
    )
    assert not_admin.status_code == 403
    reset = server.client.delete(f"/auth/admin/users/{user_id}/mfa", headers=headers)
    assert reset.status_code == 204
    assert server.get("/auth/me", token=access).status_code == 401  # sessions ended
    assert "access_token" in server.signin(MAYA)
    shown = server.client.get(f"/auth/admin/users/{user_id}", headers=headers).json()["mfa"]
    assert shown["enabled"] is False
    actions = events_of(server, admin, user=user_id, type="admin_action", expect=2)
    assert "reset_mfa" in {a["detail"]["action"] for a in actions}


async def test_one_code_completes_one_sign_in_under_a_burst(admin_server: AuthServer) -> None:
    """20 sign-ins racing with the same right code: exactly one gets a session; the
    others are told the code was used, or refused before any comparison (429)."""
    server = admin_server
    await asyncio.to_thread(server.signup_verified, MAYA)
    tokens = await asyncio.to_thread(server.signin, MAYA)
    app, _ = await asyncio.to_thread(enrol_totp, server, str(tokens["access_token"]))
    mfa_tokens = [await asyncio.to_thread(mfa_token, server, MAYA) for _ in range(20)]
    code = app.code()
    async with httpx.AsyncClient(base_url=server.base, timeout=60) as client:
        answers = await asyncio.gather(
            *(
                client.post("/auth/mfa/verify", json={"mfa_token": t, "code": code})
                for t in mfa_tokens
            )
        )
    statuses = [answer.status_code for answer in answers]
    assert statuses.count(200) == 1, statuses
    assert set(statuses) <= {200, 400, 429}


def _wrong_codes_with_the_right_one_at(
    token: str, app: AuthenticatorApp, position: int, count: int
) -> list[dict[str, str]]:
    wrong = app.wrong_code()
    bodies = [{"mfa_token": token, "code": wrong} for _ in range(count)]
    bodies[position] = {"mfa_token": token, "code": app.code()}
    return bodies


async def test_a_burst_of_wrong_codes_evaluates_at_most_five(tmp_path: Path) -> None:
    from tests.integration.auth.test_attempt_bursts import BURST, RIGHT_AT, burst

    with auth_server(tmp_path, BAAS_TRUSTED_PROXIES="127.0.0.1/32") as server:
        await asyncio.to_thread(server.signup_verified, MAYA)
        tokens: dict[str, Any] = await asyncio.to_thread(server.signin, MAYA)
        app, _ = await asyncio.to_thread(enrol_totp, server, str(tokens["access_token"]))
        token = await asyncio.to_thread(mfa_token, server, MAYA)
        bodies = _wrong_codes_with_the_right_one_at(token, app, RIGHT_AT, BURST)
        statuses = await burst([server.base], "/auth/mfa/verify", bodies, BURST)
    assert statuses.count(400) <= 5
    assert statuses[RIGHT_AT] == 429
    assert set(statuses) <= {400, 429}


@pytest.mark.slow
async def test_two_api_processes_accept_a_code_once_and_evaluate_at_most_five(
    tmp_path: Path,
) -> None:
    from tests.integration.auth.test_attempt_bursts import BURST, baas_serve, burst

    with baas_serve(tmp_path) as first, baas_serve(tmp_path) as second:
        with httpx.Client(base_url=first, timeout=30) as client:
            server = AuthServer(first, tmp_path, client)
            await asyncio.to_thread(server.signup_verified, MAYA)
            tokens: dict[str, Any] = await asyncio.to_thread(server.signin, MAYA)
            app, _ = await asyncio.to_thread(enrol_totp, server, str(tokens["access_token"]))
            racing = [await asyncio.to_thread(mfa_token, server, MAYA) for _ in range(10)]
            guessed = await asyncio.to_thread(mfa_token, server, MAYA)
        code = app.code()
        bodies = [{"mfa_token": token, "code": code} for token in racing]
        statuses = await burst([first, second], "/auth/mfa/verify", bodies, len(bodies))
        assert statuses.count(200) == 1, statuses
        right_at = 2 * 60  # the 60th request of the first server's client
        bodies = _wrong_codes_with_the_right_one_at(guessed, app, right_at, BURST)
        statuses = await burst([first, second], "/auth/mfa/verify", bodies, BURST)
    assert statuses.count(400) <= 5
    assert statuses[right_at] == 429


def test_the_totp_secret_is_sealed_at_rest_and_kept_out_of_the_feed(tmp_path: Path) -> None:
    from auth.system_tables import MFA_TABLE
    from tests.integration.auth.test_secrets_at_rest import _feed, _raw

    with auth_server(tmp_path) as server:
        server.signup_verified(MAYA)
        app, recovery = enrol_totp(server, str(server.signin(MAYA)["access_token"]))
    raw = _raw(tmp_path)
    secret_b32 = base64.b32encode(app.secret).rstrip(b"=")
    assert app.secret not in raw
    assert secret_b32 not in raw
    assert not any(code.encode() in raw for code in recovery)
    records = [(old, new) for table, old, new in _feed(tmp_path) if table == MFA_TABLE]
    assert records
    assert all(old is None and new is None for old, new in records)
