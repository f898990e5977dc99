"""baas as an OpenID provider (issue 22): every refusal, over real HTTP.

Redirect URI variants (never redirected to), implicit and hybrid requests, PKCE
downgrades (plain, none, a wrong verifier), wrong, reused and expired codes, password
and other grants, wrong client secrets, CSRF on the provider's forms, ``prompt=none``,
a denied consent, and an account with a second factor that must pass it. Each answer is
the spec's error (on the redirect, or ``{"error"}`` from the token endpoint), never a 5xx.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from tests.integration.auth.auth_server import AuthServer
from tests.integration.auth.mfa_support import claims_of, enrol_totp
from tests.integration.auth.oidc_support import (
    ADMIN,
    APP_CALLBACK,
    FORM_HEADERS,
    FormBrowser,
    authorize_query,
    callback_params,
    cli_client,
    form_fields,
    pkce_pair,
    provider_server,
    register_client,
)
from tests.integration.auth.test_security_events import events_of

MAYA = "maya@example.com"


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[AuthServer, str, dict[str, Any]]]:
    """A server, its admin's token, a confidential client, and Maya signed up."""
    with provider_server(tmp_path) as server:
        admin = str(server.signin(ADMIN)["access_token"])
        server.signup_verified(MAYA)
        yield server, admin, register_client(server, admin)


def code_for(server: AuthServer, client: dict[str, Any], challenge: str) -> str:
    """Maya signs in and consents; the code the app receives."""
    browser = FormBrowser(server)
    consent = browser.sign_in(
        browser.authorize(authorize_query(client["client_id"], challenge)), MAYA
    )
    return callback_params(
        browser.post_form(consent, "/oauth/authorize/consent", decision="allow")
    )["code"]


def token_request(
    server: AuthServer, client: dict[str, Any], secret: str | None = None, **params: str
) -> httpx.Response:
    return server.client.post(
        "/oauth/token",
        data=params,
        auth=(client["client_id"], secret if secret is not None else client["client_secret"]),
    )


def exchange(
    server: AuthServer, client: dict[str, Any], code: str, verifier: str, **overrides: str
) -> httpx.Response:
    params = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": APP_CALLBACK,
        "code_verifier": verifier,
        **overrides,
    }
    return token_request(server, client, **params)


def oauth_error(response: httpx.Response) -> tuple[int, str]:
    assert response.status_code < 500, response.text
    return response.status_code, str(response.json()["error"])


def refused_on_redirect(response: httpx.Response) -> str:
    """The ``error`` of a refusal sent back to the app, with its state."""
    params = callback_params(response)
    assert "code" not in params
    assert params["state"] == "state-123"
    return params["error"]


@pytest.mark.parametrize(
    "variant",
    [
        "https://app.example.com/callback/",  # trailing slash
        "https://app.example.com/callback/extra",  # added path
        "https://app.example.com/callback?next=x",  # added query
        "https://app.example.com/Callback",  # path case
        "https://app.example.com/call",  # a prefix
        "http://app.example.com/callback",  # another scheme
        "https://app.example.com.evil.test/callback",  # another host
        "https://app.example.com:8443/callback",  # another port
        "https://app.example.com/callback#x",  # a fragment
        "",
    ],
)
def test_redirect_uri_variants_are_refused_without_redirecting(
    site: tuple[AuthServer, str, dict[str, Any]], variant: str
) -> None:
    server, _, client = site
    _, challenge = pkce_pair()
    query = authorize_query(client["client_id"], challenge, redirect_uri=variant)
    answer = FormBrowser(server).authorize(query)
    assert answer.status_code == 400
    assert "location" not in answer.headers
    assert "not registered" in answer.text


def test_unknown_client_and_repeated_parameters_are_refused_on_a_page(
    site: tuple[AuthServer, str, dict[str, Any]],
) -> None:
    server, _, client = site
    _, challenge = pkce_pair()
    unknown = FormBrowser(server).authorize(authorize_query("A" * 22, challenge))
    assert unknown.status_code == 400
    assert "location" not in unknown.headers
    query = urlencode(authorize_query(client["client_id"], challenge)) + "&state=other"
    repeated = FormBrowser(server).request("GET", f"/oauth/authorize?{query}")
    assert repeated.status_code == 400
    assert "location" not in repeated.headers


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"response_type": "token"}, "unsupported_response_type"),  # implicit
        ({"response_type": "id_token token"}, "unsupported_response_type"),
        ({"response_type": "code id_token"}, "unsupported_response_type"),  # hybrid
        ({"code_challenge_method": "plain"}, "invalid_request"),  # PKCE downgrade
        ({"code_challenge_method": ""}, "invalid_request"),
        ({"code_challenge": ""}, "invalid_request"),
        ({"scope": "email"}, "invalid_scope"),  # no openid
        ({"scope": "openid admin"}, "invalid_scope"),
        ({"prompt": "none"}, "login_required"),
    ],
)
def test_bad_requests_are_refused_on_the_redirect(
    site: tuple[AuthServer, str, dict[str, Any]], overrides: dict[str, str], error: str
) -> None:
    server, _, client = site
    verifier, challenge = pkce_pair()
    if overrides.get("code_challenge_method") == "plain":
        overrides = {**overrides, "code_challenge": verifier}
    answer = FormBrowser(server).authorize(
        authorize_query(client["client_id"], challenge, **overrides)
    )
    assert refused_on_redirect(answer) == error


def test_a_public_client_without_pkce_is_refused_and_with_it_needs_no_secret(
    site: tuple[AuthServer, str, dict[str, Any]],
) -> None:
    server, admin, _ = site
    public = register_client(server, admin, public=True)
    assert "client_secret" not in public
    verifier, challenge = pkce_pair()
    query = authorize_query(public["client_id"], challenge)
    del query["code_challenge"], query["code_challenge_method"]
    assert refused_on_redirect(FormBrowser(server).authorize(query)) == "invalid_request"

    code = code_for(server, public, challenge)
    sent = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": APP_CALLBACK,
        "client_id": public["client_id"],
    }
    # A secret claimed by a public client, and a missing verifier, are refused.
    claimed = server.client.post("/oauth/token", data={**sent, "client_secret": "x" * 43})
    assert oauth_error(claimed) == (401, "invalid_client")
    missing = server.client.post("/oauth/token", data=sent)
    assert oauth_error(missing) == (400, "invalid_grant")
    answer = server.client.post("/oauth/token", data={**sent, "code_verifier": verifier})
    assert answer.status_code == 200, answer.text


def test_wrong_verifier_redirect_uri_or_client_leave_the_code_unused(
    site: tuple[AuthServer, str, dict[str, Any]],
) -> None:
    server, admin, client = site
    other = register_client(server, admin)
    verifier, challenge = pkce_pair()
    code = code_for(server, client, challenge)
    wrong_verifier, _ = pkce_pair()
    assert oauth_error(exchange(server, client, code, wrong_verifier)) == (400, "invalid_grant")
    assert oauth_error(exchange(server, client, code, challenge)) == (400, "invalid_grant")
    moved = exchange(server, client, code, verifier, redirect_uri=APP_CALLBACK + "/")
    assert oauth_error(moved) == (400, "invalid_grant")
    stolen = exchange(server, other, code, verifier)
    assert oauth_error(stolen) == (400, "invalid_grant")
    assert oauth_error(exchange(server, client, "oc1.x.y", verifier)) == (400, "invalid_grant")
    assert exchange(server, client, code, verifier).status_code == 200


def test_a_reused_code_fails_and_revokes_what_it_gave(
    site: tuple[AuthServer, str, dict[str, Any]],
) -> None:
    server, admin, client = site
    verifier, challenge = pkce_pair()
    code = code_for(server, client, challenge)
    first = exchange(server, client, code, verifier)
    assert first.status_code == 200
    tokens = first.json()
    assert server.get("/oauth/userinfo", token=tokens["access_token"]).status_code == 200
    assert oauth_error(exchange(server, client, code, verifier)) == (400, "invalid_grant")
    # RFC 6749 §4.1.2: the tokens issued from the code are revoked.
    assert server.get("/oauth/userinfo", token=tokens["access_token"]).status_code == 401
    refresh = token_request(
        server, client, grant_type="refresh_token", refresh_token=tokens["refresh_token"]
    )
    assert oauth_error(refresh) == (400, "invalid_grant")
    assert events_of(server, admin, type="oauth_code_reused")


def test_an_expired_code_is_refused(tmp_path: Path) -> None:
    with provider_server(tmp_path, BAAS_AUTH_OAUTH_CODE_TTL="1") as server:
        admin = str(server.signin(ADMIN)["access_token"])
        server.signup_verified(MAYA)
        client = register_client(server, admin)
        verifier, challenge = pkce_pair()
        code = code_for(server, client, challenge)
        time.sleep(1.2)
        assert oauth_error(exchange(server, client, code, verifier)) == (400, "invalid_grant")


def test_password_and_other_grants_and_bad_client_secrets_are_refused(
    site: tuple[AuthServer, str, dict[str, Any]],
) -> None:
    server, admin, client = site
    password = token_request(
        server, client, grant_type="password", username=MAYA, password="correct horse"
    )
    assert oauth_error(password) == (400, "unsupported_grant_type")
    for grant in ("client_credentials", "implicit", "urn:ietf:params:oauth:grant-type:jwt-bearer"):
        assert oauth_error(token_request(server, client, grant_type=grant))[1] == (
            "unsupported_grant_type"
        )
    wrong = token_request(server, client, secret="not-the-secret", grant_type="refresh_token")
    assert oauth_error(wrong) == (401, "invalid_client")
    assert wrong.headers["www-authenticate"].startswith("Basic")
    posted = server.client.post(
        "/oauth/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": "rt1.x",
            "client_id": client["client_id"],
            "client_secret": client["client_secret"][:-1] + "x",
        },
    )
    assert oauth_error(posted) == (401, "invalid_client")
    as_json = server.client.post(
        "/oauth/token",
        json={"grant_type": "refresh_token"},
        auth=(client["client_id"], client["client_secret"]),
    )
    assert oauth_error(as_json) == (400, "invalid_request")
    # baas's own refresh endpoint does not take an app's refresh token, nor the reverse.
    mine = server.signin(MAYA)
    crossed = token_request(
        server, client, grant_type="refresh_token", refresh_token=str(mine["refresh_token"])
    )
    assert oauth_error(crossed) == (400, "invalid_grant")
    refused = events_of(server, admin, type="oauth_refused", expect=3)
    assert {"unsupported_grant_type", "invalid_client"} <= {e["detail"]["reason"] for e in refused}


def test_forms_without_the_csrf_token_and_a_denied_consent(
    site: tuple[AuthServer, str, dict[str, Any]],
) -> None:
    server, _, client = site
    _, challenge = pkce_pair()
    browser = FormBrowser(server)
    page = browser.authorize(authorize_query(client["client_id"], challenge))
    fields = form_fields(page.text, "/oauth/authorize/signin")
    forged = {**fields, "csrf": "0" * 64, "email": MAYA, "password": "correct horse battery staple"}
    answer = browser.request(
        "POST", "/oauth/authorize/signin", content=urlencode(forged), headers=FORM_HEADERS
    )
    assert answer.status_code == 400
    assert "baas_op_session" not in browser.cookies
    # Another browser (no CSRF cookie) posting this page's token is refused too.
    stranger = FormBrowser(server)
    cross = stranger.request(
        "POST",
        "/oauth/authorize/signin",
        content=urlencode({**fields, "email": MAYA, "password": "correct horse battery staple"}),
        headers=FORM_HEADERS,
    )
    assert cross.status_code == 400
    assert "baas_op_session" not in stranger.cookies

    consent = browser.sign_in(page, MAYA)
    denied = browser.post_form(consent, "/oauth/authorize/consent", decision="deny")
    assert refused_on_redirect(denied) == "access_denied"
    bad_password = browser.sign_in(
        FormBrowser(server).authorize(authorize_query(client["client_id"], challenge)), MAYA
    )
    assert bad_password.status_code == 400  # a fresh browser's page, this browser's cookie


def test_an_account_with_a_second_factor_must_pass_it(
    site: tuple[AuthServer, str, dict[str, Any]],
) -> None:
    server, _, client = site
    app, _ = enrol_totp(server, str(server.signin(MAYA)["access_token"]))
    verifier, challenge = pkce_pair()
    browser = FormBrowser(server)
    step = browser.sign_in(browser.authorize(authorize_query(client["client_id"], challenge)), MAYA)
    assert step.status_code == 200
    assert "authenticator app" in step.text
    assert "baas_op_session" not in browser.cookies
    wrong = browser.post_form(step, "/oauth/authorize/mfa", code=app.wrong_code())
    assert wrong.status_code == 401
    assert "id=error" in wrong.text
    assert "baas_op_session" not in browser.cookies
    consent = browser.post_form(wrong, "/oauth/authorize/mfa", code=app.code())
    assert consent.status_code == 200
    assert "Allow" in consent.text
    params = callback_params(
        browser.post_form(consent, "/oauth/authorize/consent", decision="allow")
    )
    tokens = exchange(server, client, params["code"], verifier).json()
    id_claims = claims_of(tokens["id_token"])
    assert id_claims["amr"] == ["pwd", "otp", "mfa"]
    assert claims_of(tokens["access_token"])["aal"] == "aal2"


def test_a_burst_of_exchanges_of_one_code_gives_tokens_once_and_then_revokes_them(
    tmp_path: Path, store_env: dict[str, str]
) -> None:
    with provider_server(tmp_path, **store_env) as server:
        client = cli_client({"BAAS_DATA_DIR": str(tmp_path), **store_env}, name="Example App")
        server.signup_verified(MAYA)
        verifier, challenge = pkce_pair()
        code = code_for(server, client, challenge)
        barrier = threading.Barrier(8)

        def exchange_at_once() -> httpx.Response:
            with httpx.Client(base_url=server.base, timeout=30) as own:
                barrier.wait()
                return own.post(
                    "/oauth/token",
                    data={
                        "grant_type": "authorization_code",
                        "code": code,
                        "redirect_uri": APP_CALLBACK,
                        "code_verifier": verifier,
                    },
                    auth=(client["client_id"], client["client_secret"]),
                )

        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda _: exchange_at_once(), range(8)))
        granted = [a for a in answers if a.status_code == 200]
        assert len(granted) == 1, [a.text for a in answers]
        assert all(oauth_error(a) == (400, "invalid_grant") for a in answers if a not in granted)
        # The code came back: what it gave is revoked (RFC 6749 §4.1.2).
        tokens = granted[0].json()
        assert server.get("/oauth/userinfo", token=tokens["access_token"]).status_code == 401
        refresh = token_request(
            server, client, grant_type="refresh_token", refresh_token=tokens["refresh_token"]
        )
        assert oauth_error(refresh) == (400, "invalid_grant")
