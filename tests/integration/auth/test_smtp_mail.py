"""Production mail: ``SmtpMailSender`` speaks SMTP (aiosmtplib) to a listening server.

The server is a minimal SMTP responder on a real socket, enough to receive one message
(RFC 5321 §3.3 mail transaction) and check what aiosmtplib sent.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
from email.message import EmailMessage

from auth.mail import SmtpMailSender, SmtpSettings
from auth.mail_templates import MailTemplates


async def test_a_code_mail_reaches_the_smtp_server() -> None:
    received: list[bytes] = []

    async def session(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 test ESMTP\r\n")
        while line := await reader.readline():
            command = line.decode().strip().upper()
            if command.startswith(("EHLO", "HELO")):
                writer.write(b"250 test\r\n")
            elif command == "DATA":
                writer.write(b"354 go ahead\r\n")
                await writer.drain()
                received.append(await reader.readuntil(b"\r\n.\r\n"))
                writer.write(b"250 queued\r\n")
            elif command == "QUIT":
                writer.write(b"221 bye\r\n")
                await writer.drain()
                break
            else:
                writer.write(b"250 ok\r\n")
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(session, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        sender = SmtpMailSender(
            SmtpSettings(host="127.0.0.1", port=port, security="none", sender="baas@example.com")
        )
        mail = MailTemplates.load().render(
            "verification_code", "maya@example.com", code="12345678", minutes="10", email="x"
        )
        await sender.send(mail)
    assert len(received) == 1
    message = email.message_from_bytes(
        received[0].removesuffix(b"\r\n.\r\n"), policy=email.policy.default
    )
    assert isinstance(message, EmailMessage)
    assert message["To"] == "maya@example.com"
    assert message["From"] == "baas@example.com"
    assert message.get_content_type() == "multipart/alternative"
    text, markup = (message.get_body((kind,)) for kind in ("plain", "html"))
    assert text is not None
    assert "Your verification code is 12345678" in text.get_content()
    assert markup is not None
    assert "<strong>12345678</strong>" in markup.get_content()
