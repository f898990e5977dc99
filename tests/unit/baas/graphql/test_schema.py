"""What the generated schema offers, and declarations it refuses at start-up."""

from __future__ import annotations

import pytest
import strawberry
from graphql import GraphQLObjectType, GraphQLSchema
from strawberry import field as strawberry_field

from auth.models import (
    Index,
    ModelDeclarationError,
    ModelSpec,
    PartitionKey,
    SortKey,
    declare_model,
    generated_id,
)
from auth.rules import allow
from baas.graphql.change_hub import ChangeHub
from baas.graphql.limits import GraphQLLimits
from baas.graphql.root_fields import RootField
from baas.graphql.schema import build_schema, core_schema
from storage import DocumentStore


def _no_store() -> DocumentStore:
    raise AssertionError("building a schema must not touch the store")


async def _no_tokens() -> object:
    raise AssertionError("building a schema must not need the key")


def sdl(*models: ModelSpec, is_dev: bool = True) -> str:
    schema = build_schema(
        list(models), _no_tokens, ChangeHub(_no_store), GraphQLLimits(), is_dev=is_dev
    )  # type: ignore[arg-type]
    return schema.as_str()


class Todo:
    board_id: PartitionKey[str]
    id: SortKey[str] = generated_id()
    title: str
    by_owner = Index(partition="owner", sort="created_at")


TODO = declare_model(Todo, rules=[allow.owner()])


def test_one_declaration_gives_every_operation() -> None:
    text = sdl(TODO)
    for field in (
        "getTodo(boardId: String!, id: String!): Todo",
        "listTodos(",
        "todosByBoardId(boardId: String!, id: StringKeyConditionInput",
        "todosByOwner(owner: String!, createdAt: DateTimeKeyConditionInput",
        "createTodo(input: CreateTodoInput!, condition: TodoFilterInput",
        "updateTodo(input: UpdateTodoInput!, condition: TodoFilterInput = null, expectedVersion: Int",
        "deleteTodo(key: TodoKeyInput!",
        "onTodoCreated(filter: TodoFilterInput",
        "onTodoUpdated(",
        "onTodoDeleted(",
        "transact(items: [TransactItemInput!]!)",
    ):
        assert field in text, field


def test_server_owned_fields_are_outputs_only() -> None:
    text = sdl(TODO)
    create = text.split("input CreateTodoInput {")[1].split("}")[0]
    assert "title: String!" in create
    assert "id: String\n" in create  # generated when absent
    for server_field in ("owner", "createdAt", "updatedAt", "version"):
        assert server_field not in create
        assert f"  {server_field}:" in text.split("type Todo {")[1].split("}")[0]


def test_a_key_named_like_a_generated_argument_fails_at_start_up() -> None:
    class Bad:
        id: PartitionKey[str]
        limit: str
        by_limit = Index(partition="limit")

    with pytest.raises(ModelDeclarationError, match="model Bad, field limit"):
        sdl(declare_model(Bad, rules=[allow.owner()]))


def test_two_models_generating_one_field_fail_at_start_up() -> None:
    class Box:
        id: PartitionKey[str]

    class Boxe:  # plural "Boxes" too: listBoxes twice
        id: PartitionKey[str]

    with pytest.raises(ModelDeclarationError, match="listBoxes"):
        sdl(declare_model(Box, rules=[allow.owner()]), declare_model(Boxe, rules=[allow.owner()]))


def test_extra_root_fields_are_served_as_declared() -> None:
    def ping() -> str:
        return "pong"

    extra = RootField("query", "ping", strawberry_field(ping), None)
    schema = build_schema(
        [TODO], _no_tokens, ChangeHub(_no_store), GraphQLLimits(), is_dev=True, extra_fields=[extra]
    )  # type: ignore[arg-type]
    result = schema.execute_sync("{ ping }")
    assert result.data == {"ping": "pong"}


def test_the_graphql_core_schema_is_read_through_one_function() -> None:
    # Strawberry keeps it in a private attribute: if that changes, this fails, and
    # baas.graphql.schema.core_schema is the one place to mend.
    @strawberry.type
    class Query:
        greeting: str = "hello"

    core = core_schema(strawberry.Schema(query=Query))
    assert isinstance(core, GraphQLSchema)
    assert isinstance(core.query_type, GraphQLObjectType)
    assert list(core.query_type.fields) == ["greeting"]
