"""``baas.send_email``: send one email through the worker's mail sender.

The sender is injected (``FunctionRuntime.mail``; ``auth`` provides the real one). The
call's idempotency key goes with it, so a provider that supports one drops a duplicate
when this function is retried after the mail actually left.
"""

from __future__ import annotations

from dataclasses import dataclass

from functions.context import Context
from functions.definition import function
from functions.errors import InvalidInputError
from functions.services import OutgoingEmail

__all__ = ["SendEmailInput", "SendEmailOutput", "send_email"]


@dataclass(frozen=True)
class SendEmailInput:
    to: str
    subject: str
    text: str
    html: str | None = None


@dataclass(frozen=True)
class SendEmailOutput:
    to: str


@function(timeout=30, retries=5, backoff=2, name="baas.send_email")
async def send_email(ctx: Context, inp: SendEmailInput) -> SendEmailOutput:
    """Send ``inp`` as one email."""
    # Threat: header injection — a newline in an address or subject adds headers.
    if any(c in value for value in (inp.to, inp.subject) for c in "\r\n"):
        raise InvalidInputError("email address and subject must be a single line")
    local, at, domain = inp.to.rpartition("@")
    if not at or not local or "." not in domain:
        raise InvalidInputError(f"not an email address: {inp.to!r}")
    await ctx.mail.send(
        OutgoingEmail(to=inp.to, subject=inp.subject, text=inp.text, html=inp.html),
        idempotency_key=ctx.idempotency_key,
    )
    return SendEmailOutput(inp.to)
