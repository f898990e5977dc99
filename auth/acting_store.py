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

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from auth.errors import AccessDeniedError, ItemNotFoundError
from auth.rules import Caller, CallerKind, Decision, Effect, Rule, decide
from storage import DocumentStore, Item, Page, TableSpec
from storage.errors import ConditionalCheckFailedError, ValidationError
from storage.expressions import Placeholders, parse_update

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
        merged, names, values = _with_owner(decision, filter, names, values)
        return await self.store.query(
            table, key_condition, filter=merged, names=names, values=values, **options
        )

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
        key_names = self._policies[table].key_names if table in self._policies else ()
        absent = " AND ".join(f"attribute_not_exists(#__key{i})" for i in range(len(key_names)))
        key_placeholders = {f"#__key{i}": name for i, name in enumerate(key_names)}
        merged = f"({condition}) AND {absent}" if condition and absent else condition or absent
        await self.store.put_item(
            table,
            item,
            condition=merged or None,
            names={**(names or {}), **key_placeholders} or None,
            values=values,
        )
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
        key_names = tuple(key)
        exists = " AND ".join(f"attribute_exists(#__key{i})" for i in range(len(key_names)))
        merged_names = {**(names or {}), **{f"#__key{i}": k for i, k in enumerate(key_names)}}
        with_exists = f"({condition}) AND {exists}" if condition else exists
        merged, all_names, all_values = _with_owner(decision, with_exists, merged_names, values)
        try:
            result: Item | None = await write(merged, all_names, all_values)
        except ConditionalCheckFailedError as failed:
            # ALL_OLD tells us, atomically with the failed write, why it failed.
            old = failed.item
            if old is None or (decision.effect == Effect.OWNER_ONLY and not _owned(decision, old)):
                raise ItemNotFoundError() from None
            raise ConditionalCheckFailedError() from None  # the caller's own condition
        return result


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


def require_system(caller: Caller) -> None:
    """Raise AccessDeniedError unless ``caller`` is the platform itself."""
    if caller.kind != CallerKind.SYSTEM:
        raise AccessDeniedError()
