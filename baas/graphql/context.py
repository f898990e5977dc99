"""What a resolver knows about the request it serves."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from auth.errors import AuthUnavailableError, InvalidTokenError
from auth.rules import Caller
from baas.graphql.batches import Batch, Read

if TYPE_CHECKING:
    from auth.acting_store import ActingStore
    from baas.services import Services

__all__ = ["RequestContext"]

# How long a subscription waits for this process to know the revocations committed
# before a change it is about to send (normally milliseconds); then it fails closed.
_REVOCATIONS_CATCH_UP_SECONDS = 5.0


@dataclass
class RequestContext:
    """One HTTP request, or one WebSocket connection (shared by its operations).

    ``caller`` is who the access rules decide for. Over WebSocket it starts anonymous
    and is set from the ``connection_init`` payload; ``token`` is then kept to re-check
    it while the connection lives, and ``expires_at`` is its expiry (epoch seconds).
    ``client_address`` is the client's address bucket (``X-Forwarded-For`` read only
    behind trusted proxies; an IPv6 /64 is one): anonymous callers' cost budget.
    """

    services: Services
    caller: Caller
    request_id: str | None = None
    expires_at: float | None = None
    token: str | None = None
    connection_params: dict[str, Any] = field(default_factory=dict)
    client_address: str | None = None
    batches: dict[Hashable, Batch[Any, Any]] = field(default_factory=dict, repr=False)
    """Reads being gathered for one store call (:mod:`baas.graphql.batches`), by key."""

    def batch(self, key: Hashable, read: Read[Any, Any]) -> Batch[Any, Any]:
        """The batch gathering loads under ``key`` this round (made with ``read``)."""
        current = self.batches.get(key)
        if current is None:

            def forget(batch: Batch[Any, Any]) -> None:
                if self.batches.get(key) is batch:
                    del self.batches[key]

            current = self.batches[key] = Batch(read, forget)
        return current

    @property
    def store(self) -> ActingStore:
        """The store as the caller sees it (every operation passes the access rules)."""
        return self.services.acting_as(self.caller)

    async def allowed_through(self, position: int) -> bool:
        """Whether the caller's token still holds, counting every revocation committed up
        to change-feed ``position`` (waits until this process knows them).

        False (fail closed) when the token is refused, or revocations cannot be known.
        """
        if self.token is None:
            return True  # anonymous: nothing to revoke
        revocations = self.services.auth.revocations
        if not await revocations.reached(position, timeout=_REVOCATIONS_CATCH_UP_SECONDS):
            return False
        try:
            self.services.authenticator.caller_for_token(self.token)
        except (InvalidTokenError, AuthUnavailableError):
            return False
        return True
