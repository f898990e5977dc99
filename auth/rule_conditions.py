"""The conditions the access rules add to a caller's writes, and their reserved names.

:class:`~auth.acting_store.ActingStore` builds every write's condition from the
caller's own and what the rules require (:func:`guarded`): a create's key must be
new, anything else needs an existing item and, for owner-only decisions, the caller in
an owner field, all in the one atomic condition of the write. One function serves
single writes and transactions, so both enforce exactly the same thing; a transaction
item is guarded as its single twin is written (:func:`guard_transaction_item`).

Placeholders starting with ``__`` are the platform's (``#__key0``, ``:__auth_caller``,
``#__updated_at``): a caller's are refused (:func:`check_user_placeholders`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, TypeAlias

from auth.errors import AccessDeniedError
from auth.model_writes import new_item, touched
from auth.models import ModelSpec
from auth.rules import Caller, Decision, Effect
from storage import (
    Item,
    TransactConditionCheck,
    TransactDelete,
    TransactPut,
    TransactUpdate,
)
from storage.errors import CancellationReason, ValidationError
from storage.expressions import Placeholders, parse_update

__all__ = [
    "TRANSACTION_OPERATIONS",
    "check_user_placeholders",
    "guard_transaction_item",
    "guarded",
    "owned",
    "refuse_owner_change",
    "safe_reason",
    "with_owner",
]

Names = Mapping[str, str] | None
Values = Mapping[str, Any] | None
_RESERVED_PREFIXES = ("#__", ":__")
TransactionItem: TypeAlias = TransactPut | TransactUpdate | TransactDelete | TransactConditionCheck

TRANSACTION_OPERATIONS: dict[type, str] = {
    TransactPut: "create",
    TransactUpdate: "update",
    TransactDelete: "delete",
    TransactConditionCheck: "get",
}
"""The operation whose rules a transaction item is checked against (its single twin)."""


def guard_transaction_item(
    decision: Decision,
    item: TransactionItem,
    key_names: Sequence[str],
    model: ModelSpec | None,
    caller: Caller,
    now: str,
) -> TransactionItem:
    """``item`` as its single counterpart would be written, under ``decision``.

    A put is a create (the model completes it, owner fields set, the key must be new);
    an update gets ``updated_at`` and may not change the owner when owner-only; an
    update, delete or check needs an existing item (the caller's, when owner-only).
    """
    if isinstance(item, TransactUpdate):
        if decision.effect == Effect.OWNER_ONLY and item.update.strip():
            refuse_owner_change(decision, item.update, item.names, item.values)
        if model is not None:
            stamped = touched(item.update, item.names, item.values, now)
            item = replace(item, update=stamped[0], names=stamped[1], values=stamped[2])
    if isinstance(item, TransactPut):
        created = new_item(model, caller, item.item, now) if model is not None else item.item
        merged, names, values = guarded(
            decision, key_names, item.condition, item.names, item.values, exists=False
        )
        return replace(
            item,
            item={**created, **decision.owner_values},
            condition=merged,
            names=names,
            values=values,
            return_values_on_condition_check_failure="ALL_OLD",
        )
    merged, names, values = guarded(
        decision, key_names, item.condition, item.names, item.values, exists=True
    )
    return replace(
        item,
        # A condition check brings its own condition, so it never becomes None there.
        condition=merged,  # type: ignore[arg-type]
        names=names,
        values=values,
        return_values_on_condition_check_failure="ALL_OLD",
    )


def safe_reason(
    decision: Decision,
    item: TransactPut | TransactUpdate | TransactDelete | TransactConditionCheck,
    reason: CancellationReason,
) -> CancellationReason:
    """A cancellation reason the caller may see: no item contents, NotFound for others'."""
    if reason.code != "ConditionalCheckFailed" or isinstance(item, TransactPut):
        return CancellationReason(reason.code, reason.message)
    old = reason.item
    if old is None or (decision.effect == Effect.OWNER_ONLY and not owned(decision, old)):
        return CancellationReason("NotFound", "No such item.")
    return CancellationReason(reason.code, reason.message)


def guarded(
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
    return with_owner(decision, expression, merged_names, values)


def owned(decision: Decision, item: Item) -> bool:
    return any(item.get(field) == decision.caller_id for field in decision.owner_fields)


def with_owner(
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


def refuse_owner_change(decision: Decision, update: str, names: Names, values: Values) -> None:
    # Threat: an owner handing an item to someone else (or making it unreachable) when
    # the rules only let them edit what they own.
    paths = parse_update(update, Placeholders(names, values)).paths
    if any(path and path[0] in decision.owner_fields for path in paths):
        raise AccessDeniedError("The owner of an item cannot be changed.")


def check_user_placeholders(names: Names, values: Values) -> None:
    # Threat: a caller-supplied ":__auth_caller" overriding the owner test's value.
    for placeholder in [*(names or {}), *(values or {})]:
        if placeholder.startswith(_RESERVED_PREFIXES):
            raise ValidationError(
                "Expression attribute names and values starting with '__' are reserved"
            )
