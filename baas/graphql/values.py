"""Converting field values between GraphQL and the store, by field kind.

To the store, GraphQL's values (already checked against the schema by graphql-core)
take the model's own conversion, :func:`auth.model_values.to_store`: the same one a
function's values take. To GraphQL, a stored value becomes what the resolvers return:
``Decimal`` as ``int`` or ``float`` as declared, enum values their member (``None`` for
a stored value the enum no longer has), datetimes stay their stored ISO text (the
``DateTime`` scalar serialises it), sets become lists.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from strawberry.utils.str_converters import to_camel_case

from auth.model_values import json_out, to_store
from auth.models import FieldSpec, ModelSpec
from storage import Item

__all__ = ["from_graphql", "item_to_graphql", "to_graphql"]


def from_graphql(spec: FieldSpec, value: Any) -> Any:
    """A GraphQL input value of ``spec`` as a store value (None stays None)."""
    return to_store(spec, value)


def to_graphql(spec: FieldSpec, value: Any) -> Any:
    """A stored value of ``spec`` as GraphQL's resolvers return it."""
    if value is None:
        return None
    if spec.list_of and isinstance(value, list | set | frozenset):
        return [_scalar_out(spec, element) for element in value]
    return _scalar_out(spec, value)


def _scalar_out(spec: FieldSpec, value: Any) -> Any:
    kind = spec.kind
    if kind == "int" and isinstance(value, Decimal):
        return int(value)
    if kind == "float" and isinstance(value, Decimal):
        return float(value)
    if kind == "enum" and spec.enum_type is not None:
        try:
            return spec.enum_type(value)
        except ValueError:
            return None
    if kind == "json":
        return json_out(value)
    return value


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
    for spec, graphql_name, default in _output_fields(model):
        value = item.get(spec.name)
        result[graphql_name] = to_graphql(spec, default if value is None else value)
    return result


_OUTPUT_FIELDS: dict[int, tuple[ModelSpec, tuple[tuple[FieldSpec, str, Any], ...]]] = {}


def _output_fields(model: ModelSpec) -> tuple[tuple[FieldSpec, str, Any], ...]:
    cached = _OUTPUT_FIELDS.get(id(model))
    if cached is None or cached[0] is not model:
        defaults = dict(model.read_defaults)
        fields = tuple(
            (spec, to_camel_case(spec.name), defaults.get(spec.name)) for spec in model.fields
        )
        cached = _OUTPUT_FIELDS[id(model)] = (model, fields)  # the model keeps its id unique
    return cached[1]
