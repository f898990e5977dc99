"""Passkeys in a real browser (issue 22): Debian's headless Chromium driven by
Playwright, with a virtual authenticator (CTAP2, resident keys, user verification)
added over the DevTools protocol. The app's page is served by the test itself; it asks
baas for WebAuthn options, calls ``navigator.credentials``, and posts the answers.

Covered: registering one (recovery codes with the first factor), signing in without a
password (aal2), as the second step after a password, as a step-up before removing it;
and the refusals — a replayed registration or assertion, a second step for another
user's MFA token, a cloned authenticator whose signature counter went back.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.integration.auth.auth_server import PASSWORD, AuthServer, auth_server, create_admin
from tests.integration.auth.mfa_support import claims_of, mfa_token
from tests.integration.auth.test_security_events import events_of
from tests.integration.console.conftest import CHROMIUM_ARGS, chromium_or_skip
from tests.integration.static_site import static_site
from tests.support import free_port

if TYPE_CHECKING:
    from playwright.sync_api import CDPSession, Page

PAGE = Path(__file__).parent / "passkey_page"
MAYA = "maya@example.com"
OMAR = "omar@example.com"
ADMIN = "lena@example.com"


def add_virtual_authenticator(page: Page) -> tuple[CDPSession, str]:
    """A platform authenticator (CTAP2, resident keys, user verification that always
    passes) for the tab, over the DevTools protocol; the session and its id."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp, str(added["authenticatorId"])


@dataclasses.dataclass
class PasskeySite:
    """baas, a tab on the app's page, and the tab's virtual authenticator (over CDP)."""

    server: AuthServer
    page: Page
    cdp: CDPSession
    authenticator: str

    def credentials(self) -> list[dict[str, Any]]:
        """What the authenticator holds: each key with its private key and counter."""
        answer = self.cdp.send("WebAuthn.getCredentials", {"authenticatorId": self.authenticator})
        return list(answer["credentials"])

    def restore(self, credential: dict[str, Any]) -> None:
        """Put back an earlier copy of a key (a clone that missed the later uses)."""
        ids = {"authenticatorId": self.authenticator, "credentialId": credential["credentialId"]}
        self.cdp.send("WebAuthn.removeCredential", ids)
        self.cdp.send(
            "WebAuthn.addCredential",
            {"authenticatorId": self.authenticator, "credential": credential},
        )


@pytest.fixture
def passkey_site(tmp_path: Path) -> Iterator[PasskeySite]:
    """baas at http://localhost:<api>, the page at http://localhost:<page>, and a
    browser tab on the page with a virtual platform authenticator."""
    executable = chromium_or_skip()
    from playwright.sync_api import sync_playwright

    api_port, page_port = free_port(), free_port()
    origin = f"http://localhost:{page_port}"
    create_admin(tmp_path, ADMIN)
    env = {
        "BAAS_PUBLIC_URL": f"http://localhost:{api_port}",
        "BAAS_CORS_ORIGINS": origin,
        "BAAS_AUTH_PASSKEY_RP_ID": "localhost",
        "BAAS_AUTH_PASSKEY_ORIGINS": origin,
    }
    with (
        auth_server(tmp_path, api_port, **env) as server,
        static_site(page_port, PAGE) as page_base,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.set_default_timeout(20_000)
            cdp, authenticator = add_virtual_authenticator(page)
            page.goto(f"{page_base}/index.html?api=http://localhost:{api_port}")
            yield PasskeySite(server, page, cdp, authenticator)
        finally:
            browser.close()


def run(page: Page, script: str, *args: object) -> Any:
    return page.evaluate(f"([a, b]) => {script}(a, b)", list(args) + [None] * (2 - len(args)))


def error_code(answer: dict[str, Any]) -> str:
    return str(answer["body"]["error"]["code"])


def test_passkeys_register_sign_in_and_step_up_in_a_browser(
    passkey_site: PasskeySite,
) -> None:
    server, page = passkey_site.server, passkey_site.page
    server.signup_verified(MAYA)
    access = str(server.signin(MAYA)["access_token"])

    # Registering needs re-authentication; the first factor brings recovery codes.
    refused = run(page, "register", access, {"password": "wrong password"})
    assert refused["status"] == 401
    registered = run(page, "register", access, {"password": PASSWORD})
    assert registered["first"]["status"] == 201, registered
    assert len(registered["first"]["body"]["recovery_codes"]) == 10
    assert error_code(registered["replayed"]) == "passkey_failed"  # the flow is spent
    [listed] = server.get("/auth/passkeys", token=access).json()["passkeys"]
    assert listed["name"] == "Test key"

    # Passwordless: the passkey alone (with user verification) is two factors.
    signed_in = run(page, "signIn", {})
    assert signed_in["first"]["status"] == 200, signed_in
    claims = claims_of(signed_in["first"]["body"]["access_token"])
    assert (claims["amr"], claims["aal"]) == (["hwk", "user", "mfa"], "aal2")
    assert error_code(signed_in["replayed"]) == "passkey_failed"  # one answer, one session

    # As the second step after the password.
    token = mfa_token(server, MAYA)
    second = run(page, "signIn", {"mfa_token": token})
    assert second["first"]["status"] == 200, second
    claims = claims_of(second["first"]["body"]["access_token"])
    assert (claims["amr"], claims["aal"]) == (["pwd", "hwk", "mfa"], "aal2")
    # Another user's MFA token cannot be completed with Maya's passkey.
    server.signup_verified(OMAR)
    other = run(page, "register", str(server.signin(OMAR)["access_token"]), {"password": PASSWORD})
    assert other["first"]["status"] == 201
    omar_token = mfa_token(server, OMAR)
    maya_answer = run(page, "assertion", {"mfa_token": mfa_token(server, MAYA)})
    crossed = server.post("/auth/passkeys/authenticate", {"mfa_token": omar_token, **maya_answer})
    assert (crossed.status_code, crossed.json()["error"]["code"]) == (400, "invalid_mfa_token")

    # Removing it needs a step-up: here the passkey itself, asked for while signed in.
    access = str(second["first"]["body"]["access_token"])
    passkey_id = listed["id"]
    no_step = server.post(
        f"/auth/passkeys/{passkey_id}/remove", {"password": PASSWORD}, token=access
    )
    assert no_step.json()["error"]["code"] == "mfa_required"
    step = run(page, "assertion", {}, access)
    removed = server.post(
        f"/auth/passkeys/{passkey_id}/remove", {"password": PASSWORD, "passkey": step}, token=access
    )
    assert removed.status_code == 204, removed.text
    assert "access_token" in server.signin(MAYA)  # no second factor left
    assert server.get("/auth/mfa", token=access).json()["recovery_codes_left"] == 0

    admin = str(server.signin(ADMIN)["access_token"])
    user_id = claims["sub"]
    assert events_of(server, admin, user=user_id, type="mfa_enrolled")[0]["detail"] == {
        "factor": "passkey"
    }
    methods = events_of(server, admin, user=user_id, type="sign_in_succeeded", expect=2)
    assert {"method": "passkey"} in [m["detail"] for m in methods]
    failed = events_of(server, admin, user=user_id, type="mfa_failed")
    assert {f["detail"]["factor"] for f in failed} == {"passkey"}


def test_a_cloned_passkey_whose_counter_went_back_is_refused(passkey_site: PasskeySite) -> None:
    """Threat: a copied authenticator (WebAuthn §6.1.1, signature counter). A copy of
    the key taken before a use answers with a counter the server has already seen."""
    server, page = passkey_site.server, passkey_site.page
    server.signup_verified(MAYA)
    access = str(server.signin(MAYA)["access_token"])
    assert run(page, "register", access, {"password": PASSWORD})["first"]["status"] == 201
    [copy] = passkey_site.credentials()
    used = run(page, "signIn", {})["first"]
    assert used["status"] == 200, used
    [moved] = passkey_site.credentials()
    assert moved["signCount"] > copy["signCount"]  # the authenticator counts its uses

    passkey_site.restore(copy)
    cloned = run(page, "signIn", {})["first"]
    assert (cloned["status"], error_code(cloned)) == (400, "passkey_failed")
    passkey_site.restore(moved)  # the genuine key, one use ahead, still signs in
    assert run(page, "signIn", {})["first"]["status"] == 200


def test_an_admin_lists_and_removes_a_users_passkey(passkey_site: PasskeySite) -> None:
    """A lost security key: the admin sees the user's passkeys (never a key) and removes
    one; the user's sessions end and the key signs nobody in any more."""
    server, page = passkey_site.server, passkey_site.page
    server.signup_verified(MAYA)
    access = str(server.signin(MAYA)["access_token"])
    assert run(page, "register", access, {"password": PASSWORD})["first"]["status"] == 201
    user_id = claims_of(access)["sub"]
    admin = {"Authorization": f"Bearer {server.signin(ADMIN)['access_token']}"}
    path = f"/auth/admin/users/{user_id}/passkeys"
    not_admin = server.client.get(path, headers={"Authorization": f"Bearer {access}"})
    assert not_admin.status_code == 403
    [listed] = server.client.get(path, headers=admin).json()["passkeys"]
    assert set(listed) == {"id", "name", "created_at", "last_used_at", "backed_up"}
    assert listed["name"] == "Test key"
    unknown = server.client.delete(f"{path}/no-such-key", headers=admin)
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (400, "invalid_request")

    removed = server.client.delete(f"{path}/{listed['id']}", headers=admin)
    assert removed.status_code == 204, removed.text
    assert server.get("/auth/me", token=access).status_code == 401  # sessions ended
    assert server.client.get(path, headers=admin).json()["passkeys"] == []
    refused = run(page, "signIn", {})["first"]
    assert (refused["status"], error_code(refused)) == (400, "passkey_failed")
    access = str(server.signin(MAYA)["access_token"])  # the password alone again
    assert server.get("/auth/mfa", token=access).json()["recovery_codes_left"] == 0
    actions = events_of(server, admin["Authorization"][7:], user=user_id, type="admin_action")
    assert "remove_passkey" in {a["detail"]["action"] for a in actions}
