"""An admin unlinks one of a user's social identities
(``DELETE /auth/admin/users/<id>/identities/<identity id>``), through a real server and
the real OpenID provider of the social-login tests.

The admin's unlink is the user's own (one mechanism, :mod:`auth.sign_in_methods`): never
the account's last way in, even when the admin and the user unlink its last two
identities at the same moment, on either store backend. The owner gets a notice mail and
keeps their sessions; the unlinked identity no longer signs in to the account.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import httpx
import pytest

from tests.integration.auth.auth_server import AuthServer, create_admin, text_of
from tests.integration.auth.test_identity_unlink import identities, link, unlink
from tests.integration.auth.test_security_events import events_of
from tests.integration.auth.test_social_login import _sign_in_with, social, social_server

__all__ = ["social"]  # the provider and the server, as the social-login tests run them

ADMIN = "unlink-admin@example.com"


@pytest.fixture(scope="module")
def admin(social: AuthServer) -> str:
    """An admin's access token on the module's server."""
    return admin_of(social)


def admin_of(server: AuthServer, **env: str) -> str:
    create_admin(server.data_dir, ADMIN, **env)
    return str(server.signin(ADMIN)["access_token"])


def admin_unlink(
    server: AuthServer, token: str | None, user_id: object, identity_id: object
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    path = f"/auth/admin/users/{user_id}/identities/{identity_id}"
    return server.client.delete(path, headers=headers)


def signed_in(server: AuthServer, login: str) -> tuple[str, str]:
    """The access token and user id of a first sign-in through the ``test`` provider."""
    answer = _sign_in_with(server, login)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"]), str(answer.json()["user"]["id"])


def test_an_admin_unlinks_an_identity_which_no_longer_signs_in(
    social: AuthServer, admin: str
) -> None:
    # ada's verified email signs in too (sign-in by email is on): the identity may go.
    access, ada = signed_in(social, "ada")
    [identity] = identities(social, access)

    answer = admin_unlink(social, admin, ada, identity["id"])
    assert answer.status_code == 204, answer.text
    assert identities(social, access) == []
    # Documented choice (as Supabase and Cognito): the user's sessions stay.
    assert social.get("/auth/me", token=access).status_code == 200
    # The provider's account no longer enters ada's: its email is taken, so it is told
    # to sign in and link, as any stranger with that address would be.
    again = _sign_in_with(social, "ada")
    assert (again.status_code, again.json()["error"]["code"]) == (409, "account_exists")

    notice = social.mail("ada@example.com", "removed")
    assert "can no longer be signed in to with test" in text_of(notice)
    [unlinked] = events_of(social, admin, user=ada, type="identity_unlinked")
    assert unlinked["detail"] == {"provider": "test"}
    assert unlinked["actor_id"] is not None
    assert unlinked["actor_id"] != ada
    actions = events_of(social, admin, user=ada, type="admin_action")
    assert {"action": "unlink_identity", "provider": "test", "via": "api"} in [
        e["detail"] for e in actions
    ]


def test_only_an_admin_unlinks_someone_s_identity(social: AuthServer, admin: str) -> None:
    access, bea = signed_in(social, "bea")
    [identity] = identities(social, access)
    # Even the user themself: their own unlink is /auth/identities/<id>/unlink, with
    # re-authentication and the second factor.
    refused = admin_unlink(social, access, bea, identity["id"])
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "access_denied")
    anonymous = admin_unlink(social, None, bea, identity["id"])
    assert (anonymous.status_code, anonymous.json()["error"]["code"]) == (401, "unauthorized")
    assert identities(social, access) == [identity]


def test_an_unknown_user_or_identity_is_not_found(social: AuthServer, admin: str) -> None:
    access, cy = signed_in(social, "cy")
    other_access, _ = signed_in(social, "dot")
    [theirs] = identities(social, other_access)
    [own] = identities(social, access)
    for user_id, identity_id in (
        ("no-such-user", own["id"]),
        (cy, "no-such-identity"),
        (cy, theirs["id"]),  # another user's identity, asked for under cy
    ):
        answer = admin_unlink(social, admin, user_id, identity_id)
        assert (answer.status_code, answer.json()["error"]["code"]) == (404, "not_found")
    assert identities(social, other_access) == [theirs]
    assert identities(social, access) == [own]


def test_the_last_way_in_is_refused_even_to_an_admin(social: AuthServer, admin: str) -> None:
    # No password, no verified email, no passkey: the identity is the only way in.
    access, uli = signed_in(social, "unverified-uli")
    [only] = identities(social, access)
    refused = admin_unlink(social, admin, uli, only["id"])
    assert (refused.status_code, refused.json()["error"]["code"]) == (400, "invalid_request")
    assert "only way" in refused.json()["error"]["message"]
    # Disabled or not (as Supabase): to shut every way in, the admin disables the
    # account or deletes it, and that is what they do instead.
    disabled = social.client.post(
        f"/auth/admin/users/{uli}/disable", headers={"Authorization": f"Bearer {admin}"}
    )
    assert disabled.status_code == 200, disabled.text
    assert admin_unlink(social, admin, uli, only["id"]).status_code == 400
    listed = social.client.get(
        f"/auth/admin/users/{uli}/identities", headers={"Authorization": f"Bearer {admin}"}
    )
    assert [i["id"] for i in listed.json()["identities"]] == [only["id"]]


@pytest.fixture
def social_on_each_store(
    tmp_path: Path, store_env: dict[str, str]
) -> Iterator[tuple[AuthServer, str]]:
    """A server with the OpenID provider on each store backend, and an admin's token."""
    with social_server(tmp_path, **store_env) as server:
        yield server, admin_of(server, **store_env)


def at_once(*requests: Callable[[], httpx.Response]) -> list[int]:
    """Send the requests at the same moment, each from its own thread; their statuses."""
    barrier = threading.Barrier(len(requests))
    statuses: list[int] = [0] * len(requests)

    def send(index: int) -> None:
        barrier.wait()
        statuses[index] = requests[index]().status_code

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def test_unlinking_the_last_two_identities_at_once_leaves_one(
    social_on_each_store: tuple[AuthServer, str],
) -> None:
    """Threat: a race leaving an account with no way in. The remaining way is a
    condition of the same transaction as the removal, so one of two unlinks wins,
    whether two admins send them or an admin and the user."""
    server, admin = social_on_each_store
    for login, by_user in (("unverified-two-admins", False), ("unverified-admin-user", True)):
        access, user_id = signed_in(server, login)
        link(server, access, "conforming", f"{login}-elsewhere")
        first, second = (str(i["id"]) for i in identities(server, access))
        by_admin = partial(admin_unlink, server, admin, user_id)
        other = partial(unlink, server, access, second) if by_user else partial(by_admin, second)
        assert sorted(at_once(partial(by_admin, first), other)) == [204, 400], login
        assert len(identities(server, access)) == 1, login
