"""What a worker injects, for tests: a store view per call that records, a mailbox.

With a real :class:`~storage.DocumentStore` (``Journal.open_board_store``) functions get
the real caller-scoped :class:`~auth.acting_store.ActingStore` under the example app's
access rules, as under ``baas dev``; without one they get a tiny in-memory table store.
Either way the journal records on whose behalf each store view was made.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auth.acting_store import ActingStore, TablePolicy
from examples.board import app as board_app
from functions import ActsAs, Caller, FunctionRuntime, OutgoingEmail
from storage import DocumentStore, SqliteConfig, open_store


@dataclass
class Journal:
    """Everything the test functions did, in order, plus a tiny key-value table store."""

    events: list[str] = field(default_factory=list)
    store_requests: list[tuple[Caller, ActsAs]] = field(default_factory=list)
    tables: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    sent: list[tuple[OutgoingEmail, str]] = field(default_factory=list)
    store: DocumentStore | None = None
    policies: Mapping[str, TablePolicy] = field(default_factory=dict)

    @classmethod
    async def open_board_store(cls, path: Path) -> Journal:
        """A journal whose functions use a real SQLite store under the board app's rules."""
        store = await open_store(SqliteConfig(path))
        policies = {}
        for spec in board_app.models.values():
            await store.create_table(spec.table_spec())
            policies[spec.table] = TablePolicy.of_model(spec)
        return cls(store=store, policies=policies)

    def store_for(self, caller: Caller, acts_as: ActsAs) -> MemoryStore | ActingStore:
        self.store_requests.append((caller, acts_as))
        if self.store is not None:
            actor = Caller.system() if acts_as == "system" else caller
            return ActingStore(self.store, actor, self.policies)
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
