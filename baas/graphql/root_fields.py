"""The root fields generated for each model (and ``transact``), as declarations + logic.

Each :class:`RootField` pairs the Strawberry field (name, arguments, type: what the
schema shows) with ``run(context, args)``, the logic, taking plain data with Python
names. The Strawberry resolver declared here gives the schema its arguments and would
call ``run``; :mod:`baas.graphql.native` then installs a graphql-core resolver that
calls the same ``run`` without Strawberry's per-call layers, and it is the one that
serves requests. ``arguments`` says how each argument's value is shaped, so that the
native resolver can convert it to the same plain data.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, Union

import strawberry
from strawberry.types import Info

from auth.errors import ModelDeclarationError
from auth.models import ModelSpec
from baas.graphql.arguments import param, plain_or_none, with_signature
from baas.graphql.context import RequestContext
from baas.graphql.model_types import (
    ModelTypes,
    SortDirection,
    TypeFactory,
    async_iterator_of,
    list_of,
    make_input,
    optional,
)
from baas.graphql.names import camel, index_query_name, snake_name, snake_plural
from baas.graphql.operations import KeyQuery, ModelOperations
from baas.graphql.subscriptions import EventKind, ModelEvents
from baas.graphql.transact import TransactionItem, run_transaction

__all__ = ["ArgumentKind", "RootField", "declare_field", "model_fields", "transact_field"]

ArgumentKind = Literal["value", "fields", "filter", "key_condition", "transact_items"]
"""How an argument is shaped: a plain value, an object of model fields (an input or a
key), a filter, a sort key condition, or the items of ``transact``."""

Run = Callable[[RequestContext, dict[str, Any]], Awaitable[Any]]
_PAGE_ARGS = ("filter", "limit", "next_token", "sort_direction")
_VERBS: dict[EventKind, str] = {"INSERT": "created", "MODIFY": "updated", "REMOVE": "deleted"}


@dataclass(frozen=True)
class RootField:
    """One generated field of Query, Mutation or Subscription."""

    root: Literal["query", "mutation", "subscription"]
    name: str
    field: Any
    model: ModelSpec | None
    run: Run | None = None  # None for subscriptions (always served by Strawberry)
    arguments: dict[str, ArgumentKind] = field(default_factory=dict)
    cost: int | None = None
    """What the field adds to an operation's cost, when not the default
    (:mod:`baas.graphql.query_cost`)."""


def declare_field(
    root: Literal["query", "mutation"],
    name: str,
    model: ModelSpec | None,
    run: Run,
    params: list[Any],
    arguments: dict[str, ArgumentKind] | None,
    returns: Any,
    description: str,
) -> RootField:
    """A query or mutation field calling ``run`` (``arguments`` None: all plain values)."""

    async def resolve(info: Info, **args: Any) -> Any:
        return await run(info.context, {key: plain_or_none(value) for key, value in args.items()})

    resolver = with_signature(name, resolve, params, returns)
    maker = strawberry.field if root == "query" else strawberry.mutation
    if arguments is None:
        arguments = {p.name: "value" for p in params}
    return RootField(
        root, name, maker(resolver=resolver, description=description), model, run, arguments
    )


def model_fields(
    factory: TypeFactory, types: ModelTypes, ops: ModelOperations, events: ModelEvents
) -> list[RootField]:
    """Every root field of one model (see :mod:`baas.graphql.schema` for the shape)."""
    model = types.model
    snake = snake_name(model.name)
    fields = [_get(factory, types, ops), _list(types, ops)]
    queries = []
    # A query by the table's partition key only makes sense with a sort key (otherwise
    # there is one item per partition: that is getX).
    if model.sort_key is not None:
        queries.append(
            KeyQuery(index_query_name(model, None), None, model.partition_key, model.sort_key)
        )
    queries += [
        KeyQuery(index_query_name(model, name), name, index.partition, index.sort)
        for name, index in model.indexes.items()
    ]
    fields += [_by_key(factory, types, ops, query) for query in queries]
    fields += [_create(types, ops, snake), _update(types, ops, snake), _delete(types, ops, snake)]
    fields += [
        _subscription(types, events, kind, f"on_{snake}_{verb}") for kind, verb in _VERBS.items()
    ]
    return fields


def _get(factory: TypeFactory, types: ModelTypes, ops: ModelOperations) -> RootField:
    model = types.model

    async def run(context: RequestContext, args: dict[str, Any]) -> Any:
        return await ops.get(context.store, args)

    params = [
        param(name, factory.value_type(model.field(name), required=True))
        for name in model.key_fields
    ]
    return declare_field(
        "query", f"get_{snake_name(model.name)}", model, run, params,
        dict.fromkeys(model.key_fields, "value"), optional(types.output),
        f"One {model.name} by its key, or null.",
    )  # fmt: skip


def _page_params(types: ModelTypes) -> list[Any]:
    return [
        param("filter", optional(types.filter_input), None),
        param("limit", optional(int), None),
        param("next_token", optional(str), None),
    ]


_PAGE_KINDS: dict[str, ArgumentKind] = {"filter": "filter", "limit": "value", "next_token": "value"}


def _list(types: ModelTypes, ops: ModelOperations) -> RootField:
    async def run(context: RequestContext, args: dict[str, Any]) -> Any:
        return await ops.list(
            context.store, args.get("filter"), args.get("limit"), args.get("next_token")
        )

    return declare_field(
        "query", f"list_{snake_plural(types.model.name)}", types.model, run, _page_params(types),
        _PAGE_KINDS, types.page,
        f"Every {types.model.name} you may see, one page at a time (a scan).",
    )  # fmt: skip


def _by_key(
    factory: TypeFactory, types: ModelTypes, ops: ModelOperations, query: KeyQuery
) -> RootField:
    model = types.model
    for name in (query.partition, query.sort):
        if name in _PAGE_ARGS:
            raise ModelDeclarationError(
                f"model {model.name}, field {name}: a key field cannot be named {name!r} "
                "(it is an argument of the generated queries)"
            )

    async def run(context: RequestContext, args: dict[str, Any]) -> Any:
        return await ops.query(
            context.store,
            query,
            args[query.partition],
            args.get(query.sort) if query.sort else None,
            args.get("sort_direction") == SortDirection.DESC,
            args.get("filter"),
            args.get("limit"),
            args.get("next_token"),
        )

    params = [
        param(query.partition, factory.value_type(model.field(query.partition), required=True))
    ]
    kinds: dict[str, ArgumentKind] = {
        query.partition: "value",
        "sort_direction": "value",
        **_PAGE_KINDS,
    }
    if query.sort:
        condition = factory.key_condition_type(model.field(query.sort))
        params.append(param(query.sort, optional(condition), None))
        kinds[query.sort] = "key_condition"
    params.append(param("sort_direction", optional(SortDirection), None))
    params += _page_params(types)
    where = f"index {query.index}" if query.index else "its table"
    return declare_field(
        "query", query.field, model, run, params, kinds, types.page,
        f"{model.name} items with one {camel(query.partition)}, by {where}, in sort key order.",
    )  # fmt: skip


def _create(types: ModelTypes, ops: ModelOperations, snake: str) -> RootField:
    async def run(context: RequestContext, args: dict[str, Any]) -> Any:
        return await ops.create(context.store, args["input"], args.get("condition"))

    params = [
        param("input", types.create_input),
        param("condition", optional(types.filter_input), None),
    ]
    return declare_field(
        "mutation", f"create_{snake}", types.model, run, params,
        {"input": "fields", "condition": "filter"}, types.output,
        f"Create a {types.model.name}.",
    )  # fmt: skip


_WRITE_KINDS: dict[str, ArgumentKind] = {"condition": "filter", "expected_version": "value"}


def _update(types: ModelTypes, ops: ModelOperations, snake: str) -> RootField:
    async def run(context: RequestContext, args: dict[str, Any]) -> Any:
        return await ops.update(
            context.store, args["input"], args.get("condition"), args.get("expected_version")
        )

    params = [
        param("input", types.update_input),
        param("condition", optional(types.filter_input), None),
        param("expected_version", optional(int), None),
    ]
    return declare_field(
        "mutation", f"update_{snake}", types.model, run, params,
        {"input": "fields", **_WRITE_KINDS}, types.output,
        f"Change a {types.model.name}: given fields are set, null ones removed.",
    )  # fmt: skip


def _delete(types: ModelTypes, ops: ModelOperations, snake: str) -> RootField:
    async def run(context: RequestContext, args: dict[str, Any]) -> Any:
        return await ops.delete(
            context.store, args["key"], args.get("condition"), args.get("expected_version")
        )

    params = [
        param("key", types.key_input),
        param("condition", optional(types.filter_input), None),
        param("expected_version", optional(int), None),
    ]
    return declare_field(
        "mutation", f"delete_{snake}", types.model, run, params,
        {"key": "fields", **_WRITE_KINDS}, types.output,
        f"Delete a {types.model.name}; returns it.",
    )  # fmt: skip


def _subscription(types: ModelTypes, events: ModelEvents, kind: EventKind, name: str) -> RootField:
    async def subscribe(info: Info, **args: Any) -> AsyncIterator[Any]:
        async for item in events.stream(info.context, kind, plain_or_none(args["filter"])):
            yield item

    params = [param("filter", optional(types.filter_input), None)]
    resolver = with_signature(name, subscribe, params, async_iterator_of(types.output))
    description = f"{types.model.name} {_VERBS[kind]} events you may see (check the rules)."
    return RootField(
        "subscription",
        name,
        strawberry.subscription(resolver=resolver, description=description),
        types.model,
    )


def transact_field(models: list[tuple[ModelTypes, ModelOperations]], max_items: int) -> RootField:
    """``transact(items)``: one ``TransactItemInput`` (a oneOf) per write."""
    choices: dict[str, tuple[ModelOperations, str]] = {}
    fields: dict[str, Any] = {}
    for types, ops in models:
        for kind, wrapper in _transact_wrappers(types).items():
            fields[f"{kind}_{snake_name(types.model.name)}"] = optional(wrapper)
            choices[f"{kind}_{snake_name(types.model.name)}"] = (ops, kind)
    item_input = make_input("TransactItemInput", fields, one_of=True)
    outputs = [types.output for types, _ in models]
    result: Any = outputs[0]
    if len(outputs) > 1:
        result = Annotated[Union[tuple(outputs)], strawberry.union("ModelItem")]  # noqa: UP007

    async def run(context: RequestContext, args: dict[str, Any]) -> Any:
        entries: list[TransactionItem] = []
        for entry in args["items"]:
            ((choice, item_args),) = ((k, v) for k, v in entry.items() if v is not None)
            ops, kind = choices[choice]
            entries.append((ops, kind, item_args))
        written = await run_transaction(context, entries, max_items)
        # Items in the ModelItem union say which type they are.
        return [
            None if item is None else {**item, "__typename": ops.model.name}
            for (ops, _, _), item in zip(entries, written, strict=True)
        ]

    return declare_field(
        "mutation", "transact", None, run, [param("items", list_of(item_input))],
        {"items": "transact_items"}, list_of(optional(result)),
        "Apply several writes all or nothing; each item names exactly one write.",
    )  # fmt: skip


def _transact_wrappers(types: ModelTypes) -> dict[str, Any]:
    name = types.model.name
    condition = optional(types.filter_input)
    version = optional(int)
    return {
        "create": make_input(
            f"TransactCreate{name}Input", {"input": types.create_input, "condition": condition}
        ),
        "update": make_input(
            f"TransactUpdate{name}Input",
            {"input": types.update_input, "condition": condition, "expected_version": version},
        ),
        "delete": make_input(
            f"TransactDelete{name}Input",
            {"key": types.key_input, "condition": condition, "expected_version": version},
        ),
    }
