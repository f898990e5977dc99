"""What each generated field does, for one model, as the caller.

:class:`ModelOperations` holds the logic behind ``get``/``list``/``<models>By<Index>``
and ``create``/``update``/``delete``; the schema only adapts GraphQL arguments to the
plain values these methods take. Every store call goes through the caller's
:class:`~auth.acting_store.ActingStore`, so the access rules apply on every path, and
someone else's item is answered exactly like a missing one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from auth.acting_store import ActingStore
from auth.errors import ItemNotFoundError
from auth.field_rules import filter_fields
from auth.model_filters import compile_filter, compile_key_condition
from auth.models import ModelSpec
from auth.rules import Caller
from baas.graphql.errors import BadRequestError
from baas.graphql.page_tokens import PageBinding, PageTokens, PendingToken
from baas.graphql.values import ItemView, ShownItems, from_graphql
from baas.graphql.writes import PreparedWrite, prepare_create, prepare_delete, prepare_update
from storage import Item, Page
from storage.expressions.builder import ExpressionBuilder

__all__ = ["KeyQuery", "ModelOperations", "PageLimits"]


@dataclass(frozen=True)
class PageLimits:
    """Page sizes: ``limit`` defaults to ``default`` and may not exceed ``maximum``."""

    default: int = 100
    maximum: int = 1000

    def resolve(self, limit: int | None) -> int:
        if limit is None:
            return self.default
        if not 1 <= limit <= self.maximum:
            raise BadRequestError(f"limit must be between 1 and {self.maximum}.")
        return limit


@dataclass(frozen=True)
class KeyQuery:
    """A query by key: on the table (``index`` None) or on one of its indexes."""

    field: str
    index: str | None
    partition: str
    sort: str | None


class ModelOperations:
    """The generated operations of ``model``."""

    def __init__(
        self, model: ModelSpec, tokens: Callable[[], Awaitable[PageTokens]], limits: PageLimits
    ) -> None:
        self.model = model
        self.tokens = tokens  # async: the key is read from the store on first use
        self.limits = limits

    # --- reads --------------------------------------------------------------------

    def view(self, caller: Caller) -> ItemView:
        """How ``caller`` sees this model's items (its field rules applied)."""
        return ItemView(self.model, caller)

    def check_filter(self, view: ItemView, filter_: Mapping[str, Any] | None) -> None:
        """Refuse a filter or condition on a field ``view`` hides on some items."""
        if filter_:
            view.check_usable(filter_fields(filter_))

    async def get(self, store: ActingStore, key: Mapping[str, Any]) -> dict[str, Any] | None:
        item = await store.get_item(self.model.table, self._key(key))
        return None if item is None else self.view(store.caller)(item)

    async def list(
        self,
        store: ActingStore,
        filter_: Mapping[str, Any] | None,
        limit: int | None,
        next_token: str | None,
    ) -> dict[str, Any]:
        binding = PageBinding(self.model.name, "", store.caller, {"filter": filter_})
        view = self.view(store.caller)
        self.check_filter(view, filter_)
        tokens = await self.tokens()
        builder = ExpressionBuilder()
        text = compile_filter(self.model, filter_, builder, from_graphql)
        page = await store.scan(
            self.model.table,
            filter=text,
            names=builder.names_or_none(),
            values=builder.values_or_none(),
            limit=self.limits.resolve(limit),
            exclusive_start_key=self.start(tokens, next_token, binding),
        )
        return self.page(tokens, page, binding, view)

    async def query(
        self,
        store: ActingStore,
        query: KeyQuery,
        partition_value: Any,
        sort_condition: Mapping[str, Any] | None,
        descending: bool,
        filter_: Mapping[str, Any] | None,
        limit: int | None,
        next_token: str | None,
    ) -> dict[str, Any]:
        binding = PageBinding(
            self.model.name,
            query.index or "",
            store.caller,
            {"p": partition_value, "s": sort_condition, "d": descending, "f": filter_},
        )
        view = self.view(store.caller)
        # Looking up or ordering by a hidden field would tell its values.
        self.check_filter(view, filter_)
        view.check_usable({name for name in (query.partition, query.sort) if name})
        tokens = await self.tokens()
        builder = ExpressionBuilder()
        sort = (query.sort, sort_condition) if query.sort and sort_condition else None
        key_condition = compile_key_condition(
            self.model, (query.partition, partition_value), sort, builder, from_graphql
        )
        text = compile_filter(self.model, filter_, builder, from_graphql)
        page = await store.query(
            self.model.table,
            key_condition,
            index=query.index,
            filter=text,
            names=builder.names_or_none(),
            values=builder.values_or_none(),
            limit=self.limits.resolve(limit),
            exclusive_start_key=self.start(tokens, next_token, binding),
            forward=not descending,
        )
        return self.page(tokens, page, binding, view)

    # --- writes -------------------------------------------------------------------

    async def create(
        self, store: ActingStore, data: Mapping[str, Any], condition: Mapping[str, Any] | None
    ) -> dict[str, Any]:
        view = self.view(store.caller)
        self.check_filter(view, condition)
        write = prepare_create(self.model, data, condition)
        if write.item is None:  # pragma: no cover - prepare_create always makes one
            raise RuntimeError("no item to create")
        item = await store.create_item(
            write.table,
            write.item,
            condition=write.condition,
            names=write.names,
            values=write.values,
        )
        return view(item)

    async def update(
        self,
        store: ActingStore,
        data: Mapping[str, Any],
        condition: Mapping[str, Any] | None,
        expected_version: int | None,
    ) -> dict[str, Any]:
        view = self.view(store.caller)
        self.check_filter(view, condition)
        write = prepare_update(self.model, data, condition, expected_version)
        item = await store.update_item(
            write.table,
            write.key,
            write.update or "",
            condition=write.condition,
            names=write.names,
            values=write.values,
            expected_version=write.expected_version,
        )
        return self._written(view, item)

    async def delete(
        self,
        store: ActingStore,
        key: Mapping[str, Any],
        condition: Mapping[str, Any] | None,
        expected_version: int | None,
    ) -> dict[str, Any]:
        view = self.view(store.caller)
        self.check_filter(view, condition)
        write = prepare_delete(self.model, key, condition, expected_version)
        item = await store.delete_item(
            write.table,
            write.key,
            condition=write.condition,
            names=write.names,
            values=write.values,
            expected_version=write.expected_version,
        )
        return self._written(view, item)

    def prepare(self, kind: str, args: Mapping[str, Any]) -> PreparedWrite:
        """One transaction item (see :mod:`baas.graphql.transact`)."""
        if kind == "create":
            return prepare_create(self.model, args["input"], args.get("condition"))
        if kind == "update":
            return prepare_update(
                self.model, args["input"], args.get("condition"), args.get("expected_version")
            )
        return prepare_delete(
            self.model, args["key"], args.get("condition"), args.get("expected_version")
        )

    # --- helpers ------------------------------------------------------------------

    def _key(self, key: Mapping[str, Any]) -> Item:
        return {
            name: from_graphql(self.model.field(name), key[name]) for name in self.model.key_fields
        }

    def start(
        self, tokens: PageTokens, next_token: str | None, binding: PageBinding
    ) -> Item | None:
        """Where a page starts: the key sealed in ``next_token`` (bound to ``binding``)."""
        return None if next_token is None else tokens.open(next_token, binding)

    def page(
        self, tokens: PageTokens, page: Page, binding: PageBinding, view: ItemView
    ) -> dict[str, Any]:
        """A store page as GraphQL's ``<Model>Page``, its token bound to ``binding``
        (sealed when read: :class:`~baas.graphql.page_tokens.PendingToken`)."""
        last = page.last_evaluated_key
        return {
            "items": ShownItems(view, page.items),
            "next_token": None if last is None else PendingToken(tokens, last, binding),
        }

    def _written(self, view: ItemView, item: Item | None) -> dict[str, Any]:
        if item is None:  # the store answers ItemNotFoundError first; fail closed anyway
            raise ItemNotFoundError()
        return view(item)
