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
to ``cost_per_minute``, **one for every API process sharing the store**
(:mod:`auth.token_buckets`, kept by :mod:`auth.stored_buckets`). A process does not ask
the store on every operation: it leases a chunk of the caller's bucket (5% of the
budget, or the operation's cost when more) with one conditional write, and spends it
here. Threat: a burst of concurrent requests each passing a check before any pays; the
cost is taken from the lease in the same step as the check (no ``await`` between
them), so a burst gets exactly what the lease and the shared bucket hold. A burst that
needs a new lease makes one lease request per caller: the others wait for it.

A refused caller does not make the store answer again until it could say otherwise:
every process only takes from a shared bucket, so once it held ``available`` units
it holds at most those plus the refill since. Until that covers the next cost, the
refusal is answered here (threat: a caller past their budget making each of their
refused requests cost a store read).

A store that fails while leasing refuses the operation (fail closed): the error is the
store's, answered ``UNAVAILABLE`` with ``retryAfter`` when it is momentary.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable

from auth.token_buckets import BucketPolicy, BucketState, BucketStore, Lease, LeaseRefusal
from baas.graphql.errors import GraphQLApiError

__all__ = ["CostBudget", "QueryTooCostlyError", "RateLimitedError"]

# Callers tracked at once; past it the least recently charged are forgotten (threat:
# memory growth by ever-new addresses). A forgotten caller's leased units are lost.
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


class CostBudget:
    """Per-caller budgets of ``per_minute`` leased from shared buckets (module
    docstring); 0 means no budget, and no store traffic at all."""

    def __init__(
        self,
        per_minute: int,
        buckets: BucketStore,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.per_minute = per_minute
        self._policy = BucketPolicy(per_minute) if per_minute > 0 else None
        self._buckets = buckets
        self._clock = clock  # epoch seconds: every process must read the same time
        self._held: OrderedDict[str, float] = OrderedDict()  # leased units not spent
        # By caller: the shared bucket as the last refused lease found it.
        self._refused: OrderedDict[str, BucketState] = OrderedDict()
        self._leasing: dict[str, asyncio.Task[Lease | LeaseRefusal]] = {}

    async def reserve(self, caller: str, cost: int) -> None:
        """Take ``cost`` from ``caller``'s budget, or raise :class:`RateLimitedError`.

        A store failure while leasing is raised as it is (the operation must not run).
        """
        policy = self._policy
        if policy is None or cost <= 0:
            return
        while not self._spend(caller, cost):
            need = cost - self._held.get(caller, 0.0)
            self._check_last_refusal(caller, cost, need, policy)
            leasing = self._leasing.get(caller)
            if leasing is None:  # one lease request per caller at a time
                leasing = asyncio.create_task(self._lease(caller, need, policy))
                leasing.add_done_callback(_retrieved)
                self._leasing[caller] = leasing
            # Shielded: a client hanging up must not lose units the store already gave.
            outcome = await asyncio.shield(leasing)
            if isinstance(outcome, LeaseRefusal):
                need = cost - self._held.get(caller, 0.0)
                if need > outcome.available:
                    raise RateLimitedError(cost, policy.retry_after(need, outcome.available))
            # Granted (to this or another request of the caller), or refused for a
            # larger cost than this one: look again.

    def _spend(self, caller: str, cost: int) -> bool:
        """Take ``cost`` from the units held for ``caller``, if they hold it: check and
        charge in one synchronous step."""
        held = self._held.get(caller)
        if held is None or held < cost:
            return False
        self._held[caller] = held - cost
        self._held.move_to_end(caller)
        return True

    def _check_last_refusal(
        self, caller: str, cost: int, need: float, policy: BucketPolicy
    ) -> None:
        """Refuse here what the caller's last refused lease says the store would."""
        last = self._refused.get(caller)
        if last is None:
            return
        at_most = policy.refilled(last, self._clock())  # only time adds to a bucket
        if need > at_most:
            raise RateLimitedError(cost, policy.retry_after(need, at_most))
        del self._refused[caller]  # it may hold the cost now: ask the store

    async def _lease(self, caller: str, need: float, policy: BucketPolicy) -> Lease | LeaseRefusal:
        try:
            now = self._clock()
            outcome = await self._buckets.lease(f"graphql:{caller}", need, now, policy)
            if isinstance(outcome, LeaseRefusal):
                self._refused[caller] = BucketState(outcome.available, now)
                self._refused.move_to_end(caller)
                if len(self._refused) > _MAX_CALLERS:
                    self._refused.popitem(last=False)
            if isinstance(outcome, Lease):
                self._held[caller] = self._held.get(caller, 0.0) + outcome.units
                self._held.move_to_end(caller)
                if len(self._held) > _MAX_CALLERS:
                    self._held.popitem(last=False)
            return outcome
        finally:
            del self._leasing[caller]


def _retrieved(task: asyncio.Task[Lease | LeaseRefusal]) -> None:
    """Mark a lease's failure as seen: every request waiting for it may have gone."""
    if not task.cancelled():
        task.exception()
