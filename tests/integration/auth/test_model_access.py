"""Typed model access (what functions reach as ``ctx.models``) on a real store."""

from __future__ import annotations

import asyncio
import dataclasses
import enum
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from auth.acting_store import ActingStore, TablePolicy
from auth.errors import InvalidRequestError, ItemNotFoundError
from auth.model_access import Models
from auth.model_classes import make_item_class
from auth.models import Index, PartitionKey, SortKey, declare_model, generated_id
from auth.rules import Caller, allow
from storage import DocumentStore, SqliteConfig, open_store
from storage.errors import ConditionalCheckFailedError


class Size(enum.Enum):
    S = "small"
    L = "large"


class Task:
    """A task on a board."""

    board_id: PartitionKey[str]
    id: SortKey[str] = generated_id()
    title: str
    done: bool = False
    size: Size = Size.S
    due: datetime | None = None
    points: float | None = None
    by_owner = Index(partition="owner", sort="created_at")


TASK = declare_model(Task, rules=[allow.owner(), allow.authenticated(read=True)], table="tasks")
make_item_class(Task, TASK)
ALICE = Caller.user("alice")
BOB = Caller.user("bob")


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[DocumentStore]:
    async with await open_store(SqliteConfig(tmp_path / "access.sqlite3")) as opened:
        await opened.create_table(TASK.table_spec())
        yield opened


def models(store: DocumentStore, caller: Caller) -> Models:
    return Models(ActingStore(store, caller, {"tasks": TablePolicy.of_model(TASK)}))


async def test_items_are_instances_of_the_declared_class(store: DocumentStore) -> None:
    tasks = models(store, ALICE).of(Task)
    due = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    task = await tasks.create(board_id="b1", title="write", due=due, points=1.5)
    assert isinstance(task, Task)
    assert dataclasses.is_dataclass(task)
    assert (task.title, task.done, task.size, task.due, task.points) == (
        "write", False, Size.S, due, 1.5,
    )  # fmt: skip
    assert (task.owner, task.version) == ("alice", 1)  # type: ignore[attr-defined]
    assert isinstance(task.created_at, datetime)  # type: ignore[attr-defined]
    assert await tasks.get(board_id="b1", id=task.id) == task
    assert await tasks.get({"board_id": "b1", "id": task.id}) == task
    assert Task.__doc__ == "A task on a board."


async def test_a_raw_item_reads_with_its_declared_defaults(store: DocumentStore) -> None:
    await store.put_item("tasks", {"board_id": "b1", "id": "raw", "title": "t", "owner": "alice"})
    task = await models(store, ALICE).Task.get(board_id="b1", id="raw")
    assert (task.done, task.size, task.version) == (False, Size.S, 1)


async def test_update_with_expected_version(store: DocumentStore) -> None:
    tasks = models(store, ALICE).of(Task)
    task = await tasks.create(Task(board_id="b1", title="t", due=datetime.now(UTC)))
    done = await tasks.update(task, set={"done": True, "due": None}, expected_version=1)
    assert (done.done, done.due, done.version) == (True, None, 2)  # type: ignore[attr-defined]
    with pytest.raises(ConditionalCheckFailedError):  # task.version is 1: stale
        await tasks.update(task, set={"title": "late"}, expected_version=task.version)  # type: ignore[attr-defined]
    with pytest.raises(ConditionalCheckFailedError):
        await tasks.update(task, set={"title": "x"}, condition={"done": {"eq": False}})
    with pytest.raises(ItemNotFoundError):  # bob may read it, not change it
        await models(store, BOB).of(Task).update(task, set={"title": "bob's"})
    with pytest.raises(InvalidRequestError, match="'points' must be a number"):
        await tasks.update(task, set={"points": "many"})
    with pytest.raises(InvalidRequestError, match="set by the server"):
        await tasks.update(task, set={"version": 9})
    deleted = await tasks.delete(task, expected_version=2)
    assert deleted.title == "t"
    assert await tasks.get(task) is None


async def test_query_list_and_pages(store: DocumentStore) -> None:
    tasks = models(store, ALICE).of(Task)
    for i in range(5):
        await tasks.create(board_id="b1", title=f"t{i}", done=i % 2 == 0, size=Size.L)
        await asyncio.sleep(0.002)  # created_at has millisecond precision: one per tick
    await models(store, BOB).of(Task).create(board_id="b1", title="bob's")
    page = await tasks.query(board_id="b1", filter={"done": {"eq": True}})
    assert sorted(task.title for task in page.items) == ["t0", "t2", "t4"]
    first = await tasks.query(board_id="b1", limit=4)
    rest = await tasks.query(board_id="b1", after=first.next_key)
    assert len(first.items) + len(rest.items) == 6
    assert rest.next_key is None
    mine = await tasks.query(index="by_owner", owner="alice", descending=True)
    assert [task.title for task in mine.items] == ["t4", "t3", "t2", "t1", "t0"]
    listed = await tasks.list(filter={"size": {"eq": Size.L}})
    assert len(listed.items) == 5
    with pytest.raises(InvalidRequestError, match="partition key"):
        await tasks.query(title="t1")
