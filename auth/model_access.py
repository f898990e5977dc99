"""Typed model access: ``ctx.models.Board.get(...)`` instead of tables and expressions.

:class:`Models` is what a function reaches as ``ctx.models``: one :class:`ModelAccess`
per declared model, by the model's name (``ctx.models.Board``) or by its class, typed
(``ctx.models.of(Board)``). Each works through the caller's
:class:`~auth.acting_store.ActingStore`, so the access rules and the model's write rules
hold exactly as for GraphQL, and answers with instances of the app's own class (see
:mod:`auth.model_classes`), declared defaults filled in::

    board = await ctx.models.Board.get(id="b1")
    if board is None:
        raise BoardNotFoundError(...)
    board = await ctx.models.Board.update(
        board, set={"status": "archiving"}, expected_version=board.version
    )
    page = await ctx.models.Todo.query(board_id="b1", filter={"done": {"eq": False}})
    todo = await ctx.models.Todo.create(board_id="b1", title="Write the docs")

Values are Python's (``datetime``, enum members, ``float`` ...; converted by
:func:`~auth.model_values.to_store`, a wrong type refused naming the field). Filters and
conditions take the shape GraphQL's do, with Python names and operators:
``{"status": {"ne": "archived"}, "or": [{...}, {...}]}``. Errors are the store's:
``ItemNotFoundError`` for a missing item (or one not the caller's),
``ConditionalCheckFailedError`` for a condition or ``expected_version`` that did not hold.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from auth.errors import InvalidRequestError, ItemNotFoundError
from auth.model_classes import new_instance
from auth.model_filters import compile_filter, compile_key_condition
from auth.model_values import from_store, to_store
from auth.model_writes import MAINTAINED_FIELDS, field_updates
from auth.models import ModelSpec
from storage import Item
from storage.expressions import ExpressionBuilder

if TYPE_CHECKING:
    from auth.acting_store import ActingStore

__all__ = ["ModelAccess", "ModelPage", "Models"]

T = TypeVar("T")
Filter = Mapping[str, Any] | None


@dataclass(frozen=True)
class ModelPage(Generic[T]):
    """One page of items; pass ``next_key`` as ``after`` to read the next (None: the end)."""

    items: list[T]
    next_key: dict[str, Any] | None


class ModelAccess(Generic[T]):
    """One model's items, as the caller may see and change them."""

    def __init__(self, store: ActingStore, model: ModelSpec) -> None:
        self.store = store
        self.model = model

    # --- reads --------------------------------------------------------------------

    async def get(self, key: Any = None, /, **fields: Any) -> T | None:
        """The item at ``key`` (a mapping, an instance, or the key fields as keywords)."""
        item = await self.store.get_item(self.model.table, self._key(key, fields))
        return None if item is None else self.instance(item)

    async def query(
        self,
        *,
        index: str | None = None,
        sort: Mapping[str, Any] | None = None,
        filter: Filter = None,  # noqa: A002 - the name GraphQL's argument has
        limit: int | None = None,
        descending: bool = False,
        after: Mapping[str, Any] | None = None,
        **partition: Any,
    ) -> ModelPage[T]:
        """Items of one partition in sort key order: ``query(board_id="b1")``.

        ``index`` queries one of the model's indexes instead of its table; ``sort`` is
        one condition on the sort key (``{"begins_with": "2026-"}``); ``filter`` is
        applied to what the page read (a page may hold fewer than ``limit`` items).
        """
        keys = self.model.indexes.get(index) if index is not None else None
        if index is not None and keys is None:
            raise InvalidRequestError(f"{self.model.name} has no index '{index}'.")
        partition_key = keys.partition if keys is not None else self.model.partition_key
        sort_key = keys.sort if keys is not None else self.model.sort_key
        if set(partition) != {partition_key}:
            raise InvalidRequestError(f"Name the partition key as one keyword: {partition_key}=...")
        builder = ExpressionBuilder()
        sort_condition = (sort_key, sort) if sort and sort_key else None
        key_condition = compile_key_condition(
            self.model, (partition_key, partition[partition_key]), sort_condition, builder, to_store
        )
        page = await self.store.query(
            self.model.table,
            key_condition,
            index=index,
            filter=compile_filter(self.model, filter, builder, to_store),
            names=builder.names_or_none(),
            values=builder.values_or_none(),
            limit=limit,
            exclusive_start_key=dict(after) if after else None,
            forward=not descending,
        )
        return ModelPage([self.instance(item) for item in page.items], page.last_evaluated_key)

    async def list(
        self,
        *,
        filter: Filter = None,  # noqa: A002 - the name GraphQL's argument has
        limit: int | None = None,
        after: Mapping[str, Any] | None = None,
    ) -> ModelPage[T]:
        """Every item the caller may see, one page at a time (a scan)."""
        builder = ExpressionBuilder()
        page = await self.store.scan(
            self.model.table,
            filter=compile_filter(self.model, filter, builder, to_store),
            names=builder.names_or_none(),
            values=builder.values_or_none(),
            limit=limit,
            exclusive_start_key=dict(after) if after else None,
        )
        return ModelPage([self.instance(item) for item in page.items], page.last_evaluated_key)

    # --- writes -------------------------------------------------------------------

    async def create(self, item: Any = None, /, *, condition: Filter = None, **fields: Any) -> T:
        """A new item from an instance, a mapping or keywords; fails if the key exists."""
        values = {**self._fields_of(item), **fields}
        # Timestamps and version are the server's; an owner given is kept when the
        # caller may set it (the system, an admin: see auth.model_writes.new_item).
        stored: Item = {
            name: to_store(self._field(name), value)
            for name, value in values.items()
            if value is not None and name not in MAINTAINED_FIELDS
        }
        builder = ExpressionBuilder()
        created = await self.store.create_item(
            self.model.table,
            stored,
            condition=compile_filter(self.model, condition, builder, to_store),
            names=builder.names_or_none(),
            values=builder.values_or_none(),
        )
        return self.instance(created)

    async def update(
        self,
        key: Any,
        /,
        *,
        set: Mapping[str, Any] | None = None,  # noqa: A002 - reads as the update it is
        condition: Filter = None,
        expected_version: int | None = None,
    ) -> T:
        """Set the fields in ``set`` (None removes an optional one) on the item at ``key``.

        ``expected_version`` applies the change only if the item is still at that
        version (ConditionalCheckFailedError otherwise): read, decide, write back.
        """
        changes = {name: to_store(self._field(name), value) for name, value in (set or {}).items()}
        builder = ExpressionBuilder()
        condition_text = compile_filter(self.model, condition, builder, to_store)
        item = await self.store.update_item(
            self.model.table,
            self._key(key, {}),
            field_updates(self.model, changes, builder),
            condition=condition_text,
            names=builder.names_or_none(),
            values=builder.values_or_none(),
            expected_version=expected_version,
        )
        if item is None:  # the store answers ItemNotFoundError first; fail closed anyway
            raise ItemNotFoundError()
        return self.instance(item)

    async def delete(
        self, key: Any, /, *, condition: Filter = None, expected_version: int | None = None
    ) -> T:
        """Delete the item at ``key`` (under ``condition``/``expected_version``); returns it."""
        builder = ExpressionBuilder()
        item = await self.store.delete_item(
            self.model.table,
            self._key(key, {}),
            condition=compile_filter(self.model, condition, builder, to_store),
            names=builder.names_or_none(),
            values=builder.values_or_none(),
            expected_version=expected_version,
        )
        if item is None:
            raise ItemNotFoundError()
        return self.instance(item)

    # --- conversions --------------------------------------------------------------

    def instance(self, item: Item) -> T:
        """A stored item as an instance of the model's class, declared defaults filled in."""
        shown = self.model.with_defaults(item)
        values = {spec.name: from_store(spec, shown.get(spec.name)) for spec in self.model.fields}
        instance: T = new_instance(self.model.declared, values)
        return instance

    def _key(self, key: Any, fields: Mapping[str, Any]) -> Item:
        given = {**self._fields_of(key), **fields}
        result: Item = {}
        for name in self.model.key_fields:
            value = given.get(name)
            if value is None:
                raise InvalidRequestError(f"Key field '{name}' is required.")
            result[name] = to_store(self.model.field(name), value)
        return result

    def _fields_of(self, source: Any) -> dict[str, Any]:
        if source is None:
            return {}
        if isinstance(source, Mapping):
            return dict(source)
        if isinstance(source, self.model.declared):
            return {spec.name: getattr(source, spec.name, None) for spec in self.model.fields}
        raise InvalidRequestError(f"Expected a {self.model.name}, a mapping or keywords.")

    def _field(self, name: str) -> Any:
        try:
            return self.model.field(name)
        except KeyError:
            raise InvalidRequestError(f"{self.model.name} has no field '{name}'.") from None


class Models:
    """Every model of the app, as the caller may use them (``ctx.models``)."""

    def __init__(self, store: ActingStore) -> None:
        self._store = store
        self._by_name = {model.name: model for model in store.models()}

    def of(self, cls: type[T]) -> ModelAccess[T]:
        """The model declared by ``cls``, typed: ``ctx.models.of(Board)``."""
        return ModelAccess(self._store, self._named(cls.__name__))

    def __getattr__(self, name: str) -> ModelAccess[Any]:
        if name.startswith("_"):
            raise AttributeError(name)
        return ModelAccess(self._store, self._named(name))

    def _named(self, name: str) -> ModelSpec:
        model = self._by_name.get(name)
        if model is None:
            raise AttributeError(f"the app declares no model named {name!r}")
        return model
