"""The API's and worker's connection to Temporal.

The connection is lazy: an API process starts (and answers ``/healthz`` with 503)
while Temporal is still unreachable, and recovers by itself when it comes up.

The API's client gives up retrying a lost connection after ~1.5 s (the SDK's default
retries for 10 s): a request is then answered "retry later" (503 / ``UNAVAILABLE``)
within 2 s instead of hanging while Temporal is down.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta

from temporalio.client import Client
from temporalio.service import RetryConfig

from baas.errors import StartupError

__all__ = ["TemporalConnection"]

_log = logging.getLogger("baas.temporal")
# Attempts at ~0.1, 0.25, 0.5, 0.9 s...: a blip is ridden out, an outage answered quickly.
_API_RETRIES = RetryConfig(max_elapsed_time_millis=1500)


class TemporalConnection:
    """A lazily connected Temporal client for one address and namespace."""

    def __init__(self, target: str, namespace: str) -> None:
        self.target = target
        self.namespace = namespace
        self._client: Client | None = None
        self._lock = asyncio.Lock()

    async def client(self) -> Client:
        """The client; the first call creates it without waiting for the server."""
        async with self._lock:
            if self._client is None:
                self._client = await Client.connect(
                    self.target, namespace=self.namespace, lazy=True, retry_config=_API_RETRIES
                )
            return self._client

    async def connect(self, within: float = 30.0) -> Client:
        """A connected client, retrying until ``within`` seconds have passed.

        Workers need this: the SDK refuses lazy clients for them. It is a client of its
        own, so the API's lazy one (and ``/healthz``) never waits behind these retries.
        """
        deadline = time.monotonic() + within
        while True:
            try:
                return await Client.connect(self.target, namespace=self.namespace)
            except RuntimeError as exc:
                if time.monotonic() > deadline:
                    raise StartupError(
                        f"cannot connect to Temporal at {self.target} "
                        "(set BAAS_TEMPORAL_ADDRESS, or unset it to start the embedded server)"
                    ) from exc
                _log.info("waiting for Temporal at %s", self.target)
                await asyncio.sleep(0.2)

    async def check(self, within: float = 2.0) -> str | None:
        """None when Temporal answers its health check, else a short reason."""
        try:
            client = await self.client()
            serving = await client.service_client.check_health(timeout=timedelta(seconds=within))
        except (RuntimeError, OSError) as exc:
            _log.debug("Temporal health check failed: %s", exc)
            return f"Temporal at {self.target} is unreachable"
        if not serving:
            return f"Temporal at {self.target} is not serving"
        return None
