"""Model declarations: what a declaration produces, and how a bad one fails."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from auth.models import (
    Index,
    ModelDeclarationError,
    PartitionKey,
    SortKey,
    declare_model,
    generated_id,
)
from auth.rules import allow
from storage import IndexProjection, IndexSpec, KeyAttribute, TableSpec

RULES = [allow.owner(), allow.groups("admin"), allow.authenticated(read=True)]


class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Todo:
    board_id: PartitionKey[str]
    id: SortKey[str] = generated_id()
    title: str
    done: bool = False
    priority: int | None = None
    tags: list[str] | None = None
    colour: Colour = Colour.RED
    due: datetime | None = None
    by_owner = Index(partition="owner", sort="created_at")
    by_title = Index(partition="title", projection="KEYS_ONLY")


def test_a_declaration_produces_the_table() -> None:
    spec = declare_model(Todo, rules=RULES, table="Todos")

    assert spec.table_spec() == TableSpec(
        name="Todos",
        partition_key=KeyAttribute("board_id", "S"),
        sort_key=KeyAttribute("id", "S"),
        indexes=(
            IndexSpec("by_owner", KeyAttribute("owner", "S"), KeyAttribute("created_at", "S")),
            IndexSpec("by_title", KeyAttribute("title", "S"), None, IndexProjection("KEYS_ONLY")),
        ),
        version_attribute="version",
    )
    assert spec.key_fields == ("board_id", "id")
    assert spec.owner_fields == ("owner",)


def test_fields_know_their_kind_requiredness_and_defaults() -> None:
    spec = declare_model(Todo, rules=RULES)
    title, done, priority, tags, colour, ident = (
        spec.field(n) for n in ("title", "done", "priority", "tags", "colour", "id")
    )
    assert (title.kind, title.required, title.dynamo_type) == ("string", True, "S")
    assert (done.kind, done.required, done.default) == ("boolean", False, False)
    assert (priority.kind, priority.required) == ("int", False)
    assert (tags.list_of, tags.dynamo_type) == (True, "L")
    assert (colour.kind, colour.enum_type) == ("enum", Colour)
    assert ident.generated


def test_server_owned_fields_are_added() -> None:
    spec = declare_model(Todo, rules=RULES)
    server = {f.name for f in spec.fields if f.server_owned}
    assert server == {"owner", "created_at", "updated_at", "version"}


def test_a_declared_owner_field_is_still_server_owned() -> None:
    class Note:
        id: PartitionKey[str]
        author: str

    spec = declare_model(Note, rules=[allow.owner(field="author")])
    assert spec.field("author").server_owned
    assert not spec.field("author").required


def _bad(annotations: dict[str, Any], **attrs: Any) -> type:
    return type("Bad", (), {"__annotations__": annotations, **attrs})


@pytest.mark.parametrize(
    ("cls", "kwargs", "message"),
    [
        (_bad({"title": str}), {}, "model Bad: declare exactly one field as PartitionKey"),
        (
            _bad({"a": PartitionKey[str], "b": PartitionKey[str]}),
            {},
            "model Bad, field b: only one field may be the PartitionKey",
        ),
        (
            _bad({"a": PartitionKey[float]}),
            {},
            "model Bad, field a: a key must be a required str, int, Decimal or bytes",
        ),
        (
            _bad({"a": PartitionKey[str], "blob": set[int]}),
            {},
            "model Bad, field blob: unsupported type",
        ),
        (
            _bad({"a": PartitionKey[str]}, by_x=Index(partition="x")),
            {},
            "model Bad, field x: index by_x partition key names a field the model does not have",
        ),
        (
            _bad({"a": PartitionKey[str], "version": int}),
            {},
            "model Bad, field version: the name is reserved",
        ),
        (_bad({"a": PartitionKey[str], "_secret": str}), {}, "model Bad, field _secret"),
        (
            _bad({"a": PartitionKey[str]}),
            {"rules": []},
            "model Bad: declare at least one access rule",
        ),
        (
            _bad({"a": PartitionKey[str], "expires": str}),
            {"ttl": "expires"},
            "model Bad, field expires: the ttl field must be declared as int or Decimal",
        ),
        (_bad({"a": PartitionKey[str]}), {"table": "x"}, "model Bad: invalid table name 'x'"),
        (
            _bad({"a": PartitionKey[str]}),
            {"table": "_baas_users"},
            "model Bad: table names starting with '_baas' are reserved",
        ),
    ],
)
def test_an_ill_formed_declaration_names_model_and_field(
    cls: type, kwargs: dict[str, Any], message: str
) -> None:
    kwargs.setdefault("rules", RULES)
    with pytest.raises(ModelDeclarationError) as raised:
        declare_model(cls, **kwargs)
    assert raised.value.message.startswith(message)


def test_number_keys_map_to_n() -> None:
    class Reading:
        sensor: PartitionKey[int]
        at: SortKey[Decimal]

    spec = declare_model(Reading, rules=RULES).table_spec()
    assert spec.partition_key == KeyAttribute("sensor", "N")
    assert spec.sort_key == KeyAttribute("at", "N")
