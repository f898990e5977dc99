"""Call inputs and results as GraphQL shows them: field names in camelCase.

GraphQL names fields in camelCase (``boardId``), the models' and the call fields' alike;
a call's ``result`` and ``progress`` are JSON values, and used to keep the Python names
of the target's output (``board_id``). Here the decoded JSON is walked alongside the
output's type: the fields of dataclasses and pydantic models are camel-cased at any
depth, while the keys of a ``dict`` are data and stay as they are (an email address or
an id used as a key must not change). Where the type says nothing (``Any``, no
annotation) the value is left as it is.

Inputs go the other way (:func:`python_field_names`): either spelling is accepted, at
any depth.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from typing import Any

from baas.graphql.names import camel

__all__ = ["camel_case_fields", "python_field_names"]

_SEQUENCES = (list, tuple, set, frozenset, typing.Sequence, typing.AbstractSet)


def camel_case_fields(value: Any, hint: Any) -> Any:
    """``value`` (decoded JSON of a ``hint``) with its declared field names camel-cased."""
    if isinstance(value, dict):
        fields = _fields_for(hint, value)
        if fields is not None:
            return {
                camel(key) if key in fields else key: camel_case_fields(item, fields.get(key))
                for key, item in value.items()
            }
        if _is_union(hint):
            hint = next((m for m in _args(hint) if _is(m, (dict, Mapping))), None)
        item_hint = _args(hint)[1] if _is(hint, (dict, Mapping)) and len(_args(hint)) == 2 else None
        return {key: camel_case_fields(item, item_hint) for key, item in value.items()}
    if isinstance(value, list):
        if _is_union(hint):  # `list[X] | None` and the like: the member that is a sequence
            hint = next((m for m in _args(hint) if _is(m, _SEQUENCES)), None)
        args = _args(hint)
        if _is(hint, (tuple,)) and args and args[-1] is not Ellipsis:
            return [
                camel_case_fields(v, args[i] if i < len(args) else None)
                for i, v in enumerate(value)
            ]
        item_hint = args[0] if _is(hint, _SEQUENCES) and args else None
        return [camel_case_fields(item, item_hint) for item in value]
    return value


def python_field_names(value: Any, hint: Any) -> Any:
    """``value`` (JSON meant as a ``hint``) with the declared fields' names as declared.

    A client may write a field of a dataclass or model in camelCase (``boardId``) or as
    declared (``board_id``), at any depth; the keys of a ``dict`` are data and stay.
    """
    if isinstance(value, dict):
        fields = _fields_for(hint, value, spellings=True)
        if fields is not None:
            declared = {camel(name): name for name in fields}
            renamed: dict[str, Any] = {}
            for key, item in value.items():
                name: Any = key if key in fields else declared.get(key, key)
                renamed[name] = python_field_names(item, fields.get(name))
            return renamed
        if _is_union(hint):
            hint = next((m for m in _args(hint) if _is(m, (dict, Mapping))), None)
        item_hint = _args(hint)[1] if _is(hint, (dict, Mapping)) and len(_args(hint)) == 2 else None
        return {key: python_field_names(item, item_hint) for key, item in value.items()}
    if isinstance(value, list):
        if _is_union(hint):
            hint = next((m for m in _args(hint) if _is(m, _SEQUENCES)), None)
        args = _args(hint)
        item_hint = args[0] if _is(hint, _SEQUENCES) and args else None
        return [python_field_names(item, item_hint) for item in value]
    return value


def _fields_for(
    hint: Any, value: Mapping[str, Any], *, spellings: bool = False
) -> dict[str, Any] | None:
    """The field types of the model ``hint`` stands for (a union: the member that fits;
    ``spellings``: a key may also be a field's camelCase name)."""
    if _is_union(hint):
        for member in _args(hint):
            fields = _model_fields(member)
            if fields is None:
                continue
            names = set(fields) | ({camel(name) for name in fields} if spellings else set())
            if set(value) <= names:
                return fields
        return None
    return _model_fields(hint)


def _model_fields(hint: Any) -> dict[str, Any] | None:
    if not isinstance(hint, type):
        return None
    if dataclasses.is_dataclass(hint):
        try:
            types_of = typing.get_type_hints(hint)
        except (NameError, TypeError):  # an annotation that cannot be resolved here
            types_of = {}
        return {field.name: types_of.get(field.name) for field in dataclasses.fields(hint)}
    model_fields = getattr(hint, "model_fields", None)  # a pydantic model
    if isinstance(model_fields, Mapping):
        return {name: getattr(info, "annotation", None) for name, info in model_fields.items()}
    return None


def _is_union(hint: Any) -> bool:
    return typing.get_origin(hint) in (typing.Union, types.UnionType)


def _is(hint: Any, origins: tuple[Any, ...]) -> bool:
    origin = typing.get_origin(hint) or hint
    return origin in origins


def _args(hint: Any) -> tuple[Any, ...]:
    return typing.get_args(hint)
