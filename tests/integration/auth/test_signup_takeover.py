"""No account takeover through sign-up, over HTTP (issue 15, item 1).

A stranger signing up with the victim's address and another password, before, after
or at the same time as the victim, with or without the mail budget left, never gets
that password activated by the victim's verification.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.integration.auth.auth_server import PASSWORD, AuthServer

VICTIM = "victim@example.com"
STRANGER = "a strangers passphrase"


def _verify(server: AuthServer, code: str, password: str) -> httpx.Response:
    return server.post("/auth/verify-email", {"email": VICTIM, "code": code, "password": password})


def _signin_status(server: AuthServer, password: str) -> int:
    return server.post("/auth/signin", {"email": VICTIM, "password": password}).status_code


def test_the_victims_code_activates_the_victims_password(server: AuthServer) -> None:
    assert server.post("/auth/signup", {"email": VICTIM, "password": PASSWORD}).status_code == 202
    code = server.code_for(VICTIM, "verification")
    assert server.post("/auth/signup", {"email": VICTIM, "password": STRANGER}).status_code == 202
    assert _verify(server, code, PASSWORD).status_code == 200
    assert _signin_status(server, PASSWORD) == 200
    assert _signin_status(server, STRANGER) == 401


def test_with_the_mail_budget_spent(server: AuthServer) -> None:
    server.post("/auth/signup", {"email": VICTIM, "password": PASSWORD})
    code = server.code_for(VICTIM, "verification")
    for _ in range(4):
        server.post("/auth/verify-email/resend", {"email": VICTIM})
    server.post("/auth/signup", {"email": VICTIM, "password": STRANGER})  # mails nothing
    assert _verify(server, code, PASSWORD).status_code == 200
    assert _signin_status(server, PASSWORD) == 200
    assert _signin_status(server, STRANGER) == 401


def test_concurrent_sign_ups(server: AuthServer) -> None:
    passwords = (
        [f"{STRANGER} {n}" for n in range(3)] + [PASSWORD] + [f"{STRANGER} {n}" for n in (3,)]
    )
    barrier = threading.Barrier(len(passwords))

    def sign_up(password: str) -> int:
        barrier.wait()
        body = {"email": VICTIM, "password": password}
        return httpx.post(f"{server.base}/auth/signup", json=body, timeout=30).status_code

    with ThreadPoolExecutor(max_workers=len(passwords)) as pool:
        assert set(pool.map(sign_up, passwords)) == {202}
    code = server.code_for(VICTIM, "verification")
    wrong = _verify(server, code, "a password nobody signed up with")
    assert wrong.status_code == 400
    assert wrong.json()["error"]["code"] == "invalid_code"
    assert _verify(server, code, PASSWORD).status_code == 200
    assert _signin_status(server, PASSWORD) == 200
    for password in passwords:
        if password != PASSWORD:
            assert _signin_status(server, password) == 401
