"""Sending the account emails: verification codes, reset codes, notices.

Their texts come from :mod:`auth.mail_templates`; this module only delivers them.

Two senders behind one small protocol:

- :class:`OutboxMailSender` (dev): writes each mail as an ``.eml`` file under
  ``<data_dir>/outbox/`` so the developer can read the code, and logs one line with
  the code masked (threat: codes in shipped logs).
- :class:`SmtpMailSender` (production): sends through an SMTP server with
  ``aiosmtplib`` (STARTTLS or implicit TLS).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Literal, Protocol

import aiosmtplib

from auth.mail_templates import Mail

__all__ = [
    "BackgroundMailer",
    "Mail",
    "MailSender",
    "OutboxMailSender",
    "SmtpMailSender",
    "SmtpSettings",
    "mail_message",
]

_log = logging.getLogger("auth.mail")


def mail_message(mail: Mail, sender: str) -> EmailMessage:
    """``mail`` as an RFC 5322 message: text, and HTML as its alternative when given."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = formatdate(localtime=False)
    digest = mail.key_digest  # the same mail again (a retried function) gets the same id
    message["Message-ID"] = (
        make_msgid(domain="baas.local") if digest is None else f"<{digest}@baas.local>"
    )
    message.set_content(mail.body)
    if mail.html is not None:
        message.add_alternative(mail.html, subtype="html")  # RFC 2046 §5.1.4
    return message


class MailSender(Protocol):
    """Delivers a :class:`Mail`; raises ``OSError`` or ``aiosmtplib`` errors on failure."""

    async def send(self, mail: Mail) -> None: ...


class OutboxMailSender:
    """Dev mail: one ``.eml`` file per message in ``directory`` (created on first use)."""

    def __init__(self, directory: Path, *, sender: str = "baas <no-reply@localhost>") -> None:
        self.directory = directory
        self._sender = sender

    async def send(self, mail: Mail) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        digest = mail.key_digest
        if digest is not None and any(self.directory.glob(f"*-{digest}.eml")):
            _log.info("dev mail %r already sent with this idempotency key", mail.subject)
            return
        # Sortable by time, unique within the same millisecond (or by idempotency key).
        name = f"{int(time.time() * 1000)}-{digest or secrets.token_hex(4)}.eml"
        path = self.directory / name
        path.write_bytes(bytes(mail_message(mail, self._sender)))
        _log.info("dev mail %r written to %s (codes are only in the file)", mail.subject, path)


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    """Where and how to send production mail."""

    host: str
    port: int = 587
    username: str | None = None
    password: str | None = None
    security: Literal["starttls", "tls", "none"] = "starttls"
    sender: str = "no-reply@localhost"
    timeout: float = 10.0


class SmtpMailSender:
    """Production mail through SMTP with ``aiosmtplib``."""

    def __init__(self, settings: SmtpSettings) -> None:
        self._settings = settings

    async def send(self, mail: Mail) -> None:
        settings = self._settings
        await aiosmtplib.send(
            mail_message(mail, settings.sender),
            hostname=settings.host,
            port=settings.port,
            username=settings.username,
            password=settings.password,
            use_tls=settings.security == "tls",
            start_tls=settings.security == "starttls",
            timeout=settings.timeout,
        )


class BackgroundMailer:
    """Sends mails in background tasks, so a response never waits for (or reveals) them.

    Threat: user enumeration by timing — a request that mails an account owner would
    otherwise take longer than one for an unknown email. Failures are logged (without
    the body, which may hold a code) and not retried.
    """

    def __init__(self, sender: MailSender) -> None:
        self.sender = sender
        self._pending: set[asyncio.Task[None]] = set()

    def submit(self, mail: Mail) -> None:
        task = asyncio.create_task(self._send(mail), name="baas-mail")
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def drain(self) -> None:
        """Wait for the mails in flight (on shutdown)."""
        if self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)

    async def _send(self, mail: Mail) -> None:
        try:
            await self.sender.send(mail)
        except (OSError, aiosmtplib.SMTPException):
            _log.exception("could not send mail %r", mail.subject)
