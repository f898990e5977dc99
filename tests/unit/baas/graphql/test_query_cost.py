"""The cost of an operation (baas.graphql.query_cost) and the refusals (query_budget)."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import OperationDefinitionNode, build_schema, get_operation_ast, parse

from baas.graphql.operations import PageLimits
from baas.graphql.query_budget import QueryTooCostlyError, RateLimitedError
from baas.graphql.query_cost import COST_EXTENSION, operation_cost

SCHEMA = build_schema(
    """
    type Query {
      listBoards(limit: Int): BoardPage!
      getBoard(id: String!): Board
      myCalls(limit: Int! = 20): CallPage!
      node: Node
      viewer: Viewer!
    }
    type Subscription { onBoard: Board! }
    interface Node { id: String! }
    type Viewer { userId: String }
    type BoardPage { items: [Board!]! nextToken: String }
    type TodoPage { items: [Todo!]! nextToken: String }
    type CallPage { items: [Call!]! }
    type Call { id: String! }
    type Board implements Node {
      id: String!
      name: String!
      todos(limit: Int): TodoPage
      owner: Member
      score: Int
    }
    type Todo implements Node { id: String! title: String! author: Member }
    type Member { name: String! }
    """
)
SCHEMA.type_map["Board"].fields["score"].extensions = {COST_EXTENSION: 5}  # type: ignore[attr-defined]
PAGE = PageLimits(default=100, maximum=1000)


def cost(query: str, variables: dict[str, Any] | None = None) -> int:
    document = parse(query)
    operation = get_operation_ast(document)
    assert isinstance(operation, OperationDefinitionNode)
    return operation_cost(SCHEMA, document, operation, variables, PAGE)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("{ viewer { userId } }", 1),
        ("{ __typename }", 0),
        ('{ getBoard(id: "b") { name } }', 1),
        ('{ getBoard(id: "b") { owner { name } } }', 2),
        ("{ listBoards(limit: 20) { items { name } } }", 21),
        ("{ listBoards(limit: 20) { nextToken } }", 1),
        ("{ listBoards(limit: 20) { items { todos(limit: 20) { items { title } } } } }", 441),
        ("{ listBoards { items { name } } }", 101),  # the default page size
        ("{ myCalls { items { id } } }", 21),  # the argument's own default
        ("{ myCalls(limit: 5) { items { id } } }", 6),
        ("{ listBoards(limit: 2) { items { score } } }", 13),  # declared cost 5 per value
        ("{ listBoards(limit: 0) { items { name } } }", 2),  # refused by the field anyway
        ("{ listBoards(limit: 5000) { items { name } } }", 1001),  # as the largest page
        ("{ a: viewer { userId } b: viewer { userId } }", 2),
        ("{ node { id ... on Board { owner { name } } } }", 2),
        ("{ listBoards(limit: 3) { ...Page } } fragment Page on BoardPage { items { id } }", 4),
        ("{ listBoards(limit: 3) { items @skip(if: true) { owner { name } } } }", 7),
        ("subscription { onBoard { todos(limit: 10) { items { id } } } }", 12),
    ],
)
def test_cost(query: str, expected: int) -> None:
    assert cost(query) == expected


def test_a_limit_from_the_variables() -> None:
    query = (
        "query($n: Int) { listBoards(limit: $n) { items { todos(limit: $n) { items { id } } } } }"
    )
    assert cost(query, {"n": 3}) == 1 + 3 * (1 + 1 + 3)
    assert cost(query, {}) == cost(query, {"n": 100})  # absent: the default page size
    assert cost(query, {"n": "many"}) == cost(query, {"n": 100})  # refused by execution
    assert cost(query, {"n": True}) == cost(query, {"n": 100})


def test_the_refusals_say_why_in_their_extensions() -> None:
    error = QueryTooCostlyError(641, 500)
    assert error.code == "QUERY_TOO_COSTLY"
    assert error.extensions == {"cost": 641, "maxCost": 500}
    assert RateLimitedError(5, 3).code == "RATE_LIMITED"
