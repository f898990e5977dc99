"""The API's and worker's connection to Temporal.

The connection is lazy: an API process starts (and answers ``/healthz`` with 503)
while Temporal is still unreachable, and recovers by itself when it comes up. Its
clients sign the caller of every call they start with the deployment's caller key
(:class:`~workflows.caller_signatures.CallerSigner`).

The API's client gives up retrying a lost connection after ~1.5 s (the SDK's default
retries for 10 s): a request is then answered "retry later" (503 / ``UNAVAILABLE``)
within 2 s instead of hanging while Temporal is down.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from temporalio.client import Client
from temporalio.service import RetryConfig, RPCError

from workflows.availability import Backoff, is_unreachable
from workflows.caller_signatures import CallerSigner
from workflows.identity import CallerInterceptor

__all__ = ["TemporalConnection"]

_log = logging.getLogger("baas.temporal")
# Attempts at ~0.1, 0.25, 0.5, 0.9 s...: a blip is ridden out, an outage answered quickly.
_API_RETRIES = RetryConfig(max_elapsed_time_millis=1500)


class TemporalConnection:
    """A lazily connected Temporal client for one address and namespace."""

    def __init__(self, target: str, namespace: str, signer: CallerSigner) -> None:
        self.target = target
        self.namespace = namespace
        self.signer = signer
        self._client: Client | None = None
        self._lock = asyncio.Lock()

    async def client(self) -> Client:
        """The client; the first call creates it without waiting for the server."""
        async with self._lock:
            if self._client is None:
                self._client = await Client.connect(
                    self.target,
                    namespace=self.namespace,
                    lazy=True,
                    retry_config=_API_RETRIES,
                    interceptors=[CallerInterceptor(self.signer)],
                )
            return self._client

    async def connect(self, stop: asyncio.Event | None = None) -> Client | None:
        """A connected client, retrying with backoff for as long as it takes.

        Workers need this: the SDK refuses lazy clients for them. It is a client of its
        own, so the API's lazy one (and ``/healthz``) never waits behind these retries.
        Temporal down is momentary (a restart, a deploy), so a worker waits rather than
        exits; None once ``stop`` is set.
        """
        backoff = Backoff(initial=0.2, maximum=10.0)
        while stop is None or not stop.is_set():
            try:
                return await Client.connect(
                    self.target,
                    namespace=self.namespace,
                    interceptors=[CallerInterceptor(self.signer)],
                )
            except RuntimeError as exc:
                if not is_unreachable(exc):
                    raise
                delay = backoff.next_delay()
                _log.warning("cannot reach Temporal at %s; retrying in %.1f s", self.target, delay)
            if stop is None:
                await asyncio.sleep(delay)
            else:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), delay)
        return None

    async def check(self, within: float = 2.0) -> str | None:
        """None when Temporal answers its health check, else a short reason."""
        try:
            client = await self.client()
            serving = await client.service_client.check_health(timeout=timedelta(seconds=within))
        except (RuntimeError, OSError, RPCError) as exc:  # RPCError: lost after connecting
            _log.debug("Temporal health check failed: %s", exc)
            return f"Temporal at {self.target} is unreachable"
        if not serving:
            return f"Temporal at {self.target} is not serving"
        return None
