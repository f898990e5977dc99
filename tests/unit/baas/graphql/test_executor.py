"""The plain-fields fast path answers exactly what graphql-core's own path answers."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import ExecutionResult, build_schema, execute, parse
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from baas.graphql.executor import PlainFieldsExecutor, resolve_field

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
