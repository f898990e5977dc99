"""What the worker gives functions, built from the same services as the API.

A function acting as its caller gets the store through :class:`~auth.acting_store.ActingStore`
for that caller — the same access rules GraphQL enforces; one declared ``acts_as="system"``
gets it as the platform. Mail goes through auth's sender (the dev outbox or SMTP),
``ctx.secrets`` are the ``BAAS_SECRET_*`` settings a function declares, and the pool's
size and the calls' default limits are the ``BAAS_FUNCTIONS_*`` settings.
"""

from __future__ import annotations

from typing import Any

from auth.mail import Mail
from auth.mail import MailSender as AuthMailSender
from auth.rules import Caller
from baas.config import Settings
from baas.services import Services
from functions import FunctionRuntime, PoolSettings
from functions.services import ActsAs, OutgoingEmail

__all__ = ["function_runtime", "pool_settings"]


class _FunctionMail:
    """Adapts auth's mail sender to the functions' ``MailSender`` protocol."""

    def __init__(self, sender: AuthMailSender) -> None:
        self._sender = sender

    async def send(self, email: OutgoingEmail, *, idempotency_key: str) -> None:
        # The key makes a retried send the same mail (its Message-ID; one outbox file).
        await self._sender.send(
            Mail(
                to=email.to,
                subject=email.subject,
                body=email.text,
                html=email.html,
                idempotency_key=idempotency_key,
            )
        )


def function_runtime(services: Services) -> FunctionRuntime:
    """The runtime for a worker sharing ``services`` (started) with this process."""

    def store_for(caller: Caller, acts_as: ActsAs) -> Any:
        return services.acting_as(Caller.system() if acts_as == "system" else caller)

    return FunctionRuntime(
        store_for=store_for,
        secrets=services.settings.secrets,
        mail=_FunctionMail(services.auth.mail_sender),
        allow_private_network=services.settings.functions_allow_private_network,
        pool=pool_settings(services.settings),
    )


def pool_settings(settings: Settings) -> PoolSettings:
    """The worker's pool and the calls' default limits, from the ``BAAS_FUNCTIONS_*`` settings."""
    return PoolSettings(
        processes=settings.functions_processes,
        warm_processes=settings.functions_warm_processes,
        memory_mb=settings.functions_memory_mb,
        cpu_seconds=settings.functions_cpu_seconds,
        threads=settings.functions_threads,
        concurrency=settings.functions_concurrency,
    )
