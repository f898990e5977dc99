"""Social-login round trips already finished: each state cookie works once.

The state cookie is encrypted and bound to its browser, but a copy of it (and of the
callback URL) would otherwise work again for its ten minutes (threat: replay of a
captured callback, e.g. from a proxy log or a shared machine). The first callback that
presents a state records it, by a conditional put that two racing callbacks cannot
both win; any later one is refused. The record expires with the cookie (TTL).
"""

from __future__ import annotations

import hashlib
from decimal import Decimal

from auth.errors import SocialLoginError
from auth.social_state import FlowState
from auth.system_tables import OAUTH_FLOWS_TABLE, TTL_ATTRIBUTE
from storage import DocumentStore
from storage.errors import ConditionalCheckFailedError

__all__ = ["SpentFlows"]

_GRACE = 60  # seconds kept past the cookie's expiry: clock skew between processes


class SpentFlows:
    """The states of round trips already completed (``_baas_oauth_flows``)."""

    def __init__(self, store: DocumentStore) -> None:
        self._store = store

    async def spend(self, flow: FlowState) -> None:
        """Record ``flow`` as used; SocialLoginError if it was used before."""
        # A digest, not the state: the record only has to recognise it.
        digest = hashlib.sha256(flow.state.encode()).hexdigest()
        try:
            await self._store.put_item(
                OAUTH_FLOWS_TABLE,
                {"state_hash": digest, TTL_ATTRIBUTE: Decimal(flow.expires_at + _GRACE)},
                condition="attribute_not_exists(state_hash)",
            )
        except ConditionalCheckFailedError:
            raise SocialLoginError() from None
