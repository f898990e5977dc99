"""Simple in-memory stand-ins for what a worker injects: a store that records, a mailbox.

The real caller-scoped store comes from ``auth``; these let tests see what functions
did and on whose behalf (each store view remembers the caller it was made for).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from functions import ActsAs, Caller, FunctionRuntime, OutgoingEmail


@dataclass
class Journal:
    """Everything the test functions did, in order, plus a tiny key-value table store."""

    events: list[str] = field(default_factory=list)
    store_requests: list[tuple[Caller, ActsAs]] = field(default_factory=list)
    tables: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    sent: list[tuple[OutgoingEmail, str]] = field(default_factory=list)

    def store_for(self, caller: Caller, acts_as: ActsAs) -> MemoryStore:
        self.store_requests.append((caller, acts_as))
        return MemoryStore(self, caller, acts_as)

    async def send(self, email: OutgoingEmail, *, idempotency_key: str) -> None:
        self.sent.append((email, idempotency_key))

    def runtime(self, **options: Any) -> FunctionRuntime:
        return FunctionRuntime(store_for=self.store_for, mail=self, **options)


@dataclass
class MemoryStore:
    """The subset of the DocumentStore API the test and example functions use."""

    journal: Journal
    caller: Caller
    acts_as: ActsAs

    def record(self, event: str) -> None:
        self.journal.events.append(event)

    async def get_item(self, table: str, key: dict[str, Any]) -> dict[str, Any] | None:
        item = self.journal.tables.get(table, {}).get(key["id"])
        return dict(item) if item is not None else None

    async def put_item(self, table: str, item: dict[str, Any]) -> None:
        self.journal.tables.setdefault(table, {})[item["id"]] = dict(item)
