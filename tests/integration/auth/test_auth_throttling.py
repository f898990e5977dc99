"""Throttling of sign-ins and mail-sending requests over HTTP, with forwarding headers.

``X-Forwarded-For`` counts only when the TCP peer is a configured proxy; a client
cannot escape the per-address limit (or frame another address) by sending one.
"""

from __future__ import annotations

from pathlib import Path

from tests.integration.auth.auth_server import PASSWORD, AuthServer, auth_server


def _signin(server: AuthServer, email: str, password: str, forwarded: str | None = None) -> int:
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    response = server.post("/auth/signin", {"email": email, "password": password}, headers=headers)
    if response.status_code == 429:
        assert int(response.headers["retry-after"]) >= 1
        assert response.json()["error"]["code"] == "too_many_requests"
    return response.status_code


def test_failed_signins_are_limited_per_account_even_for_the_right_password(
    server: AuthServer,
) -> None:
    server.signup_verified("victim@example.com")
    statuses = [_signin(server, "victim@example.com", f"guess number {i}") for i in range(6)]
    assert statuses == [401] * 5 + [429]
    # Throttled before the hasher: the right password does not get through either.
    assert _signin(server, "victim@example.com", PASSWORD) == 429
    # Unknown accounts are throttled the same way (no enumeration by throttling).
    unknown = [_signin(server, "ghost@example.com", f"guess {i}") for i in range(6)]
    assert unknown == [401] * 5 + [429]


def test_spoofed_forwarded_for_does_not_escape_the_address_limit(tmp_path: Path) -> None:
    env = {"BAAS_AUTH_SIGNIN_ADDRESS_FAILURES": "3", "BAAS_TRUSTED_PROXIES": "10.0.0.0/8"}
    with auth_server(tmp_path, **env) as server:
        # Three accounts, one failure each, every request claiming a new client address:
        # the peer (127.0.0.1) is no trusted proxy, so the header is ignored.
        spoofed = [
            _signin(server, f"user{i}@example.com", "wrong password!", f"203.0.113.{i}")
            for i in range(4)
        ]
        assert spoofed == [401, 401, 401, 429]


def test_forwarded_for_is_honoured_from_a_trusted_proxy(tmp_path: Path) -> None:
    env = {"BAAS_AUTH_SIGNIN_ADDRESS_FAILURES": "3", "BAAS_TRUSTED_PROXIES": "127.0.0.1/32"}
    with auth_server(tmp_path, **env) as server:
        first = [
            _signin(server, f"a{i}@example.com", "wrong password!", "198.51.100.7")
            for i in range(4)
        ]
        assert first == [401, 401, 401, 429]
        # Another client behind the same proxy has its own budget...
        assert _signin(server, "b@example.com", "wrong password!", "198.51.100.8") == 401
        # ...and a client prepending a fake hop is judged by the hop the proxy saw.
        assert _signin(server, "c@example.com", "wrong password!", "10.9.9.9, 198.51.100.7") == 429


def test_throttling_survives_a_restart(tmp_path: Path) -> None:
    with auth_server(tmp_path) as server:
        for i in range(5):
            _signin(server, "stubborn@example.com", f"guess {i}")
    with auth_server(tmp_path) as server:
        assert _signin(server, "stubborn@example.com", "guess 6") == 429


def test_mail_requests_are_rate_limited_per_address_and_per_email(server: AuthServer) -> None:
    server.signup_verified("mailbox@example.com")
    statuses = [
        server.post("/auth/password/forgot", {"email": "mailbox@example.com"}).status_code
        for _ in range(8)
    ]
    assert statuses == [202] * 8  # the answer never changes...
    mails = [s for s in server.mails_to("mailbox@example.com") if "reset" in s]
    assert len(mails) <= 5  # ...but at most 5 mails an hour reach one address
    more = [
        server.post("/auth/password/forgot", {"email": f"x{i}@example.com"}).status_code
        for i in range(14)
    ]
    assert more[-1] == 429  # 20 requests an hour from one address
