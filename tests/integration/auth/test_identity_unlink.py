"""Listing, linking and unlinking social identities (issue 22), against the real OpenID
provider of the social-login tests: never the last way into an account, even under a
race; with a second factor, linking and unlinking need it.
"""

from __future__ import annotations

import concurrent.futures

import httpx

from tests.integration.auth.auth_server import PASSWORD, AuthServer, text_of
from tests.integration.auth.mfa_support import enrol_totp, mfa_token
from tests.integration.auth.test_social_login import _sign_in_with, _through_provider, social

__all__ = ["social"]  # the provider and the server, as the social-login tests run them


def link(
    server: AuthServer, access: str, provider: str, login: str, proof: dict[str, str] | None = None
) -> None:
    started = server.post(f"/auth/link/{provider}", proof or {}, token=access)
    assert started.status_code == 200, started.text
    back = _through_provider(started.json()["authorization_url"], login, server.base)
    linked = httpx.get(back, headers={"Cookie": f"baas_oauth={started.cookies['baas_oauth']}"})
    assert linked.status_code == 200, linked.text


def identities(server: AuthServer, access: str) -> list[dict[str, object]]:
    answer = server.get("/auth/identities", token=access)
    assert answer.status_code == 200, answer.text
    found: list[dict[str, object]] = answer.json()["identities"]
    return found


def unlink(
    server: AuthServer, access: str, identity: object, proof: dict[str, str] | None = None
) -> httpx.Response:
    return server.post(f"/auth/identities/{identity}/unlink", proof or {}, token=access)


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


def test_with_a_second_factor_linking_and_unlinking_need_it(social: AuthServer) -> None:
    """Threat: a stolen access token adding the thief's provider account as a way in,
    or removing the owner's."""
    social.signup_verified("erin@example.com")
    app, recovery = enrol_totp(social, str(social.signin("erin@example.com")["access_token"]))
    access = social.post(
        "/auth/mfa/verify", {"mfa_token": mfa_token(social, "erin@example.com"), "code": app.code()}
    ).json()["access_token"]
    refused = social.post("/auth/link/test", {"password": PASSWORD}, token=access)
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "mfa_required")
    link(social, access, "test", "erin", {"password": PASSWORD, "mfa_code": recovery[0]})
    [linked] = identities(social, access)

    refused = unlink(social, access, linked["id"], {"password": PASSWORD})
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "mfa_required")
    assert identities(social, access) == [linked]
    proof = {"password": PASSWORD, "mfa_code": app.code()}
    assert unlink(social, access, linked["id"], proof).status_code == 204
    assert identities(social, access) == []


def test_unlinking_needs_re_authentication_and_tells_the_owner(social: AuthServer) -> None:
    """Threat: a stolen access token alone removing the owner's way in, unnoticed."""
    social.signup_verified("ivo@example.com")
    tokens = social.signin("ivo@example.com")
    access, ivo = str(tokens["access_token"]), tokens["user"]["id"]  # type: ignore[index]
    link(social, access, "test", "ivo", {"password": PASSWORD})
    [linked] = identities(social, access)

    for proof, refusal in (
        ({}, (400, "invalid_request")),
        ({"password": "not ivo's password"}, (401, "invalid_credentials")),
    ):
        refused = unlink(social, access, linked["id"], proof)
        assert (refused.status_code, refused.json()["error"]["code"]) == refusal
    assert identities(social, access) == [linked]
    assert unlink(social, access, linked["id"], {"password": PASSWORD}).status_code == 204
    assert identities(social, access) == []
    notice = social.mail("ivo@example.com", "removed")
    assert "can no longer be signed in to with test" in text_of(notice)
    # The user's own unlink ends no session either (the admin's is the same mechanism).
    assert social.get("/auth/me", token=access).json()["id"] == ivo
