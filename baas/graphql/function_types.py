"""GraphQL types made from a function's input and output classes (app-defined queries).

A function takes one dataclass (or pydantic model) and returns one; an app-defined query
(:mod:`baas.graphql.app_queries`) shows both in the schema as typed GraphQL types::

    @dataclass
    class SearchBoards:               input SearchBoardsInput {
        text: str                       text: String!
        limit: int = 10                 limit: Int           # a default: may be left out
                                      }
    @dataclass
    class BoardHit:                   type BoardHit { boardId: String!  score: Float! }
        board_id: str
        score: float
    @dataclass
    class SearchResult:               type SearchResult { hits: [BoardHit!]!  total: Int! }
        hits: list[BoardHit]
        total: int

An output class keeps its name; an input class gets ``Input`` appended (unless its name
ends with it), so one class may be used both ways. Field names are camel-cased as
everywhere in the schema. ``str``, ``int``, ``float`` and ``bool`` map to GraphQL's
scalars, ``datetime`` to ``DateTime``, an ``Enum`` to ``String`` (its value), ``X | None``
to a nullable field, a ``list``/``tuple``/``set`` to a list, a nested dataclass or model
to its own type; anything else (``dict``, ``Any``, a union) is ``JSON``.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

from auth.errors import ModelDeclarationError
from baas.graphql.model_types import list_of, make_input, optional
from baas.graphql.scalars import DateTime

__all__ = ["PayloadTypes", "payload_fields"]

_SCALARS: dict[Any, Any] = {str: str, int: int, float: float, bool: bool, datetime: DateTime}
_SEQUENCES = (list, tuple, set, frozenset, Sequence, typing.AbstractSet)


def payload_fields(cls: type) -> dict[str, tuple[Any, bool]]:
    """The fields of a dataclass or pydantic model: name -> (type, has a default)."""
    if dataclasses.is_dataclass(cls):
        hints = typing.get_type_hints(cls)
        return {
            field.name: (
                hints.get(field.name, Any),
                field.default is not dataclasses.MISSING
                or field.default_factory is not dataclasses.MISSING,
            )
            for field in dataclasses.fields(cls)
            if field.init
        }
    model_fields = getattr(cls, "model_fields", None)
    if isinstance(model_fields, Mapping):
        return {
            name: (info.annotation, not info.is_required()) for name, info in model_fields.items()
        }
    return {}


class PayloadTypes:
    """Makes (once each) the GraphQL types of payload classes, refusing a name clash."""

    def __init__(self) -> None:
        self._made: dict[tuple[type, bool], Any] = {}
        self._names: dict[str, type] = {}

    def output(self, cls: type) -> Any:
        """The object type of ``cls``."""
        return self._class(cls, is_input=False)

    def input(self, cls: type) -> Any:
        """The input type of ``cls`` (None when it has no fields: GraphQL allows none)."""
        if not payload_fields(cls):
            return None
        return self._class(cls, is_input=True)

    def _class(self, cls: type, *, is_input: bool) -> Any:
        made = self._made.get((cls, is_input))
        if made is not None:
            return made
        name = cls.__name__
        if is_input and not name.endswith("Input"):
            name += "Input"
        owner = self._names.setdefault(name, cls)
        if owner is not cls:
            raise ModelDeclarationError(
                f"the GraphQL type {name!r} would stand for both {owner.__qualname__} and "
                f"{cls.__qualname__}: rename one of them"
            )
        fields: dict[str, Any] = {}
        for field_name, (hint, has_default) in payload_fields(cls).items():
            annotation = self._annotation(hint, is_input=is_input)
            if is_input and has_default and not _is_optional(annotation):
                annotation = optional(annotation)  # may be left out
            fields[field_name] = annotation
        if is_input:
            made = make_input(name, fields)
        else:
            description = (cls.__doc__ or "").strip() or None
            if description and description.startswith(f"{cls.__name__}("):
                description = None  # the dataclass's generated signature, not a doc
            made = strawberry.type(
                type(name, (), {"__annotations__": fields}), name=name, description=description
            )
        self._made[(cls, is_input)] = made
        return made

    def _annotation(self, hint: Any, *, is_input: bool) -> Any:
        if hint in _SCALARS:
            return _SCALARS[hint]
        if isinstance(hint, type) and issubclass(hint, enum.Enum):
            return str
        if isinstance(hint, type) and payload_fields(hint):
            return self._class(hint, is_input=is_input)
        origin = typing.get_origin(hint)
        args = typing.get_args(hint)
        if origin in (typing.Union, types.UnionType):
            members = [arg for arg in args if arg is not type(None)]
            if len(members) == 1 and len(args) == 2:
                return optional(self._annotation(members[0], is_input=is_input))
            return optional(JSON)
        if (
            origin in _SEQUENCES
            and args
            and (origin is not tuple or len(args) == 1 or (len(args) == 2 and args[1] is Ellipsis))
        ):
            return list_of(self._annotation(args[0], is_input=is_input))
        return JSON


def _is_optional(annotation: Any) -> bool:
    return type(None) in getattr(annotation, "__args__", ())
