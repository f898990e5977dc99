"""Key conditions for Query, and projections."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from storage.errors import ValidationError
from storage.expressions import (
    KeyCondition,
    Placeholders,
    SortKeyCondition,
    parse_key_condition,
    parse_projection,
    project_paths,
)
from storage.values import Item

D = Decimal
VALUES: dict[str, Any] = {":p": "user#1", ":a": D(1), ":b": D(5), ":s": "2024-", ":bin": b"\x01"}


def key_condition(
    text: str, sort_key: str | None = "sk", names: dict[str, str] | None = None
) -> KeyCondition:
    used = {key: value for key, value in VALUES.items() if key in text}
    return parse_key_condition(text, Placeholders(names, used), "pk", sort_key)


@pytest.mark.parametrize(
    ("text", "op", "values"),
    [
        ("pk = :p", None, None),
        ("pk = :p AND sk = :a", "=", (D(1),)),
        ("pk = :p AND sk < :a", "<", (D(1),)),
        ("pk = :p AND sk <= :a", "<=", (D(1),)),
        ("pk = :p AND sk > :a", ">", (D(1),)),
        ("pk = :p AND sk >= :a", ">=", (D(1),)),
        ("pk = :p AND sk BETWEEN :a AND :b", "BETWEEN", (D(1), D(5))),
        ("pk = :p AND begins_with(sk, :s)", "BEGINS_WITH", ("2024-",)),
        ("sk > :a AND pk = :p", ">", (D(1),)),
        ("(pk = :p) AND (sk > :a)", ">", (D(1),)),
        ("pk = :p and :a < sk", ">", (D(1),)),
        (":p = pk", None, None),
    ],
)
def test_key_conditions(text: str, op: str | None, values: tuple[Any, ...] | None) -> None:
    condition = key_condition(text)
    assert condition.partition_value == "user#1"
    if op is None:
        assert condition.sort is None
    else:
        assert condition.sort == SortKeyCondition(op, values)  # type: ignore[arg-type]


def test_key_condition_with_name_placeholders() -> None:
    condition = key_condition("#p = :p AND #s >= :a", names={"#p": "pk", "#s": "sk"})
    assert condition.sort == SortKeyCondition(">=", (D(1),))


@pytest.mark.parametrize(
    ("condition", "value", "expected"),
    [
        (SortKeyCondition("=", (D(1),)), D("1.0"), True),
        (SortKeyCondition("=", (D(1),)), "1", False),
        (SortKeyCondition("<", (D(1),)), D(0), True),
        (SortKeyCondition("<", (D(1),)), D(1), False),
        (SortKeyCondition("<=", (D(1),)), D(1), True),
        (SortKeyCondition(">", ("b",)), "c", True),
        (SortKeyCondition(">", ("b",)), "a", False),
        (SortKeyCondition(">=", (b"\x80",)), b"\x80", True),
        (SortKeyCondition(">", (b"\x7f",)), b"\x80", True),  # unsigned bytes
        (SortKeyCondition("BETWEEN", (D(1), D(5))), D(5), True),
        (SortKeyCondition("BETWEEN", (D(1), D(5))), D(6), False),
        (SortKeyCondition("BEGINS_WITH", ("2024-",)), "2024-05", True),
        (SortKeyCondition("BEGINS_WITH", ("2024-",)), "2023-05", False),
        (SortKeyCondition("<", ("z",)), D(1), False),
    ],
)
def test_sort_key_matches(condition: SortKeyCondition, value: Any, expected: bool) -> None:
    assert condition.matches(value) is expected


def test_strings_order_by_utf8_bytes() -> None:
    assert SortKeyCondition("<", ("\uffff",)).matches("\ue000")
    assert SortKeyCondition(">", ("\uffff",)).matches("\U00010000")


@pytest.mark.parametrize(
    ("text", "sort_key", "message"),
    [
        ("sk = :a", "sk", "Query condition missed key schema element: pk"),
        ("pk > :p", "sk", "Query key condition not supported"),
        ("begins_with(pk, :p)", "sk", "Query key condition not supported"),
        ("pk = :p AND price = :a", "sk", "Query condition missed key schema element: sk"),
        ("pk = :p AND price = :a", None, "Query key condition not supported"),
        (
            "pk = :p AND sk = :a AND sk = :b",
            "sk",
            "KeyConditionExpressions must only contain one condition per key",
        ),
        (
            "pk = :p AND pk = :p",
            "sk",
            "KeyConditionExpressions must only contain one condition per key",
        ),
        (
            "pk = :p OR sk = :a",
            "sk",
            "Invalid KeyConditionExpression: Invalid operator used in KeyConditionExpression: OR",
        ),
        ("pk = :p AND NOT sk = :a", "sk", "Invalid operator used in KeyConditionExpression: NOT"),
        ("pk = :p AND sk <> :a", "sk", "Invalid operator used in KeyConditionExpression: <>"),
        ("pk = :p AND sk IN (:a, :b)", "sk", "Invalid operator used in KeyConditionExpression: IN"),
        (
            "pk = :p AND attribute_exists(sk)",
            "sk",
            "Invalid operator used in KeyConditionExpression: attribute_exists",
        ),
        (
            "pk = :p AND sk BETWEEN :b AND :a",
            "sk",
            "Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound",
        ),
        (
            "pk = :p AND begins_with(sk, :a)",
            "sk",
            "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N",
        ),
        ("pk = :p AND size(sk) > :a", "sk", "Query key condition not supported"),
        ("pk = :p AND sk.x = :a", "sk", "Query key condition not supported"),
        ("pk = sk", "sk", "Query key condition not supported"),
        ("pk = ", "sk", "Invalid KeyConditionExpression: Syntax error"),
    ],
)
def test_key_condition_errors(text: str, sort_key: str | None, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        key_condition(text, sort_key)
    assert message in caught.value.message


def test_key_values_must_be_scalars() -> None:
    with pytest.raises(
        ValidationError, match="Condition parameter type does not match schema type"
    ):
        parse_key_condition("pk = :v", Placeholders(values={":v": ["x"]}), "pk", None)


ITEM: Item = {
    "id": "k",
    "a": {"b": {"c": D(1), "d": D(2)}, "e": "x"},
    "l": ["l0", {"x": D(1), "y": D(2)}, "l2", "l3", "l4"],
    "n": D(3),
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("id", {"id": "k"}),
        ("id, n", {"id": "k", "n": D(3)}),
        ("absent", {}),
        ("a.b.c", {"a": {"b": {"c": D(1)}}}),
        ("a.b.c, a.e", {"a": {"b": {"c": D(1)}, "e": "x"}}),
        ("a.b.absent", {}),
        ("l[1].x", {"l": [{"x": D(1)}]}),
        ("l[3], l[1]", {"l": [{"x": D(1), "y": D(2)}, "l3"]}),
        ("l[4], l[0]", {"l": ["l0", "l4"]}),
        ("l[9]", {}),
        ("l[1].x, l[1].y", {"l": [{"x": D(1), "y": D(2)}]}),
        ("#a.#b", {"a": {"b": {"c": D(1), "d": D(2)}}}),
        ("id.x, n[0]", {}),
    ],
)
def test_projection(text: str, expected: Item) -> None:
    names = {key: key[1:] for key in ("#a", "#b") if key in text}
    projection = parse_projection(text, Placeholders(names))
    assert projection.apply(ITEM) == expected


def test_projection_paths_and_project_paths() -> None:
    projection = parse_projection("a.b, #x[2]", Placeholders({"#x": "l"}))
    assert projection.paths == (("a", "b"), ("l", 2))
    assert project_paths(ITEM, [("n",), ("a", "e")]) == {"n": D(3), "a": {"e": "x"}}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Invalid ProjectionExpression: The expression can not be empty;"),
        ("a,", 'Syntax error; token: "<EOF>"'),
        ("a b", 'Syntax error; token: "b"'),
        ("a = b", 'Syntax error; token: "="'),
        (
            "a, a",
            "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a]",
        ),
        ("a.b, a", "Two document paths overlap with each other"),
        ("a.b, a[1]", "Two document paths conflict with each other"),
        ("year", "Attribute name is a reserved keyword; reserved keyword: year"),
        (
            "x" * 4097,
            "Invalid ProjectionExpression: Expression size has exceeded the maximum allowed size;",
        ),
    ],
)
def test_projection_errors(text: str, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_projection(text, Placeholders())
    assert message in caught.value.message
    assert "expression size:" not in caught.value.message


def test_projection_size_limit_counts_raw_text() -> None:
    names = {f"#a{i}": f"attribute{i}" for i in range(600)}
    projection = parse_projection(",".join(names), Placeholders(names))
    assert len(projection.paths) == 600
