"""Social login against a real OpenID provider (npm ``oidc-provider``, started here).

The browser is played by httpx: it follows the redirects and fills the provider's
dev-interaction login and consent forms, then brings the code back to baas's callback
with the state cookie baas set at the start.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import httpx
import pytest

from tests.integration.auth.auth_server import (
    PASSWORD,
    AuthServer,
    auth_server,
    create_admin,
    text_of,
)
from tests.integration.auth.mfa_support import claims_of, enrol_totp_by_email
from tests.support import free_port

TESTS = Path(__file__).resolve().parents[2]
PROVIDER_SCRIPT = TESTS / "oidc" / "provider.mjs"


def _missing_tools() -> str | None:
    if shutil.which("node") is None:
        return "node is not installed (needed to run the OpenID provider)"
    if not (TESTS / "node_modules" / "oidc-provider").is_dir():
        return "npm package oidc-provider is missing: run `npm ci --prefix tests`"
    return None


@pytest.fixture(scope="module")
def social(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AuthServer]:
    with social_server(tmp_path_factory.mktemp("social")) as server:
        yield server


@contextlib.contextmanager
def social_server(data_dir: Path, **settings: str) -> Iterator[AuthServer]:
    """A baas server (more ``settings`` if given) with three providers of the real OpenID
    provider: ``test`` (email in the ID token), ``wrongaud`` (an ID token for another
    audience) and ``conforming`` (email from UserInfo only)."""
    missing = _missing_tools()
    if missing:
        pytest.skip(missing)
    baas_port, oidc_port, conforming_port = free_port(), free_port(), free_port()
    base = f"http://127.0.0.1:{baas_port}"
    names = ("test", "wrongaud", "conforming")
    callbacks = ",".join(f"{base}/auth/oauth/{name}/callback" for name in names)
    process = subprocess.Popen(
        ["node", str(PROVIDER_SCRIPT), str(oidc_port), callbacks, str(conforming_port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("ready"), "the OpenID provider did not start"
        issuer = f"http://127.0.0.1:{oidc_port}"
        conforming = f"http://127.0.0.1:{conforming_port}"
        providers = [
            {
                "name": name,
                "discovery_url": f"{where}/.well-known/openid-configuration",
                "client_id": "baas-test",
                "client_secret": "baas-test-secret",
            }
            for name, where in (
                ("test", issuer),
                ("wrongaud", f"{issuer}/wrongaud"),
                ("conforming", conforming),
            )
        ]
        env = {"BAAS_PUBLIC_URL": base, "BAAS_OIDC_PROVIDERS": json.dumps(providers)}
        with auth_server(data_dir, baas_port, **env, **settings) as server:
            yield server
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


def _with_param(url: str, name: str, value: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query[name] = value
    return urlunsplit(parts._replace(query=urlencode(query)))


def _through_provider(authorization_url: str, login: str, baas_base: str) -> str:
    """Play the browser at the provider; return the URL it sends back to baas."""
    with httpx.Client(follow_redirects=False, timeout=10) as browser:
        response = browser.get(authorization_url)
        for _ in range(12):
            if response.is_redirect:
                location = urljoin(str(response.url), response.headers["location"])
                if location.startswith(baas_base):
                    return location
                response = browser.get(location)
                continue
            action = re.search(r'<form[^>]*action="([^"]+)"', response.text)
            prompt = re.search(r'name="prompt" value="(\w+)"', response.text)
            assert action, f"unexpected provider page: {response.status_code}"
            assert prompt, f"unexpected provider page: {response.status_code}"
            form = {"prompt": prompt.group(1)}
            if prompt.group(1) == "login":
                form |= {"login": login, "password": "any"}
            response = browser.post(urljoin(str(response.url), action.group(1)), data=form)
    raise AssertionError("the provider never redirected back")


def _sign_in_with(
    server: AuthServer,
    login: str,
    provider: str = "test",
    *,
    tamper_authorization: Callable[[str], str] = lambda url: url,
    tamper_callback: Callable[[str], str] = lambda url: url,
) -> httpx.Response:
    start = server.client.get(f"/auth/oauth/{provider}/start")
    assert start.status_code == 302
    assert "HttpOnly" in start.headers["set-cookie"]
    cookie = start.cookies["baas_oauth"]
    authorization = start.headers["location"]
    assert "code_challenge_method=S256" in authorization
    back = _through_provider(tamper_authorization(authorization), login, server.base)
    return httpx.get(tamper_callback(back), headers={"Cookie": f"baas_oauth={cookie}"})


def test_happy_path_creates_one_account_per_identity(social: AuthServer) -> None:
    first = _sign_in_with(social, "alice")
    assert first.status_code == 200, first.text
    assert first.headers["cache-control"] == "no-store"
    me = social.get("/auth/me", token=first.json()["access_token"]).json()
    assert me["email"] == "alice@example.com"
    assert me["email_verified"] is True
    assert [identity["provider"] for identity in me["identities"]] == ["test"]
    again = _sign_in_with(social, "alice")
    assert again.json()["user"]["id"] == me["id"]


def test_an_account_with_a_second_factor_gets_the_mfa_step_not_tokens(
    social: AuthServer,
) -> None:
    """Without BAAS_AUTH_OAUTH_REDIRECT the callback answers the MFA step in JSON, as the
    password's sign-in does; the code completes it (the redirect's fragment is tested
    in a browser by tests/integration/client_js)."""
    first = _sign_in_with(social, "mfa-mia")
    assert first.status_code == 200, first.text
    app, _ = enrol_totp_by_email(social, first.json()["access_token"], "mfa-mia@example.com")

    pending = _sign_in_with(social, "mfa-mia")
    assert pending.status_code == 200, pending.text
    assert pending.headers["cache-control"] == "no-store"
    step = pending.json()
    assert step == {
        "mfa_required": True,
        "mfa_token": step["mfa_token"],
        "factors": ["totp", "recovery_code"],
        "enrol": False,
        "expires_in": 300,
    }
    assert "baas_refresh" not in pending.headers.get("set-cookie", "")
    tokens = social.post("/auth/mfa/verify", {"mfa_token": step["mfa_token"], "code": app.code()})
    assert tokens.status_code == 200, tokens.text
    claims = claims_of(tokens.json()["access_token"])
    assert (claims["amr"], claims["aal"]) == (["fed", "otp", "mfa"], "aal2")
    assert tokens.json()["user"]["id"] == first.json()["user"]["id"]


def test_email_only_in_userinfo_is_kept(social: AuthServer) -> None:
    # The conforming provider leaves the email out of the ID token (the OIDC default
    # for scope-requested claims): baas reads it from the UserInfo endpoint.
    tokens = _sign_in_with(social, "dora", "conforming")
    assert tokens.status_code == 200, tokens.text
    me = social.get("/auth/me", token=tokens.json()["access_token"]).json()
    assert me["email"] == "dora@example.com"
    assert me["email_verified"] is True


def test_unverified_email_from_userinfo_is_not_trusted(social: AuthServer) -> None:
    tokens = _sign_in_with(social, "unverified-erin", "conforming")
    assert tokens.status_code == 200, tokens.text
    me = social.get("/auth/me", token=tokens.json()["access_token"]).json()
    assert me["email"] is None
    assert me["email_verified"] is False


def test_tampered_state_is_refused(social: AuthServer) -> None:
    response = _sign_in_with(
        social, "mallory", tamper_callback=lambda url: _with_param(url, "state", "forged")
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "social_login_failed"


def test_callback_without_the_state_cookie_is_refused(social: AuthServer) -> None:
    start = social.client.get("/auth/oauth/test/start")
    back = _through_provider(start.headers["location"], "mallory", social.base)
    response = httpx.get(back)  # another browser: no cookie
    assert response.status_code == 400


def test_wrong_nonce_is_refused(social: AuthServer) -> None:
    response = _sign_in_with(
        social, "mallory", tamper_authorization=lambda url: _with_param(url, "nonce", "injected")
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "social_login_failed"


def test_id_token_for_another_audience_is_refused(social: AuthServer) -> None:
    response = _sign_in_with(social, "mallory", "wrongaud")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "social_login_failed"


def test_provider_email_of_a_password_account_never_signs_in_as_it(social: AuthServer) -> None:
    social.signup_verified("carol@example.com")
    refused = _sign_in_with(social, "carol")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "account_exists"
    assert "link" in refused.json()["error"]["message"]

    # Carol signs in with her password and links the provider explicitly.
    tokens = social.signin("carol@example.com")
    access = str(tokens["access_token"])
    # Linking is a new way in: the access token alone is not enough.
    assert social.post("/auth/link/test", token=access).status_code == 400
    wrong = social.post("/auth/link/test", {"password": "not her password"}, token=access)
    assert wrong.status_code == 401
    link = social.post("/auth/link/test", {"password": PASSWORD}, token=access)
    assert link.status_code == 200
    cookie = link.cookies["baas_oauth"]
    back = _through_provider(link.json()["authorization_url"], "carol", social.base)
    linked = httpx.get(back, headers={"Cookie": f"baas_oauth={cookie}"})
    assert linked.status_code == 200, linked.text
    assert linked.json()["linked"]["provider"] == "test"
    notice = social.mail("carol@example.com", "new way to sign in")  # the owner hears of it
    assert "with test" in text_of(notice)
    # From now on the provider signs in to her account.
    via_provider = _sign_in_with(social, "carol")
    assert via_provider.status_code == 200
    assert via_provider.json()["user"]["id"] == tokens["user"]["id"]  # type: ignore[index]


def test_unknown_provider_is_a_clear_error(social: AuthServer) -> None:
    response = social.client.get("/auth/oauth/nope/start")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_request"


def test_linking_and_signing_in_through_a_provider_are_security_events(
    social: AuthServer,
) -> None:
    social.signup_verified("dave@example.com")
    tokens = social.signin("dave@example.com")
    dave = tokens["user"]["id"]  # type: ignore[index]
    link = social.post("/auth/link/test", {"password": PASSWORD}, token=str(tokens["access_token"]))
    back = _through_provider(link.json()["authorization_url"], "dave", social.base)
    cookie = {"Cookie": f"baas_oauth={link.cookies['baas_oauth']}"}
    assert httpx.get(back, headers=cookie).status_code == 200
    assert _sign_in_with(social, "dave").status_code == 200

    admin_email = f"admin-{dave[:8]}@example.com"
    create_admin(social.data_dir, admin_email)
    admin = str(social.signin(admin_email)["access_token"])
    deadline = time.monotonic() + 5
    while True:
        listed = social.client.get(
            "/auth/admin/events",
            params={"user": str(dave)},
            headers={"Authorization": f"Bearer {admin}"},
        ).json()["events"]
        seen = {(e["type"], json.dumps(e["detail"], sort_keys=True)) for e in listed}
        wanted = {
            ("identity_linked", '{"provider": "test"}'),
            ("sign_in_succeeded", '{"method": "test"}'),
        }
        if wanted <= seen:
            break
        assert time.monotonic() < deadline, seen
        time.sleep(0.05)
