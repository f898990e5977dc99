"""The limits that keep one request from costing the server too much.

Each is checked before execution (depth, aliases, tokens, batching) or before the store
is asked (page size, transaction size), and answered with a GraphQL error, not a 500.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from baas.graphql.operations import PageLimits

__all__ = ["GraphQLLimits"]


@dataclass(frozen=True)
class GraphQLLimits:
    """Defaults suit a public API; every value is per request (or per connection)."""

    max_depth: int = 10
    """Nesting of selections, fragments expanded (a cycle of fragments is invalid anyway)."""
    max_aliases: int = 30
    """Aliased fields, counted after fragment expansion (threat: one request, N reads)."""
    max_tokens: int = 2000
    """Lexical tokens in the document (threat: parser CPU)."""
    max_body_bytes: int = 256 * 1024
    """HTTP request body, and WebSocket message (threat: memory)."""
    page: PageLimits = field(default_factory=PageLimits)
    max_cost: int = 50_000
    """The cost of one operation (:mod:`baas.graphql.query_cost`: objects read, nested
    pages multiplied; ``BAAS_GRAPHQL_MAX_COST``); 0: no limit."""
    cost_per_minute: int = 1_000_000
    """What one user (an anonymous caller: one client address) may spend per minute, in
    all API processes sharing the store together (``BAAS_GRAPHQL_COST_PER_MINUTE``;
    :mod:`baas.graphql.query_budget`); 0: no budget."""
    max_transaction_items: int = 25
    max_subscriptions_per_connection: int = 20
    max_connections_per_address: int = 50
    """Open WebSocket connections from one client address, per API process
    (``BAAS_GRAPHQL_WS_CONNECTIONS_PER_ADDRESS``)."""
    connection_init_timeout_seconds: float = 10.0
    """graphql-transport-ws: close 4408 when no ``connection_init`` came in time."""
    liveness_check_seconds: float = 30.0
    """How often a WebSocket connection re-checks that its user is still active."""
