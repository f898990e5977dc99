"""The console's "Unlink" action on a user's linked identity, in a real Chromium, by
keyboard: against a real server and the real OpenID provider of the social-login tests
(the console on, sign-in by email off so the identities are the user's only ways in).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.integration.auth.auth_server import AuthServer
from tests.integration.auth.test_identity_unlink import identities, link
from tests.integration.auth.test_social_login import _sign_in_with, social_server
from tests.integration.console.console_pages import create_admin, sign_in, signed_in

ADMIN = "lena@example.com"
ULA = "ula@example.com"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AuthServer]:
    data_dir = tmp_path_factory.mktemp("console-identities")
    settings = {"BAAS_CONSOLE": "true", "BAAS_AUTH_EMAIL_SIGNIN": "false"}
    with social_server(data_dir, **settings) as running:
        create_admin(data_dir, ADMIN)
        yield running


def ula_with_two_identities(server: AuthServer) -> str:
    """Ula signs up through the provider (no password) and links a second one, after
    re-authenticating with a code mailed to her verified address; her access token."""
    signed_in = _sign_in_with(server, "ula")
    assert signed_in.status_code == 200, signed_in.text
    access = str(signed_in.json()["access_token"])
    assert server.post("/auth/reauthenticate", {}, token=access).status_code == 202
    code = server.code_for(ULA, "Confirm")
    link(server, access, "conforming", "ula-elsewhere", {"email_code": code})
    return access


def test_an_admin_unlinks_an_identity_by_keyboard_but_never_the_last(
    server: AuthServer, context: BrowserContext
) -> None:
    access = ula_with_two_identities(server)
    page: Page = context.new_page()
    sign_in(page, server.base, ADMIN)
    signed_in(page, ADMIN)
    page.get_by_role("link", name="Users").click()
    page.get_by_label("Email contains").fill("ula")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("cell", name=ULA).click()
    section = page.get_by_role("region", name="Linked identities")
    expect(section.get_by_role("row")).to_have_count(3)  # the heading's and two

    # By keyboard: Enter opens the confirmation on Cancel; Escape changes nothing.
    unlink_test = section.get_by_role("button", name=f"Unlink test {ULA}")
    unlink_test.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("can no longer sign in with test")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    assert len(identities(server, access)) == 2

    # Enter, Tab to "Unlink", Enter: unlinked, and the card shows the one left.
    unlink_test.focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    expect(dialog.get_by_role("button", name="Unlink")).to_be_focused()
    page.keyboard.press("Enter")
    expect(section.get_by_role("row")).to_have_count(2)
    expect(section).to_contain_text("conforming")
    [left] = identities(server, access)
    assert left["provider"] == "conforming"

    # The last way in: the API refuses, the console says why, the row stays.
    section.get_by_role("button", name="Unlink conforming").click()
    dialog.get_by_role("button", name="Unlink").click()
    expect(page.locator("#user-detail").get_by_role("alert")).to_contain_text("only way")
    expect(section.get_by_role("row")).to_have_count(2)
    assert identities(server, access) == [left]
