"""Relations as nested fields: ``board { todos(limit: 20) { items { title } } }``.

Each relation a model declares (:mod:`auth.model_relations`) becomes a field of its
object type:

- ``HasMany[T]``: ``todos(filter: TFilterInput, limit: Int, nextToken: String,
  sortDirection: SortDirection): TPage`` — one page of the related partition;
- ``HasOne[T]``, ``BelongsTo[T]``: ``board: T`` — one item, or null.

**Rules.** Every hop reads as the caller, under the *target* model's rules: an item the
caller may not read is left out of a page or answers null, exactly as a root query
would; a target the caller may not read at all answers ``FORBIDDEN`` at the field. A
link value the caller may not read on the parent (a restricted field,
:mod:`auth.field_rules`) answers ``FORBIDDEN`` too, and a filter, key or order on a
field hidden on some target items is refused the same way.

**Batching.** The field is resolved once per parent, but read once per page of
parents: every parent of one round asks one :class:`~baas.graphql.batches.Batch`
(keyed by the relation and its arguments), which makes one store call for all of them —
``query_partitions`` for a has-many or an indexed has-one, ``batch_get`` (per 100 keys)
for a belongs-to or keyed has-one.

**Pages.** ``limit`` (default 100, at most 1,000) applies to each parent's page. A
``nextToken`` continues the page of the one parent it was issued for: passed under
another parent it is ``INVALID_NEXT_TOKEN`` there.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from strawberry.utils.str_converters import to_camel_case

from auth.errors import AccessDeniedError
from auth.field_rules import filter_fields
from auth.model_filters import compile_filter
from auth.model_relations import RelationSpec
from auth.models import ModelSpec
from baas.graphql.arguments import param
from baas.graphql.context import RequestContext
from baas.graphql.errors import GraphQLApiError
from baas.graphql.model_types import ModelTypes, SortDirection, optional
from baas.graphql.object_fields import ObjectField, declare_object_field
from baas.graphql.operations import ModelOperations
from baas.graphql.page_tokens import PageBinding
from baas.graphql.root_fields import ArgumentKind
from baas.graphql.values import HIDDEN, STORED, from_graphql
from storage import Item, PartitionQuery
from storage.expressions.builder import ExpressionBuilder

__all__ = ["relation_field"]

_PAGE_KINDS: dict[str, ArgumentKind] = {
    "filter": "filter",
    "limit": "value",
    "next_token": "value",
    "sort_direction": "value",
}
# A has-one over an index is the first item of that partition.
_HAS_ONE_LIMIT = 1


def relation_field(
    model: ModelSpec,
    relation: RelationSpec,
    target: ModelOperations,
    target_types: ModelTypes,
) -> ObjectField:
    """The field of ``model``'s object type that follows ``relation`` to ``target``."""
    reader = _RelationReader(model, relation, target)
    if relation.is_list:
        params = [
            param("filter", optional(target_types.filter_input), None),
            param("limit", optional(int), None),
            param("next_token", optional(str), None),
            param("sort_direction", optional(SortDirection), None),
        ]
        return declare_object_field(
            model, relation.name, reader.run, params, optional(target_types.page),
            f"The {target.model.name} items of this {model.name} you may see, one page at "
            "a time (each parent its own page).",
            arguments=_PAGE_KINDS, filter_model=target.model,
        )  # fmt: skip
    return declare_object_field(
        model, relation.name, reader.run, [], optional(target_types.output),
        f"The {target.model.name} this {model.name} refers to, or null (missing, or not "
        "yours to see).",
    )  # fmt: skip


class _RelationReader:
    """Reads one relation for every parent of a round (module docstring)."""

    def __init__(self, model: ModelSpec, relation: RelationSpec, target: ModelOperations) -> None:
        self.model = model
        self.relation = relation
        self.target = target
        self.target_keys = relation.target_keys(target.model)
        self.links = [(name, to_camel_case(name)) for name in relation.fields]
        self.label = f"{model.name}.{relation.name}"
        index = target.model.indexes.get(relation.index) if relation.index else None
        # The target fields that choose and order the related items.
        self.ordering = {*self.target_keys, *((index.sort,) if index and index.sort else ())}

    async def run(
        self, context: RequestContext, parent: dict[str, Any], args: dict[str, Any]
    ) -> Any:
        link = self._link(parent)
        if link is None:
            return None  # nothing linked (an optional link field left empty)
        if self.relation.by_key:
            key = dict(zip(self.target_keys, link, strict=True))
            batch = context.batch((id(self), "key"), lambda keys: self._get(context, keys))
            return await batch.load(_frozen(key))
        options = _PageOptions.of(args, self.relation.is_list, self.target)
        batch = context.batch(
            (id(self), options.key()), lambda keys: self._query(context, options, keys)
        )
        return await batch.load((link[0], args.get("next_token")))

    def _link(self, parent: dict[str, Any]) -> tuple[Any, ...] | None:
        stored: Item = parent[STORED]
        values = []
        for name, graphql_name in self.links:
            if parent.get(graphql_name) is HIDDEN:
                # Threat: learning a hidden value through what it links to.
                raise AccessDeniedError("You may not read the field this relation follows.")
            value = stored.get(name)  # a store value, of the target key's type (checked)
            if value is None:
                return None
            values.append(value)
        return tuple(values)

    async def _get(
        self, context: RequestContext, keys: Sequence[tuple[tuple[str, Any], ...]]
    ) -> list[Any]:
        store = context.store
        view = self.target.view(store.caller)
        view.check_usable(set(self.target_keys))
        items = await store.get_items(self.target.model.table, [dict(key) for key in keys])
        return [None if item is None else view(item) for item in items]

    async def _query(
        self,
        context: RequestContext,
        options: _PageOptions,
        keys: Sequence[tuple[Any, str | None]],
    ) -> list[Any]:
        store = context.store
        view = self.target.view(store.caller)
        view.check_usable(self.ordering | filter_fields(options.filter))
        tokens = await self.target.tokens()
        answers: list[Any] = [None] * len(keys)
        reads: list[tuple[int, PartitionQuery, PageBinding]] = []
        for position, (value, next_token) in enumerate(keys):
            binding = self._binding(store.caller, value, options)
            try:
                start = self.target.start(tokens, next_token, binding)
            except GraphQLApiError as refused:  # this parent's token only
                answers[position] = refused
                continue
            reads.append((position, PartitionQuery(value, start), binding))
        if not reads:
            return answers
        builder = ExpressionBuilder()
        filter_text = compile_filter(self.target.model, options.filter, builder, from_graphql)
        pages = await store.query_partitions(
            self.target.model.table,
            [query for _, query, _ in reads],
            index=self.relation.index,
            filter=filter_text,
            names=builder.names_or_none(),
            values=builder.values_or_none(),
            limit=options.limit,
            forward=not options.descending,
        )
        for (position, _, binding), page in zip(reads, pages, strict=True):
            if self.relation.is_list:
                answers[position] = self.target.page(tokens, page, binding, view)
            else:
                answers[position] = view(page.items[0]) if page.items else None
        return answers

    def _binding(self, caller: Any, value: Any, options: _PageOptions) -> PageBinding:
        return PageBinding(
            self.target.model.name,
            self.relation.index or "",
            caller,
            {"rel": self.label, "p": value, "f": options.filter, "d": options.descending},
        )


class _PageOptions:
    """The arguments a has-many's parents share: one batch per distinct set."""

    __slots__ = ("descending", "filter", "limit")

    def __init__(self, filter_: Mapping[str, Any] | None, limit: int, descending: bool) -> None:
        self.filter = filter_
        self.limit = limit
        self.descending = descending

    @classmethod
    def of(cls, args: dict[str, Any], is_list: bool, target: ModelOperations) -> _PageOptions:
        if not is_list:
            return cls(None, _HAS_ONE_LIMIT, descending=False)
        descending = args.get("sort_direction") == SortDirection.DESC
        return cls(args.get("filter"), target.limits.resolve(args.get("limit")), descending)

    def key(self) -> tuple[Any, ...]:
        return (_frozen(self.filter), self.limit, self.descending)


def _frozen(value: Any) -> Any:
    """A hashable form of plain data (a filter, a key), to group equal ones."""
    if isinstance(value, Mapping):
        return tuple(sorted((key, _frozen(element)) for key, element in value.items()))
    if isinstance(value, list | tuple | set | frozenset):
        return tuple(_frozen(element) for element in value)
    return value
