"""Removing a passkey never removes the account's last way in — by the user
(``POST /auth/passkeys/<id>/remove``) or by an admin
(``DELETE /auth/admin/users/<id>/passkeys/<id>``) — through a real server, the real
OpenID provider of the social-login tests and a passkey registered by
:class:`SoftAuthenticator`.

It is the one rule and the one transactional check of unlinking an identity
(:mod:`auth.sign_in_methods`): removing an account's last passkey while its last identity
is unlinked at the same moment leaves one of them, on either store backend; and a
verified email counts as a way in only while sign-in by email is on.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.auth.auth_server import AuthServer
from tests.integration.auth.soft_authenticator import PASSKEY_ENV, SoftAuthenticator
from tests.integration.auth.test_admin_unlink import admin_of, admin_unlink, at_once, signed_in
from tests.integration.auth.test_identity_unlink import identities
from tests.integration.auth.test_social_login import social_server


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[AuthServer, str]]:
    """The social-login server taking passkeys (sign-in by email on), and an admin."""
    with social_server(tmp_path_factory.mktemp("passkey-last-way"), **PASSKEY_ENV) as server:
        yield server, admin_of(server)


@pytest.fixture
def site_on_each_store(
    tmp_path: Path, store_env: dict[str, str]
) -> Iterator[tuple[AuthServer, str]]:
    with social_server(tmp_path, **PASSKEY_ENV, **store_env) as server:
        yield server, admin_of(server, **store_env)


@pytest.fixture
def site_without_email_sign_in(tmp_path: Path) -> Iterator[tuple[AuthServer, str]]:
    with social_server(tmp_path, BAAS_AUTH_EMAIL_SIGNIN="false", **PASSKEY_ENV) as server:
        yield server, admin_of(server)


def with_passkey(server: AuthServer, login: str) -> tuple[str, str, SoftAuthenticator, str]:
    """A social sign-in of ``login`` that then registers a passkey: the access token,
    user id, authenticator and passkey id. Re-authentication is the session alone for
    an unverified login, a mailed code for a verified one (the account has no password)."""
    access, user_id = signed_in(server, login)
    proof: dict[str, Any] = {}
    if not login.startswith("unverified"):
        proof = {"email_code": reauthentication_code(server, access, f"{login}@example.com")}
    authenticator = SoftAuthenticator()
    return access, user_id, authenticator, authenticator.register(server, access, proof)


def reauthentication_code(server: AuthServer, access: str, address: str) -> str:
    """A new code of ``POST /auth/reauthenticate``, once its mail is in the outbox."""
    before = len(server.mails_to(address))
    assert server.post("/auth/reauthenticate", {}, token=access).status_code == 202
    deadline = time.monotonic() + 5
    while len(server.mails_to(address)) == before and time.monotonic() < deadline:
        time.sleep(0.02)
    return server.code_for(address, "Confirm a change")


def admin_remove(server: AuthServer, admin: str, user_id: str, passkey: str) -> httpx.Response:
    path = f"/auth/admin/users/{user_id}/passkeys/{passkey}"
    return server.client.delete(path, headers={"Authorization": f"Bearer {admin}"})


def admin_reset_mfa(server: AuthServer, admin: str, user_id: str) -> httpx.Response:
    """An admin's MFA reset, which removes every passkey of the user."""
    path = f"/auth/admin/users/{user_id}/mfa"
    return server.client.delete(path, headers={"Authorization": f"Bearer {admin}"})


def own_change(server: AuthServer, access: str, path: str, proof: dict[str, Any]) -> httpx.Response:
    """A security change of the user's own, with ``proof`` (the step-up) as its body."""
    return server.post(path, proof, token=access)


def ways_left(server: AuthServer, admin: str, user_id: str) -> list[str]:
    """The account's identities and passkeys, as an admin lists them."""
    headers = {"Authorization": f"Bearer {admin}"}
    base = f"/auth/admin/users/{user_id}"
    linked = server.client.get(f"{base}/identities", headers=headers).json()["identities"]
    passkeys = server.client.get(f"{base}/passkeys", headers=headers).json()["passkeys"]
    return [f"identity {i['provider']}" for i in linked] + [f"passkey {p['id']}" for p in passkeys]


def assert_last_way_refused(answer: httpx.Response) -> None:
    assert (answer.status_code, answer.json()["error"]["code"]) == (400, "invalid_request")
    assert "only way to sign in" in answer.json()["error"]["message"]


def test_the_last_passkey_is_never_removed_by_the_user_or_an_admin(
    site: tuple[AuthServer, str],
) -> None:
    """Nor by an admin's MFA reset, which removes every passkey: the session the user
    still has stays, and the refused removals change nothing."""
    server, admin = site
    # No password, no verified email: the identity and the passkey are the ways in.
    access, user_id, authenticator, passkey = with_passkey(server, "unverified-lou")
    [identity] = identities(server, access)
    assert admin_unlink(server, admin, user_id, identity["id"]).status_code == 204

    assert_last_way_refused(admin_remove(server, admin, user_id, passkey))
    assert_last_way_refused(admin_reset_mfa(server, admin, user_id))
    step_up = {"passkey": authenticator.step_up(server, access)}
    assert_last_way_refused(own_change(server, access, f"/auth/passkeys/{passkey}/remove", step_up))
    assert ways_left(server, admin, user_id) == [f"passkey {passkey}"]


def test_a_verified_email_is_a_way_in_while_sign_in_by_email_is_on(
    site: tuple[AuthServer, str],
) -> None:
    server, admin = site
    access, user_id, _, passkey = with_passkey(server, "vic")
    [identity] = identities(server, access)
    assert admin_unlink(server, admin, user_id, identity["id"]).status_code == 204
    # vic's verified email signs in by a mailed code: the passkey may go.
    assert admin_remove(server, admin, user_id, passkey).status_code == 204
    assert ways_left(server, admin, user_id) == []


def test_a_verified_email_is_no_way_in_while_sign_in_by_email_is_off(
    site_without_email_sign_in: tuple[AuthServer, str],
) -> None:
    """The same rule as unlinking: with BAAS_AUTH_EMAIL_SIGNIN=false a verified email
    opens nothing by itself, so the last passkey stays (by the admin and by the user)."""
    server, admin = site_without_email_sign_in
    access, user_id, authenticator, passkey = with_passkey(server, "val")
    [identity] = identities(server, access)
    assert admin_unlink(server, admin, user_id, identity["id"]).status_code == 204

    assert_last_way_refused(admin_remove(server, admin, user_id, passkey))
    proof = {
        "email_code": reauthentication_code(server, access, "val@example.com"),
        "passkey": authenticator.step_up(server, access),
    }
    assert_last_way_refused(own_change(server, access, f"/auth/passkeys/{passkey}/remove", proof))
    assert ways_left(server, admin, user_id) == [f"passkey {passkey}"]


def test_removing_the_last_passkey_and_unlinking_the_last_identity_at_once_leaves_one(
    site_on_each_store: tuple[AuthServer, str],
) -> None:
    """Threat: a race leaving an account with no way in. Each removal runs with a
    condition on another way in its own transaction, so of a passkey removal and an
    unlink sent at once, one wins — whoever sends them: an admin both, the user the
    removal and an admin the unlink, or the other way round. Several accounts, since
    one burst may happen to run one after the other (without the condition, about one
    in three of these bursts left an account with no way in)."""
    server, admin = site_on_each_store
    senders = [("admin", "admin")] * 10 + [("user", "admin"), ("admin", "user")]
    outcomes = []
    for n, (remover, unlinker) in enumerate(senders):
        access, user_id, authenticator, passkey = with_passkey(server, f"unverified-race{n}")
        [identity] = identities(server, access)
        remove = partial(admin_remove, server, admin, user_id, passkey)
        if remover == "user":
            step_up = {"passkey": authenticator.step_up(server, access)}
            remove = partial(
                own_change, server, access, f"/auth/passkeys/{passkey}/remove", step_up
            )
        unlink = partial(admin_unlink, server, admin, user_id, identity["id"])
        if unlinker == "user":
            step_up = {"passkey": authenticator.step_up(server, access)}
            path = f"/auth/identities/{identity['id']}/unlink"
            unlink = partial(own_change, server, access, path, step_up)
        statuses = sorted(at_once(remove, unlink))
        outcomes.append((remover, unlinker, statuses, len(ways_left(server, admin, user_id))))
    assert all(o[2:] == ([204, 400], 1) for o in outcomes), outcomes
