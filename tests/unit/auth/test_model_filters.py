"""Filters become store expressions with placeholders only, never spliced text."""

from __future__ import annotations

import re
from typing import Any

import pytest

from auth.errors import InvalidRequestError
from auth.model_filters import (
    MAX_FILTER_CONDITIONS,
    MAX_FILTER_DEPTH,
    compile_filter,
    compile_key_condition,
)
from auth.models import FieldSpec, PartitionKey, SortKey, declare_model
from auth.rules import allow
from storage.expressions import ExpressionBuilder, Placeholders, parse_condition
from storage.values import validate_item


class Note:
    board: PartitionKey[str]
    id: SortKey[str]
    title: str
    rank: int | None = None
    tags: list[str] | None = None


NOTE = declare_model(Note, rules=[allow.owner()])


def _as_is(_spec: FieldSpec, value: Any) -> Any:
    return value


# Whatever the input, the text may only hold our placeholders, operators and functions.
SAFE_TEXT = re.compile(
    r"^(?:[()\s,]|#n\d+|:v\d+|AND|OR|NOT|BETWEEN|=|<>|<=|>=|<|>|"
    r"begins_with|contains|attribute_exists|attribute_not_exists)*$"
)


def compile_(data: dict[str, Any]) -> tuple[str | None, ExpressionBuilder]:
    builder = ExpressionBuilder()
    return compile_filter(NOTE, data, builder, _as_is), builder


@pytest.mark.parametrize(
    ("data", "text"),
    [
        ({"title": {"eq": "a"}}, "#n0 = :v0"),
        ({"title": {"ne": "a"}}, "#n0 <> :v0"),
        ({"rank": {"lt": 1, "ge": 0}}, "(#n0 < :v0) AND (#n0 >= :v1)"),
        ({"rank": {"between": [1, 2]}}, "#n0 BETWEEN :v0 AND :v1"),
        ({"title": {"begins_with": "a"}}, "begins_with(#n0, :v0)"),
        ({"tags": {"contains": "x"}}, "contains(#n0, :v0)"),
        ({"rank": {"exists": False}}, "attribute_not_exists(#n0)"),
        ({"or": [{"title": {"eq": "a"}}, {"rank": {"gt": 2}}]}, "(#n0 = :v0) OR (#n1 > :v1)"),
        ({"not": {"title": {"eq": "a"}}}, "NOT (#n0 = :v0)"),
        ({"and": [], "title": {"eq": None}}, None),
    ],
)
def test_each_operator_has_one_translation(data: dict[str, Any], text: str | None) -> None:
    assert compile_(data)[0] == text


def test_names_and_values_travel_in_placeholders_only() -> None:
    hostile = "a) OR attribute_exists(owner) OR (#x = :y"
    text, builder = compile_({"title": {"eq": hostile}, "or": [{"title": {"begins_with": ":v0"}}]})
    assert text is not None
    assert SAFE_TEXT.match(text), text
    assert builder.names == {"#n0": "title"}
    assert set(builder.values.values()) == {hostile, ":v0"}


def test_unknown_fields_and_operators_are_refused() -> None:
    with pytest.raises(InvalidRequestError):
        compile_({"password": {"eq": "x"}})
    with pytest.raises(InvalidRequestError):
        compile_({"title": {"regex": ".*"}})
    with pytest.raises(InvalidRequestError):
        compile_({"rank": {"between": [1]}})


def test_nesting_and_size_are_bounded() -> None:
    deep: dict[str, Any] = {"title": {"eq": "x"}}
    for _ in range(MAX_FILTER_DEPTH):
        deep = {"not": deep}
    with pytest.raises(InvalidRequestError, match="nest"):
        compile_(deep)
    wide = {"or": [{"rank": {"eq": i}} for i in range(MAX_FILTER_CONDITIONS + 1)]}
    with pytest.raises(InvalidRequestError, match="conditions"):
        compile_(wide)


def test_key_conditions_take_one_sort_operator() -> None:
    builder = ExpressionBuilder()
    text = compile_key_condition(
        NOTE, ("board", "b"), ("id", {"begins_with": "01"}), builder, _as_is
    )
    assert text == "#n0 = :v0 AND begins_with(#n1, :v1)"
    with pytest.raises(InvalidRequestError):
        compile_key_condition(
            NOTE, ("board", "b"), ("id", {"gt": "a", "lt": "z"}), ExpressionBuilder(), _as_is
        )


def test_one_builder_never_reuses_a_value_placeholder() -> None:
    builder = ExpressionBuilder()
    compile_filter(NOTE, {"title": {"eq": "a"}}, builder, _as_is)
    compile_filter(NOTE, {"title": {"eq": "b"}}, builder, _as_is)
    assert builder.values == {":v0": "a", ":v1": "b"}
    assert builder.names == {"#n0": "title"}


class Task:
    board: PartitionKey[str]
    id: SortKey[str]
    done: bool = False
    status: str = "active"


TASK = declare_model(Task, rules=[allow.owner()])
WRITTEN_WITHOUT = {"board": "b", "id": "1"}  # by a raw path, or before the fields existed


@pytest.mark.parametrize(
    "data",
    [
        {"done": {"eq": False}},
        {"done": {"eq": True}},
        {"done": {"ne": False}},
        {"status": {"ne": "active"}},
        {"status": {"begins_with": "act"}},
        {"status": {"exists": True}},
        {"status": {"exists": False}},
        {"not": {"done": {"eq": False}}},
    ],
)
@pytest.mark.parametrize(
    "item",
    [WRITTEN_WITHOUT, {**WRITTEN_WITHOUT, "done": None, "status": None}],
    ids=["absent", "null"],
)
def test_a_filter_sees_a_missing_field_as_its_declared_default(
    data: dict[str, Any], item: dict[str, Any]
) -> None:
    # What a list shows (the item with its defaults) and what its filter selects agree.
    builder = ExpressionBuilder()
    text = compile_filter(TASK, data, builder, _as_is)
    assert text is not None
    shown = TASK.with_defaults(item)
    condition = parse_condition(text, Placeholders(builder.names, validate_item(builder.values)))
    assert condition.evaluate(item) == condition.evaluate(shown)
