"""KeyConditionExpression: which partition, and which sort keys within it.

DynamoDB Developer Guide, "Key condition expressions for the Query operation": an
equality on the partition key, optionally AND one condition on the sort key
(``= < <= > >=``, ``BETWEEN``, ``begins_with``). Anything else is refused with
DynamoDB's messages. Key values must be S, N or B.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Final, TypeAlias
from typing import Literal as TypingLiteral

from storage.errors import ValidationError
from storage.expressions.ast import (
    And,
    Between,
    Comparison,
    ConditionNode,
    Function,
    In,
    Literal,
    Not,
    Operand,
    Or,
    PathOperand,
)
from storage.expressions.bind import bind_condition
from storage.expressions.compare import begins_with, order, values_equal
from storage.expressions.condition_parser import parse_condition_text
from storage.expressions.limits import invalid
from storage.expressions.placeholders import Placeholders
from storage.values import Value, type_of

__all__ = ["KeyCondition", "SortKeyCondition", "parse_key_condition"]

_LABEL = "KeyConditionExpression"
SortOperator: TypeAlias = TypingLiteral["=", "<", "<=", ">", ">=", "BETWEEN", "BEGINS_WITH"]
_FLIPPED: Final[dict[str, SortOperator]] = {"=": "=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
_ORDER_ACCEPTS: Final[dict[str, tuple[int, ...]]] = {
    "<": (-1,),
    "<=": (-1, 0),
    ">": (1,),
    ">=": (0, 1),
}
_NOT_SUPPORTED = "Query key condition not supported"


@dataclass(frozen=True, slots=True)
class SortKeyCondition:
    """The sort-key part of a key condition."""

    op: SortOperator
    values: tuple[Value, ...]  # 1 value, or 2 for BETWEEN

    def matches(self, value: Value) -> bool:
        """True when a sort-key value satisfies this condition."""
        op = self.op
        if op == "=":
            return values_equal(value, self.values[0])
        if op == "BEGINS_WITH":
            return begins_with(value, self.values[0])
        if op == "BETWEEN":
            above = order(value, self.values[0])
            below = order(value, self.values[1])
            return above is not None and below is not None and above >= 0 and below <= 0
        return order(value, self.values[0]) in _ORDER_ACCEPTS[op]


@dataclass(frozen=True, slots=True)
class KeyCondition:
    """A bound key condition: the partition key value and an optional sort condition."""

    partition_value: Value
    sort: SortKeyCondition | None


@functools.lru_cache(maxsize=1024)
def _parse_cached(text: str) -> ConditionNode:
    return parse_condition_text(text, _LABEL)


def parse_key_condition(
    text: str, placeholders: Placeholders, partition_key: str, sort_key: str | None
) -> KeyCondition:
    """Parse (cached per text), bind and check a KeyConditionExpression."""
    tree = bind_condition(_parse_cached(text), placeholders, _LABEL)
    parts: list[ConditionNode] = []
    _flatten_and(tree, parts)
    partition: Value | None = None
    partition_found = False
    sort: SortKeyCondition | None = None
    for part in parts:
        name, condition = _key_part(part)
        if name == partition_key and not partition_found:
            if condition.op != "=":
                raise ValidationError(_NOT_SUPPORTED)
            partition, partition_found = condition.values[0], True
        elif name == sort_key and sort_key is not None and sort is None:
            sort = condition
        elif name in (partition_key, sort_key):
            raise ValidationError("KeyConditionExpressions must only contain one condition per key")
        elif sort_key is None:
            raise ValidationError(_NOT_SUPPORTED)
        else:
            raise ValidationError(f"Query condition missed key schema element: {sort_key}")
    if not partition_found:
        raise ValidationError(f"Query condition missed key schema element: {partition_key}")
    return KeyCondition(partition, sort)


def _flatten_and(node: ConditionNode, into: list[ConditionNode]) -> None:
    if isinstance(node, And):
        _flatten_and(node.left, into)
        _flatten_and(node.right, into)
    else:
        into.append(node)


def _key_part(node: ConditionNode) -> tuple[str, SortKeyCondition]:
    """One ``key <op> value`` leaf as (attribute name, condition)."""
    if isinstance(node, Or | Not | In) or (isinstance(node, Comparison) and node.op == "<>"):
        operator = {Or: "OR", Not: "NOT", In: "IN"}.get(type(node), "<>")
        raise invalid(_LABEL, f"Invalid operator used in KeyConditionExpression: {operator}")
    if isinstance(node, Function):
        if node.name != "begins_with":
            raise invalid(_LABEL, f"Invalid operator used in KeyConditionExpression: {node.name}")
        name = _key_name(node.args[0])
        return name, SortKeyCondition("BEGINS_WITH", (_key_value(node.args[1]),))
    if isinstance(node, Between):
        name = _key_name(node.subject)
        return name, SortKeyCondition("BETWEEN", (_key_value(node.low), _key_value(node.high)))
    assert isinstance(node, Comparison)  # noqa: S101 - And was flattened, the rest handled
    op: SortOperator = node.op  # type: ignore[assignment]
    left, right = node.left, node.right
    if isinstance(left, Literal) and isinstance(right, PathOperand):
        # ":v < sk" says the same as "sk > :v".
        left, right, op = right, left, _FLIPPED[op]
    return _key_name(left), SortKeyCondition(op, (_key_value(right),))


def _key_name(operand: Operand) -> str:
    if isinstance(operand, PathOperand) and len(operand.path) == 1:
        name = operand.path[0]
        if isinstance(name, str):
            return name
    raise ValidationError(_NOT_SUPPORTED)


def _key_value(operand: Operand) -> Value:
    if not isinstance(operand, Literal):
        raise ValidationError(_NOT_SUPPORTED)
    if type_of(operand.value) not in ("S", "N", "B"):
        raise ValidationError(
            "One or more parameter values were invalid: "
            "Condition parameter type does not match schema type"
        )
    return operand.value
