"""A model's write rules as pure functions: what a create, an update and a put become."""

from __future__ import annotations

import enum
from decimal import Decimal
from typing import Any

import pytest

from auth.errors import InvalidRequestError
from auth.model_writes import (
    field_updates,
    new_item,
    replacement,
    touched,
    with_expected_version,
)
from auth.models import PartitionKey, declare_model, generated_id
from auth.rules import Caller, allow
from storage.expressions import ExpressionBuilder, Placeholders, parse_update

NOW = "2026-01-31T09:30:00.000Z"


class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Card:
    id: PartitionKey[str] = generated_id()
    title: str
    done: bool = False
    colour: Colour = Colour.RED
    rank: float = 0.5
    note: str | None = None


CARD = declare_model(Card, rules=[allow.owner(), allow.groups("admin")])


def _applied(
    update: str, names: dict[str, str], values: dict[str, Any], item: dict[str, Any]
) -> Any:
    return parse_update(update, Placeholders(names, values)).apply(item)


def test_a_create_is_completed_by_the_model() -> None:
    item = new_item(CARD, Caller.user("ada"), {"title": "t", "version": 9, "note": None}, NOW)
    assert len(item["id"]) == 26  # a generated, time-ordered id
    assert item == {
        "id": item["id"],
        "title": "t",
        "done": False,
        "colour": "red",
        "rank": Decimal("0.5"),
        "owner": "ada",
        "created_at": NOW,
        "updated_at": NOW,
        "version": Decimal(1),  # whatever the writer sent
    }


def test_a_create_without_a_required_field_is_refused() -> None:
    with pytest.raises(InvalidRequestError, match="'title' is required"):
        new_item(CARD, Caller.system(), {"id": "c1"}, NOW)


def test_the_system_keeps_the_owner_it_gives_and_sets_none_itself() -> None:
    given = new_item(CARD, Caller.system(), {"id": "c1", "title": "t", "owner": "bob"}, NOW)
    assert given["owner"] == "bob"
    assert "owner" not in new_item(CARD, Caller.system(), {"id": "c1", "title": "t"}, NOW)


def test_field_updates_set_and_remove_declared_fields_only() -> None:
    builder = ExpressionBuilder()
    update = field_updates(CARD, {"done": True, "note": None}, builder)
    item = {"id": "c1", "title": "t", "note": "n"}
    assert _applied(update, builder.names, builder.values, item) == {
        "id": "c1",
        "title": "t",
        "done": True,
    }
    assert field_updates(CARD, {}, ExpressionBuilder()) == ""


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"id": "x"}, "part of the key"),
        ({"version": 1}, "set by the server"),
        ({"owner": "mallory"}, "set by the server"),
        ({"title": None}, "'title' is required"),
        ({"secret": 1}, "Card has no field 'secret'"),
    ],
)
def test_field_updates_refuse_what_a_model_update_cannot_do(
    changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidRequestError, match=message):
        field_updates(CARD, changes, ExpressionBuilder())


def test_every_update_sets_updated_at() -> None:
    update, names, values = touched("SET #t = :t", {"#t": "title"}, {":t": "new"}, NOW)
    old = {"id": "c1", "title": "old", "updated_at": "then", "created_at": "then"}
    assert _applied(update, names, values, old) == {**old, "title": "new", "updated_at": NOW}
    update, names, values = touched("", None, None, NOW)
    assert _applied(update, names, values, old) == {**old, "updated_at": NOW}


@pytest.mark.parametrize(
    "update",
    ["SET version = :v", "ADD version :v", "REMOVE created_at", "SET #u = :v"],
)
def test_an_update_cannot_write_the_servers_fields(update: str) -> None:
    names = {"#u": "updated_at"} if "#u" in update else None
    values = {":v": 1} if ":v" in update else None
    with pytest.raises(InvalidRequestError, match="set by the server"):
        touched(update, names, values, NOW)


def test_a_put_over_an_item_replaces_the_declared_fields() -> None:
    builder = ExpressionBuilder(prefix="__put")
    put = {"id": "c1", "title": "t2", "extra": "x", "owner": "bob", "version": 1}
    update = replacement(CARD, put, builder, keep_owner=True)
    old = {
        "id": "c1",
        "title": "t",
        "done": True,
        "note": "n",
        "owner": "ada",
        "kept": "k",
        "created_at": "then",
        "version": Decimal(4),
    }
    assert _applied(update, builder.names, builder.values, old) == {
        "id": "c1",
        "title": "t2",
        "done": False,  # its default
        "colour": "red",
        "rank": Decimal("0.5"),
        "extra": "x",
        "owner": "ada",  # keep_owner: an owner-only caller cannot hand it over
        "kept": "k",  # undeclared and not given: left alone
        "created_at": "then",
        "version": Decimal(4),  # the store raises it (storage.versions)
    }
    builder = ExpressionBuilder()
    handed = replacement(CARD, put, builder, keep_owner=False)  # an admin, the system
    assert _applied(handed, builder.names, builder.values, old)["owner"] == "bob"


def test_expected_version_joins_the_condition() -> None:
    text, names, values = with_expected_version(3, "#a = :a", {"#a": "a"}, {":a": 1})
    assert text == "(#a = :a) AND #__version0 = :__version0"
    assert names == {"#a": "a", "#__version0": "version"}
    assert values == {":a": 1, ":__version0": Decimal(3)}
    assert with_expected_version(None, None, None, None) == (None, None, None)
    with pytest.raises(InvalidRequestError):
        with_expected_version("3", None, None, None)  # type: ignore[arg-type]
