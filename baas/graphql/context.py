"""What a resolver knows about the request it serves."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from auth.rules import Caller

if TYPE_CHECKING:
    from auth.acting_store import ActingStore
    from baas.services import Services

__all__ = ["RequestContext"]


@dataclass
class RequestContext:
    """One HTTP request, or one WebSocket connection (shared by its operations).

    ``caller`` is who the access rules decide for. Over WebSocket it starts anonymous
    and is set from the ``connection_init`` payload; ``token`` is then kept to re-check
    it while the connection lives, and ``expires_at`` is its expiry (epoch seconds).
    """

    services: Services
    caller: Caller
    request_id: str | None = None
    expires_at: float | None = None
    token: str | None = None
    connection_params: dict[str, Any] = field(default_factory=dict)

    @property
    def store(self) -> ActingStore:
        """The store as the caller sees it (every operation passes the access rules)."""
        return self.services.acting_as(self.caller)
