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

On a table a model declares (``TablePolicy.model``) every write also follows the
model's write rules (:mod:`auth.model_writes`), for every caller including the system:
a create gets its defaults, generated ids, owner, ``created_at``/``updated_at`` and
``version`` 1; an update gets ``updated_at``; ``expected_version`` is checked in the
write's own condition; and the store raises ``version`` on every change. Reads return
items as stored; the model's view of them (declared defaults filled in) is
:meth:`ModelSpec.with_defaults <auth.models.ModelSpec.with_defaults>`, which GraphQL
and ``ctx.models`` apply.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from typing import Any

from auth.acting_reads import ActingReader, TablePolicy
from auth.errors import InvalidRequestError, ItemNotFoundError
from auth.model_values import now_instant
from auth.model_writes import new_item, replacement, touched, with_expected_version
from auth.models import ModelSpec
from auth.rule_conditions import (
    TRANSACTION_OPERATIONS,
    check_user_placeholders,
    guard_transaction_item,
    guarded,
    owned,
    refuse_owner_change,
    safe_reason,
)
from auth.rules import Decision, Effect
from storage import (
    Item,
    TransactConditionCheck,
    TransactDelete,
    TransactPut,
    TransactUpdate,
)
from storage.errors import (
    ConditionalCheckFailedError,
    TransactionCanceledError,
)
from storage.expressions import ExpressionBuilder

__all__ = ["ActingStore", "TablePolicy"]

# A put that finds the item created or deleted under it looks again, this many times.
_PUT_ATTEMPTS = 3


class _ItemExistsError(Exception):
    """A create found an item at its key (internal: the caller never sees which)."""


Names = Mapping[str, str] | None
Values = Mapping[str, Any] | None


class ActingStore(ActingReader):
    """``store`` acting as ``caller`` over the tables in ``policies``."""

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
        """Put a NEW item (fails if the key exists); owner fields are set to the caller.

        On a model's table the item is completed by the model first (defaults, ids,
        owner, timestamps, version 1); the stored item is returned.
        """
        check_user_placeholders(names, values)
        try:
            return await self._create(table, item, condition, names, values)
        except _ItemExistsError:
            raise ConditionalCheckFailedError() from None

    async def _create(
        self, table: str, item: Item, condition: str | None, names: Names, values: Values
    ) -> Item:
        decision = self.require(table, "create")
        model = self.model(table)
        if model is not None:
            item = new_item(model, self.caller, item, now_instant())
        item = {**item, **decision.owner_values}
        merged, all_names, all_values = guarded(
            decision, self.key_names(table), condition, names, values, exists=False
        )
        try:
            await self.store.put_item(
                table,
                item,
                condition=merged,
                names=all_names,
                values=all_values,
                return_values_on_condition_check_failure="ALL_OLD",
            )
        except ConditionalCheckFailedError as failed:
            # Never hand the existing item (maybe someone else's) to the caller.
            if failed.item is not None:
                raise _ItemExistsError() from None
            raise ConditionalCheckFailedError() from None  # the caller's own condition
        return item

    async def put_item(
        self,
        table: str,
        item: Item,
        *,
        condition: str | None = None,
        names: Names = None,
        values: Values = None,
    ) -> Item:
        """Create ``item``, or replace the one at its key; returns the stored item.

        A new item needs the ``create`` permission and is created as by
        :meth:`create_item`; an existing one needs ``update`` (owner-only: it must be
        the caller's) and, on a model's table, keeps its ``created_at`` and owner and
        is updated as by :meth:`update_item` (attributes the model does not declare and
        ``item`` does not give are left as they are). ``condition`` is checked against
        the item found, atomically with the write.
        """
        check_user_placeholders(names, values)
        model = self.model(table)
        if model is None:  # only the system caller reaches a table without a model
            self.require(table, "create")
            self.require(table, "update")
            await self.store.put_item(table, item, condition=condition, names=names, values=values)
            return dict(item)
        may_update = self.decide(table, "update").allowed
        may_create = self.decide(table, "create").allowed
        if not (may_update or may_create):
            raise self.denied(table, "put")
        has_key = all(item.get(name) is not None for name in model.key_fields)
        for _ in range(_PUT_ATTEMPTS):
            if may_update and has_key:
                with contextlib.suppress(ItemNotFoundError):  # missing, or not the caller's
                    return await self._replace(model, item, condition, names, values)
            if may_create:
                try:
                    return await self._create(table, item, condition, names, values)
                except _ItemExistsError:
                    if not may_update:
                        raise ConditionalCheckFailedError() from None
                    continue  # created meanwhile, or another's: look again
        raise ItemNotFoundError()

    async def _replace(
        self,
        model: ModelSpec,
        item: Item,
        condition: str | None,
        names: Names,
        values: Values,
    ) -> Item:
        decision = self.require(model.table, "update")
        builder = ExpressionBuilder(prefix="__put")
        # Owner-only callers cannot hand an item over: the owner fields they send are
        # their own anyway (the condition checks it), so they are left out.
        update = replacement(model, item, builder, keep_owner=decision.effect == Effect.OWNER_ONLY)
        stored = await self._update(
            model.table,
            {name: item[name] for name in model.key_fields},
            update,
            condition,
            {**(names or {}), **builder.names},
            {**(values or {}), **builder.values},
            "ALL_NEW",
            None,
        )
        if stored is None:  # the store answers ItemNotFoundError first; fail closed anyway
            raise ItemNotFoundError()
        return stored

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
        expected_version: int | None = None,
    ) -> Item | None:
        """Update an EXISTING item the caller may update; ItemNotFoundError otherwise.

        On a model's table ``update`` may be empty (the item is only touched), it also
        sets ``updated_at``, and ``expected_version`` makes the write conditional on the
        item's ``version`` (ConditionalCheckFailedError when it moved on).
        """
        check_user_placeholders(names, values)
        return await self._update(
            table, key, update, condition, names, values, return_values, expected_version
        )

    async def _update(
        self,
        table: str,
        key: Item,
        update: str,
        condition: str | None,
        names: Names,
        values: Values,
        return_values: str,
        expected_version: int | None,
    ) -> Item | None:
        decision = self.require(table, "update")
        if decision.effect == Effect.OWNER_ONLY and update.strip():
            refuse_owner_change(decision, update, names, values)
        if self.model(table) is not None:
            update, names, values = touched(update, names, values, now_instant())
        condition, names, values = self._expected(table, expected_version, condition, names, values)
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
        expected_version: int | None = None,
    ) -> Item | None:
        """Delete an EXISTING item the caller may delete; returns it.

        ``expected_version`` (model tables) deletes it only at that version.
        """
        decision = self.require(table, "delete")
        check_user_placeholders(names, values)
        condition, names, values = self._expected(table, expected_version, condition, names, values)
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

    def _expected(
        self,
        table: str,
        expected_version: int | None,
        condition: str | None,
        names: Names,
        values: Values,
    ) -> tuple[str | None, Names, Values]:
        if expected_version is not None and self.model(table) is None:
            raise InvalidRequestError("expected_version needs a model's table.")
        return with_expected_version(expected_version, condition, names, values)

    async def transact_write(
        self,
        items: Sequence[TransactPut | TransactUpdate | TransactDelete | TransactConditionCheck],
        client_request_token: str | None = None,
    ) -> list[dict[str, Any]]:
        """Apply ``items`` all-or-nothing, each under the rules of its single counterpart.

        A put is a create (owner fields set, key must be new), an update/delete needs an
        existing item the caller may change, a condition check needs one the caller may
        get; the owner tests are inside each item's condition, so atomic with the whole
        transaction. When cancelled, each reason is ``NotFound`` for an item that is
        missing or not the caller's, and reasons never carry item contents (threat:
        reading someone else's item through a failed transaction).

        Returns the key of each item, in order (a create's key may have been generated).
        """
        now = now_instant()
        prepared = []
        for item in items:
            decision = self.require(item.table, TRANSACTION_OPERATIONS[type(item)])
            check_user_placeholders(item.names, item.values)
            guarded_item = guard_transaction_item(
                decision,
                item,
                self.key_names(item.table),
                self.model(item.table),
                self.caller,
                now,
            )
            prepared.append((guarded_item, decision))
        try:
            await self.store.transact_write(
                [item for item, _ in prepared], client_request_token=client_request_token
            )
        except TransactionCanceledError as cancelled:
            reasons = [
                safe_reason(decision, item, reason)
                for (item, decision), reason in zip(prepared, cancelled.reasons, strict=True)
            ]
            raise TransactionCanceledError(reasons) from None
        return [
            {name: item.item[name] for name in self.key_names(item.table)}
            if isinstance(item, TransactPut)
            else dict(item.key)
            for item, _ in prepared
        ]

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
        merged, all_names, all_values = guarded(
            decision, tuple(key), condition, names, values, exists=True
        )
        try:
            result: Item | None = await write(merged, all_names, all_values)
        except ConditionalCheckFailedError as failed:
            # ALL_OLD tells us, atomically with the failed write, why it failed.
            old = failed.item
            if old is None or (decision.effect == Effect.OWNER_ONLY and not owned(decision, old)):
                raise ItemNotFoundError() from None
            raise ConditionalCheckFailedError() from None  # the caller's own condition
        return result
