"""Listing and unlinking social identities (issue 22), against the real OpenID provider
of the social-login tests: never the last way into an account, even under a race.
"""

from __future__ import annotations

import concurrent.futures

import httpx

from tests.integration.auth.auth_server import AuthServer
from tests.integration.auth.test_social_login import _sign_in_with, _through_provider, social

__all__ = ["social"]  # the provider and the server, as the social-login tests run them


def link(server: AuthServer, access: str, provider: str, login: str) -> None:
    started = server.post(f"/auth/link/{provider}", token=access)
    back = _through_provider(started.json()["authorization_url"], login, server.base)
    linked = httpx.get(back, headers={"Cookie": f"baas_oauth={started.cookies['baas_oauth']}"})
    assert linked.status_code == 200, linked.text


def identities(server: AuthServer, access: str) -> list[dict[str, object]]:
    answer = server.get("/auth/identities", token=access)
    assert answer.status_code == 200, answer.text
    found: list[dict[str, object]] = answer.json()["identities"]
    return found


def unlink(server: AuthServer, access: str, identity: object) -> httpx.Response:
    return server.post(f"/auth/identities/{identity}/unlink", {}, token=access)


def test_the_last_way_in_is_never_unlinked(social: AuthServer) -> None:
    # A provider without a verified email: the identity is the account's only way in.
    signed_in = _sign_in_with(social, "unverified-uma")
    access = str(signed_in.json()["access_token"])
    [only] = identities(social, access)
    refused = unlink(social, access, only["id"])
    assert refused.status_code == 400
    assert "only way" in refused.json()["error"]["message"]

    link(social, access, "conforming", "uma-elsewhere")
    both = identities(social, access)
    assert sorted(str(i["provider"]) for i in both) == ["conforming", "test"]
    assert unlink(social, access, only["id"]).status_code == 204
    [left] = identities(social, access)
    assert left["provider"] == "conforming"
    assert unlink(social, access, left["id"]).status_code == 400
    assert unlink(social, access, "no-such-identity").status_code == 404


def test_two_unlinks_at_once_leave_one_way_in(social: AuthServer) -> None:
    access = str(_sign_in_with(social, "unverified-ugo").json()["access_token"])
    link(social, access, "conforming", "ugo-elsewhere")
    ids = [i["id"] for i in identities(social, access)]
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda i: unlink(social, access, i), ids))
    assert sorted(a.status_code for a in answers) == [204, 400]
    assert len(identities(social, access)) == 1
