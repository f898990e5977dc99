"""Generated names, value conversions and ids."""

from __future__ import annotations

import enum
import time
from decimal import Decimal

import pytest

from auth.model_ids import new_id
from auth.models import Index, PartitionKey, declare_model
from auth.rules import allow
from baas.graphql.names import index_query_name, plural, snake_name
from baas.graphql.scalars import SCALAR_MAP, DateTime
from baas.graphql.values import from_graphql, item_to_graphql


class Colour(enum.Enum):
    RED = "red"


class TodoList:
    id: PartitionKey[str]
    size: int | None = None
    ratio: float | None = None
    colour: Colour | None = None
    meta: dict | None = None  # type: ignore[type-arg]
    by_owner = Index(partition="owner")


SPEC = declare_model(TodoList, rules=[allow.owner()])


@pytest.mark.parametrize(
    ("name", "expected"),
    [("Todo", "Todos"), ("Category", "Categories"), ("Box", "Boxes"), ("Day", "Days")],
)
def test_plural(name: str, expected: str) -> None:
    assert plural(name) == expected


def test_operation_names() -> None:
    assert snake_name("TodoList") == "todo_list"
    assert index_query_name(SPEC, None) == "todo_lists_by_id"
    assert index_query_name(SPEC, "by_owner") == "todo_lists_by_owner"


def test_values_round_trip_through_the_store_types() -> None:
    assert from_graphql(SPEC.field("ratio"), 0.1) == Decimal("0.1")
    assert from_graphql(SPEC.field("colour"), Colour.RED) == "red"
    assert from_graphql(SPEC.field("meta"), {"a": [1.5, True]}) == {"a": [Decimal("1.5"), True]}
    stored = {
        "id": "x",
        "size": Decimal(3),
        "ratio": Decimal("0.1"),
        "colour": "gone",
        "extra": "hidden",
    }
    out = item_to_graphql(SPEC, stored)
    assert out["size"] == 3
    assert isinstance(out["size"], int)
    assert out["ratio"] == 0.1
    assert out["colour"] is None  # a stored value the enum no longer has
    assert "extra" not in out  # undeclared attributes stay invisible


class Flags:
    id: PartitionKey[str]
    done: bool = False
    colour: Colour = Colour.RED
    note: str | None = None


def test_a_field_an_item_lacks_reads_as_its_declared_default() -> None:
    flags = declare_model(Flags, rules=[allow.owner()])
    for stored in ({"id": "x"}, {"id": "x", "done": None, "colour": None}):
        out = item_to_graphql(flags, stored)
        assert (out["done"], out["colour"], out["note"]) == (False, Colour.RED, None)
    assert item_to_graphql(flags, {"id": "x", "done": True})["done"] is True


def test_datetimes_are_stored_in_one_sortable_utc_form() -> None:
    parse = SCALAR_MAP[DateTime].parse_value
    assert parse is not None
    assert parse("2026-01-31T10:30:00+01:00") == "2026-01-31T09:30:00.000Z"
    assert parse("2026-01-31T09:30:00.123456Z") == "2026-01-31T09:30:00.123Z"
    with pytest.raises(ValueError, match="time zone"):
        parse("2026-01-31T09:30:00")


def test_generated_ids_are_unique_and_sort_by_time() -> None:
    ids = [new_id() for _ in range(1000)]
    assert len(set(ids)) == 1000
    assert all(len(i) == 26 for i in ids)
    earlier = new_id()
    time.sleep(0.002)
    assert new_id() > earlier
