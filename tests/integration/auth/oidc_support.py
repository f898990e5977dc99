"""Helpers of the OpenID provider's tests: a registered app, and a browser made of httpx.

:class:`FormBrowser` does what a browser does with the provider's pages and nothing
more: it keeps the cookies the provider sets (``Secure`` ones included, as a browser
does for ``localhost``, which Python's cookie jar does not over http), follows
redirects within the provider, reads the forms' fields from the HTML and posts them.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import hashlib
import io
import re
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from html import unescape
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from baas.config import Settings
from baas.oauth_clients_cli import run_oauth_clients_command
from tests.integration.auth.auth_server import PASSWORD, AuthServer, auth_server, create_admin
from tests.support import free_port

ADMIN = "lena@example.com"
APP_CALLBACK = "https://app.example.com/callback"
APP_LOGGED_OUT = "https://app.example.com/bye"
FORM_HEADERS = {"Content-Type": "application/x-www-form-urlencoded"}


@contextlib.contextmanager
def provider_server(data_dir: Path, host: str = "127.0.0.1", **env: str) -> Iterator[AuthServer]:
    """A server whose public URL (the issuer) is its own address, with an admin."""
    create_admin(data_dir, ADMIN)
    port = free_port()
    with auth_server(data_dir, port, BAAS_PUBLIC_URL=f"http://{host}:{port}", **env) as server:
        yield server


def register_client(
    server: AuthServer,
    admin_token: str,
    *,
    public: bool = False,
    redirect_uris: tuple[str, ...] = (APP_CALLBACK,),
    logout_uris: tuple[str, ...] = (APP_LOGGED_OUT,),
) -> dict[str, Any]:
    """A client registered through the admin API (id, and secret unless public)."""
    answer = server.post(
        "/auth/admin/oauth-clients",
        {
            "name": "Example App",
            "redirect_uris": list(redirect_uris),
            "post_logout_redirect_uris": list(logout_uris),
            "public": public,
        },
        token=admin_token,
    )
    assert answer.status_code == 201, answer.text
    registered: dict[str, Any] = answer.json()
    return registered


def cli_client(env: dict[str, str], name: str = "CLI App", **options: Any) -> dict[str, str]:
    """A client registered by ``baas oauth-clients create`` in the store ``env`` names:
    its id and secret as printed, and the whole output."""
    fields: dict[str, Any] = {"redirect_uris": [APP_CALLBACK], "logout_uris": [], "public": False}
    args = argparse.Namespace(
        clients_command="create", name=name, create=False, **{**fields, **options}
    )
    out = io.StringIO()
    code = asyncio.run(run_oauth_clients_command(args, Settings.from_env(env), out))
    printed = dict(line.split(":", 1) for line in out.getvalue().splitlines() if ":" in line)
    return {
        "exit_code": str(code),
        "client_id": printed.get("client id", "").strip(),
        "client_secret": printed.get("client secret", "").strip(),
    }


def pkce_pair() -> tuple[str, str]:
    """A code verifier and its S256 challenge (RFC 7636 §4.1-4.2)."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def authorize_query(client_id: str, challenge: str, **extra: str) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": APP_CALLBACK,
        "scope": "openid email",
        "state": "state-123",
        "nonce": "nonce-456",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **extra,
    }


def form_fields(html: str, action: str) -> dict[str, str]:
    """The hidden fields of the page's form posting to ``action``."""
    form = re.search(rf'<form method=post action="{re.escape(action)}">(.*?)</form>', html, re.S)
    assert form, f"no form to {action} in the page: {html[:500]}"
    return {
        unescape(name): unescape(value)
        for name, value in re.findall(
            r'<input type=hidden name="([^"]*)" value="([^"]*)">', form.group(1)
        )
    }


@dataclass
class FormBrowser:
    """A user at the provider's pages (see the module docstring)."""

    server: AuthServer
    cookies: dict[str, str] = field(default_factory=dict)

    def request(
        self, method: str, url: str, *, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> httpx.Response:
        header = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        sent = {**({"Cookie": header} if header else {}), **(headers or {})}
        response = self.server.client.request(method, url, headers=sent, **kwargs)
        for raw in response.headers.get_list("set-cookie"):
            jar: SimpleCookie = SimpleCookie()
            jar.load(raw)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return response

    def follow(self, response: httpx.Response) -> httpx.Response:
        """Follow redirects while they stay on the provider."""
        while response.status_code in (302, 303) and response.headers["location"].startswith(
            "/oauth/"
        ):
            response = self.request("GET", response.headers["location"])
        return response

    def post_fields(self, action: str, fields: dict[str, str]) -> httpx.Response:
        """Post exactly ``fields`` to ``action`` (a forged or replayed form, say)."""
        return self.request("POST", action, content=urlencode(fields), headers=FORM_HEADERS)

    def post_form(self, page: httpx.Response, action: str, **fields: str) -> httpx.Response:
        """Post the page's form to ``action`` with ``fields`` filled in."""
        return self.follow(self.post_fields(action, {**form_fields(page.text, action), **fields}))

    def authorize(self, query: dict[str, str]) -> httpx.Response:
        return self.follow(self.request("GET", f"/oauth/authorize?{urlencode(query)}"))

    def sign_in(self, page: httpx.Response, email: str, password: str = PASSWORD) -> httpx.Response:
        return self.post_form(page, "/oauth/authorize/signin", email=email, password=password)

    def email_me_a_code(self, page: httpx.Response, email: str) -> httpx.Response:
        """The sign-in page's "Email me a code": the page to enter the code."""
        return self.post_form(page, "/oauth/authorize/email", email=email)

    def enter_code(self, page: httpx.Response, code: str) -> httpx.Response:
        return self.post_form(page, "/oauth/authorize/email/verify", code=code)


def account_without_password(server: AuthServer, email: str) -> dict[str, Any]:
    """An account signed up by an emailed code (``POST /auth/email/send`` and
    ``/auth/email/verify``, the code read from the outbox): its token response."""
    assert server.post("/auth/email/send", {"email": email}).status_code == 202
    answer = server.post(
        "/auth/email/verify", {"email": email, "code": server.code_for(email, "sign-in")}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["user"]["has_password"] is False
    tokens: dict[str, Any] = answer.json()
    return tokens


def new_sign_in_code(server: AuthServer, email: str, mails_before: int) -> str:
    """The sign-in code of the next mail to ``email`` once it is written (it had
    ``mails_before`` mails): mails are written in the background."""
    deadline = time.monotonic() + 5
    while len(server.mails_to(email)) <= mails_before:
        assert time.monotonic() < deadline, f"no new mail to {email}"
        time.sleep(0.02)
    return server.code_for(email, "sign-in")


def callback_params(response: httpx.Response) -> dict[str, str]:
    """The parameters of the provider's redirect to the app's callback."""
    assert response.status_code == 303, (response.status_code, response.text[:500])
    location = response.headers["location"]
    assert location.startswith(APP_CALLBACK + "?"), location
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
