"""Converting field values between GraphQL and the store, by field kind.

To the store, GraphQL's values (already checked against the schema by graphql-core)
take the model's own conversion, :func:`auth.model_values.to_store`: the same one a
function's values take. To GraphQL, a stored value becomes what the resolvers return,
as :func:`auth.model_values.from_store` shows it to functions (``Decimal`` as ``int`` or
``float`` as declared, enum values their member, sets as lists), except datetimes,
which stay their stored ISO text (the ``DateTime`` scalar serialises it).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from strawberry.utils.str_converters import to_camel_case

from auth.model_values import from_store, to_store
from auth.models import FieldSpec, ModelSpec
from storage import Item

__all__ = ["from_graphql", "item_to_graphql", "to_graphql"]


def from_graphql(spec: FieldSpec, value: Any) -> Any:
    """A GraphQL input value of ``spec`` as a store value (None stays None)."""
    return to_store(spec, value)


def to_graphql(spec: FieldSpec, value: Any) -> Any:
    """A stored value of ``spec`` as GraphQL's resolvers return it."""
    if spec.kind == "datetime":  # the stored text is what the DateTime scalar answers
        return list(value) if isinstance(value, set | frozenset) else value
    if spec.kind == "int" and isinstance(value, Decimal) and value.is_finite():
        return int(value)  # a raw writer's 1.5 in an Int field: GraphQL can only say 1
    return from_store(spec, value)


def item_to_graphql(model: ModelSpec, item: Item) -> dict[str, Any]:
    """A stored item as its GraphQL object: GraphQL field names (``boardId``) to values.

    Keyed by GraphQL names so that graphql-core resolves the fields itself, without a
    Python call per field (see :func:`baas.graphql.schema.build_schema`). Only declared
    fields are returned: attributes written by other paths (the DynamoDB API,
    functions) are not part of the schema and stay invisible. A field the item lacks
    (or holds as null) shows its declared default: items written before the field was
    declared, or by a raw path, read as if written through the model.
    """
    result: dict[str, Any] = {}
    for spec, graphql_name, default, convert in _output_fields(model):
        value = item.get(spec.name)
        if value is None:
            value = default
        result[graphql_name] = value if convert is None else convert(spec, value)
    return result


# Kinds whose stored value is already what GraphQL answers (not in a list): no call.
_AS_STORED = ("string", "boolean", "decimal", "bytes", "datetime")
_OutputField = tuple[FieldSpec, str, Any, Any]
_OUTPUT_FIELDS: dict[int, tuple[ModelSpec, tuple[_OutputField, ...]]] = {}


def _output_fields(model: ModelSpec) -> tuple[_OutputField, ...]:
    """Per field: its spec, GraphQL name, stored default, converter (None: as stored)."""
    cached = _OUTPUT_FIELDS.get(id(model))
    if cached is None or cached[0] is not model:
        defaults = dict(model.read_defaults)
        fields = tuple(
            (
                spec,
                to_camel_case(spec.name),
                defaults.get(spec.name),
                None if spec.kind in _AS_STORED and not spec.list_of else to_graphql,
            )
            for spec in model.fields
        )
        cached = _OUTPUT_FIELDS[id(model)] = (model, fields)  # the model keeps its id unique
    return cached[1]
