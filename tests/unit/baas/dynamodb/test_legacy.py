"""Legacy conditional parameters -> expressions (API Reference, "Legacy conditional
parameters"), as pure translations."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from baas.dynamodb.errors import DynamoDBApiError
from baas.dynamodb.legacy import (
    Placeholders,
    translate_attribute_updates,
    translate_attributes_to_get,
    translate_conditions,
    translate_expected,
)
from baas.dynamodb.wire import expressions
from storage.errors import ValidationError


def _condition(op: str, *values: dict[str, Any]) -> dict[str, Any]:
    return {"a": {"ComparisonOperator": op, "AttributeValueList": list(values)}}


@pytest.mark.parametrize(
    ("op", "values", "expected"),
    [
        ("EQ", [{"N": "1"}], "#l0 = :l0"),
        ("NE", [{"N": "1"}], "#l0 <> :l0"),
        ("LE", [{"N": "1"}], "#l0 <= :l0"),
        ("LT", [{"N": "1"}], "#l0 < :l0"),
        ("GE", [{"N": "1"}], "#l0 >= :l0"),
        ("GT", [{"N": "1"}], "#l0 > :l0"),
        ("NOT_NULL", [], "attribute_exists(#l0)"),
        ("NULL", [], "attribute_not_exists(#l0)"),
        ("CONTAINS", [{"S": "x"}], "contains(#l0, :l0)"),
        ("NOT_CONTAINS", [{"S": "x"}], "NOT contains(#l0, :l0)"),
        ("BEGINS_WITH", [{"S": "x"}], "begins_with(#l0, :l0)"),
        ("BETWEEN", [{"N": "1"}, {"N": "2"}], "#l0 BETWEEN :l0 AND :l1"),
        ("IN", [{"S": "x"}, {"S": "y"}, {"S": "z"}], "#l0 IN (:l0, :l1, :l2)"),
    ],
)
def test_each_comparison_operator(op: str, values: list[dict[str, Any]], expected: str) -> None:
    placeholders = Placeholders()
    translated = translate_conditions(
        _condition(op, *values), None, placeholders, parameter="ScanFilter"
    )
    assert translated == expected
    assert placeholders.names == {"#l0": "a"}
    assert len(placeholders.values) == len(values)


@pytest.mark.parametrize(
    ("op", "values"),
    [
        ("EQ", []),
        ("BETWEEN", [{"N": "1"}]),
        ("NULL", [{"N": "1"}]),
        ("IN", []),
        ("BEGINS_WITH", [{"N": "1"}]),
        ("LT", [{"BOOL": True}]),
        ("LIKE", [{"S": "x"}]),
    ],
)
def test_a_wrong_operator_or_argument_is_a_validation_error(
    op: str, values: list[dict[str, Any]]
) -> None:
    with pytest.raises(ValidationError):
        translate_conditions(_condition(op, *values), None, Placeholders(), parameter="ScanFilter")


def test_conditions_join_with_the_conditional_operator() -> None:
    conditions = {
        "a": {"ComparisonOperator": "NULL"},
        "b": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "x"}]},
    }
    translated = translate_conditions(conditions, "OR", Placeholders(), parameter="QueryFilter")
    assert translated == "(attribute_not_exists(#l0)) OR (#l1 = :l0)"


def test_key_conditions_allow_only_key_operators() -> None:
    with pytest.raises(ValidationError):
        translate_conditions(
            _condition("NE", {"S": "x"}),
            None,
            Placeholders(),
            parameter="KeyConditions",
            key_conditions=True,
        )


@pytest.mark.parametrize(
    ("expected", "translated"),
    [
        ({"a": {"Exists": False}}, "attribute_not_exists(#l0)"),
        ({"a": {"Value": {"S": "x"}}}, "#l0 = :l0"),
        ({"a": {"Exists": True, "Value": {"S": "x"}}}, "#l0 = :l0"),
        ({"a": {"ComparisonOperator": "GT", "AttributeValueList": [{"N": "3"}]}}, "#l0 > :l0"),
    ],
)
def test_expected_forms(expected: dict[str, Any], translated: str) -> None:
    assert translate_expected(expected, None, Placeholders()) == translated


@pytest.mark.parametrize(
    "expected",
    [
        {"a": {"Exists": False, "Value": {"S": "x"}}},
        {"a": {"Exists": True}},
        {"a": {"Exists": True, "ComparisonOperator": "NULL"}},
    ],
)
def test_contradictory_expected_is_refused(expected: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        translate_expected(expected, None, Placeholders())


def test_attribute_updates_become_one_update_expression() -> None:
    placeholders = Placeholders()
    update = translate_attribute_updates(
        {
            "name": {"Value": {"S": "Ada"}},
            "old": {"Action": "DELETE"},
            "n": {"Action": "ADD", "Value": {"N": "1"}},
            "tags": {"Action": "DELETE", "Value": {"SS": ["x"]}},
            "log": {"Action": "ADD", "Value": {"L": [{"S": "e"}]}},
        },
        placeholders,
    )
    assert update == (
        "SET #l0 = :l0, #l4 = list_append(if_not_exists(#l4, :l3), :l4) "
        "REMOVE #l1 ADD #l2 :l1 DELETE #l3 :l2"
    )
    assert placeholders.values[":l1"] == Decimal(1)
    assert placeholders.values[":l3"] == []


def test_put_without_a_value_is_refused() -> None:
    with pytest.raises(ValidationError):
        translate_attribute_updates({"a": {"Action": "PUT"}}, Placeholders())


def test_attributes_to_get_become_a_projection() -> None:
    placeholders = Placeholders()
    assert translate_attributes_to_get(["a", "b.c"], placeholders) == "#l0, #l1"
    assert placeholders.names == {"#l0": "a", "#l1": "b.c"}  # a dot is part of the name


def test_a_request_mixing_both_styles_is_refused() -> None:
    with pytest.raises(DynamoDBApiError) as caught:
        expressions({"AttributesToGet": ["a"], "ProjectionExpression": "b"})
    assert caught.value.code == "ValidationException"


def test_placeholders_are_refused_with_legacy_parameters() -> None:
    with pytest.raises(DynamoDBApiError):
        expressions({"AttributesToGet": ["a"], "ExpressionAttributeNames": {"#a": "a"}})


def test_expression_requests_pass_through() -> None:
    parsed = expressions(
        {
            "ConditionExpression": "#a = :v",
            "ExpressionAttributeNames": {"#a": "a"},
            "ExpressionAttributeValues": {":v": {"N": "2"}},
        }
    )
    assert parsed.condition == "#a = :v"
    assert parsed.values == {":v": Decimal(2)}
