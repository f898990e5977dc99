"""A model's write rules: what every caller-scoped write to a model table must hold.

:class:`~auth.acting_store.ActingStore` applies these to each write on a table that a
model declares, whoever the caller and whatever the way in (GraphQL, ``ctx.models``, a
raw ``ctx.store`` write, a trigger's workflow), single or in a transaction:

- a **create** fills each field it lacks with its declared default or a generated id,
  refuses a missing required field, sets the owner fields to the calling user (unless
  given by a caller allowed to set them), ``created_at`` and ``updated_at`` to now and
  ``version`` to 1 (:func:`new_item`);
- an **update** sets ``updated_at`` to now (:func:`touched`); it may not write
  ``version``, ``created_at`` or ``updated_at`` itself;
- ``expected_version`` becomes ``version = :expected`` in the write's own condition
  (:func:`with_expected_version`), so it is checked atomically with the write.

``version`` grows on every change by the store's own rule (:mod:`storage.versions`):
a write through any path, this one or not, leaves it above what it was, so an
``expectedVersion`` never succeeds over a change its sender has not seen.

Placeholders added here start with ``__`` (``#__updated_at``, ``:__now``), which the
ActingStore refuses from callers, so they never collide with a caller's own.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from auth.errors import InvalidRequestError
from auth.model_ids import new_id
from auth.models import SERVER_TIMESTAMPS, VERSION_FIELD, ModelSpec
from auth.rules import Caller, CallerKind
from storage import Item
from storage.expressions import ExpressionBuilder, Placeholders, parse_update
from storage.expressions.ast import NameRef, SetAction, UpdateTree, ValueRef
from storage.expressions.render import render_update
from storage.expressions.update_parser import parse_update_text

__all__ = [
    "MAINTAINED_FIELDS",
    "field_updates",
    "new_item",
    "replacement",
    "touched",
    "with_expected_version",
]

MAINTAINED_FIELDS = frozenset((*SERVER_TIMESTAMPS, VERSION_FIELD))
"""Fields only baas writes: any value a caller gives for them is replaced."""

Names = Mapping[str, str] | None
Values = Mapping[str, Any] | None
_UPDATED_AT = "#__updated_at"
_NOW = ":__now"


def new_item(model: ModelSpec, caller: Caller, item: Mapping[str, Any], now: str) -> Item:
    """``item`` as created: defaults, generated ids, owner, timestamps, version 1."""
    created: Item = {name: value for name, value in item.items() if name not in MAINTAINED_FIELDS}
    for spec in model.fields:
        if spec.server_owned or created.get(spec.name) is not None:
            continue
        created.pop(spec.name, None)  # a null is the absence of an optional value
        if spec.generated:
            created[spec.name] = new_id()
        elif spec.fills_default:
            created[spec.name] = dict(model.read_defaults)[spec.name]
        elif spec.required:
            raise InvalidRequestError(f"Field '{spec.name}' is required.")
    if caller.kind == CallerKind.USER and caller.user_id:
        # The creator owns what they create; the rules' owner-only decision enforces it
        # for users limited to their own items, others may hand an item to someone.
        for name in model.owner_fields:
            if created.get(name) is None:
                created[name] = caller.user_id
    created.update({"created_at": now, "updated_at": now, VERSION_FIELD: Decimal(1)})
    return created


def field_updates(model: ModelSpec, changes: Mapping[str, Any], builder: ExpressionBuilder) -> str:
    """``SET``/``REMOVE`` text for ``changes`` (field -> stored value; None removes it).

    Only declared, client-writable, non-key fields may change; a required field cannot
    be removed. Empty text for no change (the store's touch still bumps the item).
    """
    for name, value in changes.items():
        try:
            spec = model.field(name)
        except KeyError:
            raise InvalidRequestError(f"{model.name} has no field '{name}'.") from None
        if spec.key_role is not None:
            raise InvalidRequestError(f"Field '{name}' is part of the key and cannot change.")
        if spec.server_owned:
            raise InvalidRequestError(f"Field '{name}' is set by the server.")
        if value is None and spec.required:
            raise InvalidRequestError(f"Field '{name}' is required and cannot be null.")
    return _set_remove(changes, builder)


def replacement(
    model: ModelSpec, item: Mapping[str, Any], builder: ExpressionBuilder, *, keep_owner: bool
) -> str:
    """The update that makes an existing item hold ``item`` (a put over it).

    Declared fields ``item`` lacks get their default or are removed (a required one is
    refused); attributes the model does not declare are set as given; keys, timestamps
    and version stay the server's. Owner fields are set when given, unless
    ``keep_owner`` (a caller who may not hand the item over).
    """
    changes: dict[str, Any] = {}
    defaults = dict(model.read_defaults)
    declared = set()
    for spec in model.fields:
        declared.add(spec.name)
        value = item.get(spec.name)
        if spec.key_role is not None or spec.name in MAINTAINED_FIELDS:
            continue
        if spec.name in model.owner_fields:
            if value is not None and not keep_owner:
                changes[spec.name] = value
            continue
        if value is None and spec.fills_default:
            value = defaults[spec.name]
        elif value is None and spec.required:
            raise InvalidRequestError(f"Field '{spec.name}' is required.")
        changes[spec.name] = value
    for name, value in item.items():
        if name not in declared:
            changes[name] = _Null() if value is None else value
    return _set_remove(changes, builder)


class _Null:
    """An undeclared attribute given as null: stored as NULL, not removed."""


def _set_remove(changes: Mapping[str, Any], builder: ExpressionBuilder) -> str:
    sets: list[str] = []
    removes: list[str] = []
    for name, value in changes.items():
        if value is None:
            removes.append(builder.name(name))
        else:
            stored = None if isinstance(value, _Null) else value
            sets.append(f"{builder.name(name)} = {builder.value(stored)}")
    clauses = [f"SET {', '.join(sets)}"] if sets else []
    if removes:
        clauses.append(f"REMOVE {', '.join(removes)}")
    return " ".join(clauses)


def touched(
    update: str, names: Names, values: Values, now: str
) -> tuple[str, dict[str, str], dict[str, Any]]:
    """``update`` (may be empty) that also sets ``updated_at`` to ``now``.

    Refuses an update that writes ``version``, ``created_at`` or ``updated_at`` itself:
    they are the server's (threat: a writer rewinding ``version`` so that a stale
    ``expectedVersion`` succeeds, or backdating an item).
    """
    names_out = dict(names or {})
    values_out = dict(values or {})
    tree = UpdateTree()
    if update.strip():
        bound = parse_update(update, Placeholders(names, values))
        for path in bound.paths:
            if path and path[0] in MAINTAINED_FIELDS:
                raise InvalidRequestError(f"Field '{path[0]}' is set by the server.")
        tree = parse_update_text(update)
    stamp = SetAction((NameRef(_UPDATED_AT),), ValueRef(_NOW))
    tree = UpdateTree((*tree.set, stamp), tree.remove, tree.add, tree.delete)
    names_out[_UPDATED_AT] = "updated_at"
    values_out[_NOW] = now
    return render_update(tree), names_out, values_out


def with_expected_version(
    expected: int | None,
    condition: str | None,
    names: Names,
    values: Values,
    builder: ExpressionBuilder | None = None,
) -> tuple[str | None, dict[str, str] | None, dict[str, Any] | None]:
    """``condition`` ANDed with ``version = expected`` (unchanged when ``expected`` is None).

    The check's placeholders come from ``builder``; by default ``__``-prefixed ones,
    which only the ActingStore may add (a caller building a transaction item passes
    its own builder).
    """
    if expected is None:
        return condition, dict(names) if names else None, dict(values) if values else None
    if isinstance(expected, bool) or not isinstance(expected, int):
        raise InvalidRequestError("expected_version must be an integer.")
    builder = builder or ExpressionBuilder(prefix="__version")
    check = f"{builder.name(VERSION_FIELD)} = {builder.value(Decimal(expected))}"
    text = f"({condition}) AND {check}" if condition else check
    return text, {**(names or {}), **builder.names}, {**(values or {}), **builder.values}
