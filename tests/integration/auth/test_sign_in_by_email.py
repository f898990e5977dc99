"""Sign-in (and sign-up) by email alone, over HTTP (issue 22): a one-time code or a link
carrying it — single use, 10 minutes, throttled, no enumeration — and the refusals.
"""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx

from tests.integration.auth.auth_server import (
    AuthServer,
    auth_server,
    create_admin,
    text_of,
)
from tests.integration.auth.mfa_support import claims_of, enrol_totp
from tests.integration.auth.test_security_events import events_of

NEW = "nina@example.com"
ADMIN = "lena@example.com"


def send(server: AuthServer, email: str, **extra: object) -> httpx.Response:
    return server.post("/auth/email/send", {"email": email, **extra})


def verify(server: AuthServer, email: str, code: str) -> httpx.Response:
    return server.post("/auth/email/verify", {"email": email, "code": code})


def next_code(server: AuthServer, email: str) -> str:
    """Ask for a sign-in code and return it once its mail is written (not an older one)."""
    before = len(server.mails_to(email))
    assert send(server, email).status_code == 202
    deadline = time.monotonic() + 5
    while len(server.mails_to(email)) == before:
        assert time.monotonic() < deadline, "no new mail"
        time.sleep(0.02)
    return server.code_for(email, "sign-in")


def error_code(answer: httpx.Response) -> str:
    return str(answer.json()["error"]["code"])


def test_a_code_signs_up_then_signs_in_once(tmp_path: Path) -> None:
    create_admin(tmp_path, ADMIN)
    with auth_server(tmp_path) as server:
        answer = send(server, NEW)
        assert answer.status_code == 202
        assert answer.json() == send(server, ADMIN).json()  # the same for an account
        code = server.code_for(NEW, "sign-in")
        wrong = verify(server, NEW, "00000000" if code != "00000000" else "11111111")
        assert (wrong.status_code, error_code(wrong)) == (400, "invalid_code")
        signed_up = verify(server, NEW, code)
        assert signed_up.status_code == 200, signed_up.text
        tokens = signed_up.json()
        assert claims_of(tokens["access_token"])["amr"] == ["email"]
        me = server.get("/auth/me", token=tokens["access_token"]).json()
        assert me["email_verified"] is True
        assert me["has_password"] is False
        again = verify(server, NEW, code)  # single use
        assert (again.status_code, error_code(again)) == (400, "invalid_code")

        signed_in = verify(server, NEW, next_code(server, NEW))
        assert signed_in.json()["user"]["id"] == tokens["user"]["id"]  # the same account

        admin = str(server.signin(ADMIN)["access_token"])
        user_id = tokens["user"]["id"]
        methods = events_of(server, admin, user=user_id, type="sign_in_succeeded", expect=2)
        assert {m["detail"]["method"] for m in methods} == {"email"}
        assert events_of(server, admin, type="code_failed")[0]["detail"] == {"purpose": "sign_in"}


def test_no_account_is_made_when_the_app_only_signs_in(server: AuthServer) -> None:
    assert send(server, NEW, create=False).status_code == 202
    assert send(server, "ghost@example.com", create=False).status_code == 202
    time.sleep(0.3)  # mails are written in the background: give one a chance to appear
    assert server.mails_to("ghost@example.com") == []


def test_the_link_carries_the_code_in_its_fragment(tmp_path: Path) -> None:
    with auth_server(tmp_path, BAAS_AUTH_LINK_URL="https://app.example.com/welcome") as server:
        send(server, NEW)
        text = text_of(server.mail(NEW, "sign-in"))
        link = re.search(r"https://app\.example\.com/welcome#\S+", text)
        assert link, text
        parts = urlsplit(link.group(0))
        fragment = dict(parse_qsl(parts.fragment))
        assert parts.query == ""  # never in the query: that reaches servers' logs
        assert fragment["type"] == "sign_in"
        assert fragment["email"] == NEW
        assert verify(server, fragment["email"], fragment["code"]).status_code == 200


def test_an_expired_code_is_refused(tmp_path: Path) -> None:
    with auth_server(tmp_path, BAAS_AUTH_CODE_TTL="1") as server:
        send(server, NEW)
        code = server.code_for(NEW, "sign-in")
        time.sleep(1.2)
        late = verify(server, NEW, code)
        assert (late.status_code, error_code(late)) == (400, "invalid_code")


def test_a_strangers_password_sign_up_does_not_survive_the_mailbox_proof(
    server: AuthServer,
) -> None:
    """Threat: account takeover through sign-up. A stranger signs up with the victim's
    address and a password of their own; the victim then signs in by email."""
    stranger = "the stranger's password"
    assert server.post("/auth/signup", {"email": NEW, "password": stranger}).status_code == 202
    send(server, NEW)
    answer = verify(server, NEW, server.code_for(NEW, "sign-in"))
    assert answer.status_code == 200, answer.text
    assert answer.json()["user"]["has_password"] is False
    refused = server.post("/auth/signin", {"email": NEW, "password": stranger})
    assert refused.status_code == 401


def test_an_account_with_a_second_factor_is_asked_for_it(server: AuthServer) -> None:
    server.signup_verified(NEW)
    enrol_totp(server, str(server.signin(NEW)["access_token"]))
    answer = verify(server, NEW, next_code(server, NEW)).json()
    assert answer["mfa_required"] is True
    assert "access_token" not in answer


def test_sign_in_by_email_can_be_turned_off(tmp_path: Path) -> None:
    with auth_server(tmp_path, BAAS_AUTH_EMAIL_SIGNIN="false") as server:
        refused = send(server, NEW)
        assert (refused.status_code, error_code(refused)) == (400, "invalid_request")


async def test_a_burst_of_guesses_burns_the_code_after_five(tmp_path: Path) -> None:
    from tests.integration.auth.test_attempt_bursts import burst

    with auth_server(tmp_path, BAAS_TRUSTED_PROXIES="127.0.0.1/32") as server:
        await asyncio.to_thread(send, server, NEW)
        code = await asyncio.to_thread(server.code_for, NEW, "sign-in")
        guesses = [f"{n:08d}" for n in range(61) if f"{n:08d}" != code][:60]
        bodies = [{"email": NEW, "code": guess} for guess in guesses]
        bodies[40] = {"email": NEW, "code": code}
        statuses = await burst([server.base], "/auth/email/verify", bodies, len(bodies))
        assert statuses[40] == 400  # sent after five comparisons: the code is burnt
        assert 200 not in statuses
        again = await asyncio.to_thread(verify, server, NEW, code)
        assert error_code(again) == "invalid_code"
