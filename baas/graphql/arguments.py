"""From Strawberry argument objects to plain data, and resolvers with generated signatures.

Generated inputs arrive as instances of the generated classes, with ``UNSET`` for what
the client left out. :func:`plain` turns them into dicts of the fields the client gave
(Python names; ``and_``/``or_``/``not_`` back to ``and``/``or``/``not``), keeping an
explicit ``null`` as ``None``: in an update, absent means "leave" and null "remove".
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from typing import Any

from strawberry.types import Info
from strawberry.types.unset import UnsetType

__all__ = ["param", "plain", "plain_or_none", "with_signature"]

_KEYWORDS = {"and_": "and", "or_": "or", "not_": "not"}


def plain(value: Any) -> Any:
    """``value`` with every input object turned into a dict of its given fields."""
    if isinstance(value, list):
        return [plain(element) for element in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        result: dict[str, Any] = {}
        for field in dataclasses.fields(value):
            field_value = getattr(value, field.name)
            if isinstance(field_value, UnsetType):
                continue
            result[_KEYWORDS.get(field.name, field.name)] = plain(field_value)
        return result
    return value


def plain_or_none(value: Any) -> Any:
    """:func:`plain`, with an absent argument as None."""
    return None if value is None or isinstance(value, UnsetType) else plain(value)


def param(name: str, annotation: Any, default: Any = inspect.Parameter.empty) -> inspect.Parameter:
    """A keyword argument of a generated resolver."""
    return inspect.Parameter(
        name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default
    )


def with_signature(
    name: str, function: Callable[..., Any], params: list[inspect.Parameter], returns: Any
) -> Callable[..., Any]:
    """``function`` presented to Strawberry as ``name(info, *params) -> returns``.

    Strawberry reads a resolver's arguments from its signature, so a generated field
    gets its arguments by giving a generic ``function(info, **kwargs)`` a signature.
    """
    info = inspect.Parameter("info", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Info)
    function.__signature__ = inspect.Signature([info, *params], return_annotation=returns)  # type: ignore[attr-defined]
    function.__name__ = name
    function.__qualname__ = name
    return function
