"""A user's own account over HTTP (issue 22): changing its email, re-authenticating
without a password, deleting it (with the app's declared data policy); and the
admin's create, invite and forced password reset.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from auth.models import PartitionKey, generated_id
from auth.rules import allow
from baas.app import create_app
from baas.application import App
from baas.config import Settings
from tests.integration.auth.auth_server import (
    FAST_ARGON2,
    PASSWORD,
    AuthServer,
    auth_server,
    create_admin,
    text_of,
)
from tests.integration.auth.mfa_support import enrol_totp
from tests.integration.auth.test_security_events import events_of
from tests.integration.auth.test_sign_in_by_email import next_code
from tests.support import free_port, serve_in_thread

MAYA = "maya@example.com"
NEW = "maya.new@example.com"
OMAR = "omar@example.com"
ADMIN = "lena@example.com"


def error_code(answer: httpx.Response) -> str:
    return str(answer.json()["error"]["code"])


def wait_for_mail(server: AuthServer, address: str, subject_word: str) -> str:
    return text_of(server.mail(address, subject_word))


@pytest.fixture
def admin_server(tmp_path: Path) -> Iterator[AuthServer]:
    create_admin(tmp_path, ADMIN)
    with auth_server(tmp_path) as server:
        yield server


def test_changing_the_email_proves_the_new_address_and_tells_the_old(
    admin_server: AuthServer,
) -> None:
    server = admin_server
    server.signup_verified(MAYA)
    server.signup_verified(OMAR)
    access = str(server.signin(MAYA)["access_token"])
    no_password = server.post("/auth/email/change", {"new_email": NEW}, token=access)
    assert no_password.status_code == 400  # re-authentication first
    asked = server.post(
        "/auth/email/change", {"new_email": NEW, "password": PASSWORD}, token=access
    )
    assert asked.status_code == 202
    # No takeover: another account's address gets no code, only a note to its owner.
    taken = server.post(
        "/auth/email/change", {"new_email": OMAR, "password": PASSWORD}, token=access
    )
    assert taken.json() == asked.json()
    server.mail(OMAR, "already have an account")
    assert not [subject for subject in server.mails_to(OMAR) if "new email" in subject]
    forged = server.post(
        "/auth/email/change/confirm", {"new_email": OMAR, "code": "12345678"}, token=access
    )
    assert error_code(forged) == "invalid_code"

    code = server.code_for(NEW, "new email")
    confirmed = server.post(
        "/auth/email/change/confirm", {"new_email": NEW, "code": code}, token=access
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["email"] == NEW
    assert confirmed.json()["email_verified"] is True
    reused = server.post(
        "/auth/email/change/confirm", {"new_email": NEW, "code": code}, token=access
    )
    assert error_code(reused) == "invalid_request"  # already the address
    notice = wait_for_mail(server, MAYA, "email address was changed")
    assert NEW in notice
    assert server.post("/auth/signin", {"email": MAYA, "password": PASSWORD}).status_code == 401
    assert "access_token" in server.signin(NEW)
    # The old address is free again: it can sign up anew.
    assert server.post("/auth/signup", {"email": MAYA, "password": PASSWORD}).status_code == 202
    admin = str(server.signin(ADMIN)["access_token"])
    changed = events_of(server, admin, type="email_changed")
    assert changed[0]["user_id"] == confirmed.json()["id"]


def test_an_address_claimed_after_the_code_was_sent_is_not_taken(server: AuthServer) -> None:
    """Threat: takeover by email change. The new address is free when Maya asks for the
    change, but someone signs up with it before she confirms: her code no longer moves
    her account there, and the newcomer's account keeps its address."""
    server.signup_verified(MAYA)
    access = str(server.signin(MAYA)["access_token"])
    body = {"new_email": NEW, "password": PASSWORD}
    assert server.post("/auth/email/change", body, token=access).status_code == 202
    code = server.code_for(NEW, "new email")
    server.signup_verified(NEW, "the newcomer's passphrase")
    late = server.post("/auth/email/change/confirm", {"new_email": NEW, "code": code}, token=access)
    assert (late.status_code, error_code(late)) == (400, "invalid_request")
    assert server.get("/auth/me", token=access).json()["email"] == MAYA
    assert "access_token" in server.signin(NEW, "the newcomer's passphrase")
    assert "access_token" in server.signin(MAYA)


def test_an_email_change_needs_the_second_factor(server: AuthServer) -> None:
    server.signup_verified(MAYA)
    app, _ = enrol_totp(server, str(server.signin(MAYA)["access_token"]))
    token = server.post("/auth/signin", {"email": MAYA, "password": PASSWORD}).json()["mfa_token"]
    access = server.post("/auth/mfa/verify", {"mfa_token": token, "code": app.code()}).json()[
        "access_token"
    ]
    body = {"new_email": NEW, "password": PASSWORD}
    refused = server.post("/auth/email/change", body, token=access)
    assert (refused.status_code, error_code(refused)) == (403, "mfa_required")
    asked = server.post("/auth/email/change", {**body, "mfa_code": app.code()}, token=access)
    assert asked.status_code == 202


def test_an_account_without_a_password_reauthenticates_by_email(server: AuthServer) -> None:
    access = str(
        server.post("/auth/email/verify", {"email": MAYA, "code": next_code(server, MAYA)}).json()[
            "access_token"
        ]
    )
    refused = server.post("/auth/email/change", {"new_email": NEW}, token=access)
    assert refused.status_code == 400  # an email_code is needed
    assert server.post("/auth/reauthenticate", {}, token=access).status_code == 202
    code = server.code_for(MAYA, "Confirm a change")
    wrong = server.post(
        "/auth/email/change", {"new_email": NEW, "email_code": "00000000"}, token=access
    )
    assert error_code(wrong) == "invalid_code"
    asked = server.post("/auth/email/change", {"new_email": NEW, "email_code": code}, token=access)
    assert asked.status_code == 202, asked.text


def test_deleting_an_account_with_a_second_factor_needs_it(server: AuthServer) -> None:
    server.signup_verified(MAYA)
    app, _ = enrol_totp(server, str(server.signin(MAYA)["access_token"]))
    token = server.post("/auth/signin", {"email": MAYA, "password": PASSWORD}).json()["mfa_token"]
    access = server.post("/auth/mfa/verify", {"mfa_token": token, "code": app.code()}).json()[
        "access_token"
    ]
    refused = server.post("/auth/account/delete", {"password": PASSWORD}, token=access)
    assert (refused.status_code, error_code(refused)) == (403, "mfa_required")
    wrong = server.post(
        "/auth/account/delete", {"password": PASSWORD, "mfa_code": app.wrong_code()}, token=access
    )
    assert (wrong.status_code, error_code(wrong)) == (400, "invalid_mfa_code")
    assert server.get("/auth/me", token=access).status_code == 200  # still there
    deleted = server.post(
        "/auth/account/delete", {"password": PASSWORD, "mfa_code": app.code()}, token=access
    )
    assert deleted.status_code == 204, deleted.text
    assert server.post("/auth/signin", {"email": MAYA, "password": PASSWORD}).status_code == 401


def _app(policy: str) -> App:
    app = App("notes", on_account_deleted=policy)

    @app.model(rules=[allow.owner()])
    class Note:
        id: PartitionKey[str] = generated_id()
        text: str

    return app


@contextlib.contextmanager
def app_server(data_dir: Path, policy: str) -> Iterator[AuthServer]:
    settings = Settings.from_env(
        {
            "BAAS_DATA_DIR": str(data_dir),
            "BAAS_TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}",
            **FAST_ARGON2,
        }
    )
    with (
        serve_in_thread(create_app(settings, app=_app(policy))) as base,
        httpx.Client(base_url=base, timeout=10) as client,
    ):
        yield AuthServer(base, data_dir, client)


def _notes(server: AuthServer, access: str, *texts: str) -> list[str]:
    ids = []
    for text in texts:
        answer = server.client.post(
            "/graphql",
            json={"query": f'mutation {{ createNote(input: {{text: "{text}"}}) {{ id }} }}'},
            headers={"Authorization": f"Bearer {access}"},
        )
        assert answer.status_code == 200, answer.text
        ids.append(answer.json()["data"]["createNote"]["id"])
    return ids


def _visible_notes(server: AuthServer, access: str) -> int:
    answer = server.client.post(
        "/graphql",
        json={"query": "{ listNotes { items { id } } }"},
        headers={"Authorization": f"Bearer {access}"},
    )
    return len(answer.json()["data"]["listNotes"]["items"])


@pytest.mark.parametrize(("policy", "left"), [("delete", 0), ("keep", 2)])
def test_deleting_ones_account_follows_the_apps_data_policy(
    tmp_path: Path, policy: str, left: int
) -> None:
    with app_server(tmp_path, policy) as server:
        server.signup_verified(MAYA)
        server.signup_verified(OMAR)
        signed_in = server.signin(MAYA)
        access, maya_id = str(signed_in["access_token"]), signed_in["user"]["id"]  # type: ignore[index]
        refresh = str(server.signin(MAYA)["refresh_token"])
        _notes(server, access, "one", "two")
        omar = str(server.signin(OMAR)["access_token"])
        _notes(server, omar, "his")

        wrong = server.post("/auth/account/delete", {"password": "not the password"}, token=access)
        assert wrong.status_code == 401
        deleted = server.post("/auth/account/delete", {"password": PASSWORD}, token=access)
        assert deleted.status_code == 204, deleted.text
        assert server.get("/auth/me", token=access).status_code == 401  # at once
        gone = server.client.post(
            "/auth/token", data={"grant_type": "refresh_token", "refresh_token": refresh}
        )
        assert gone.status_code == 400
        assert server.post("/auth/signin", {"email": MAYA, "password": PASSWORD}).status_code == 401
        assert "deleted" in wait_for_mail(server, MAYA, "deleted")
        # The address is free (a new account); Omar's data is untouched; Maya's
        # follows the policy.
        anew = server.post("/auth/email/verify", {"email": MAYA, "code": next_code(server, MAYA)})
        assert anew.json()["user"]["id"] != maya_id
        assert _visible_notes(server, omar) == 1
    assert _stored_notes(tmp_path) == 1 + left


def _stored_notes(data_dir: Path) -> int:
    """Every note in the store's file, whoever owns it."""
    with sqlite3.connect(f"file:{data_dir / 'baas.sqlite3'}?mode=ro", uri=True) as db:
        return int(db.execute("SELECT count(*) FROM items WHERE tbl = 'Note'").fetchone()[0])


def test_admins_create_invite_and_force_a_reset(admin_server: AuthServer) -> None:
    server = admin_server
    admin = str(server.signin(ADMIN)["access_token"])
    headers = {"Authorization": f"Bearer {admin}"}
    made = server.client.post(
        "/auth/admin/users",
        json={"email": OMAR, "password": PASSWORD, "groups": ["staff"]},
        headers=headers,
    )
    assert made.status_code == 201, made.text
    assert made.json()["groups"] == ["staff"]
    omar = server.signin(OMAR)
    assert made.json()["id"] == omar["user"]["id"]  # type: ignore[index]
    twice = server.client.post("/auth/admin/users", json={"email": OMAR}, headers=headers)
    assert twice.status_code == 400
    weak = server.client.post(
        "/auth/admin/users", json={"email": "w@example.com", "password": "123"}, headers=headers
    )
    assert error_code(weak) == "weak_password"

    invited = server.client.post("/auth/admin/invitations", json={"email": MAYA}, headers=headers)
    assert invited.status_code == 201, invited.text
    code = server.code_for(MAYA, "invited")
    assert "7 days" in wait_for_mail(server, MAYA, "invited")
    chosen = "maya's own passphrase"
    reset = server.post(
        "/auth/password/reset", {"email": MAYA, "code": code, "new_password": chosen}
    )
    assert reset.status_code == 204, reset.text
    assert server.signin(MAYA, chosen)["user"]["email_verified"] is True  # type: ignore[index]

    omar_id = made.json()["id"]
    forced = server.client.post(
        f"/auth/admin/users/{omar_id}/force-password-reset", json={}, headers=headers
    )
    assert forced.status_code == 200, forced.text
    assert forced.json()["has_password"] is False
    assert server.get("/auth/me", token=str(omar["access_token"])).status_code == 401
    assert server.post("/auth/signin", {"email": OMAR, "password": PASSWORD}).status_code == 401
    new_code = server.code_for(OMAR, "reset")
    done = server.post(
        "/auth/password/reset", {"email": OMAR, "code": new_code, "new_password": chosen}
    )
    assert done.status_code == 204
    not_admin = server.client.post(
        "/auth/admin/users",
        json={"email": "x@example.com"},
        headers={"Authorization": f"Bearer {server.signin(OMAR, chosen)['access_token']}"},
    )
    assert not_admin.status_code == 403
    actions = {
        e["detail"]["action"] for e in events_of(server, admin, type="admin_action", expect=4)
    }
    assert {"create_user", "invite_user", "force_password_reset"} <= actions
