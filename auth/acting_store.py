"""The store as seen by one caller: every read and write passes the access rules.

GraphQL resolvers, functions acting for a user, and any other path to application
data use an :class:`ActingStore` instead of the raw :class:`~storage.DocumentStore`.
It knows each table's rules (:class:`TablePolicy`) and for each operation asks
:func:`auth.rules.decide`:

- denied: :class:`AccessDeniedError` before anything is touched;
- allowed: the operation runs as asked;
- owner only: the ownership test becomes part of the *same* atomic operation — ANDed
  into the write's ConditionExpression, into a query's or scan's filter, or checked on
  the item a get returned. There is no window between check and write (threat: a
  concurrent change of owner between a read-check and the write).

A write that fails because the item is not the caller's (or does not exist) raises
:class:`ItemNotFoundError`, the same error as for a missing item, so nobody can probe
which keys exist in other users' data. A table without a policy is closed to everyone
but the system caller.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from auth.errors import AccessDeniedError, ItemNotFoundError
from auth.rules import Caller, CallerKind, Decision, Effect, Rule, decide
from storage import (
    DocumentStore,
    Item,
    Page,
    TableSpec,
    TransactConditionCheck,
    TransactDelete,
    TransactPut,
    TransactUpdate,
)
from storage.errors import (
    CancellationReason,
    ConditionalCheckFailedError,
    TransactionCanceledError,
    ValidationError,
)
from storage.expressions import Placeholders, parse_key_condition, parse_update
from storage.values import validate_item

__all__ = ["ActingStore", "TablePolicy"]

Names = Mapping[str, str] | None
Values = Mapping[str, Any] | None
_RESERVED_PREFIXES = ("#__", ":__")


@dataclass(frozen=True)
class TablePolicy:
    """The access rules of one table (one model)."""

    table: TableSpec
    rules: tuple[Rule, ...]

    @property
    def key_names(self) -> tuple[str, ...]:
        return self.table.key_names()


class ActingStore:
    """``store`` acting as ``caller`` over the tables in ``policies``."""

    def __init__(
        self, store: DocumentStore, caller: Caller, policies: Mapping[str, TablePolicy]
    ) -> None:
        self.store = store
        self.caller = caller
        self._policies = policies

    # --- decisions --------------------------------------------------------------------

    def decide(self, table: str, operation: str) -> Decision:
        """The caller's decision for ``operation`` on ``table`` (denied if unknown)."""
        policy = self._policies.get(table)
        if policy is None:
            if self.caller.kind == CallerKind.SYSTEM:
                return Decision(Effect.ALLOWED, operation)
            return Decision(Effect.DENIED, operation)
        return decide(policy.rules, self.caller, operation)

    def _key_names(self, table: str) -> tuple[str, ...]:
        policy = self._policies.get(table)
        return policy.key_names if policy is not None else ()

    def _require(self, table: str, operation: str) -> Decision:
        return self.decide(table, operation).require()

    # --- reads ------------------------------------------------------------------------

    async def get_item(
        self, table: str, key: Item, *, projection: str | None = None, names: Names = None
    ) -> Item | None:
        """The item if it exists and the caller may read it, else None."""
        decision = self._require(table, "get")
        _check_user_placeholders(names, None)
        if projection is not None and decision.effect == Effect.OWNER_ONLY:
            # Fetch whole so the owner test sees the owner field, then project.
            item = await self.store.get_item(table, key, consistent=True)
            if item is None or not _owned(decision, item):
                return None
            return await self.store.get_item(
                table, key, consistent=True, projection=projection, names=names
            )
        item = await self.store.get_item(
            table, key, consistent=True, projection=projection, names=names
        )
        if item is None or (decision.effect == Effect.OWNER_ONLY and not _owned(decision, item)):
            return None
        return item

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
        decision = self._require(table, "list")
        _check_user_placeholders(names, values)
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
        merged, names, values = _with_owner(decision, filter, names, values)
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
        """A scan page holding only items the caller may list."""
        decision = self._require(table, "list")
        _check_user_placeholders(names, values)
        merged, names, values = _with_owner(decision, filter, names, values)
        return await self.store.scan(table, filter=merged, names=names, values=values, **options)

    # --- writes -----------------------------------------------------------------------

    async def create_item(
        self,
        table: str,
        item: Item,
        *,
        condition: str | None = None,
        names: Names = None,
        values: Values = None,
    ) -> Item:
        """Put a NEW item (fails if the key exists); owner fields are set to the caller."""
        decision = self._require(table, "create")
        _check_user_placeholders(names, values)
        item = {**item, **decision.owner_values}
        merged, all_names, all_values = _guarded(
            decision, self._key_names(table), condition, names, values, exists=False
        )
        await self.store.put_item(table, item, condition=merged, names=all_names, values=all_values)
        return item

    async def update_item(
        self,
        table: str,
        key: Item,
        update: str,
        *,
        condition: str | None = None,
        names: Names = None,
        values: Values = None,
        return_values: str = "ALL_NEW",
    ) -> Item | None:
        """Update an EXISTING item the caller may update; ItemNotFoundError otherwise."""
        decision = self._require(table, "update")
        _check_user_placeholders(names, values)
        if decision.effect == Effect.OWNER_ONLY:
            _refuse_owner_change(decision, update, names, values)
        return await self._conditional_write(
            decision,
            table,
            key,
            lambda cond, n, v: self.store.update_item(
                table,
                key,
                update,
                condition=cond,
                names=n,
                values=v,
                return_values=return_values,
                return_values_on_condition_check_failure="ALL_OLD",
            ),
            condition,
            names,
            values,
        )

    async def delete_item(
        self,
        table: str,
        key: Item,
        *,
        condition: str | None = None,
        names: Names = None,
        values: Values = None,
    ) -> Item | None:
        """Delete an EXISTING item the caller may delete; returns it."""
        decision = self._require(table, "delete")
        _check_user_placeholders(names, values)
        return await self._conditional_write(
            decision,
            table,
            key,
            lambda cond, n, v: self.store.delete_item(
                table,
                key,
                condition=cond,
                names=n,
                values=v,
                return_values="ALL_OLD",
                return_values_on_condition_check_failure="ALL_OLD",
            ),
            condition,
            names,
            values,
        )

    async def transact_write(
        self,
        items: Sequence[TransactPut | TransactUpdate | TransactDelete | TransactConditionCheck],
        client_request_token: str | None = None,
    ) -> None:
        """Apply ``items`` all-or-nothing, each under the rules of its single counterpart.

        A put is a create (owner fields set, key must be new), an update/delete needs an
        existing item the caller may change, a condition check needs one the caller may
        get; the owner tests are inside each item's condition, so atomic with the whole
        transaction. When cancelled, each reason is ``NotFound`` for an item that is
        missing or not the caller's, and reasons never carry item contents (threat:
        reading someone else's item through a failed transaction).
        """
        guarded = [self._guard_transact_item(item) for item in items]
        try:
            await self.store.transact_write(
                [item for item, _ in guarded], client_request_token=client_request_token
            )
        except TransactionCanceledError as cancelled:
            reasons = [
                _safe_reason(decision, item, reason)
                for (item, decision), reason in zip(guarded, cancelled.reasons, strict=True)
            ]
            raise TransactionCanceledError(reasons) from None

    def _guard_transact_item(
        self, item: TransactPut | TransactUpdate | TransactDelete | TransactConditionCheck
    ) -> tuple[TransactPut | TransactUpdate | TransactDelete | TransactConditionCheck, Decision]:
        operation = {
            TransactPut: "create",
            TransactUpdate: "update",
            TransactDelete: "delete",
            TransactConditionCheck: "get",
        }[type(item)]
        decision = self._require(item.table, operation)
        _check_user_placeholders(item.names, item.values)
        key_names = self._key_names(item.table)
        if isinstance(item, TransactPut):
            merged, names, values = _guarded(
                decision, key_names, item.condition, item.names, item.values, exists=False
            )
            guarded_put = replace(
                item,
                item={**item.item, **decision.owner_values},
                condition=merged,
                names=names,
                values=values,
                return_values_on_condition_check_failure="ALL_OLD",
            )
            return guarded_put, decision
        if isinstance(item, TransactUpdate) and decision.effect == Effect.OWNER_ONLY:
            _refuse_owner_change(decision, item.update, item.names, item.values)
        merged, names, values = _guarded(
            decision, key_names, item.condition, item.names, item.values, exists=True
        )
        guarded = replace(
            item,
            # A condition check brings its own condition, so it never becomes None there.
            condition=merged,  # type: ignore[arg-type]
            names=names,
            values=values,
            return_values_on_condition_check_failure="ALL_OLD",
        )
        return guarded, decision

    async def _conditional_write(
        self,
        decision: Decision,
        table: str,
        key: Item,
        write: Any,
        condition: str | None,
        names: Names,
        values: Values,
    ) -> Item | None:
        merged, all_names, all_values = _guarded(
            decision, tuple(key), condition, names, values, exists=True
        )
        try:
            result: Item | None = await write(merged, all_names, all_values)
        except ConditionalCheckFailedError as failed:
            # ALL_OLD tells us, atomically with the failed write, why it failed.
            old = failed.item
            if old is None or (decision.effect == Effect.OWNER_ONLY and not _owned(decision, old)):
                raise ItemNotFoundError() from None
            raise ConditionalCheckFailedError() from None  # the caller's own condition
        return result


def _safe_reason(
    decision: Decision,
    item: TransactPut | TransactUpdate | TransactDelete | TransactConditionCheck,
    reason: CancellationReason,
) -> CancellationReason:
    """A cancellation reason the caller may see: no item contents, NotFound for others'."""
    if reason.code != "ConditionalCheckFailed" or isinstance(item, TransactPut):
        return CancellationReason(reason.code, reason.message)
    old = reason.item
    if old is None or (decision.effect == Effect.OWNER_ONLY and not _owned(decision, old)):
        return CancellationReason("NotFound", "No such item.")
    return CancellationReason(reason.code, reason.message)


def _guarded(
    decision: Decision,
    key_names: Sequence[str],
    condition: str | None,
    names: Names,
    values: Values,
    *,
    exists: bool,
) -> tuple[str | None, dict[str, str] | None, dict[str, Any] | None]:
    """The caller's condition, ANDed with what the rules require, with its placeholders.

    ``exists=False`` (a create): the key must be new — never overwrite another's item.
    ``exists=True`` (update, delete, check): the item must exist and, for owner-only
    decisions, be the caller's. One function for single writes and transactions, so
    both enforce exactly the same thing.
    """
    keys = {f"#__key{i}": name for i, name in enumerate(key_names)}
    test = "attribute_exists" if exists else "attribute_not_exists"
    required = " AND ".join(f"{test}({placeholder})" for placeholder in keys)
    if condition and required:
        expression: str | None = f"({condition}) AND {required}"
    else:
        expression = condition or required or None
    merged_names = {**(names or {}), **keys}
    if not exists:
        return expression, merged_names or None, dict(values) if values else None
    return _with_owner(decision, expression, merged_names, values)


def _owned(decision: Decision, item: Item) -> bool:
    return any(item.get(field) == decision.caller_id for field in decision.owner_fields)


def _with_owner(
    decision: Decision, expression: str | None, names: Names, values: Values
) -> tuple[str | None, dict[str, str] | None, dict[str, Any] | None]:
    """AND the owner condition (if any) into ``expression`` with its placeholders."""
    names_out = dict(names or {})
    values_out = dict(values or {})
    owner = decision.condition()
    if owner is not None:
        text, owner_names, owner_values = owner
        expression = f"({expression}) AND {text}" if expression else text
        names_out.update(owner_names)
        values_out.update(owner_values)
    return expression, names_out or None, values_out or None


def _refuse_owner_change(decision: Decision, update: str, names: Names, values: Values) -> None:
    # Threat: an owner handing an item to someone else (or making it unreachable) when
    # the rules only let them edit what they own.
    paths = parse_update(update, Placeholders(names, values)).paths
    if any(path and path[0] in decision.owner_fields for path in paths):
        raise AccessDeniedError("The owner of an item cannot be changed.")


def _check_user_placeholders(names: Names, values: Values) -> None:
    # Threat: a caller-supplied ":__auth_caller" overriding the owner test's value.
    for placeholder in [*(names or {}), *(values or {})]:
        if placeholder.startswith(_RESERVED_PREFIXES):
            raise ValidationError(
                "Expression attribute names and values starting with '__' are reserved"
            )
