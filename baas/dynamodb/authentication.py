"""Who signed a request: SigV4 verification against the stored access keys.

A request must be signed with an active access key (``baas keys create``). Keys read
from the store are remembered for one second, so a key revoked by ``baas keys revoke``
(another process) is refused within a second by every API process.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from auth.access_keys import AccessKey, AccessKeyRepository
from baas.dynamodb.sigv4 import (
    SignedRequest,
    authorization_header,
    parse_authorization,
    verify_authorization,
)

__all__ = ["KeyAuthenticator"]

# DynamoDB Streams requests are signed for the "dynamodb" service as well.
_SERVICES = frozenset({"dynamodb"})
_CACHE_SECONDS = 1.0
_CACHE_ENTRIES = 1024  # bounded: unknown key ids sent by anyone are cached too


class KeyAuthenticator:
    """Verifies SigV4 signatures with the secrets of active access keys."""

    def __init__(
        self, keys: AccessKeyRepository, clock: Callable[[], datetime] | None = None
    ) -> None:
        self._keys = keys
        self._clock = clock or (lambda: datetime.now(UTC))
        self._cache: dict[str, tuple[float, AccessKey | None]] = {}

    async def authenticate(self, request: SignedRequest) -> AccessKey:
        """The active key that signed ``request``; SignatureError otherwise."""
        authorization = parse_authorization(authorization_header(request))
        active = await self._active_key(authorization.credential.access_key_id)
        verify_authorization(
            request,
            authorization,
            None if active is None else active.secret,
            now=self._clock(),
            services=_SERVICES,
        )
        assert active is not None  # noqa: S101 - verify_authorization refused a missing key
        return active

    async def _active_key(self, key_id: str) -> AccessKey | None:
        now = time.monotonic()
        cached = self._cache.get(key_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        key = await self._keys.get(key_id)
        active = key if key is not None and key.active else None
        if len(self._cache) >= _CACHE_ENTRIES:
            self._cache.clear()
        self._cache[key_id] = (now + _CACHE_SECONDS, active)
        return active
