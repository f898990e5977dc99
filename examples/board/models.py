"""The board's data: boards, and the todos on them.

Each declaration gives the table, the GraphQL types and operations, and the access rules
(see ``docs/graphql.md``):

- a **Board** is visible to every signed-in user; only its owner (or an admin) changes it.
  Its ``status`` is also written by the archive workflow's functions (``functions.py``).
- a **Todo** belongs to whoever created it. Members of the ``team`` group read every
  todo (and see each other's changes live); anyone else only ever sees their own.
- ``Board.todos`` and ``Todo.board`` are relations: nested GraphQL fields, each hop read
  under the target's rules (``board { todos { items { title board { name } } } }``).
"""

from __future__ import annotations

from datetime import datetime

from baas import (
    BelongsTo,
    HasMany,
    Index,
    PartitionKey,
    SortKey,
    allow,
    generated_id,
    relation,
)
from examples.board import app

__all__ = ["Board", "Todo"]


@app.model(
    rules=[allow.owner(), allow.groups("admin"), allow.authenticated(read=True)],
    table="boards",
)
class Board:
    """A board of todos, shared with the team."""

    id: PartitionKey[str] = generated_id()
    name: str
    description: str | None = None
    status: str = "active"
    previous_status: str | None = None
    approved_by: str | None = None
    # Setting this to true starts ArchiveBoardWorkflow (a data trigger, see __init__.py).
    archive_requested: bool = False
    # A nested field, not stored: board { todos(limit: 20) { items { title } } }.
    todos: HasMany[Todo] = relation()


@app.model(
    rules=[allow.owner(), allow.groups("admin"), allow.groups("team", operations=["read"])],
    table="todos",
)
class Todo:
    """One thing to do, on one board."""

    board_id: PartitionKey[str]
    id: SortKey[str] = generated_id()
    title: str
    done: bool = False
    due: datetime | None = None
    board: BelongsTo[Board] = relation()
    by_owner = Index(partition="owner", sort="created_at")
