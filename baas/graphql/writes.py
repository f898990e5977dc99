"""Turning create/update/delete arguments into store writes: values converted, no more.

Each ``prepare_*`` function is pure: GraphQL's plain data in (Python field names,
GraphQL values), a :class:`PreparedWrite` out, ready for
:class:`~auth.acting_store.ActingStore` (one write) or its transaction. What a model
write must hold — defaults, generated ids, owner, ``created_at``/``updated_at``,
``version``, ``expectedVersion`` — is the model's, applied by the ActingStore on every
path (:mod:`auth.model_writes`); a function's write gets exactly the same. Here values
only change form (:func:`~baas.graphql.values.from_graphql`) and filters become
conditions (:func:`~auth.model_filters.compile_filter`).

Clients cannot set server-owned fields: the generated inputs do not have them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from auth.errors import InvalidRequestError
from auth.model_filters import compile_filter
from auth.model_writes import field_updates
from auth.models import ModelSpec
from baas.graphql.values import from_graphql
from storage import Item
from storage.expressions import ExpressionBuilder

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
    expected_version: int | None = None


def prepare_create(
    model: ModelSpec, data: Mapping[str, Any], condition: Mapping[str, Any] | None
) -> PreparedWrite:
    """The item ``data`` gives (the ActingStore completes it), under ``condition``."""
    item: Item = {
        name: from_graphql(model.field(name), value)
        for name, value in data.items()
        if value is not None
    }
    builder = ExpressionBuilder()
    text = compile_filter(model, condition, builder, from_graphql)
    key = {name: item[name] for name in model.key_fields if name in item}
    return PreparedWrite(
        "create",
        model.table,
        key,
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
) -> PreparedWrite:
    """SET what ``data`` gives, REMOVE what it nulls (the ActingStore adds the rest)."""
    key = _key(model, data)
    changes = {
        name: from_graphql(model.field(name), value)
        for name, value in data.items()
        if name not in key
    }
    builder = ExpressionBuilder()
    text = compile_filter(model, condition, builder, from_graphql)
    return PreparedWrite(
        "update",
        model.table,
        key,
        update=field_updates(model, changes, builder),
        condition=text,
        names=builder.names_or_none(),
        values=builder.values_or_none(),
        expected_version=expected_version,
    )


def prepare_delete(
    model: ModelSpec,
    key_data: Mapping[str, Any],
    condition: Mapping[str, Any] | None,
    expected_version: int | None,
) -> PreparedWrite:
    """Delete the item at ``key_data``, under the condition and version if given."""
    builder = ExpressionBuilder()
    text = compile_filter(model, condition, builder, from_graphql)
    return PreparedWrite(
        "delete",
        model.table,
        _key(model, key_data),
        condition=text,
        names=builder.names_or_none(),
        values=builder.values_or_none(),
        expected_version=expected_version,
    )


def _key(model: ModelSpec, data: Mapping[str, Any]) -> Item:
    key: Item = {}
    for name in model.key_fields:
        value = data.get(name)
        if value is None:
            raise InvalidRequestError(f"Key field '{name}' is required.")
        key[name] = from_graphql(model.field(name), value)
    return key
