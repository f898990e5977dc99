"""Security events over HTTP: each flow records its event (time, type, user, client
address, request id, never a secret), admins list them filtered and paged, nobody else
can, and every event is also a structured log line."""

from __future__ import annotations

import argparse
import io
import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from auth.security_event_store import SecurityEventStore
from baas.config import Settings
from baas.keys_cli import add_keys_command, run_keys_command
from storage import open_store
from tests.integration.auth.auth_server import PASSWORD, AuthServer, auth_server, create_admin

ADMIN = "audit@example.com"
NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[AuthServer, str]]:
    """A server with an admin (made by the CLI, itself an event) and the admin's token."""
    data: Path = tmp_path_factory.mktemp("audit")
    create_admin(data, ADMIN)
    with auth_server(data) as server:
        yield server, str(server.signin(ADMIN)["access_token"])


def listed(server: AuthServer, admin: str, **query: str) -> httpx.Response:
    return server.client.get(
        "/auth/admin/events", params=query, headers={"Authorization": f"Bearer {admin}"}
    )


def events_of(
    server: AuthServer, admin: str, *, expect: int = 1, **query: str
) -> list[dict[str, Any]]:
    """The events matching ``query`` once at least ``expect`` are there (they are stored
    in the background, within a moment)."""
    deadline = time.monotonic() + 5
    while True:
        answer = listed(server, admin, **query, limit="100")
        assert answer.status_code == 200, answer.text
        events: list[dict[str, Any]] = answer.json()["events"]
        if len(events) >= expect:
            return events
        assert time.monotonic() < deadline, f"no {query} event: {events}"
        time.sleep(0.05)


def user_id_of(tokens: dict[str, Any]) -> str:
    return str(tokens["user"]["id"])


def test_each_flow_records_its_event_and_no_secret(
    audited: tuple[AuthServer, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="auth.security")
    server, admin = audited
    secrets: list[str] = [PASSWORD, NEW_PASSWORD, admin]

    # Sign-in success, with the request id the client saw and the client's address.
    server.signup_verified("maya@example.com")
    signed_in = server.post("/auth/signin", {"email": "maya@example.com", "password": PASSWORD})
    maya = signed_in.json()
    maya_id = user_id_of(maya)
    secrets += [maya["access_token"], maya["refresh_token"]]
    success = events_of(server, admin, user=maya_id, type="sign_in_succeeded")[0]
    assert success["request_id"] == signed_in.headers["x-request-id"]
    assert success["address"] == "127.0.0.1"
    assert success["detail"] == {"method": "password"}
    assert success["time"].endswith("Z")

    # Sign-in failures: a wrong password, an unknown email; a wrong emailed code.
    wrong = server.post("/auth/signin", {"email": "maya@example.com", "password": "not it at all"})
    assert wrong.status_code == 401
    secrets.append("not it at all")
    failed = events_of(server, admin, user=maya_id, type="sign_in_failed")[0]
    assert failed["detail"] == {"reason": "credentials"}
    server.post("/auth/signin", {"email": "nobody@example.com", "password": "a guess!"})
    unknown = events_of(server, admin, type="sign_in_failed", expect=2)
    assert {"reason": "no_password_account"} in [e["detail"] for e in unknown]
    server.post("/auth/signup", {"email": "late@example.com", "password": PASSWORD})
    code = server.code_for("late@example.com", "verification")
    secrets.append(code)
    wrong_code = str((int(code) + 1) % 10**8).zfill(8)
    verify = {"email": "late@example.com", "code": wrong_code, "password": PASSWORD}
    assert server.post("/auth/verify-email", verify).status_code == 400
    assert events_of(server, admin, type="code_failed")[0]["detail"] == {"purpose": "verify_email"}

    # A replayed refresh token: once within the two-tab grace, again is a replay.
    first = maya["refresh_token"]
    for _ in range(3):
        answer = server.post("/auth/token", {"grant_type": "refresh_token", "refresh_token": first})
        secrets.extend(str(v) for k, v in answer.json().items() if k.endswith("token"))
    reused = events_of(server, admin, user=maya_id, type="refresh_token_reused")[0]
    assert set(reused["detail"]) == {"session"}

    # Sign-out of one session, and everywhere.
    session = server.signin("maya@example.com")
    secrets += [str(session["access_token"]), str(session["refresh_token"])]
    server.post("/auth/signout", {"refresh_token": session["refresh_token"]})
    everywhere = server.signin("maya@example.com")
    secrets += [str(everywhere["access_token"]), str(everywhere["refresh_token"])]
    server.post("/auth/signout-all", token=str(everywhere["access_token"]))
    scopes = {e["detail"]["scope"] for e in events_of(server, admin, type="signed_out", expect=2)}
    assert scopes == {"session", "everywhere"}

    # Password change (a wrong current one first) and reset.
    tokens = server.signin("maya@example.com")
    secrets += [str(tokens["access_token"]), str(tokens["refresh_token"])]
    change = {"current_password": "wrong guess!!", "new_password": NEW_PASSWORD}
    server.post("/auth/password/change", change, token=str(tokens["access_token"]))
    change["current_password"] = PASSWORD
    changed = server.post("/auth/password/change", change, token=str(tokens["access_token"]))
    assert changed.status_code == 200
    secrets += [changed.json()["access_token"], changed.json()["refresh_token"]]
    server.post("/auth/password/forgot", {"email": "maya@example.com"})
    reset_code = server.code_for("maya@example.com", "reset")
    secrets.append(reset_code)
    reset = {"email": "maya@example.com", "code": reset_code, "new_password": PASSWORD}
    assert server.post("/auth/password/reset", reset).status_code == 204
    hows = [e["detail"]["how"] for e in events_of(server, admin, type="password_changed", expect=2)]
    assert hows == ["reset", "change"]  # newest first
    reasons = [
        e["detail"]["reason"]
        for e in events_of(server, admin, user=maya_id, expect=2, type="sign_in_failed")
    ]
    assert "current_password" in reasons

    # An anonymous user's upgrade gives the account an email.
    anonymous = server.post("/auth/anonymous", {}).json()
    secrets += [anonymous["access_token"], anonymous["refresh_token"]]
    server.post(
        "/auth/upgrade",
        {"email": "upgraded@example.com", "password": PASSWORD},
        token=anonymous["access_token"],
    )
    upgrade_code = server.code_for("upgraded@example.com", "verification")
    secrets.append(upgrade_code)
    verify = {"email": "upgraded@example.com", "code": upgrade_code, "password": PASSWORD}
    assert server.post("/auth/verify-email", verify).status_code == 200
    assert events_of(server, admin, type="email_changed")[0]["user_id"] == user_id_of(anonymous)

    # Lockout: the sixth wrong password in a row for one account.
    server.signup_verified("omar@example.com")
    for n in range(6):
        server.post("/auth/signin", {"email": "omar@example.com", "password": f"guess number {n}"})
        secrets.append(f"guess number {n}")
    locked = events_of(server, admin, type="locked_out")[0]
    assert locked["detail"] == {"reason": "password"}
    assert locked["user_id"] is not None

    # Admin actions, each with the acting admin; the CLI's create-admin too.
    admin_id = events_of(server, admin, type="admin_action")[-1]["user_id"]  # create-admin
    omar = events_of(server, admin, type="locked_out")[0]["user_id"]
    headers = {"Authorization": f"Bearer {admin}"}
    server.post(f"/auth/admin/users/{omar}/disable", token=admin)
    server.post(f"/auth/admin/users/{omar}/enable", token=admin)
    server.client.put(f"/auth/admin/users/{omar}/groups", json={"groups": ["ops"]}, headers=headers)
    server.post("/auth/admin/signing-keys/rotate", token=admin)
    server.client.delete(f"/auth/admin/users/{omar}", headers=headers)
    actions = events_of(server, admin, type="admin_action", expect=6)
    assert [e["detail"]["action"] for e in actions] == [
        "delete_user",
        "rotate_signing_key",
        "set_groups",
        "enable_user",
        "disable_user",
        "create_admin",
    ]
    assert all(e["actor_id"] == admin_id for e in actions[:5])
    assert actions[-1]["detail"]["via"] == "cli"
    assert actions[2]["detail"]["groups"] == "ops"

    # Every event, every page: no password, token or code anywhere; the log has them too.
    everything = json.dumps(all_events(server, admin))
    leaked = [secret for secret in secrets if secret in everything]
    assert leaked == []
    logged = [r for r in caplog.records if hasattr(r, "security_event")]
    assert {r.security_event["type"] for r in logged} >= {  # type: ignore[attr-defined]
        "sign_in_succeeded",
        "sign_in_failed",
        "code_failed",
        "refresh_token_reused",
        "signed_out",
        "password_changed",
        "locked_out",
        "admin_action",
    }
    in_log = json.dumps([r.security_event for r in logged])  # type: ignore[attr-defined]
    assert [secret for secret in secrets if secret in in_log] == []


def all_events(server: AuthServer, admin: str, **query: str) -> list[dict[str, Any]]:
    """Every event, following ``next_cursor`` (two per page, to page a lot)."""
    events: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        page = listed(server, admin, **query, limit="2", **({"cursor": cursor} if cursor else {}))
        assert page.status_code == 200, page.text
        events.extend(page.json()["events"])
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return events


def test_the_listing_pages_filters_and_is_for_admins_only(
    audited: tuple[AuthServer, str],
) -> None:
    server, admin = audited
    server.signup_verified("pager@example.com")
    pager = server.signin("pager@example.com")
    pager_id = user_id_of(pager)
    for _ in range(4):
        server.signin("pager@example.com")
    events_of(server, admin, user=pager_id, type="sign_in_succeeded", expect=5)

    paged = all_events(server, admin, user=pager_id)
    assert [e["type"] for e in paged] == ["sign_in_succeeded"] * 5
    assert len({e["id"] for e in paged}) == 5
    assert [e["id"] for e in paged] == sorted((e["id"] for e in paged), reverse=True)
    everyone = all_events(server, admin, type="sign_in_succeeded")
    assert {e["id"] for e in paged} < {e["id"] for e in everyone}
    assert all(e["type"] == "sign_in_succeeded" for e in everyone)

    for bad in ({"limit": "0"}, {"limit": "101"}, {"limit": "x"}, {"cursor": "nope"}):
        answer = listed(server, admin, **bad)
        assert answer.status_code == 400, bad
        assert answer.json()["error"]["code"] == "invalid_request"

    refused = listed(server, str(pager["access_token"]))
    assert refused.status_code == 403
    assert server.client.get("/auth/admin/events").status_code == 401
    # The refusal is an event itself (who probed for admin rights).
    denied = events_of(server, admin, user=pager_id, type="access_denied")[0]
    assert denied["detail"] == {"table": "auth_admin", "operation": "get", "repeated": 0}


async def test_the_commands_admins_run_are_events_too(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    parser = argparse.ArgumentParser(prog="baas")
    add_keys_command(parser.add_subparsers(dest="command"))
    for argv in (
        ["create", "--id", "auditedKey", "--secret", "audited-secret-1", "--create"],
        ["revoke", "auditedKey"],
        ["rotate-signing"],
    ):
        args = parser.parse_args(["keys", *argv])
        assert await run_keys_command(args, settings, io.StringIO()) == 0
    async with await open_store(settings.store_config) as store:
        events, _ = await SecurityEventStore(store, retention=60).page(event_type="admin_action")
    assert [(e.detail["action"], e.detail["via"]) for e in events] == [
        ("rotate_signing_key", "cli"),
        ("revoke_access_key", "cli"),
        ("create_access_key", "cli"),
    ]
    assert "audited-secret-1" not in repr(events)
