"""The plain-fields fast path answers exactly what graphql-core's own path answers."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from graphql import (
    ExecutionResult,
    GraphQLField,
    GraphQLObjectType,
    GraphQLSchema,
    build_schema,
    execute,
    parse,
)
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from auth.rules import Caller, allow
from baas.application import App
from baas.graphql.app_schema import exported_core_schema
from baas.graphql.executor import PlainFieldsExecutor, resolve_field
from baas.graphql.values import ItemView, ShownItems
from baas.models import PartitionKey, restricted

SCHEMA = build_schema(
    """
    enum Kind { A B }
    type Item { id: ID! name: String rank: Int done: Boolean! tags: [String!] score: Float
                kind: Kind all: [Int] }
    type Page { items: [Item!]! nextToken: String }
    type Query { page: Page! item: Item maybe: [Item] }
    """
)
QUERY = """
query($withRank: Boolean!) {
  page { items { id name rank @include(if: $withRank) done tags score kind all
                 __typename alias: name ...F } nextToken }
  item { id done name }
  maybe { id }
}
fragment F on Item { other: id }
"""


def item(n: int, **fields: Any) -> dict[str, Any]:
    base = {"id": f"i{n}", "name": f"n{n}", "rank": n, "done": n % 2 == 0, "tags": ["x"],
            "score": n / 2, "kind": "A", "all": [1, None]}  # fmt: skip
    return {**base, **fields}


def run(executor: type, root: dict[str, Any], with_rank: bool = True) -> ExecutionResult:
    result = execute(
        SCHEMA,
        parse(QUERY),
        root_value=root,
        variable_values={"withRank": with_rank},
        field_resolver=resolve_field,
        executor_class=executor,
    )
    assert isinstance(result, ExecutionResult)
    return result


def same(root: dict[str, Any], with_rank: bool = True) -> ExecutionResult:
    fast = run(PlainFieldsExecutor, root, with_rank)
    slow = run(StrawberryGraphQLCoreExecutionContext, root, with_rank)
    assert fast.data == slow.data
    assert [e.formatted for e in fast.errors or ()] == [e.formatted for e in slow.errors or ()]
    return fast


def page(*items: Any) -> dict[str, Any]:
    return {"page": {"items": list(items), "nextToken": None}, "item": item(9), "maybe": [None]}


def test_plain_items_complete_alike_and_without_a_resolver_call_per_field(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    result = same(page(item(1), item(2, name=None, tags=None)))
    assert result.data is not None
    assert result.data["page"]["items"][0] == {
        "id": "i1", "name": "n1", "rank": 1, "done": False, "tags": ["x"], "score": 0.5,
        "kind": "A", "all": [1, None], "__typename": "Item", "alias": "n1", "other": "i1",
    }  # fmt: skip
    calls: list[str] = []
    original = PlainFieldsExecutor.execute_field

    def counting(self: Any, parent_type: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(parent_type.name)
        return original(self, parent_type, *args, **kwargs)

    monkeypatch.setattr(PlainFieldsExecutor, "execute_field", counting)
    run(PlainFieldsExecutor, page(*(item(n) for n in range(20))))
    assert "Item" not in calls  # the page's items never went field by field
    assert same(page(item(1)), with_rank=False).data["page"]["items"][0].get("rank") is None  # type: ignore[index]


@pytest.mark.parametrize(
    "bad",
    [
        {"done": None},  # null in a non-null field
        {"rank": 2**40},  # an Int out of range
        {"rank": "not a number"},
        {"tags": ["x", None]},  # null in a list of non-null
        {"tags": "x"},  # not a list
        {"kind": "C"},  # not an enum value
        {"name": object()},  # a value graphql-core would turn into a string
        {"name": lambda _info: "called"},  # a callable is called, as graphql-core does
        {"all": [1, "two"]},
    ],
)
def test_values_graphql_core_refuses_or_treats_specially_answer_alike(bad: dict[str, Any]) -> None:
    same(page(item(1), item(2, **bad), item(3)))


def test_a_non_dict_or_null_item_answers_alike() -> None:
    same(page(item(1), None))
    same({**page(item(1)), "maybe": [None, item(2)]})


# --- a page's stored items (ShownItems), completed straight from the store's dicts ----

stored_app = App("stored_items")


class Kind(enum.Enum):
    A = "a"
    B = "b"


@stored_app.model(rules=[allow.owner(), allow.authenticated(read=True)])
class Note:
    id: PartitionKey[str]
    title: str
    rank: int = 0
    ratio: float | None = None
    done: bool = False
    tags: list[str] | None = None
    kind: Kind = Kind.A
    due: datetime | None = None
    secret: str | None = restricted(read=[allow.owner()])


NOTE = stored_app.models["Note"]
NOTE_QUERY = """
{ page { items { __typename id title rank ratio done tags kind due secret owner
                 version createdAt name: title } nextToken } }
"""
NOTE_QUERY_PUBLIC = "{ page { items { id title rank } } }"


def note_schema() -> Any:
    """A schema whose ``page`` is the app's own NotePage type, read from the root value."""
    core = exported_core_schema(stored_app)
    page_type = core.type_map["NotePage"]
    return GraphQLSchema(GraphQLObjectType("Query", {"page": GraphQLField(page_type)}))


NOTE_SCHEMA = note_schema()


def note(n: int, **fields: Any) -> dict[str, Any]:
    """A stored Note as the store holds it (numbers as Decimal, times as ISO text)."""
    base = {"id": f"n{n}", "title": f"t{n}", "rank": Decimal(n), "done": n % 2 == 0,
            "kind": "b", "tags": ["x", "y"], "due": "2026-01-02T03:04:05.000Z",
            "secret": f"s{n}", "owner": "ann", "version": Decimal(1),
            "created_at": "2026-01-01T00:00:00.000Z", "updated_at": "2026-01-01T00:00:00.000Z"}  # fmt: skip
    return {**base, **fields}


def run_notes(
    executor: type, stored: list[dict[str, Any]], caller: Caller, query: str
) -> ExecutionResult:
    view = ItemView(NOTE, caller)
    # The fast executor gets the page as operations make it; graphql-core's own path
    # gets each item as the view shows it, hidden fields marked.
    items = (
        ShownItems(view, stored) if executor is PlainFieldsExecutor else [view(i) for i in stored]
    )
    result = execute(
        NOTE_SCHEMA,
        parse(query),
        root_value={"page": {"items": items, "nextToken": None}},
        field_resolver=resolve_field,
        executor_class=executor,
    )
    assert isinstance(result, ExecutionResult)
    return result


def same_notes(
    stored: list[dict[str, Any]], caller: Caller, query: str = NOTE_QUERY
) -> ExecutionResult:
    fast = run_notes(PlainFieldsExecutor, stored, caller, query)
    slow = run_notes(StrawberryGraphQLCoreExecutionContext, stored, caller, query)
    assert fast.data == slow.data
    assert [e.formatted for e in fast.errors or ()] == [e.formatted for e in slow.errors or ()]
    return fast


ANN = Caller.user("ann")
BOB = Caller.user("bob")


def test_stored_items_complete_as_the_view_shows_them_without_a_call_per_item(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shown: list[Any] = []
    original_view = ItemView.__call__

    def counting_view(self: ItemView, item: Any) -> Any:
        shown.append(item)
        return original_view(self, item)

    calls: list[str] = []
    original = PlainFieldsExecutor.execute_field

    def counting(self: Any, parent_type: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(parent_type.name)
        return original(self, parent_type, *args, **kwargs)

    stored = [note(n) for n in range(20)]
    monkeypatch.setattr(ItemView, "__call__", counting_view)
    monkeypatch.setattr(PlainFieldsExecutor, "execute_field", counting)
    fast = run_notes(PlainFieldsExecutor, stored, ANN, NOTE_QUERY)
    assert fast.errors is None
    assert "Note" not in calls
    assert shown == []
    monkeypatch.undo()
    result = same_notes(stored, ANN)
    assert result.data is not None
    assert result.data["page"]["items"][3] == {
        "__typename": "Note", "id": "n3", "title": "t3", "rank": 3, "ratio": None,
        "done": False, "tags": ["x", "y"], "kind": "B", "due": "2026-01-02T03:04:05.000Z",
        "secret": "s3", "owner": "ann", "version": 1,
        "createdAt": "2026-01-01T00:00:00.000Z", "name": "t3",
    }  # fmt: skip


def test_stored_items_read_defaults_and_conversions_alike() -> None:
    result = same_notes(
        [
            note(1, rank=None, done=None, kind=None),  # read defaults
            note(2, rank=Decimal("2.5"), ratio=Decimal("0.25")),  # a raw writer's 2.5 in an Int
            note(3, tags={"b", "a"}, due=None, secret=None),  # a set, nulls
            {"id": "n4", "title": "t4"},  # written by a raw path: only its key and title
        ],
        ANN,
    )
    assert result.data is not None
    first, second = result.data["page"]["items"][:2]
    assert (first["rank"], first["done"], first["kind"]) == (0, False, "A")
    assert (second["rank"], second["ratio"]) == (2, 0.25)


def test_a_field_hidden_on_some_items_is_forbidden_there_alike() -> None:
    stored = [note(1), note(2, owner="bob"), note(3)]
    result = same_notes(stored, BOB)
    assert result.errors is not None
    assert [e.path for e in result.errors] == [
        ["page", "items", 0, "secret"],
        ["page", "items", 2, "secret"],
    ]
    assert result.data is not None
    assert result.data["page"]["items"][1]["secret"] == "s2"  # bob's own
    # Not selected, a hidden field costs nothing: the fast path completes the page.
    assert same_notes(stored, BOB, NOTE_QUERY_PUBLIC).errors is None


@pytest.mark.parametrize(
    ("bad", "refused"),
    [
        ({"id": None}, True),  # null in a non-null field
        ({"rank": Decimal(2**40)}, True),  # an Int out of range
        ({"tags": ["x", None]}, True),  # null in a list of non-null
        ({"title": object()}, True),  # not a value a String can represent
        ({"kind": "c"}, False),  # not a member: shown as null
        ({"done": "yes"}, True),  # a raw writer's string in a Boolean
    ],
)
def test_stored_values_graphql_core_refuses_answer_alike(
    bad: dict[str, Any], *, refused: bool
) -> None:
    result = same_notes([note(1), note(2, **bad), note(3)], ANN)
    assert (result.errors is not None) is refused
