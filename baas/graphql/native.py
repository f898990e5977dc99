"""Native graphql-core resolution for the generated fields (the hot path).

Strawberry wraps each field in Python layers (argument conversion into input classes,
``Info`` objects, extension hooks) that the generated fields do not need. Measured on a
``getTodo`` (two cores, SQLite): Strawberry's wrapper cost ~90 µs per root field, and a
page of 20 items paid a wrapper call per item field. Here:

- model object fields resolve with graphql-core's default resolver, straight from the
  item dicts (keyed by GraphQL field name, see :func:`~baas.graphql.values.item_to_graphql`);
- each generated query and mutation gets a graphql-core resolver that converts its
  arguments (GraphQL names, input objects as dicts) into the plain Python-named data
  its ``run`` takes: the same data the Strawberry resolver passes.

Subscriptions stay Strawberry's. The schema itself (types, arguments, descriptions) is
unchanged: this only swaps who calls ``run``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import GraphQLObjectType, GraphQLSchema, GraphQLUnionType
from strawberry.utils.str_converters import to_camel_case

from baas.graphql.names import snake_name
from baas.graphql.object_fields import ObjectField
from baas.graphql.query_cost import COST_EXTENSION
from baas.graphql.root_fields import ArgumentKind, RootField
from baas.models import ModelSpec

__all__ = ["install_native_resolvers"]

# GraphQL operator names that differ from the Python ones (the rest are equal).
_OPERATORS = {"beginsWith": "begins_with"}
_ROOTS = {"query": "Query", "mutation": "Mutation"}


def install_native_resolvers(
    core: GraphQLSchema,
    fields: list[RootField],
    models: list[ModelSpec],
    object_fields: list[ObjectField] = (),  # type: ignore[assignment]
) -> None:
    """Swap Strawberry's resolvers of ``fields`` and of the models' object types."""
    names = {model.name: _field_names(model) for model in models}
    for model in models:
        object_type = core.type_map.get(model.name)
        if isinstance(object_type, GraphQLObjectType):
            for graphql_field in object_type.fields.values():
                graphql_field.resolve = None  # graphql-core reads source[field name]
    for object_field in object_fields:
        object_type = core.type_map[object_field.model.name]
        assert isinstance(object_type, GraphQLObjectType)  # noqa: S101 - Strawberry made it
        filter_model = object_field.filter_model
        filter_names = names[filter_model.name] if filter_model else {}
        graphql_field = object_type.fields[to_camel_case(object_field.name)]
        graphql_field.resolve = _object_resolver(object_field, filter_names)
        graphql_field.extensions = {
            **(graphql_field.extensions or {}),
            COST_EXTENSION: object_field.cost,
        }
    union = core.type_map.get("ModelItem")
    if isinstance(union, GraphQLUnionType):
        union.resolve_type = _typename_of
    for root_field in fields:
        if root_field.run is None:
            continue
        root = core.type_map[_ROOTS[root_field.root]]
        assert isinstance(root, GraphQLObjectType)  # noqa: S101 - Strawberry made it
        model_names = names[root_field.model.name] if root_field.model else {}
        graphql_field = root.fields[to_camel_case(root_field.name)]
        graphql_field.resolve = _resolver(root_field, model_names, names)
        if root_field.cost is not None:
            graphql_field.extensions = {
                **(graphql_field.extensions or {}),
                COST_EXTENSION: root_field.cost,
            }


def _resolver(
    root_field: RootField, model_names: dict[str, str], all_names: dict[str, dict[str, str]]
) -> Any:
    run = root_field.run
    assert run is not None  # noqa: S101 - checked by the caller
    arguments = {to_camel_case(name): (name, kind) for name, kind in root_field.arguments.items()}

    async def resolve(_root: object, info: Any, **raw: Any) -> Any:
        args: dict[str, Any] = {}
        for graphql_name, value in raw.items():
            name, kind = arguments[graphql_name]
            args[name] = _convert(kind, value, model_names, all_names)
        return await run(info.context, args)

    return resolve


def _object_resolver(object_field: ObjectField, filter_names: dict[str, str]) -> Any:
    run = object_field.run
    arguments = {to_camel_case(name): (name, kind) for name, kind in object_field.arguments.items()}

    async def resolve(parent: dict[str, Any], info: Any, **raw: Any) -> Any:
        args: dict[str, Any] = {}
        for graphql_name, value in raw.items():
            name, kind = arguments[graphql_name]
            args[name] = _convert(kind, value, filter_names, {})
        return await run(info.context, parent, args)

    return resolve


def _convert(
    kind: ArgumentKind, value: Any, names: dict[str, str], all_names: dict[str, dict[str, str]]
) -> Any:
    if value is None or kind == "value":
        return value
    if kind == "fields":
        return {names.get(key, key): element for key, element in value.items()}
    if kind == "filter":
        return _filter(value, names)
    if kind == "key_condition":
        return {_OPERATORS.get(op, op): operand for op, operand in value.items()}
    return [_transact_item(entry, all_names) for entry in value]


def _filter(data: Mapping[str, Any], names: dict[str, str]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in data.items():
        if value is None:
            result[key] = None
        elif key in ("and", "or"):
            result[key] = [_filter(child, names) for child in value]
        elif key == "not":
            result[key] = _filter(value, names)
        else:
            result[names.get(key, key)] = {
                _OPERATORS.get(op, op): operand for op, operand in value.items()
            }
    return result


def _transact_item(
    entry: Mapping[str, Any], all_names: dict[str, dict[str, str]]
) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for choice, write in entry.items():
        # "createTodo" -> "create_todo"; the model's names by its GraphQL type name.
        kind, _, model = _split_choice(choice)
        names = all_names.get(model, {})
        if write is None:
            result[f"{kind}_{snake_name(model)}"] = None
            continue
        converted: dict[str, Any] = {}
        for key, value in write.items():
            if key in ("input", "key"):
                converted[key] = _convert("fields", value, names, all_names)
            elif key == "condition":
                converted[key] = _convert("filter", value, names, all_names)
            else:
                converted["expected_version" if key == "expectedVersion" else key] = value
        result[f"{kind}_{snake_name(model)}"] = converted
    return result


def _split_choice(choice: str) -> tuple[str, str, str]:
    for kind in ("create", "update", "delete"):
        if choice.startswith(kind):
            return kind, "", choice[len(kind) :]
    return choice, "", ""


def _field_names(model: ModelSpec) -> dict[str, str]:
    return {to_camel_case(spec.name): spec.name for spec in model.fields}


def _typename_of(value: Any, _info: Any, _type: Any) -> str | None:
    return value.get("__typename") if isinstance(value, dict) else None
