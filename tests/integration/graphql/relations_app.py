"""The application the relation, field-rule and cost tests serve: boards, todos, members.

- a **Board** is read by every signed-in user, its ``audit`` only by admins (its owner
  writes it, never reads it back); its ``todos`` are a has-many over the todos'
  partition key;
- a **Todo** is its owner's, and the ``team`` group reads every todo; it belongs to its
  board and to its author (the ``Member`` whose id is the todo's owner);
- a **Member** is one user's profile (keyed by the user id, set from the caller): every
  signed-in user reads it, but only the member and admins read its ``email``.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.applications import Starlette

from auth.rules import allow
from baas.app import create_app
from baas.application import App
from baas.config import Settings
from baas.models import (
    BelongsTo,
    FieldContext,
    HasMany,
    HasOne,
    Index,
    PartitionKey,
    SortKey,
    computed,
    generated_id,
    relation,
    restricted,
)
from functions import Context, function

app = App("graphql_relations")


@app.model(rules=[allow.owner(), allow.groups("admin"), allow.authenticated(read=True)])
class Board:
    """A board every signed-in user can read."""

    id: PartitionKey[str] = generated_id()
    name: str
    audit: str | None = restricted(read=[allow.groups("admin")])
    todos: HasMany[Todo] = relation()
    latest: HasOne[Todo] = relation(index="by_board_created")

    @computed
    def shout(self, ctx: FieldContext) -> str:
        """The name, loud."""
        return self.name.upper()

    @computed(cost=5)
    async def open_todos(self, ctx: FieldContext) -> int:
        """How many of this board's todos you may see are not done (one page)."""
        page = await ctx.models.Todo.query(board_id=self.id, filter={"done": {"eq": False}})
        return len(page.items)

    @computed
    async def renamed(self, ctx: FieldContext) -> str:
        """Tries to write: a computed field may not."""
        await ctx.models.Board.update(self, set={"name": "renamed"})
        return "wrote"

    @computed
    async def called(self, ctx: FieldContext) -> str:
        """Tries to call a function: a computed field may not."""
        await record_call(None, Nothing())  # type: ignore[arg-type]
        return "called"


CALLS: list[str] = []


@dataclass(frozen=True)
class Nothing:
    pass


@function()
async def record_call(ctx: Context, inp: Nothing) -> Nothing:
    """Counts its runs (none may come from a computed field)."""
    CALLS.append("ran")
    return Nothing()


@app.model(rules=[allow.owner(), allow.groups("team", operations=["read"])])
class Todo:
    """A todo on a board; its owner's, read by the team."""

    board_id: PartitionKey[str]
    id: SortKey[str] = generated_id()
    title: str
    done: bool = False
    note: str | None = restricted(read=[allow.owner()])
    board: BelongsTo[Board] = relation()
    author: BelongsTo[Member] = relation(fields="owner")
    by_board_created = Index(partition="board_id", sort="created_at")
    by_owner = Index(partition="owner", sort="created_at")


@app.model(rules=[allow.owner("id"), allow.groups("admin"), allow.authenticated(read=True)])
class Member:
    """One user's profile; its id is the user's."""

    id: PartitionKey[str]
    name: str
    email: str | None = restricted(read=[allow.owner("id"), allow.groups("admin")])
    todos: HasMany[Todo] = relation(index="by_owner", fields="id")
    by_email = Index(partition="email")


def create() -> Starlette:
    """The API for the settings in the environment (for ``uvicorn --factory``)."""
    return create_app(Settings.from_env(), app=app)
