"""How a model's GraphQL operations are named, in one place.

For ``class Todo`` with ``board_id: PartitionKey[str]`` and ``by_owner = Index(...)``::

    getTodo  listTodos  todosByBoardId  todosByOwner
    createTodo  updateTodo  deleteTodo
    onTodoCreated  onTodoUpdated  onTodoDeleted

Field names are camel-cased by Strawberry (``board_id`` -> ``boardId``); the functions
here produce the Python-style names Strawberry converts.
"""

from __future__ import annotations

from auth.models import ModelSpec

__all__ = ["camel", "index_query_name", "plural", "snake_name", "snake_plural"]

_SIBILANT_ENDINGS = ("s", "x", "z", "ch", "sh")
_VOWELS = "aeiou"


def plural(name: str) -> str:
    """English plural of a type name: Todo -> Todos, Category -> Categories, Box -> Boxes."""
    lower = name.lower()
    if lower.endswith("y") and len(name) > 1 and lower[-2] not in _VOWELS:
        return name[:-1] + "ies"
    if lower.endswith(_SIBILANT_ENDINGS):
        return name + "es"
    return name + "s"


def camel(snake: str) -> str:
    """``board_id`` -> ``boardId`` (what Strawberry shows for a Python name)."""
    head, *rest = snake.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def snake_name(model: str) -> str:
    """``Todo`` -> ``todo``, ``TodoList`` -> ``todo_list`` (Python-style field part)."""
    chars: list[str] = []
    for i, char in enumerate(model):
        if char.isupper() and i and not model[i - 1].isupper():
            chars.append("_")
        chars.append(char.lower())
    return "".join(chars)


def snake_plural(model: str) -> str:
    """``Todo`` -> ``todos``, ``TodoList`` -> ``todo_lists``."""
    return plural(snake_name(model))


def index_query_name(spec: ModelSpec, index: str | None) -> str:
    """The Python name of a query by ``index`` (None: the table's own partition key).

    ``by_owner`` -> ``todos_by_owner``; the table's key ``board_id`` -> ``todos_by_board_id``.
    """
    suffix = spec.partition_key if index is None else (index.removeprefix("by_") or index)
    return f"{snake_plural(spec.name)}_by_{suffix}"
