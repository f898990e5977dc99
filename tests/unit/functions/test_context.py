"""What a function gets from its Context, and the built-in functions' own checks."""

from __future__ import annotations

import ipaddress

import pytest

from functions import (
    Caller,
    Context,
    ForbiddenDestinationError,
    FunctionRuntime,
    InvalidInputError,
    NotConfiguredError,
    OutgoingEmail,
)
from functions.builtins import SendEmailInput, send_email
from functions.builtins.destinations import is_public_address, resolve_destination
from functions.context import idempotency_key_for


def test_the_idempotency_key_depends_on_the_call_not_the_attempt() -> None:
    key = idempotency_key_for("wf-1", "3")
    assert key == idempotency_key_for("wf-1", "3")
    assert key != idempotency_key_for("wf-1", "4")
    assert key != idempotency_key_for("wf-2", "3")
    assert "wf-1" not in key


def test_secrets_are_read_only_and_services_fail_closed() -> None:
    ctx = Context.for_test(runtime=FunctionRuntime(secrets={"API_KEY": "s3cret"}))
    assert ctx.secrets["API_KEY"] == "s3cret"
    with pytest.raises(TypeError):
        ctx.secrets["API_KEY"] = "other"  # type: ignore[index]
    with pytest.raises(NotConfiguredError, match="no document store"):
        _ = ctx.store
    with pytest.raises(NotConfiguredError, match="no mail sender"):
        _ = ctx.mail


def test_the_store_is_built_once_for_the_caller_and_acts_as() -> None:
    made: list[tuple[Caller, str]] = []

    def store_for(caller: Caller, acts_as: str) -> object:
        made.append((caller, acts_as))
        return object()

    caller = Caller.user("u1")
    ctx = Context.for_test(
        caller=caller, acts_as="system", runtime=FunctionRuntime(store_for=store_for)
    )
    assert ctx.store is ctx.store
    assert made == [(caller, "system")]
    # Typed model access needs the real, rule-enforcing store: a stand-in fails loudly.
    with pytest.raises(NotConfiguredError, match="no models"):
        _ = ctx.models


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:2800:220:1:248:1893:25c8:1946", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("192.168.0.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),  # noqa: S104 - an address under test, nothing binds
        ("::1", False),
        ("fe80::1", False),
        ("fd00::1", False),
        ("::ffff:127.0.0.1", False),
        ("224.0.0.1", False),
    ],
)
def test_only_public_addresses_are_allowed(address: str, public: bool) -> None:
    assert is_public_address(ipaddress.ip_address(address)) is public


async def test_a_name_resolving_to_loopback_is_refused_unless_allowed() -> None:
    with pytest.raises(ForbiddenDestinationError, match="non-public address"):
        await resolve_destination("localhost", 80, allow_private=False)
    assert await resolve_destination("127.0.0.1", 80, allow_private=True) == [
        ipaddress.ip_address("127.0.0.1")
    ]


class _Outbox:
    def __init__(self) -> None:
        self.sent: list[tuple[OutgoingEmail, str]] = []

    async def send(self, email: OutgoingEmail, *, idempotency_key: str) -> None:
        self.sent.append((email, idempotency_key))


async def test_send_email_passes_the_idempotency_key_and_refuses_header_injection() -> None:
    outbox = _Outbox()
    ctx = Context.for_test("baas.send_email", runtime=FunctionRuntime(mail=outbox))
    await send_email(ctx, SendEmailInput("a@example.com", "Hi", "text"))
    assert outbox.sent == [(OutgoingEmail("a@example.com", "Hi", "text"), ctx.idempotency_key)]
    with pytest.raises(InvalidInputError, match="single line"):
        await send_email(ctx, SendEmailInput("a@example.com", "Hi\r\nBcc: x@y.z", "text"))
    with pytest.raises(InvalidInputError, match="not an email address"):
        await send_email(ctx, SendEmailInput("nobody", "Hi", "text"))
