"""DynamoDB's legacy conditional parameters, translated into expressions.

Before expressions existed, DynamoDB took conditions, filters, projections and updates
as structured parameters: ``Expected``, ``KeyConditions``, ``QueryFilter``,
``ScanFilter`` (joined by ``ConditionalOperator``), ``AttributesToGet`` and
``AttributeUpdates``. Old code and tools still send them. Each is rewritten here into
the equivalent expression with generated ``#lN`` / ``:lN`` placeholders, following the
API Reference appendix "Legacy conditional parameters" (which gives the expression
equivalent of each operator), so the store only ever sees expressions.

Pure functions over the wire JSON; values are parsed with ``storage.values``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from storage.errors import ValidationError
from storage.values import Value, type_of, validate_value, value_from_wire

__all__ = [
    "LEGACY_PARAMETERS",
    "Placeholders",
    "translate_attribute_updates",
    "translate_attributes_to_get",
    "translate_conditions",
    "translate_expected",
]

LEGACY_PARAMETERS = (
    "AttributeUpdates",
    "AttributesToGet",
    "Expected",
    "KeyConditions",
    "QueryFilter",
    "ScanFilter",
)
_INVALID = "One or more parameter values were invalid: "

# ComparisonOperator -> (number of values, expression template). "{a}" is the attribute
# placeholder, "{0}", "{1}" ... the value placeholders; IN takes any number >= 1.
_OPERATORS: dict[str, tuple[int, str]] = {
    "EQ": (1, "{a} = {0}"),
    "NE": (1, "{a} <> {0}"),
    "LE": (1, "{a} <= {0}"),
    "LT": (1, "{a} < {0}"),
    "GE": (1, "{a} >= {0}"),
    "GT": (1, "{a} > {0}"),
    "NOT_NULL": (0, "attribute_exists({a})"),
    "NULL": (0, "attribute_not_exists({a})"),
    "CONTAINS": (1, "contains({a}, {0})"),
    "NOT_CONTAINS": (1, "NOT contains({a}, {0})"),
    "BEGINS_WITH": (1, "begins_with({a}, {0})"),
    "BETWEEN": (2, "{a} BETWEEN {0} AND {1}"),
    "IN": (-1, "{a} IN ({values})"),
}
# Operators whose values must be scalars of one type (S, N or B).
_SCALAR_ONLY = {"LE", "LT", "GE", "GT", "BETWEEN", "BEGINS_WITH", "IN"}
_KEY_OPERATORS = {"EQ", "LE", "LT", "GE", "GT", "BEGINS_WITH", "BETWEEN"}


@dataclass
class Placeholders:
    """The ``#name`` and ``:value`` placeholders generated for one request."""

    names: dict[str, str] = field(default_factory=dict)
    values: dict[str, Value] = field(default_factory=dict)

    def name(self, attribute: str) -> str:
        """The placeholder of an attribute name (one per distinct name)."""
        for placeholder, existing in self.names.items():
            if existing == attribute:
                return placeholder
        placeholder = f"#l{len(self.names)}"
        self.names[placeholder] = attribute
        return placeholder

    def value(self, wire: object) -> str:
        """A new placeholder for a wire-format value."""
        placeholder = f":l{len(self.values)}"
        self.values[placeholder] = validate_value(value_from_wire(wire))
        return placeholder


def translate_conditions(
    conditions: object,
    operator: object,
    placeholders: Placeholders,
    *,
    parameter: str,
    key_conditions: bool = False,
) -> str | None:
    """``KeyConditions``, ``QueryFilter`` or ``ScanFilter`` as an expression.

    Each entry is ``{"ComparisonOperator": ..., "AttributeValueList": [...]}``; the
    entries are joined by ``ConditionalOperator`` (AND by default; KeyConditions
    always AND).
    """
    entries = _mapping(conditions, parameter)
    if not entries:
        return None
    clauses = []
    for attribute, condition in entries.items():
        spec = _mapping(condition, f"{parameter}.{attribute}")
        op = spec.get("ComparisonOperator")
        if key_conditions and op not in _KEY_OPERATORS:
            raise ValidationError(_INVALID + f"Unsupported operator on KeyCondition: {op}")
        values = spec.get("AttributeValueList", [])
        clauses.append(_comparison(attribute, op, values, placeholders))
    return _join(clauses, "AND" if key_conditions else _conditional_operator(operator))


def translate_expected(
    expected: object, operator: object, placeholders: Placeholders
) -> str | None:
    """``Expected`` as a ConditionExpression.

    An entry is either the newer form (``ComparisonOperator`` + ``AttributeValueList``)
    or the older one: ``{"Value": v}`` (equals v), ``{"Exists": false}`` (absent),
    ``{"Exists": true, "Value": v}`` (equals v).
    """
    entries = _mapping(expected, "Expected")
    if not entries:
        return None
    clauses = []
    for attribute, condition in entries.items():
        spec = _mapping(condition, f"Expected.{attribute}")
        clauses.append(_expected_clause(attribute, spec, placeholders))
    return _join(clauses, _conditional_operator(operator))


def _expected_clause(attribute: str, spec: Mapping[str, Any], placeholders: Placeholders) -> str:
    exists = spec.get("Exists")
    if "ComparisonOperator" in spec:
        if exists is not None:
            raise ValidationError(
                _INVALID + "Exists and ComparisonOperator cannot be used together "
                f"for Attribute: {attribute}"
            )
        if "Value" in spec and "AttributeValueList" in spec:
            raise ValidationError(
                _INVALID + "Value and AttributeValueList cannot be used together "
                f"for Attribute: {attribute}"
            )
        values = spec.get("AttributeValueList", [spec["Value"]] if "Value" in spec else [])
        return _comparison(attribute, spec["ComparisonOperator"], values, placeholders)
    if exists is False:
        if "Value" in spec:
            raise ValidationError(
                _INVALID + "Value cannot be used when Exists is false for Attribute: " + attribute
            )
        return f"attribute_not_exists({placeholders.name(attribute)})"
    if "Value" not in spec:
        raise ValidationError(
            _INVALID + "Value must be provided when Exists is true for Attribute: " + attribute
        )
    return f"{placeholders.name(attribute)} = {placeholders.value(spec['Value'])}"


def translate_attributes_to_get(attributes: object, placeholders: Placeholders) -> str | None:
    """``AttributesToGet`` as a ProjectionExpression."""
    if attributes is None:
        return None
    if not isinstance(attributes, list) or not attributes:
        raise ValidationError(_INVALID + "AttributesToGet must be a non-empty list of names")
    if len(set(attributes)) != len(attributes):
        raise ValidationError(_INVALID + "Duplicate value in attribute name: AttributesToGet")
    return ", ".join(placeholders.name(_text(name, "AttributesToGet")) for name in attributes)


def translate_attribute_updates(updates: object, placeholders: Placeholders) -> str | None:
    """``AttributeUpdates`` as an UpdateExpression.

    PUT (the default) sets the value; DELETE without a value removes the attribute and
    with a set removes those elements; ADD adds to a number or a set, and appends to a
    list (which the ADD of expressions does not do, hence ``list_append``).
    """
    entries = _mapping(updates, "AttributeUpdates")
    clauses: dict[str, list[str]] = {"SET": [], "REMOVE": [], "ADD": [], "DELETE": []}
    for attribute, update in entries.items():
        spec = _mapping(update, f"AttributeUpdates.{attribute}")
        action = spec.get("Action", "PUT")
        name = placeholders.name(attribute)
        has_value = "Value" in spec
        if action == "PUT" and has_value:
            clauses["SET"].append(f"{name} = {placeholders.value(spec['Value'])}")
        elif action == "DELETE" and not has_value:
            clauses["REMOVE"].append(name)
        elif action == "DELETE":
            clauses["DELETE"].append(f"{name} {placeholders.value(spec['Value'])}")
        elif action == "ADD" and has_value and "L" in _mapping(spec["Value"], "Value"):
            empty = placeholders.value({"L": []})
            value = placeholders.value(spec["Value"])
            clauses["SET"].append(f"{name} = list_append(if_not_exists({name}, {empty}), {value})")
        elif action == "ADD" and has_value:
            clauses["ADD"].append(f"{name} {placeholders.value(spec['Value'])}")
        elif action in ("PUT", "ADD"):
            raise ValidationError(
                _INVALID + f"Only DELETE action is allowed when no attribute value is "
                f"specified: {attribute}"
            )
        else:
            raise ValidationError(_INVALID + f"Unknown AttributeAction {action}: {attribute}")
    parts = [f"{verb} {', '.join(items)}" for verb, items in clauses.items() if items]
    return " ".join(parts) or None


def _comparison(attribute: str, op: object, values: object, placeholders: Placeholders) -> str:
    if not isinstance(op, str) or op not in _OPERATORS:
        raise ValidationError(_INVALID + f"Unsupported ComparisonOperator: {op}")
    if not isinstance(values, list):
        raise ValidationError(_INVALID + "AttributeValueList must be a list")
    arity, template = _OPERATORS[op]
    if (arity >= 0 and len(values) != arity) or (arity < 0 and not values):
        raise ValidationError(
            _INVALID + f"Invalid number of argument(s) for the {op} ComparisonOperator"
        )
    value_placeholders = [placeholders.value(value) for value in values]
    if op in _SCALAR_ONLY or op in ("CONTAINS", "NOT_CONTAINS"):
        kinds = {type_of(placeholders.values[p]) for p in value_placeholders}
        allowed = {"S", "B"} if op == "BEGINS_WITH" else {"S", "N", "B"}
        if not kinds <= allowed or (op in _SCALAR_ONLY and len(kinds) > 1):
            raise ValidationError(
                _INVALID + f"ComparisonOperator {op} is not valid for {sorted(kinds)[0]} "
                "AttributeValue type"
            )
    return template.format(
        *value_placeholders, a=placeholders.name(attribute), values=", ".join(value_placeholders)
    )


def _conditional_operator(operator: object) -> str:
    if operator is None:
        return "AND"
    if operator not in ("AND", "OR"):
        raise ValidationError(
            "1 validation error detected: Value at 'conditionalOperator' failed to satisfy "
            "constraint: Member must satisfy enum value set: [AND, OR]"
        )
    return str(operator)


def _join(clauses: list[str], operator: str) -> str:
    if len(clauses) == 1:
        return clauses[0]
    return f" {operator} ".join(f"({clause})" for clause in clauses)


def _mapping(value: object, parameter: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValidationError(f"{_INVALID}{parameter} must be a map")
    return value


def _text(value: object, parameter: str) -> str:
    if not isinstance(value, str) or not value:
        raise ValidationError(f"{_INVALID}{parameter} must hold non-empty strings")
    return value
