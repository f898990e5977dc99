"""baas as an OpenID provider (issue 22): the code flow end to end over real HTTP.

A real API server; the user's side is a form-posting browser (httpx, see
oidc_support), the app's side plain token requests. The ID token is verified here with
joserfc against the published JWKS. The same flow through an unmodified relying-party
library in a real browser is test_oidc_browser.py; the refusals are test_oidc_refusals.py.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from joserfc import jws
from joserfc.jwk import KeySet

from tests.integration.auth.auth_server import AuthServer
from tests.integration.auth.oidc_support import (
    ADMIN,
    APP_CALLBACK,
    FORM_HEADERS,
    FormBrowser,
    authorize_query,
    callback_params,
    cli_client,
    pkce_pair,
    provider_server,
    register_client,
)
from tests.integration.auth.test_security_events import events_of

MAYA = "maya@example.com"


@pytest.fixture
def provider(tmp_path: Path) -> Iterator[tuple[AuthServer, str]]:
    """A server with an admin; the admin's access token."""
    # No two-tab grace: a rotated-away refresh token is a replay at once.
    with provider_server(tmp_path, BAAS_AUTH_REFRESH_REUSE_GRACE="0") as server:
        yield server, str(server.signin(ADMIN)["access_token"])


def verified_id_token(server: AuthServer, token: str) -> dict[str, Any]:
    """The claims of an ID token whose signature checks against the provider's JWKS."""
    keys = KeySet.import_key_set(server.get("/.well-known/jwks.json").json())
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    key = keys.get_by_kid(header["kid"])
    payload = jws.deserialize_compact(token, key, algorithms=[header["alg"]]).payload
    claims: dict[str, Any] = json.loads(payload)
    return claims


def sign_in_and_consent(server: AuthServer, client: dict[str, Any]) -> tuple[str, str]:
    """Maya through sign-in and consent; the code and the verifier behind it."""
    verifier, challenge = pkce_pair()
    browser = FormBrowser(server)
    page = browser.authorize(authorize_query(client["client_id"], challenge))
    assert page.status_code == 200
    assert "Example App" in page.text
    consent = browser.sign_in(page, MAYA)
    assert consent.status_code == 200
    assert "see your email address" in consent.text
    params = callback_params(
        browser.post_form(consent, "/oauth/authorize/consent", decision="allow")
    )
    assert (params["state"], params["iss"]) == ("state-123", server.base)
    return params["code"], verifier


def signed_in_browser(
    server: AuthServer, admin: str
) -> tuple[dict[str, Any], FormBrowser, str, str]:
    """A client, and a browser where Maya signed in and allowed it (PKCE pair to reuse)."""
    client = register_client(server, admin)
    server.signup_verified(MAYA)
    verifier, challenge = pkce_pair()
    browser = FormBrowser(server)
    consent = browser.sign_in(
        browser.authorize(authorize_query(client["client_id"], challenge)), MAYA
    )
    browser.post_form(consent, "/oauth/authorize/consent", decision="allow")
    return client, browser, verifier, challenge


def exchange(
    server: AuthServer, client: dict[str, Any], code: str, verifier: str
) -> dict[str, Any]:
    answer = server.client.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": APP_CALLBACK,
            "code_verifier": verifier,
        },
        auth=(client["client_id"], client["client_secret"]),
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    body: dict[str, Any] = answer.json()
    return body


def test_discovery_names_every_endpoint(provider: tuple[AuthServer, str]) -> None:
    server, _ = provider
    config = server.get("/.well-known/openid-configuration").json()
    assert config["issuer"] == server.base
    for name, path in (
        ("authorization_endpoint", "/oauth/authorize"),
        ("token_endpoint", "/oauth/token"),
        ("userinfo_endpoint", "/oauth/userinfo"),
        ("jwks_uri", "/.well-known/jwks.json"),
        ("revocation_endpoint", "/oauth/revoke"),
        ("end_session_endpoint", "/oauth/logout"),
    ):
        assert config[name] == server.base + path
    assert config["response_types_supported"] == ["code"]
    assert config["code_challenge_methods_supported"] == ["S256"]
    assert "password" not in config["grant_types_supported"]
    assert config["id_token_signing_alg_values_supported"] == ["ES256"]


def test_code_flow_gives_a_verified_id_token_userinfo_and_refresh(
    provider: tuple[AuthServer, str],
) -> None:
    server, admin = provider
    client = register_client(server, admin)
    server.signup_verified(MAYA)
    code, verifier = sign_in_and_consent(server, client)
    tokens = exchange(server, client, code, verifier)

    claims = verified_id_token(server, tokens["id_token"])
    assert claims["iss"] == server.base
    assert claims["aud"] == client["client_id"]
    assert claims["nonce"] == "nonce-456"
    assert claims["amr"] == ["pwd"]
    assert claims["exp"] > claims["iat"] >= claims["auth_time"]
    digest = hashlib.sha256(tokens["access_token"].encode()).digest()[:16]
    assert claims["at_hash"] == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    info = server.get("/oauth/userinfo", token=tokens["access_token"])
    assert info.status_code == 200, info.text
    assert info.json() == {"sub": claims["sub"], "email": MAYA, "email_verified": True}
    # The app's token is not a baas access token: the rest of the API refuses it.
    assert server.get("/auth/me", token=tokens["access_token"]).status_code == 401

    refreshed = server.client.post(
        "/oauth/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": client["client_id"],
            "client_secret": client["client_secret"],
        },
    )
    assert refreshed.status_code == 200, refreshed.text
    assert refreshed.json()["refresh_token"] != tokens["refresh_token"]
    assert server.get("/oauth/userinfo", token=refreshed.json()["access_token"]).status_code == 200
    # The rotated-away token comes back: the app's session is revoked (reuse detection).
    replay = server.client.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=(client["client_id"], client["client_secret"]),
    )
    assert (replay.status_code, replay.json()["error"]) == (400, "invalid_grant")
    late = server.get("/oauth/userinfo", token=refreshed.json()["access_token"])
    assert late.status_code == 401

    stored = events_of(server, admin, type="oauth_tokens_issued", expect=2)
    assert {event["detail"]["grant"] for event in stored} == {"code", "refresh"}
    assert events_of(server, admin, type="oauth_consent_granted")


def test_consent_is_remembered_and_revocation_ends_the_apps_session(
    provider: tuple[AuthServer, str],
) -> None:
    server, admin = provider
    client, browser, verifier, challenge = signed_in_browser(server, admin)
    # Same browser, same scopes: straight back to the app with a code.
    again = callback_params(browser.authorize(authorize_query(client["client_id"], challenge)))
    tokens = exchange(server, client, again["code"], verifier)
    # prompt=consent asks again; a new scope asks again.
    asked = browser.authorize(authorize_query(client["client_id"], challenge, prompt="consent"))
    assert asked.status_code == 200
    assert "Allow" in asked.text
    wider = browser.authorize(
        authorize_query(client["client_id"], challenge, scope="openid profile")
    )
    assert wider.status_code == 200
    assert "see your user name" in wider.text

    revoked = server.client.post(
        "/oauth/revoke",
        data={"token": tokens["refresh_token"], "token_type_hint": "refresh_token"},
        auth=(client["client_id"], client["client_secret"]),
    )
    assert revoked.status_code == 200
    assert server.get("/oauth/userinfo", token=tokens["access_token"]).status_code == 401
    refused = server.client.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=(client["client_id"], client["client_secret"]),
    )
    assert refused.json()["error"] == "invalid_grant"
    # RFC 7009 §2.2: an unknown token is no error.
    unknown = server.client.post(
        "/oauth/revoke",
        data={"token": "nothing"},
        auth=(client["client_id"], client["client_secret"]),
    )
    assert unknown.status_code == 200


def test_logout_ends_the_baas_session_and_returns_to_the_app(
    provider: tuple[AuthServer, str],
) -> None:
    server, admin = provider
    client, browser, verifier, challenge = signed_in_browser(server, admin)
    params = callback_params(browser.authorize(authorize_query(client["client_id"], challenge)))
    tokens = exchange(server, client, params["code"], verifier)

    wrong = browser.request(
        "GET",
        "/oauth/logout?"
        f"id_token_hint={tokens['id_token']}&post_logout_redirect_uri=https://app.example.com/",
    )
    assert wrong.status_code == 400  # not registered exactly: no redirect anywhere
    out = browser.request(
        "POST",
        "/oauth/logout",
        content=(
            f"id_token_hint={tokens['id_token']}"
            "&post_logout_redirect_uri=https%3A%2F%2Fapp.example.com%2Fbye&state=s1"
        ),
        headers=FORM_HEADERS,
    )
    assert out.status_code == 303
    assert out.headers["location"] == "https://app.example.com/bye?state=s1"
    assert "baas_op_session" not in browser.cookies
    # Without a hint, with one this provider did not sign, or with another client's id:
    # refused on a page, nothing ended, no redirect.
    header, payload, signature = tokens["id_token"].split(".")
    for query in (
        "post_logout_redirect_uri=https%3A%2F%2Fapp.example.com%2Fbye",
        f"id_token_hint={header}.{payload}.{signature[::-1]}",
        f"id_token_hint={tokens['id_token']}&client_id={'B' * 22}",
    ):
        refused = browser.request("GET", f"/oauth/logout?{query}")
        assert refused.status_code == 400, query
        assert "location" not in refused.headers
    # The hint again (its session is already over), without a redirect: a page says so.
    done = browser.request("GET", f"/oauth/logout?id_token_hint={tokens['id_token']}")
    assert done.status_code == 200
    assert "signed out" in done.text
    # Signed out at baas: the next authorization asks to sign in again.
    page = browser.authorize(authorize_query(client["client_id"], challenge))
    assert page.status_code == 200
    assert "Sign in" in page.text


def test_clients_from_the_command_line_and_only_admins_over_http(
    provider: tuple[AuthServer, str],
) -> None:
    server, admin = provider
    env = {"BAAS_DATA_DIR": str(server.data_dir)}
    made = cli_client(env)
    assert made["exit_code"] == "0"
    client_id, secret = made["client_id"], made["client_secret"]
    listed = server.get("/auth/admin/oauth-clients", token=admin).json()["clients"]
    assert [c["client_id"] for c in listed] == [client_id]
    assert secret not in json.dumps(listed)
    # The printed secret works at the token endpoint (a wrong one does not).
    answer = server.client.post(
        "/oauth/token", data={"grant_type": "refresh_token"}, auth=(client_id, secret)
    )
    assert answer.json()["error"] == "invalid_request"
    assert cli_client(env, redirect_uris=["http://app.example.com/"])["exit_code"] == "1"

    server.signup_verified(MAYA)
    maya = str(server.signin(MAYA)["access_token"])
    body = {"name": "x", "redirect_uris": [APP_CALLBACK]}
    assert server.post("/auth/admin/oauth-clients", body, token=maya).status_code == 403
    assert server.get("/auth/admin/oauth-clients", token=maya).status_code == 403
    deleted = server.client.delete(
        f"/auth/admin/oauth-clients/{client_id}", headers={"Authorization": f"Bearer {admin}"}
    )
    assert deleted.status_code == 204
    gone = server.client.post(
        "/oauth/token", data={"grant_type": "refresh_token"}, auth=(client_id, secret)
    )
    assert gone.json()["error"] == "invalid_client"
