"""What a worker gives its functions: the store factory, secrets, mail, network policy.

A :class:`FunctionRuntime` is built once per worker (``baas/worker.py``) and shared by
every function run; each run gets a :class:`~functions.context.Context` cut from it.
The pieces are protocols so that tests pass simple fakes and ``auth``/``storage``
provide the real ones later.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal, Protocol

from auth.rules import Caller
from functions.errors import NotConfiguredError
from functions.limits import PoolSettings
from functions.payloads import DEFAULT_MAX_PAYLOAD_BYTES

__all__ = [
    "ActsAs",
    "Caller",
    "FunctionRuntime",
    "MailSender",
    "OutgoingEmail",
    "StoreFactory",
    "no_store",
]

ActsAs = Literal["caller", "system"]


class StoreFactory(Protocol):
    """Returns the store a function uses: scoped to ``caller``, or system-wide.

    The real factory (from ``auth``) returns a store that enforces the access rules for
    ``caller``; with ``acts_as="system"`` it returns one acting as the platform.
    """

    def __call__(self, caller: Caller, acts_as: ActsAs) -> Any: ...


@dataclass(frozen=True)
class OutgoingEmail:
    """One plain-text email (with an optional HTML alternative)."""

    to: str
    subject: str
    text: str
    html: str | None = None


class MailSender(Protocol):
    """Sends an email; ``idempotency_key`` lets a provider drop a retried duplicate."""

    async def send(self, email: OutgoingEmail, *, idempotency_key: str) -> None: ...


def no_store(caller: Caller, acts_as: ActsAs) -> Any:
    """The default factory: refuses, so a missing wiring is loud, never silently unscoped."""
    raise NotConfiguredError("this worker has no document store configured")


@dataclass(frozen=True)
class FunctionRuntime:
    """Everything a worker injects into the functions it runs.

    ``secrets`` is copied into a read-only mapping (a function sees only those it
    declares); ``allow_private_network`` lets the built-in HTTP function reach private
    addresses (off by default: SSRF); ``pool`` says how calls run and their default
    limits (``functions/pool.py``).
    """

    store_for: StoreFactory = no_store
    secrets: Mapping[str, str] = field(default_factory=dict)
    mail: MailSender | None = None
    allow_private_network: bool = False
    max_payload_bytes: int = DEFAULT_MAX_PAYLOAD_BYTES
    pool: PoolSettings = field(default_factory=PoolSettings)

    def __post_init__(self) -> None:
        object.__setattr__(self, "secrets", MappingProxyType(dict(self.secrets)))
