"""Computed fields: values an app derives from an item when it is read.

    @app.model(rules=[allow.owner(), allow.authenticated(read=True)])
    class Board:
        id: PartitionKey[str] = generated_id()
        name: str

        @computed
        def title(self, ctx: FieldContext) -> str:
            return self.name.upper()

        @computed(cost=20)
        async def open_todos(self, ctx: FieldContext) -> int:
            page = await ctx.models.Todo.query(board_id=self.id, filter={"done": {"eq": False}})
            return len(page.items)

The method (plain or ``async``) gets the item as an instance of the model's class and a
:class:`FieldContext`: who is asking, and the app's models *read-only*, under that
caller's rules. The return annotation gives the field's type (the types a model field
may have, or Optional/list of them). GraphQL shows the field on the model's type
(``openTodos``); it is never stored, filtered on or written.

A computed field is not a function: it runs in the API process while the answer is
built, so it may read but never write (any write through ``ctx`` is refused with
:class:`~auth.errors.AccessDeniedError`), and it may not call a function (the
function-isolation guard refuses it at run time). ``cost`` is what one value adds to a
query's cost (see docs/graphql.md, "Query cost").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar, overload

if TYPE_CHECKING:
    from auth.model_access import Models
    from auth.models import FieldSpec
    from auth.rules import Caller

__all__ = ["ComputedField", "ComputedSpec", "FieldContext", "computed"]

_F = TypeVar("_F", bound=Callable[..., Any])


@dataclass(frozen=True)
class FieldContext:
    """What a computed field's method may use: the caller, and the models read-only."""

    caller: Caller
    models: Models


@dataclass(frozen=True)
class ComputedField:
    """A ``@computed`` method, as it sits in the class body."""

    function: Callable[..., Any]
    cost: int = 1


@overload
def computed(function: _F, /) -> _F: ...


@overload
def computed(*, cost: int = 1) -> Callable[[_F], _F]: ...


def computed(function: Any = None, /, *, cost: int = 1) -> Any:
    """Mark a method of a model class as a computed field (see the module docstring)."""
    if cost < 0:
        raise ValueError("cost must be 0 or more")

    def mark(fn: Any) -> Any:
        if not callable(fn):
            raise TypeError("@computed marks a method")
        return ComputedField(fn, cost)

    return mark if function is None else mark(function)


@dataclass(frozen=True)
class ComputedSpec:
    """A computed field of a model: its name, output type (as a field) and method."""

    name: str
    output: FieldSpec
    function: Callable[..., Any]
    cost: int
