"""The application the app-defined query tests serve: notes, and queries over functions.

- a **Note** is its owner's alone (nobody else reads it);
- ``searchNotes`` runs ``search_notes`` for any signed-in user: it reads the notes the
  caller may see (their own), so its answer shows it ran as the caller;
- ``noteStats`` is for admins only; ``failing`` fails on purpose (or unexpectedly),
  ``sleepy`` runs past its timeout.
"""

from __future__ import annotations

import asyncio
import enum
from dataclasses import dataclass, field
from datetime import UTC, datetime

from auth.rules import allow
from baas.application import App, allow_query
from baas.models import PartitionKey, generated_id
from functions import Context, FunctionError, function

app = App("graphql_queries")


@app.model(rules=[allow.owner()])
class Note:
    id: PartitionKey[str] = generated_id()
    title: str


class Match(enum.Enum):
    EXACT = "exact"
    PARTIAL = "partial"


@dataclass
class Window:
    since: datetime | None = None


@dataclass
class SearchNotes:
    text: str
    limit: int = 10
    window: Window = field(default_factory=Window)


@dataclass
class NoteHit:
    note_id: str
    title: str
    match: Match


@dataclass
class SearchResult:
    """What searchNotes found."""

    hits: list[NoteHit]
    total: int
    searched_by: str | None
    asked_at: datetime
    extra: dict[str, int]


@function(timeout=10, retries=0)
async def search_notes(ctx: Context, inp: SearchNotes) -> SearchResult:
    """The caller's notes whose title contains the text."""
    page = await ctx.models.Note.list(filter={"title": {"contains": inp.text}})
    hits = [
        NoteHit(note.id, note.title, Match.EXACT if note.title == inp.text else Match.PARTIAL)
        for note in page.items[: inp.limit]
    ]
    asked_at = inp.window.since or datetime(2026, 1, 1, 9, 30, tzinfo=UTC)
    return SearchResult(hits, len(hits), ctx.caller.user_id, asked_at, {"limitAsked": inp.limit})


@dataclass
class Nothing:
    pass


@dataclass
class Stats:
    notes: int


@function(timeout=10, retries=0)
async def note_stats(ctx: Context, inp: Nothing) -> Stats:
    """How many notes the caller sees (admins only)."""
    page = await ctx.models.Note.list()
    return Stats(len(page.items))


@dataclass
class FailInput:
    how: str


class NotTodayError(FunctionError):
    code = "not_today"


@function(timeout=10, retries=0)
async def failing(ctx: Context, inp: FailInput) -> Stats:
    """Fails: on purpose (how="deliberate") or by a bug."""
    if inp.how == "deliberate":
        raise NotTodayError("Not today, try tomorrow.")
    raise RuntimeError("secret internals: /srv/app/db.py line 42")


@function(timeout=1, retries=0)
async def sleepy(ctx: Context, inp: Nothing) -> Stats:
    """Runs past its timeout."""
    await asyncio.sleep(30)
    return Stats(0)


app.query(search_notes, rules=[allow_query.authenticated()])
app.query(note_stats, rules=[allow_query.groups("admin")])
app.query(failing, rules=[allow_query.public(operations=["run"])])
app.query(sleepy, rules=[allow_query.authenticated()], name="sleepy_query", cost=1)
