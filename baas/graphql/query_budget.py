"""The two cost limits of GraphQL operations: per request, and per caller per minute.

An operation's cost (:mod:`baas.graphql.query_cost`) is checked before it runs, on
HTTP and WebSocket alike (:mod:`baas.graphql.pipeline`):

- above ``max_cost`` (``BAAS_GRAPHQL_MAX_COST``) it is refused with
  ``QUERY_TOO_COSTLY`` (``extensions.cost`` and ``extensions.maxCost`` say by how much);
- otherwise its cost is taken from the caller's budget of ``cost_per_minute``
  (``BAAS_GRAPHQL_COST_PER_MINUTE``): a signed-in user's own, an anonymous caller's by
  client address (an IPv6 /64 counts as one). Past it the operation is refused with
  ``RATE_LIMITED`` and ``extensions.retryAfter``, the seconds until the budget holds
  its cost again (over HTTP also a ``Retry-After`` header, and status 429 where the
  response is ``application/graphql-response+json``).

The budget is a token bucket per caller that refills ``cost_per_minute`` per minute up
to ``cost_per_minute``. It is kept per API process. Threat: a burst of concurrent
requests each passing a check before any pays; the cost is reserved in the same step as
the check (no ``await`` between them), so a burst gets exactly what the budget holds.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from baas.graphql.errors import GraphQLApiError

__all__ = ["CostBudget", "QueryTooCostlyError", "RateLimitedError"]

# Callers tracked at once; past it the least recently charged are forgotten (threat:
# memory growth by ever-new addresses). A forgotten caller starts again with a full budget.
_MAX_CALLERS = 10_000


class QueryTooCostlyError(GraphQLApiError):
    """The operation would cost more than one request may."""

    code = "QUERY_TOO_COSTLY"

    def __init__(self, cost: int, max_cost: int) -> None:
        super().__init__(
            f"This operation would cost {cost}, above the limit of {max_cost} per request: "
            "ask for smaller pages (limit) or fewer nested lists."
        )
        self.extensions = {"cost": cost, "maxCost": max_cost}


class RateLimitedError(GraphQLApiError):
    """The caller spent their budget of the last minute; ``retry_after`` seconds."""

    code = "RATE_LIMITED"

    def __init__(self, cost: int, retry_after: int) -> None:
        super().__init__(
            f"Too much asked in the last minute (this operation costs {cost}); "
            f"retry in {retry_after} s."
        )
        self.retry_after = retry_after
        self.extensions = {"cost": cost, "retryAfter": retry_after}


@dataclass
class _Bucket:
    tokens: float
    at: float


class CostBudget:
    """Per-caller token buckets of ``per_minute`` (module docstring); 0 means no budget."""

    def __init__(self, per_minute: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def reserve(self, caller: str, cost: int) -> None:
        """Take ``cost`` from ``caller``'s budget, or raise :class:`RateLimitedError`.

        Synchronous on purpose: the check and the reservation are one step.
        """
        if self.per_minute <= 0:
            return
        now = self.clock()
        bucket = self._buckets.get(caller)
        if bucket is None:
            bucket = self._buckets[caller] = _Bucket(float(self.per_minute), now)
            if len(self._buckets) > _MAX_CALLERS:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(caller)
            rate = self.per_minute / 60.0
            bucket.tokens = min(float(self.per_minute), bucket.tokens + (now - bucket.at) * rate)
            bucket.at = now
        if cost <= bucket.tokens:
            bucket.tokens -= cost
            return
        missing = min(cost, self.per_minute) - bucket.tokens
        raise RateLimitedError(cost, max(1, math.ceil(missing * 60.0 / self.per_minute)))
