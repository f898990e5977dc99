"""A declared model class becomes the type of its items.

``@app.model`` turns the class into a keyword-only dataclass holding every field of the
model, so that ``ctx.models`` can hand functions instances of the app's own class::

    board = await ctx.models.Board.get(id="b1")   # a Board
    board.status, board.archive_requested, board.version

- declared fields keep their type and default (a ``generated_id()`` field defaults to
  None: the store fills it on create);
- the server-owned fields are added, each None until stored: the owner field(s)
  (``str``), ``created_at`` and ``updated_at`` (``datetime``), ``version`` (``int``);
- indexes (``by_owner = Index(...)``) stay class attributes.

The declaration itself (annotations and defaults as written) is kept on the class, so
declaring it again (another App, a test) reads what the developer wrote, not the
dataclass made from it.
"""

from __future__ import annotations

import builtins
import copy
import dataclasses
import sys
import typing
from datetime import datetime
from typing import Any

from auth.field_rules import ABSENT, Restricted

if typing.TYPE_CHECKING:
    from auth.models import FieldSpec, ModelSpec

__all__ = ["declaration", "make_item_class", "new_instance"]

_DECLARATION = "__baas_declaration__"
_MISSING = object()
_SERVER_TYPES: dict[str, Any] = {
    "created_at": datetime | None,
    "updated_at": datetime | None,
    "version": int | None,
}


def declaration(cls: type) -> tuple[dict[str, Any], dict[str, Any]]:
    """The annotations (resolved) and class-level defaults ``cls`` was declared with.

    Raises NameError or TypeError when an annotation cannot be resolved.
    """
    saved: tuple[dict[str, Any], dict[str, Any]] | None = vars(cls).get(_DECLARATION)
    if saved is not None:
        return saved
    try:
        hints = typing.get_type_hints(cls, include_extras=True)
    except NameError:
        # A relation may name a model declared further down (``todos: HasMany[Todo]``):
        # it only needs the name. Any other unknown name is still an error.
        hints = typing.get_type_hints(cls, localns=_LaterNames(cls), include_extras=True)
        for hint in hints.values():
            _refuse_unresolved(hint)
    namespace = vars(cls)
    return hints, {name: namespace[name] for name in hints if name in namespace}


class _Unresolved:
    """A name an annotation uses before it is defined (a model declared later)."""

    def __init__(self, name: str) -> None:
        self.__name__ = name


class _LaterNames(dict[str, Any]):
    """The names an annotation sees, with an :class:`_Unresolved` for unknown ones."""

    def __init__(self, cls: type) -> None:
        super().__init__(vars(cls))
        module = sys.modules.get(cls.__module__)
        self._module: dict[str, Any] = vars(module) if module is not None else {}

    def __missing__(self, name: str) -> Any:
        if name in self._module:
            return self._module[name]
        if hasattr(builtins, name):
            return getattr(builtins, name)
        return _Unresolved(name)


def _refuse_unresolved(hint: Any) -> None:
    if isinstance(hint, _Unresolved):
        raise NameError(f"name {hint.__name__!r} is not defined")
    for argument in typing.get_args(hint):
        _refuse_unresolved(argument)


def make_item_class(cls: type, model: ModelSpec) -> type:
    """Turn ``cls`` (in place) into the keyword-only dataclass of ``model``'s items."""
    hints, defaults = declaration(cls)
    doc = vars(cls).get("__doc__")
    annotations: dict[str, Any] = {}
    for spec in model.fields:
        annotations[spec.name] = hints.get(spec.name, _SERVER_TYPES.get(spec.name, str | None))
        setattr(cls, spec.name, _dataclass_field(spec, spec.name in hints, defaults))
    cls.__annotations__ = annotations
    made: type = dataclasses.dataclass(kw_only=True)(cls)
    made.__doc__ = doc  # not the generated signature: GraphQL shows the docstring
    setattr(made, _DECLARATION, (hints, defaults))
    return made


def _dataclass_field(spec: FieldSpec, declared: bool, defaults: dict[str, Any]) -> Any:
    if not declared or spec.generated:
        return dataclasses.field(default=None)
    default = defaults.get(spec.name, _MISSING)
    if isinstance(default, Restricted):  # ``restricted(read=..., default=...)``
        default = _MISSING if default.default is ABSENT else default.default
    if default is _MISSING:
        return dataclasses.field(default=None) if not spec.required else dataclasses.field()
    if isinstance(default, list | dict | set):
        return dataclasses.field(default_factory=lambda: copy.deepcopy(default))
    return dataclasses.field(default=default)


def new_instance(cls: type, values: dict[str, Any]) -> Any:
    """An instance of ``cls`` holding ``values`` (a model class, or a plain declared one)."""
    if dataclasses.is_dataclass(cls):
        return cls(**values)
    instance: Any = object.__new__(cls)
    vars(instance).update(values)
    return instance
