"""Converting field values between GraphQL and the store, by field kind.

The store holds DynamoDB types (numbers as exact ``Decimal``, no floats); GraphQL
shows ``Int``, ``Float``, enums by member and so on. Each direction is a small pure
function of the field's :class:`~baas.models.FieldSpec`, so the rules are in one place:

- to the store: ``float`` becomes ``Decimal(str(x))`` (the shortest exact text of the
  float), enums their ``value``, JSON objects have their floats converted likewise;
- to GraphQL: ``Decimal`` becomes ``int`` or ``float`` as declared, enum values their
  member (``None`` for a stored value the enum no longer has), sets become lists.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from strawberry.utils.str_converters import to_camel_case

from auth.models import FieldSpec, ModelSpec
from storage import Item

__all__ = ["from_graphql", "item_to_graphql", "to_graphql"]


def from_graphql(spec: FieldSpec, value: Any) -> Any:
    """A GraphQL input value of ``spec`` as a store value (None stays None)."""
    if value is None:
        return None
    if spec.list_of and isinstance(value, list):
        return [_scalar_in(spec, element) for element in value]
    return _scalar_in(spec, value)


def _scalar_in(spec: FieldSpec, value: Any) -> Any:
    if value is None:
        return None
    if spec.kind == "enum" and isinstance(value, enum.Enum):
        return value.value
    if spec.kind == "float":
        return Decimal(repr(float(value)))
    if spec.kind == "json":
        return _json_in(value)
    return value


def _json_in(value: Any) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, str | int):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, list):
        return [_json_in(element) for element in value]
    if isinstance(value, dict):
        return {str(key): _json_in(element) for key, element in value.items()}
    return value


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
        return _json_out(value)
    return value


def _json_out(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, list | set | frozenset):
        return [_json_out(element) for element in value]
    if isinstance(value, Mapping):
        return {key: _json_out(element) for key, element in value.items()}
    if isinstance(value, bytes):
        return value.hex()
    return value


def item_to_graphql(model: ModelSpec, item: Item) -> dict[str, Any]:
    """A stored item as its GraphQL object: GraphQL field names (``boardId``) to values.

    Keyed by GraphQL names so that graphql-core resolves the fields itself, without a
    Python call per field (see :func:`baas.graphql.schema.build_schema`). Only declared
    fields are returned: attributes written by other paths (the DynamoDB API,
    functions) are not part of the schema and stay invisible.
    """
    return {
        graphql_name: to_graphql(spec, item.get(spec.name))
        for spec, graphql_name in _output_fields(model)
    }


_OUTPUT_FIELDS: dict[int, tuple[ModelSpec, tuple[tuple[FieldSpec, str], ...]]] = {}


def _output_fields(model: ModelSpec) -> tuple[tuple[FieldSpec, str], ...]:
    cached = _OUTPUT_FIELDS.get(id(model))
    if cached is None or cached[0] is not model:
        fields = tuple((spec, to_camel_case(spec.name)) for spec in model.fields)
        cached = _OUTPUT_FIELDS[id(model)] = (model, fields)  # the model keeps its id unique
    return cached[1]
