"""baas as an OpenID provider (issue 22) for an unmodified relying-party library, in a
real browser.

The app is a small Node server on ``openid-client`` (tests/oidc/rp.mjs, the library
as published on npm, nothing patched): discovery, authorization code with PKCE S256,
state and nonce, the ID token validated by the library, userinfo, refresh, revocation
and RP-initiated logout. Debian's headless Chromium, driven by Playwright, is the
user: it goes to the app, is sent to baas's sign-in page, passes the second factor
(TOTP), allows the app on the consent page, and comes back signed in; an account
without a password does the same with a code emailed to it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.integration.auth.auth_server import PASSWORD, AuthServer
from tests.integration.auth.mfa_support import AuthenticatorApp, enrol_totp
from tests.integration.auth.oidc_support import (
    ADMIN,
    account_without_password,
    new_sign_in_code,
    provider_server,
    register_client,
)
from tests.integration.console.conftest import CHROMIUM_ARGS, _chromium, _unavailable
from tests.support import free_port

if TYPE_CHECKING:
    from playwright.sync_api import Page

TESTS = Path(__file__).resolve().parents[2]
RP_SCRIPT = TESTS / "oidc" / "rp.mjs"
MAYA = "maya@example.com"
NINA = "nina@example.com"


@pytest.fixture
def relying_party(tmp_path: Path) -> Iterator[tuple[AuthServer, str, str, Page]]:
    """baas at http://localhost:<api>, the app at http://localhost:<rp>, a browser tab."""
    if shutil.which("node") is None:
        pytest.skip("node is not installed (needed to run the relying party)")
    if not (TESTS / "node_modules" / "openid-client").is_dir():
        pytest.skip("npm package openid-client is missing: run `npm ci --prefix tests`")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed")
    executable = _chromium()
    if executable is None:
        _unavailable("chromium is not installed")
    rp_port = free_port()
    rp = f"http://localhost:{rp_port}"
    with provider_server(tmp_path, host="localhost") as server:
        admin = str(server.signin(ADMIN)["access_token"])
        client = register_client(
            server, admin, redirect_uris=(f"{rp}/callback",), logout_uris=(f"{rp}/bye",)
        )
        issuer = server.get("/.well-known/openid-configuration").json()["issuer"]
        process = subprocess.Popen(
            [
                "node",
                str(RP_SCRIPT),
                str(rp_port),
                issuer,
                client["client_id"],
                client["client_secret"],
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert process.stdout is not None
            line = process.stdout.readline()
            if not line.startswith("ready"):
                process.kill()
                raise AssertionError(f"the relying party did not start: {process.communicate()}")
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
                try:
                    page = browser.new_page()
                    page.set_default_timeout(20_000)
                    yield server, issuer, rp, page
                finally:
                    browser.close()
        finally:
            process.terminate()
            process.communicate(timeout=10)  # waits, and closes the pipes


def result_of(page: Page) -> dict[str, Any]:
    """What the app's page reports (its library's answer), failing on its error."""
    if page.locator("#error").count():
        raise AssertionError(page.locator("#error").inner_text())
    found: dict[str, Any] = json.loads(page.locator("#result").inner_text())
    return found


def allowed(page: Page, rp: str, issuer: str) -> dict[str, Any]:
    """Allow the app on the consent page: what the app reports once back, signed in."""
    assert "wants to" in page.inner_text("body")
    page.click("#allow")
    page.wait_for_url(f"{rp}/callback?*")
    signed_in = result_of(page)
    assert signed_in["claims"]["iss"] == issuer
    return signed_in


def test_an_unmodified_relying_party_signs_in_refreshes_revokes_and_logs_out(
    relying_party: tuple[AuthServer, str, str, Page],
) -> None:
    server, issuer, rp, page = relying_party
    server.signup_verified(MAYA)
    app: AuthenticatorApp
    app, _ = enrol_totp(server, str(server.signin(MAYA)["access_token"]))

    page.goto(f"{rp}/login")
    assert page.url.startswith(f"{issuer}/oauth/authorize?")
    page.fill("#email", MAYA)
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    page.fill("#code", app.code())  # the second factor, on baas's page
    page.click("#verify")
    signed_in = allowed(page, rp, issuer)
    claims = signed_in["claims"]
    assert claims["amr"] == ["pwd", "otp", "mfa"]
    assert signed_in["userinfo"]["email"] == MAYA
    assert signed_in["userinfo"]["sub"] == claims["sub"]
    assert signed_in["refreshed"] is True
    assert signed_in["userinfo_after_refresh"]["sub"] == claims["sub"]

    page.goto(f"{rp}/revoke")
    assert result_of(page) == {"revoked": True, "error": "invalid_grant"}

    page.goto(f"{rp}/logout")
    page.wait_for_url(f"{rp}/bye?*")
    assert result_of(page) == {"signed_out": True, "state": "bye-state"}

    # The baas session is over: the app's next sign-in starts at the sign-in page.
    page.goto(f"{rp}/login")
    assert page.locator("#sign-in").count() == 1


def test_an_account_without_a_password_signs_in_to_the_app_by_an_emailed_code(
    relying_party: tuple[AuthServer, str, str, Page],
) -> None:
    server, issuer, rp, page = relying_party
    nina = account_without_password(server, NINA)

    page.goto(f"{rp}/login")
    assert page.url.startswith(f"{issuer}/oauth/authorize?")
    before = len(server.mails_to(NINA))
    page.fill("#code-email", NINA)
    page.click("#email-me")
    page.fill("#code", new_sign_in_code(server, NINA, before))  # read from the dev outbox
    page.click("#verify-code")
    signed_in = allowed(page, rp, issuer)
    claims = signed_in["claims"]
    assert claims["sub"] == nina["user"]["id"]
    assert claims["amr"] == ["email"]
    assert signed_in["userinfo"] == {**signed_in["userinfo"], "sub": claims["sub"], "email": NINA}
