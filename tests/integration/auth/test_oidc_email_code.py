"""The provider's sign-in page without a password: "Email me a code", then the code,
then what a password sign-in does next (second factor, consent, the app's code) — and
its refusals. A real server; the user is :class:`FormBrowser` (the browser test with an
unmodified relying party is in test_oidc_browser.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.auth.auth_server import AuthServer
from tests.integration.auth.mfa_support import claims_of, enrol_totp_by_email
from tests.integration.auth.oidc_support import (
    ADMIN,
    FormBrowser,
    account_without_password,
    authorize_query,
    callback_params,
    form_fields,
    new_sign_in_code,
    pkce_pair,
    provider_server,
    register_client,
)
from tests.integration.auth.test_oidc_refusals import exchange

NINA = "nina@example.com"
GHOST = "ghost@example.com"
SESSION = "baas_op_session"


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[AuthServer, dict[str, Any], dict[str, Any]]]:
    """A server, a confidential client, and Nina's account (signed up by an emailed
    code: no password) with her token response."""
    with provider_server(tmp_path) as server:
        admin = str(server.signin(ADMIN)["access_token"])
        yield server, register_client(server, admin), account_without_password(server, NINA)


def sign_in_page(
    server: AuthServer, client: dict[str, Any], challenge: str = ""
) -> tuple[FormBrowser, httpx.Response]:
    """A new browser sent by the app to the provider, and the sign-in page it gets."""
    browser = FormBrowser(server)
    query = authorize_query(client["client_id"], challenge or pkce_pair()[1])
    return browser, browser.authorize(query)


def code_page(
    server: AuthServer, browser: FormBrowser, page: httpx.Response
) -> tuple[httpx.Response, str]:
    """Nina asks the sign-in ``page`` for a code: the page to enter it, and the code."""
    assert "id=email-me" in page.text
    before = len(server.mails_to(NINA))
    entry = browser.email_me_a_code(page, NINA)
    assert entry.status_code == 200, entry.text
    return entry, new_sign_in_code(server, NINA, before)


def refused(browser: FormBrowser, page: httpx.Response, code: str) -> httpx.Response:
    """Enter ``code``: the page again with its error (no redirect), and no session."""
    answer = browser.enter_code(page, code)
    assert answer.status_code == 401
    assert "id=error" in answer.text
    assert SESSION not in browser.cookies
    return answer


def test_an_account_with_a_second_factor_passes_it_after_the_emailed_code(
    site: tuple[AuthServer, dict[str, Any], dict[str, Any]],
) -> None:
    server, client, nina = site
    app, _ = enrol_totp_by_email(server, nina["access_token"], NINA)
    verifier, challenge = pkce_pair()
    browser, page = sign_in_page(server, client, challenge)
    entry, code = code_page(server, browser, page)
    step = browser.enter_code(entry, code)
    assert step.status_code == 200
    assert "authenticator app" in step.text
    assert SESSION not in browser.cookies  # the code alone is not enough
    consent = browser.post_form(step, "/oauth/authorize/mfa", code=app.code())
    assert "Allow" in consent.text
    params = callback_params(
        browser.post_form(consent, "/oauth/authorize/consent", decision="allow")
    )
    tokens = exchange(server, client, params["code"], verifier).json()
    id_claims = claims_of(tokens["id_token"])
    assert id_claims["sub"] == nina["user"]["id"]
    assert id_claims["amr"] == ["email", "otp", "mfa"]
    userinfo = server.get("/oauth/userinfo", token=tokens["access_token"]).json()
    assert (userinfo["sub"], userinfo["email"]) == (nina["user"]["id"], NINA)


def test_a_wrong_code_shows_the_page_again_and_a_code_works_once(
    site: tuple[AuthServer, dict[str, Any], dict[str, Any]],
) -> None:
    server, client, nina = site
    verifier, challenge = pkce_pair()
    browser, page = sign_in_page(server, client, challenge)
    entry, code = code_page(server, browser, page)
    wrong = refused(browser, entry, "00000000" if code != "00000000" else "11111111")
    assert "Ask for a new one" in wrong.text
    consent = browser.enter_code(wrong, code)
    assert "Allow" in consent.text
    params = callback_params(
        browser.post_form(consent, "/oauth/authorize/consent", decision="allow")
    )
    id_claims = claims_of(exchange(server, client, params["code"], verifier).json()["id_token"])
    assert (id_claims["sub"], id_claims["amr"]) == (nina["user"]["id"], ["email"])

    # The same code, in another browser's sign-in: spent.
    other, other_page = sign_in_page(server, client)
    other_entry, _ = code_page(server, other, other_page)
    refused(other, other_entry, code)


def test_wrong_codes_burn_the_code_as_the_api_does(
    site: tuple[AuthServer, dict[str, Any], dict[str, Any]],
) -> None:
    server, client, _ = site
    browser, page = sign_in_page(server, client)
    entry, code = code_page(server, browser, page)
    wrong = "00000000" if code != "00000000" else "11111111"
    for _ in range(5):
        entry = refused(browser, entry, wrong)
    refused(browser, entry, code)  # right, but the tries are spent


def test_an_unknown_address_gets_the_same_page_and_no_mail(
    site: tuple[AuthServer, dict[str, Any], dict[str, Any]],
) -> None:
    server, client, _ = site
    browser, page = sign_in_page(server, client)
    unknown = browser.email_me_a_code(page, GHOST)
    before = len(server.mails_to(NINA))
    known = browser.email_me_a_code(page, NINA)
    assert unknown.status_code == known.status_code == 200
    assert unknown.text.replace(GHOST, "@") == known.text.replace(NINA, "@")
    new_sign_in_code(server, NINA, before)
    assert server.mails_to(GHOST) == []  # the page signs in, it does not sign up
    refused(browser, unknown, "12345678")


def test_the_forms_need_their_csrf_token(
    site: tuple[AuthServer, dict[str, Any], dict[str, Any]],
) -> None:
    server, client, _ = site
    browser, page = sign_in_page(server, client)
    fields = form_fields(page.text, "/oauth/authorize/email")
    forged = browser.post_fields(
        "/oauth/authorize/email", {**fields, "csrf": "0" * 64, "email": NINA}
    )
    assert forged.status_code == 400
    assert "id=code" not in forged.text

    entry, code = code_page(server, browser, page)
    stranger = FormBrowser(server)  # no CSRF cookie: this page's token is not theirs
    action = "/oauth/authorize/email/verify"
    cross = stranger.post_fields(action, {**form_fields(entry.text, action), "code": code})
    assert cross.status_code == 400
    assert SESSION not in stranger.cookies
    assert "Allow" in browser.enter_code(entry, code).text  # the refusal spent nothing


def test_without_email_sign_in_the_option_is_absent_and_the_routes_refuse(
    tmp_path: Path,
) -> None:
    with provider_server(tmp_path, BAAS_AUTH_EMAIL_SIGNIN="false") as server:
        admin = str(server.signin(ADMIN)["access_token"])
        client = register_client(server, admin)
        browser, page = sign_in_page(server, client)
        assert page.status_code == 200
        assert "id=sign-in" in page.text
        assert "/oauth/authorize/email" not in page.text
        fields = form_fields(page.text, "/oauth/authorize/signin")
        for action, extra in (
            ("/oauth/authorize/email", {"email": ADMIN}),
            ("/oauth/authorize/email/verify", {"email": ADMIN, "code": "12345678"}),
        ):
            answer = browser.post_fields(action, {**fields, **extra})
            assert answer.status_code == 404, (action, answer.text)
        assert server.mails_to(ADMIN) == []
