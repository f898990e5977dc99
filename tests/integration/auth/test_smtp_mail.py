"""Production mail: ``SmtpMailSender`` speaks SMTP (aiosmtplib) to a listening server.

The server is a minimal SMTP responder on a real socket, enough to receive one message
(RFC 5321 §3.3 mail transaction) and check what aiosmtplib sent.
"""

from __future__ import annotations

import asyncio
import email

from auth.mail import SmtpMailSender, SmtpSettings, verification_code_mail


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
        await sender.send(verification_code_mail("maya@example.com", "12345678", 10))
    assert len(received) == 1
    message = email.message_from_bytes(received[0].removesuffix(b"\r\n.\r\n"))
    assert message["To"] == "maya@example.com"
    assert message["From"] == "baas@example.com"
    assert "12345678" in message.get_payload()
