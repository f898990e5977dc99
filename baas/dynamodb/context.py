"""What every operation handler receives besides the request body."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from baas.dynamodb.descriptions import Account
from storage.store import DocumentStore
from storage.tables import TableDescription, TableSpec

__all__ = ["Handler", "OperationContext", "StoreSource", "store_getter"]

# The store itself, or a function returning it once it is open (the app builds its
# routes before its lifespan opens the store).
StoreSource = DocumentStore | Callable[[], DocumentStore]


def store_getter(source: StoreSource) -> Callable[[], DocumentStore]:
    """A function returning the store, whichever form ``source`` has."""
    if callable(source):
        return source
    return lambda: source


# Descriptions (which count the table's items) are cached for the streams, where
# staleness affects no data: GetRecords notices a deleted table (counting on every poll
# would cost more than the poll). Changes made through this endpoint clear the entry at
# once; those of other processes show within a few seconds. Specs alone come from the
# store's own short cache (DocumentStore.table_spec), without counting.
_CACHE_SECONDS = 5.0


@dataclass(slots=True)
class OperationContext:
    """The store the endpoint serves and the account its ARNs name."""

    get_store: Callable[[], DocumentStore]
    account: Account
    _descriptions: dict[str, tuple[float, TableDescription]] = field(default_factory=dict)

    @property
    def store(self) -> DocumentStore:
        """The open store."""
        return self.get_store()

    async def description(self, table: str) -> TableDescription:
        """The table's description, briefly cached; ResourceNotFoundError when absent."""
        now = time.monotonic()
        cached = self._descriptions.get(table)
        if cached is not None and now - cached[0] < _CACHE_SECONDS:
            return cached[1]
        description = await self.store.describe_table(table)
        self._descriptions[table] = (now, description)
        return description

    async def spec(self, table: str) -> TableSpec:
        """The table's spec, briefly cached; ResourceNotFoundError when absent."""
        return await self.store.table_spec(table)

    def forget(self, table: str) -> None:
        """Drop the cached description after this endpoint changed the table."""
        self._descriptions.pop(table, None)


# One handler per DynamoDB operation: request JSON in, response JSON out.
Handler = Callable[[OperationContext, Mapping[str, Any]], Awaitable[dict[str, Any]]]
