"""Turning create/update/delete arguments into store writes.

Each ``prepare_*`` function is pure: plain data in (Python field names, GraphQL
values), a :class:`PreparedWrite` out, ready for :class:`~auth.acting_store.ActingStore`
(one write) or its transaction. The server-owned fields are maintained here:

- ``created_at``/``updated_at``: set on create; ``updated_at`` again on every update;
- ``version``: 1 on create, ``ADD 1`` on every update, so two writers can never both
  succeed from the same version; ``expectedVersion`` becomes ``version = :expected`` in
  the write's own condition (optimistic locking, checked atomically with the write);
- owner fields: the caller's user id on create (the store's rule check sets them too
  for owner-only callers, and refuses any later change).

Clients cannot set any of them: the generated inputs do not have these fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from auth.model_filters import compile_filter
from auth.model_ids import new_id
from auth.models import NO_DEFAULT, VERSION_FIELD, ModelSpec
from auth.rules import Caller, CallerKind
from baas.graphql.errors import BadRequestError
from baas.graphql.values import from_graphql
from storage import Item
from storage.expressions.builder import ExpressionBuilder

__all__ = ["PreparedWrite", "prepare_create", "prepare_delete", "prepare_update"]


@dataclass(frozen=True)
class PreparedWrite:
    """One write: an item to create, or a key with an update (or none: a delete)."""

    kind: str  # "create", "update" or "delete"
    table: str
    key: Item
    item: Item | None = None
    update: str | None = None
    condition: str | None = None
    names: dict[str, str] | None = None
    values: dict[str, Any] | None = None


def prepare_create(
    model: ModelSpec,
    caller: Caller,
    data: Mapping[str, Any],
    condition: Mapping[str, Any] | None,
    now: str,
) -> PreparedWrite:
    """A new item from ``data``: defaults, generated ids and server fields filled in."""
    item: Item = {}
    for spec in model.fields:
        if spec.server_owned:
            continue
        value = data.get(spec.name)
        if value is None:
            if spec.generated:
                value = new_id()
            elif spec.default is not NO_DEFAULT and spec.default is not None:
                value = spec.default
            elif spec.required:
                raise BadRequestError(f"Field '{spec.name}' is required.")
            else:
                continue
        item[spec.name] = from_graphql(spec, value)
    if caller.kind == CallerKind.USER and caller.user_id:
        item.update(dict.fromkeys(model.owner_fields, caller.user_id))
    item.update({"created_at": now, "updated_at": now, VERSION_FIELD: Decimal(1)})
    builder = ExpressionBuilder()
    text = compile_filter(model, condition, builder, from_graphql)
    return PreparedWrite(
        "create",
        model.table,
        {name: item[name] for name in model.key_fields},
        item=item,
        condition=text,
        names=builder.names_or_none(),
        values=builder.values_or_none(),
    )


def prepare_update(
    model: ModelSpec,
    data: Mapping[str, Any],
    condition: Mapping[str, Any] | None,
    expected_version: int | None,
    now: str,
) -> PreparedWrite:
    """SET what ``data`` gives, REMOVE what it nulls, bump ``version`` and ``updated_at``."""
    key = _key(model, data)
    builder = ExpressionBuilder()
    sets: list[str] = []
    removes: list[str] = []
    for name, value in data.items():
        if name in key:
            continue
        spec = model.field(name)
        if spec.server_owned:  # unreachable through the schema; refuse anyway
            raise BadRequestError(f"Field '{name}' is set by the server.")
        if value is None:
            if spec.required:
                raise BadRequestError(f"Field '{name}' is required and cannot be null.")
            removes.append(builder.name(name))
        else:
            sets.append(f"{builder.name(name)} = {builder.value(from_graphql(spec, value))}")
    sets.append(f"{builder.name('updated_at')} = {builder.value(now)}")
    update = f"SET {', '.join(sets)} ADD {builder.name(VERSION_FIELD)} {builder.value(1)}"
    if removes:
        update += f" REMOVE {', '.join(removes)}"
    text = _with_version(
        compile_filter(model, condition, builder, from_graphql), expected_version, builder
    )
    return PreparedWrite(
        "update",
        model.table,
        key,
        update=update,
        condition=text,
        names=builder.names_or_none(),
        values=builder.values_or_none(),
    )


def prepare_delete(
    model: ModelSpec,
    key_data: Mapping[str, Any],
    condition: Mapping[str, Any] | None,
    expected_version: int | None,
) -> PreparedWrite:
    """Delete the item at ``key_data``, under the condition and version if given."""
    key = _key(model, key_data)
    builder = ExpressionBuilder()
    text = _with_version(
        compile_filter(model, condition, builder, from_graphql), expected_version, builder
    )
    return PreparedWrite(
        "delete",
        model.table,
        key,
        condition=text,
        names=builder.names_or_none(),
        values=builder.values_or_none(),
    )


def _key(model: ModelSpec, data: Mapping[str, Any]) -> Item:
    key: Item = {}
    for name in model.key_fields:
        value = data.get(name)
        if value is None:
            raise BadRequestError(f"Key field '{name}' is required.")
        key[name] = from_graphql(model.field(name), value)
    return key


def _with_version(
    condition: str | None, expected_version: int | None, builder: ExpressionBuilder
) -> str | None:
    if expected_version is None:
        return condition
    check = f"{builder.name(VERSION_FIELD)} = {builder.value(expected_version)}"
    return f"({condition}) AND {check}" if condition else check
