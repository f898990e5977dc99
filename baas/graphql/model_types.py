"""Strawberry types generated from a :class:`~baas.models.ModelSpec`.

For ``Todo`` this makes the object type ``Todo`` and ``TodoPage``, and the inputs
``CreateTodoInput`` (no server-owned fields; generated ids optional), ``UpdateTodoInput``
(key required, everything else optional; ``null`` removes an optional field),
``TodoKeyInput`` and ``TodoFilterInput``. Filter and key-condition inputs per scalar
(``StringFilterInput``, ``IntKeyConditionInput`` ...) are shared by all models.

Classes are built with ``type()`` and decorated with ``strawberry.type``/``input``, the
way Strawberry documents dynamic types; Python field names stay snake_case and
Strawberry shows them camel-cased.
"""

from __future__ import annotations

import enum
import types
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import strawberry
from strawberry.scalars import JSON, Base64

from auth.models import FieldSpec, ModelSpec
from baas.graphql.scalars import DateTime, DecimalString

__all__ = [
    "ModelTypes",
    "SortDirection",
    "TypeFactory",
    "async_iterator_of",
    "list_of",
    "make_input",
    "optional",
]

_KIND_TYPES: dict[str, Any] = {
    "string": str,
    "int": int,
    "float": float,
    "decimal": DecimalString,
    "boolean": bool,
    "datetime": DateTime,
    "bytes": Base64,
    "json": JSON,
}
_ORDERED_KINDS = ("string", "int", "float", "decimal", "datetime", "bytes")
_TEXT_KINDS = ("string", "datetime")


@strawberry.enum(description="The order of a query's results by sort key.")
class SortDirection(enum.Enum):
    ASC = "ASC"
    DESC = "DESC"


@dataclass(frozen=True)
class ModelTypes:
    """The generated types of one model."""

    model: ModelSpec
    output: Any
    page: Any
    create_input: Any
    update_input: Any
    key_input: Any
    filter_input: Any


class TypeFactory:
    """Makes the types of each model, sharing the per-scalar inputs between models."""

    def __init__(self) -> None:
        self._filters: dict[tuple[str, Any, bool], Any] = {}
        self._key_conditions: dict[tuple[str, Any], Any] = {}

    def model_types(self, model: ModelSpec) -> ModelTypes:
        """The types of ``model``; its object type waits for :meth:`finish`.

        The object type may gain fields that name other models' types (relations), so
        every model's types are made first, and each object type is finished after.
        """
        name = model.name
        output = type(name, (), {})  # decorated by finish()
        page = _object(
            f"{name}Page",
            {"items": list_of(output), "next_token": optional(str)},
            f"One page of {name} items; pass nextToken back to read the next one.",
        )
        client_fields = [spec for spec in model.fields if not spec.server_owned]
        create = make_input(
            f"Create{name}Input",
            {
                spec.name: self._value_type(spec, required=spec.required and not spec.generated)
                for spec in client_fields
            },
        )
        update = make_input(
            f"Update{name}Input",
            {
                spec.name: self._value_type(spec, required=spec.key_role is not None)
                for spec in client_fields
            },
        )
        key = make_input(
            f"{name}KeyInput",
            {
                field: self._value_type(model.field(field), required=True)
                for field in model.key_fields
            },
        )
        return ModelTypes(model, output, page, create, update, key, self._filter_input(model))

    def finish(self, types: ModelTypes, extra: dict[str, Any]) -> None:
        """Make ``types.output`` the object type: the model's fields, then ``extra``
        (Strawberry fields with resolvers: relations, computed fields)."""
        model = types.model
        doc = (model.declared.__doc__ or "").strip() or None
        cls = types.output
        cls.__annotations__ = {spec.name: self._output_type(model, spec) for spec in model.fields}
        for name, field in extra.items():
            setattr(cls, name, field)
        strawberry.type(cls, name=model.name, description=doc)

    def output_type(self, spec: FieldSpec) -> Any:
        """The GraphQL output type of a value of ``spec`` (always nullable)."""
        return self._value_type(spec, required=False)

    def key_condition_type(self, spec: FieldSpec) -> Any:
        """``StringKeyConditionInput`` etc.: one operator on a sort key."""
        base = self._scalar(spec)
        marker = spec.enum_type or spec.kind
        cached = self._key_conditions.get((spec.kind, marker))
        if cached is not None:
            return cached
        ops: dict[str, Any] = dict.fromkeys(("eq", "lt", "le", "gt", "ge"), optional(base))
        ops["between"] = optional(list_of(base))
        if spec.kind in _TEXT_KINDS:
            ops["begins_with"] = optional(base)
        made = make_input(f"{self._scalar_name(spec)}KeyConditionInput", ops, all_optional=True)
        self._key_conditions[(spec.kind, marker)] = made
        return made

    def value_type(self, spec: FieldSpec, *, required: bool) -> Any:
        return self._value_type(spec, required=required)

    # --- internals ----------------------------------------------------------------

    def _scalar(self, spec: FieldSpec) -> Any:
        if spec.kind == "enum" and spec.enum_type is not None:
            return self._enum(spec.enum_type)
        return _KIND_TYPES[spec.kind]

    def _enum(self, enum_type: type[enum.Enum]) -> Any:
        # Strawberry marks the developer's Enum class itself (once, reused by every
        # schema), so resolvers can return its members as they are.
        if not hasattr(enum_type, "_enum_definition"):
            strawberry.enum(enum_type, description=enum_type.__doc__)
        return enum_type

    def _value_type(self, spec: FieldSpec, *, required: bool) -> Any:
        base = self._scalar(spec)
        typ: Any = list_of(base) if spec.list_of else base
        return typ if required else optional(typ)

    def _output_type(self, model: ModelSpec, spec: FieldSpec) -> Any:
        # Only keys are sure to be there: items written by other paths (functions, the
        # DynamoDB API) may lack any other field, and a null must not fail the response.
        return self._value_type(spec, required=spec.key_role is not None)

    def _scalar_name(self, spec: FieldSpec) -> str:
        if spec.kind == "enum" and spec.enum_type is not None:
            return spec.enum_type.__name__
        return {
            "decimal": "Decimal",
            "datetime": "DateTime",
            "bytes": "Base64",
            "json": "JSON",
        }.get(spec.kind, spec.kind.capitalize())

    def _field_filter(self, spec: FieldSpec) -> Any:
        base = self._scalar(spec)
        marker = spec.enum_type or spec.kind
        cache_key = (spec.kind, marker, spec.list_of)
        cached = self._filters.get(cache_key)
        if cached is not None:
            return cached
        ops: dict[str, Any] = {}
        if spec.list_of:
            ops["contains"] = optional(base)
        elif spec.kind != "json":
            ops["eq"] = ops["ne"] = optional(base)
            if spec.kind in _ORDERED_KINDS:
                for op in ("lt", "le", "gt", "ge"):
                    ops[op] = optional(base)
                ops["between"] = optional(list_of(base))
            if spec.kind in _TEXT_KINDS:
                ops["begins_with"] = ops["contains"] = optional(base)
        ops["exists"] = optional(bool)
        suffix = "ListFilterInput" if spec.list_of else "FilterInput"
        made = make_input(f"{self._scalar_name(spec)}{suffix}", ops, all_optional=True)
        self._filters[cache_key] = made
        return made

    def _filter_input(self, model: ModelSpec) -> Any:
        name = f"{model.name}FilterInput"
        fields: dict[str, Any] = {
            spec.name: optional(self._field_filter(spec)) for spec in model.fields
        }
        namespace: dict[str, Any] = {"__annotations__": fields}
        namespace.update(dict.fromkeys(fields, strawberry.UNSET))
        # and/or/not are Python keywords: the attributes get a trailing underscore.
        for word in ("and", "or", "not"):
            namespace[f"{word}_"] = strawberry.field(name=word, default=strawberry.UNSET)
        cls = type(name, (), namespace)
        # The class refers to itself; strawberry.input decorates it in place.
        fields["and_"] = optional(list_of(cls))
        fields["or_"] = optional(list_of(cls))
        fields["not_"] = optional(cls)
        return strawberry.input(
            cls, name=name, description=f"Conditions on {model.name} fields; all must hold."
        )


def _object(name: str, fields: dict[str, Any], description: str | None) -> Any:
    namespace: dict[str, Any] = {"__annotations__": fields}
    return strawberry.type(type(name, (), namespace), name=name, description=description)


def make_input(
    name: str, fields: dict[str, Any], *, all_optional: bool = False, one_of: bool = False
) -> Any:
    """An input type; optional fields default to UNSET (absent, as opposed to null)."""
    namespace: dict[str, Any] = {"__annotations__": fields}
    for field_name, annotation in fields.items():
        if all_optional or _is_optional(annotation):
            namespace[field_name] = strawberry.UNSET
    return strawberry.input(type(name, (), namespace), name=name, one_of=one_of)


def optional(annotation: Any) -> Any:
    """``annotation | None``, for types only known at run time."""
    return annotation | None


def async_iterator_of(annotation: Any) -> Any:
    """``AsyncIterator[annotation]`` (a subscription's type), for a run-time type."""
    return AsyncIterator[annotation]


def list_of(annotation: Any) -> Any:
    """``list[annotation]``, for types only known at run time."""
    return types.GenericAlias(list, (annotation,))


def _is_optional(annotation: Any) -> bool:
    return type(None) in getattr(annotation, "__args__", ())
