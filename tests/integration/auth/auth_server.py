"""A real baas API server for the auth integration tests, and a small HTTP client.

Argon2 runs with cheap parameters here (8 MiB, t=1, p=1) so the suite stays fast; the
default parameters are measured by ``bench/auth.py`` instead.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import email
import email.policy
import io
import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import httpx

from baas.app import create_app
from baas.application import App
from baas.auth_cli import run_users_command
from baas.config import Settings
from tests.support import free_port, serve_in_thread

FAST_ARGON2 = {
    "BAAS_ARGON2_TIME_COST": "1",
    "BAAS_ARGON2_MEMORY_KIB": "8192",
    "BAAS_ARGON2_PARALLELISM": "1",
}
PASSWORD = "correct horse battery staple"


def create_admin(data_dir: Path, address: str, password: str = PASSWORD, **env: str) -> None:
    """The first admin, made as an operator does: ``baas users create-admin`` (``env``:
    more settings, such as the server's ``BAAS_STORE_URL``)."""
    settings = Settings.from_env({"BAAS_DATA_DIR": str(data_dir), **FAST_ARGON2, **env})
    out = io.StringIO()
    # --create: a test may make its admin before any server opened the store.
    args = argparse.Namespace(users_command="create-admin", email=address, create=True)
    code = asyncio.run(
        run_users_command(args, settings, stdin=io.StringIO(password + "\n"), out=out)
    )
    assert code == 0
    assert password not in out.getvalue()


@dataclass
class AuthServer:
    base: str
    data_dir: Path
    client: httpx.Client

    @property
    def outbox(self) -> Path:
        return self.data_dir / "outbox"

    def mail(self, address: str, subject_word: str, *, timeout: float = 5.0) -> EmailMessage:
        """The newest dev mail to ``address`` whose subject has the word, waiting up to
        ``timeout`` seconds for it to be written."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in reversed(self.messages()):
                if message["To"] == address and subject_word in str(message["Subject"]):
                    return message
            time.sleep(0.02)
        raise AssertionError(f"no {subject_word!r} mail to {address} in the outbox")

    def code_for(self, address: str, subject_word: str, *, timeout: float = 5.0) -> str:
        """The code in the newest dev mail to ``address`` whose subject has the word."""
        text = text_of(self.mail(address, subject_word, timeout=timeout))
        match = re.search(r"\b(\d{8})\b", text)
        assert match, f"no code in the {subject_word!r} mail to {address}"
        return match.group(1)

    def messages(self) -> list[EmailMessage]:
        """Every dev mail in the outbox, oldest first."""
        paths = sorted(self.outbox.glob("*.eml")) if self.outbox.exists() else []
        return [_parse(path.read_bytes()) for path in paths]

    def mails_to(self, address: str) -> list[str]:
        return [str(m["Subject"]) for m in self.messages() if m["To"] == address]

    def post(
        self, path: str, body: object = None, *, token: str | None = None, **kwargs: object
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        extra = kwargs.pop("headers", None)
        if isinstance(extra, Mapping):
            headers.update(extra)
        return self.client.post(path, json=body, headers=headers, **kwargs)  # type: ignore[arg-type]

    def get(self, path: str, *, token: str | None = None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return self.client.get(path, headers=headers)

    def signup_verified(self, address: str, password: str = PASSWORD) -> None:
        """Sign up and verify through the HTTP API, reading the code from the outbox."""
        assert (
            self.post("/auth/signup", {"email": address, "password": password}).status_code == 202
        )
        code = self.code_for(address, "verification")
        response = self.post(
            "/auth/verify-email", {"email": address, "code": code, "password": password}
        )
        assert response.status_code == 200, response.text

    def signin(self, address: str, password: str = PASSWORD) -> dict[str, object]:
        response = self.post("/auth/signin", {"email": address, "password": password})
        assert response.status_code == 200, response.text
        body: dict[str, object] = response.json()
        return body


def _parse(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def text_of(message: EmailMessage, kind: str = "plain") -> str:
    """The text (or ``html``) part of a mail."""
    part = message.get_body(preferencelist=(kind,))
    return "" if part is None else str(part.get_content())


@contextlib.contextmanager
def auth_server(
    data_dir: Path, port: int | None = None, *, app: App | None = None, **env: str
) -> Iterator[AuthServer]:
    """A real server on ``data_dir`` (and ``port``) with the settings ``env``, serving the
    application ``app`` (none by default: the auth routes need no models)."""
    settings = Settings.from_env(
        {
            "BAAS_DATA_DIR": str(data_dir),
            "BAAS_TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}",
            **FAST_ARGON2,
            **env,
        }
    )
    with (
        serve_in_thread(create_app(settings, app=app), port) as base,
        httpx.Client(base_url=base, timeout=10) as client,
    ):
        yield AuthServer(base, data_dir, client)
