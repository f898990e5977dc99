"""Relations, field read rules and computed fields: what a declaration gives, how a bad
one fails (at start-up, naming the model and field), and who may read a field."""

from __future__ import annotations

from typing import Any

import pytest

from auth.errors import AccessDeniedError
from auth.field_rules import FieldReadPolicy, filter_fields
from auth.model_relations import RelationKind, check_relations
from auth.models import (
    BelongsTo,
    FieldContext,
    HasMany,
    HasOne,
    Index,
    ModelDeclarationError,
    ModelSpec,
    PartitionKey,
    SortKey,
    computed,
    declare_model,
    generated_id,
    relation,
    restricted,
)
from auth.rules import Caller, allow

RULES = [allow.owner(), allow.authenticated(read=True)]


class Board:
    id: PartitionKey[str] = generated_id()
    name: str
    secret: str | None = restricted(read=[allow.owner(), allow.groups("admin")])
    todos: HasMany[Todo] = relation()  # Todo is declared below: only its name is needed
    first: HasOne[Todo] = relation(index="by_board")

    @computed
    def loud(self, ctx: FieldContext) -> str:
        return self.name.upper()


class Todo:
    board_id: PartitionKey[str]
    id: SortKey[str] = generated_id()
    title: str
    board: BelongsTo[Board] = relation()
    by_board = Index(partition="board_id", sort="created_at")


def models() -> list[ModelSpec]:
    return [declare_model(Board, rules=RULES), declare_model(Todo, rules=RULES)]


def test_relations_are_declared_apart_from_the_stored_fields() -> None:
    board, todo = models()
    assert [f.name for f in board.fields if not f.server_owned] == ["id", "name", "secret"]
    assert [(r.name, r.kind, r.target) for r in board.relations] == [
        ("todos", RelationKind.HAS_MANY, "Todo"),
        ("first", RelationKind.HAS_ONE, "Todo"),
    ]
    assert [c.name for c in board.computed] == ["loud"]
    assert board.computed[0].output.kind == "string"
    assert board.field("secret").read_rules == (allow.owner(), allow.groups("admin"))
    resolved = check_relations([board, todo])
    # Defaults: a has-many matches the parent's partition key; a belongs-to <model>_id.
    assert [r.fields for r in resolved["Board"]] == [("id",), ("id",)]
    assert [r.fields for r in resolved["Todo"]] == [("board_id",)]


@pytest.mark.parametrize(
    ("declaration", "problem"),
    [
        ('todos: HasMany["Nope"] = relation()', "'Nope' is not a model"),
        ('todos: HasMany["Todo"] = relation(index="by_nothing")', "no index 'by_nothing'"),
        ('todos: HasMany["Todo"] = relation(fields="name")', None),
        ('todos: HasMany["Todo"] = relation(fields="size")', "must have the same type"),
        ('todos: HasMany["Todo"] = relation(fields="missing")', "has no field 'missing'"),
        ('todos: HasMany["Todo"] = relation(fields=("id", "name"))', "1 field(s) must match"),
    ],
)
def test_a_relation_that_cannot_work_fails_naming_the_model_and_field(
    declaration: str, problem: str | None
) -> None:
    namespace: dict[str, Any] = {}
    source = (
        "class Parent:\n"
        "    id: PartitionKey[str]\n"
        "    name: str\n"
        "    size: int\n"
        f"    {declaration}\n"
    )
    exec(source, {**globals(), "__name__": __name__}, namespace)  # noqa: S102 - a test's own text
    parent = declare_model(namespace["Parent"], rules=RULES)
    if problem is None:
        check_relations([parent, *models()])
        return
    with pytest.raises(ModelDeclarationError, match="model Parent, field todos") as raised:
        check_relations([parent, *models()])
    assert problem in str(raised.value)


def test_an_unknown_name_that_is_not_a_relation_target_still_fails() -> None:
    class Broken:
        id: PartitionKey[str]
        other: Undefined  # type: ignore[name-defined]  # noqa: F821

    with pytest.raises(ModelDeclarationError, match="cannot resolve"):
        declare_model(Broken, rules=RULES)


def test_a_relation_needs_its_value_and_a_belongs_to_takes_no_index() -> None:
    class NoValue:
        id: PartitionKey[str]
        todos: HasMany[Todo]

    class IndexedParent:
        id: PartitionKey[str]
        board_id: str
        board: BelongsTo[Board] = relation(index="by_x")

    with pytest.raises(ModelDeclarationError, match="needs a value"):
        declare_model(NoValue, rules=RULES)
    with pytest.raises(ModelDeclarationError, match="index= is for HasMany"):
        declare_model(IndexedParent, rules=RULES)


def test_a_key_cannot_be_restricted_and_an_owner_rule_needs_a_string_field() -> None:
    class RestrictedKey:
        id: PartitionKey[str] = restricted(read=[allow.owner()])

    class BadOwner:
        id: PartitionKey[str]
        size: int
        secret: str | None = restricted(read=[allow.owner("size")])

    with pytest.raises(ModelDeclarationError, match="field id: a key field"):
        declare_model(RestrictedKey, rules=RULES)
    with pytest.raises(ModelDeclarationError, match="field secret: the owner rule names 'size'"):
        declare_model(BadOwner, rules=RULES)


def test_a_computed_field_needs_a_return_type_and_a_name_of_its_own() -> None:
    class NoType:
        id: PartitionKey[str]

        @computed
        def loud(self, ctx):  # type: ignore[no-untyped-def]
            return "x"

    class Clash:
        id: PartitionKey[str]
        name: str

        @computed
        def nothing(self, ctx: FieldContext) -> str:
            return ""

    Clash.name = Clash.__dict__["nothing"]  # type: ignore[assignment]  # a field's name taken
    with pytest.raises(ModelDeclarationError, match="field loud: a computed field needs a return"):
        declare_model(NoType, rules=RULES)
    with pytest.raises(ModelDeclarationError, match="field name: a computed field needs a name"):
        declare_model(Clash, rules=RULES)


@pytest.mark.parametrize(
    ("caller", "item_owner", "hidden"),
    [
        (Caller.user("alice"), "alice", []),  # the owner
        (Caller.user("bob"), "alice", ["secret"]),  # a reader of the item
        (Caller.user("root", ["admin"]), "alice", []),  # an admin
        (Caller.anonymous(), "alice", ["secret"]),
        (Caller.system(), "alice", []),
    ],
)
def test_who_reads_a_restricted_field(caller: Caller, item_owner: str, hidden: list[str]) -> None:
    policy = FieldReadPolicy(models()[0], caller)
    assert policy.unreadable({"id": "b", "owner": item_owner, "secret": "s"}) == hidden


def test_a_filter_on_a_field_hidden_on_some_items_is_refused() -> None:
    board = models()[0]
    owner_only = FieldReadPolicy(board, Caller.user("alice"))
    # alice reads `secret` on her boards only: filtering on it would probe the others'.
    with pytest.raises(AccessDeniedError):
        owner_only.check_usable(filter_fields({"or": [{"name": {"eq": "x"}}, {"secret": {}}]}))
    owner_only.check_usable(filter_fields({"name": {"eq": "x"}, "not": {"id": {"eq": "b"}}}))
    FieldReadPolicy(board, Caller.user("root", ["admin"])).check_usable({"secret"})
