"""The reading half of :class:`~auth.acting_store.ActingStore`: decisions and reads.

Every read asks :func:`auth.rules.decide` for the caller's decision on the table: denied
raises :class:`~auth.errors.AccessDeniedError` before anything is read; owner-only
becomes part of the read itself (a query's or scan's filter, a check of the item a get
returned), so a list never shows someone else's item. Reads return items as stored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from auth.errors import AccessDeniedError
from auth.models import ModelSpec
from auth.owner_index import owner_list_index
from auth.rule_conditions import check_user_placeholders, owned, with_owner
from auth.rules import Caller, CallerKind, Decision, Effect, Rule, decide
from storage import BatchGet, DocumentStore, Item, Page, PartitionQuery, TableSpec
from storage.batches import MAX_BATCH_GET_KEYS
from storage.expressions import Placeholders, parse_key_condition
from storage.values import validate_item

__all__ = ["ActingReader", "DenialListener", "TablePolicy"]

DenialListener = Callable[[Caller, str, str], None]
"""``(caller, table, operation)``: an access rule refused the caller."""

Names = Mapping[str, str] | None
Values = Mapping[str, Any] | None


@dataclass(frozen=True)
class TablePolicy:
    """The access rules of one table, and the model that declares it (if one does)."""

    table: TableSpec
    rules: tuple[Rule, ...]
    model: ModelSpec | None = None

    @classmethod
    def of_model(cls, model: ModelSpec) -> TablePolicy:
        """The policy of a model's table: its rules and its write rules."""
        return cls(model.table_spec(), model.rules, model)

    @property
    def key_names(self) -> tuple[str, ...]:
        return self.table.key_names()


class ActingReader:
    """``store`` acting as ``caller`` over the tables in ``policies``: decisions, reads.

    :class:`~auth.acting_store.ActingStore` adds the writes; use that.
    """

    def __init__(
        self,
        store: DocumentStore,
        caller: Caller,
        policies: Mapping[str, TablePolicy],
        *,
        on_denied: DenialListener | None = None,
    ) -> None:
        self.store = store
        self.caller = caller
        self._policies = policies
        # Told of every refused operation (a security event, auth.security_events).
        self._on_denied = on_denied

    @property
    def policies(self) -> Mapping[str, TablePolicy]:
        """The tables this store knows, with their rules."""
        return self._policies

    # --- decisions --------------------------------------------------------------------

    def decide(self, table: str, operation: str) -> Decision:
        """The caller's decision for ``operation`` on ``table`` (denied if unknown)."""
        policy = self._policies.get(table)
        if policy is None:
            if self.caller.kind == CallerKind.SYSTEM:
                return Decision(Effect.ALLOWED, operation)
            return Decision(Effect.DENIED, operation)
        return decide(policy.rules, self.caller, operation)

    def key_names(self, table: str) -> tuple[str, ...]:
        policy = self._policies.get(table)
        return policy.key_names if policy is not None else ()

    def require(self, table: str, operation: str) -> Decision:
        """The decision if it allows ``operation``; else :class:`AccessDeniedError`."""
        decision = self.decide(table, operation)
        if not decision.allowed:
            raise self.denied(table, operation)
        return decision

    def denied(self, table: str, operation: str) -> AccessDeniedError:
        """The error refusing ``operation``, reported to ``on_denied`` first."""
        if self._on_denied is not None:
            self._on_denied(self.caller, table, operation)
        return AccessDeniedError()

    def model(self, table: str) -> ModelSpec | None:
        """The model declaring ``table``, or None for a table without one."""
        policy = self._policies.get(table)
        return policy.model if policy is not None else None

    def models(self) -> list[ModelSpec]:
        """Every model this store knows, in declaration order."""
        return [policy.model for policy in self._policies.values() if policy.model is not None]

    # --- reads ------------------------------------------------------------------------

    async def get_item(
        self, table: str, key: Item, *, projection: str | None = None, names: Names = None
    ) -> Item | None:
        """The item if it exists and the caller may read it, else None."""
        decision = self.require(table, "get")
        check_user_placeholders(names, None)
        if projection is not None and decision.effect == Effect.OWNER_ONLY:
            # Fetch whole so the owner test sees the owner field, then project.
            item = await self.store.get_item(table, key, consistent=True)
            if item is None or not owned(decision, item):
                return None
            return await self.store.get_item(
                table, key, consistent=True, projection=projection, names=names
            )
        item = await self.store.get_item(
            table, key, consistent=True, projection=projection, names=names
        )
        if item is None or (decision.effect == Effect.OWNER_ONLY and not owned(decision, item)):
            return None
        return item

    async def get_items(self, table: str, keys: Sequence[Item]) -> list[Item | None]:
        """The items at ``keys`` (in order) that exist and the caller may read; None for
        the others. One ``batch_get`` per 100 distinct keys (a page of parents' links)."""
        decision = self.require(table, "get")
        key_names = self.key_names(table)
        distinct = list({_key_of(key, key_names): key for key in keys}.values())
        found: dict[tuple[Any, ...], Item] = {}
        for start in range(0, len(distinct), MAX_BATCH_GET_KEYS):
            chunk = distinct[start : start + MAX_BATCH_GET_KEYS]
            result = await self.store.batch_get({table: BatchGet(chunk, consistent=True)})
            for item in result.responses.get(table, ()):
                if decision.effect != Effect.OWNER_ONLY or owned(decision, item):
                    found[_key_of(item, key_names)] = item
        return [found.get(_key_of(key, key_names)) for key in keys]

    async def query_partitions(
        self,
        table: str,
        partitions: Sequence[PartitionQuery],
        *,
        index: str | None = None,
        filter: str | None = None,  # noqa: A002 - DynamoDB's name
        names: Names = None,
        values: Values = None,
        limit: int | None = None,
        forward: bool = True,
    ) -> list[Page]:
        """One page per partition (see ``DocumentStore.query_partitions``), each holding
        only items the caller may list."""
        decision = self.require(table, "list")
        check_user_placeholders(names, values)
        options: dict[str, Any] = {"index": index, "limit": limit, "forward": forward}
        if self._keyed_by_owner(decision, table, index):
            # The partition is the owner (see query): only the caller's own partition
            # is read, every other answers an empty page.
            mine = [p for p in partitions if p.partition == decision.caller_id]
            pages = iter(
                await self.store.query_partitions(
                    table, mine, filter=filter, names=names, values=values, **options
                )
                if mine
                else []
            )
            empty = Page([], 0, 0, None)
            return [next(pages) if p.partition == decision.caller_id else empty for p in partitions]
        merged, names, values = with_owner(decision, filter, names, values)
        return await self.store.query_partitions(
            table, partitions, filter=merged, names=names, values=values, **options
        )

    def _keyed_by_owner(self, decision: Decision, table: str, index: str | None) -> bool:
        policy = self._policies.get(table)
        if decision.effect != Effect.OWNER_ONLY or policy is None:
            return False
        keys = policy.table.index(index) if index else policy.table
        return keys.partition_key.name in decision.owner_fields

    async def query(
        self,
        table: str,
        key_condition: str,
        *,
        filter: str | None = None,  # noqa: A002 - DynamoDB's name
        names: Names = None,
        values: Values = None,
        **options: Any,
    ) -> Page:
        """A query page holding only items the caller may list."""
        decision = self.require(table, "list")
        check_user_placeholders(names, values)
        owner_partition = self._owner_partition(
            decision, table, key_condition, names, values, options
        )
        if owner_partition is not None:
            # The query reads one owner's partition (an index keyed by the owner field),
            # where DynamoDB forbids a filter on the key: the key condition itself is
            # the owner test. Someone else's partition answers an empty page.
            if owner_partition != decision.caller_id:
                return Page([], 0, 0, None)
            return await self.store.query(
                table, key_condition, filter=filter, names=names, values=values, **options
            )
        merged, names, values = with_owner(decision, filter, names, values)
        return await self.store.query(
            table, key_condition, filter=merged, names=names, values=values, **options
        )

    def _owner_partition(
        self,
        decision: Decision,
        table: str,
        key_condition: str,
        names: Names,
        values: Values,
        options: Mapping[str, Any],
    ) -> object | None:
        """The partition value when an owner-only query is keyed by an owner field."""
        policy = self._policies.get(table)
        if decision.effect != Effect.OWNER_ONLY or policy is None:
            return None
        index = options.get("index")
        keys = policy.table.index(index) if index else policy.table
        partition = keys.partition_key.name
        if partition not in decision.owner_fields:
            return None
        sort = keys.sort_key.name if keys.sort_key else None
        placeholders = Placeholders(names, validate_item(dict(values)) if values else None)
        return parse_key_condition(key_condition, placeholders, partition, sort).partition_value

    async def scan(
        self,
        table: str,
        *,
        filter: str | None = None,  # noqa: A002 - DynamoDB's name
        names: Names = None,
        values: Values = None,
        **options: Any,
    ) -> Page:
        """A scan page holding only items the caller may list.

        An owner-only list reads the caller's partition of an index keyed by the owner
        when the table has one (:mod:`auth.owner_index`): a filtered scan's page could
        be empty, with a next key, while the caller owns items further on.
        """
        decision = self.require(table, "list")
        check_user_placeholders(names, values)
        keyed = self._owner_keyed(decision, table, options)
        if keyed is not None:
            index, field = keyed
            # The key condition is the owner test (DynamoDB forbids filtering on a key).
            return await self.store.query(
                table,
                "#__owner_key = :__owner_key",
                index=index,
                filter=filter,
                names={**(names or {}), "#__owner_key": field},
                values={**(values or {}), ":__owner_key": decision.caller_id},
                **options,
            )
        merged, names, values = with_owner(decision, filter, names, values)
        return await self.store.scan(table, filter=merged, names=names, values=values, **options)

    def _owner_keyed(
        self, decision: Decision, table: str, options: Mapping[str, Any]
    ) -> tuple[str | None, str] | None:
        """Where an owner-only scan can read the caller's items alone, if anywhere."""
        policy = self._policies.get(table)
        if decision.effect != Effect.OWNER_ONLY or policy is None or decision.caller_id is None:
            return None
        # A segment of a parallel scan, another index, or a strongly consistent read
        # (which an index cannot serve) stays a scan.
        if any(options.get(name) for name in ("segment", "total_segments", "index", "consistent")):
            return None
        return owner_list_index(policy.table, decision.owner_fields)


def _key_of(item: Item, key_names: Sequence[str]) -> tuple[Any, ...]:
    return tuple(item.get(name) for name in key_names)
