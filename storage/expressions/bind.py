"""Binding: a cached symbolic tree + one request's placeholders -> a bound tree.

Binding resolves ``#name`` and ``:value``, marks them used, and runs the checks that
depend on resolved names or on the values' types (which the text alone cannot
tell): operand types of functions and operators, BETWEEN bounds, overlapping
update paths. It walks the tree once, so it is cheap enough for every request.
"""

from __future__ import annotations

from typing import Final

from storage.errors import ValidationError
from storage.expressions.ast import (
    AddAction,
    And,
    Arithmetic,
    Between,
    Comparison,
    ConditionNode,
    DeleteAction,
    Function,
    IfNotExists,
    In,
    ListAppend,
    Literal,
    NameRef,
    Not,
    Operand,
    Or,
    PathOperand,
    ProjectionTree,
    RemoveAction,
    SetAction,
    SetValue,
    Size,
    SymbolicPath,
    UpdateTree,
    ValueRef,
)
from storage.expressions.compare import order
from storage.expressions.limits import invalid
from storage.expressions.paths import Path, check_overlaps, render_path
from storage.expressions.placeholders import Placeholders
from storage.values import Value, type_of

__all__ = [
    "bind_condition",
    "bind_operand",
    "bind_path",
    "bind_projection",
    "bind_update",
    "check_between_bounds",
    "describe_value",
]


_TYPE_NAMES: Final = frozenset({"S", "N", "B", "BOOL", "NULL", "SS", "NS", "BS", "L", "M"})
# Spelling DynamoDB uses for a wrong ADD/DELETE operand.
_LONG_TYPE_NAMES: Final = {
    "S": "STRING",
    "N": "NUMBER",
    "B": "BINARY",
    "NULL": "NULL",
    "BOOL": "BOOLEAN",
    "L": "LIST",
    "M": "MAP",
}
_SET_TYPES: Final = frozenset({"SS", "NS", "BS"})


def describe_value(value: Value) -> str:
    """A short ``AttributeValue: {N:5}`` for messages; long values are cut."""
    kind = type_of(value)
    text = value.hex() if isinstance(value, bytes) else str(value)
    if len(text) > 32:
        text = text[:32] + "..."
    return f"AttributeValue: {{{kind}:{text}}}"


def bind_path(path: SymbolicPath, placeholders: Placeholders, label: str) -> Path:
    return tuple(
        placeholders.name(part.key, label) if isinstance(part, NameRef) else part for part in path
    )


def bind_operand(operand: Operand, placeholders: Placeholders, label: str) -> Operand:
    if isinstance(operand, ValueRef):
        return Literal(placeholders.value(operand.key, label))
    if isinstance(operand, PathOperand):
        return PathOperand(bind_path(operand.path, placeholders, label))
    if isinstance(operand, Size):
        return Size(bind_path(operand.path, placeholders, label))
    return operand


def _incorrect_type(label: str, name: str, kind: str) -> ValidationError:
    return invalid(
        label,
        "Incorrect operand type for operator or function; "
        f"operator or function: {name}, operand type: {kind}",
    )


def _check_distinct(label: str, name: str, left: Operand, right: Operand) -> None:
    if isinstance(left, PathOperand) and isinstance(right, PathOperand) and left == right:
        raise invalid(
            label,
            "The first operand must be distinct from the remaining operands for this "
            f"operator or function; operator: {name}, first operand: {render_path(left.path)}",  # type: ignore[arg-type]
        )


def bind_condition(node: ConditionNode, placeholders: Placeholders, label: str) -> ConditionNode:
    """Resolve placeholders in a condition tree and check operand types."""
    if isinstance(node, And | Or):
        left = bind_condition(node.left, placeholders, label)
        return type(node)(left, bind_condition(node.right, placeholders, label))
    if isinstance(node, Not):
        return Not(bind_condition(node.operand, placeholders, label))
    if isinstance(node, Comparison):
        left_operand = bind_operand(node.left, placeholders, label)
        right_operand = bind_operand(node.right, placeholders, label)
        _check_distinct(label, node.op, left_operand, right_operand)
        return Comparison(node.op, left_operand, right_operand)
    if isinstance(node, Between):
        subject = bind_operand(node.subject, placeholders, label)
        low = bind_operand(node.low, placeholders, label)
        high = bind_operand(node.high, placeholders, label)
        if isinstance(low, Literal) and isinstance(high, Literal):
            check_between_bounds(label, low.value, high.value)
        return Between(subject, low, high)
    if isinstance(node, In):
        subject = bind_operand(node.subject, placeholders, label)
        options = tuple(bind_operand(option, placeholders, label) for option in node.options)
        return In(subject, options)
    args = tuple(bind_operand(arg, placeholders, label) for arg in node.args)
    _check_function(label, node.name, args)
    return Function(node.name, args)


def _check_function(label: str, name: str, args: tuple[Operand, ...]) -> None:
    if len(args) == 2:
        _check_distinct(label, name, args[0], args[1])
    if name == "attribute_type":
        literal = args[1]
        assert isinstance(literal, Literal)  # noqa: S101 - the parser guarantees it
        if not isinstance(literal.value, str):
            raise _incorrect_type(label, name, type_of(literal.value))
        if literal.value not in _TYPE_NAMES:
            raise invalid(
                label,
                f"Invalid attribute type name found; type: {literal.value}, "
                "valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}",
            )
    elif name == "begins_with":
        for arg in args:
            if isinstance(arg, Literal):
                kind = type_of(arg.value)
                if kind not in ("S", "B"):
                    raise _incorrect_type(label, name, kind)


def check_between_bounds(label: str, low: Value, high: Value) -> None:
    """BETWEEN needs bounds of one type with ``low <= high``."""
    low_kind, high_kind = type_of(low), type_of(high)
    bounds = (
        f"lower bound operand: {describe_value(low)}, upper bound operand: {describe_value(high)}"
    )
    if low_kind != high_kind:
        raise invalid(
            label,
            f"The BETWEEN operator requires same data type for lower and upper bounds; {bounds}",
        )
    comparison = order(low, high)
    if comparison is not None and comparison > 0:
        raise invalid(
            label,
            "The BETWEEN operator requires upper bound to be greater than or equal to lower "
            f"bound; {bounds}",
        )


def _bind_set_value(value: SetValue, placeholders: Placeholders, label: str) -> SetValue:
    if isinstance(value, Arithmetic):
        left = _bind_set_value(value.left, placeholders, label)
        right = _bind_set_value(value.right, placeholders, label)
        for side in (left, right):
            if isinstance(side, Literal) and type_of(side.value) != "N":
                raise _incorrect_type(label, value.op, type_of(side.value))
        return Arithmetic(value.op, left, right)
    if isinstance(value, ListAppend):
        first = _bind_set_value(value.first, placeholders, label)
        second = _bind_set_value(value.second, placeholders, label)
        for side in (first, second):
            if isinstance(side, Literal) and type_of(side.value) != "L":
                raise _incorrect_type(label, "list_append", type_of(side.value))
        return ListAppend(first, second)
    if isinstance(value, IfNotExists):
        path = bind_path(value.path, placeholders, label)
        return IfNotExists(path, _bind_set_value(value.default, placeholders, label))
    return bind_operand(value, placeholders, label)


def _bind_set_operand(
    operator: str, value: ValueRef | Literal, placeholders: Placeholders, label: str
) -> Literal:
    bound = Literal(placeholders.value(value.key, label)) if isinstance(value, ValueRef) else value
    kind = type_of(bound.value)
    allowed = kind in _SET_TYPES or (operator == "ADD" and kind == "N")
    if not allowed:
        raise invalid(
            label,
            "Incorrect operand type for operator or function; "
            f"operator: {operator}, operand type: {_LONG_TYPE_NAMES.get(kind, kind)}",
        )
    return bound


def bind_update(tree: UpdateTree, placeholders: Placeholders, label: str) -> UpdateTree:
    """Resolve an update tree; refuse bad operand types and overlapping paths."""
    bound = UpdateTree(
        tuple(
            SetAction(
                bind_path(action.path, placeholders, label),
                _bind_set_value(action.value, placeholders, label),
            )
            for action in tree.set
        ),
        tuple(RemoveAction(bind_path(a.path, placeholders, label)) for a in tree.remove),
        tuple(
            AddAction(
                bind_path(a.path, placeholders, label),
                _bind_set_operand("ADD", a.value, placeholders, label),
            )
            for a in tree.add
        ),
        tuple(
            DeleteAction(
                bind_path(a.path, placeholders, label),
                _bind_set_operand("DELETE", a.value, placeholders, label),
            )
            for a in tree.delete
        ),
    )
    paths: list[Path] = []
    for actions in (bound.set, bound.remove, bound.add, bound.delete):
        paths.extend(action.path for action in actions)  # type: ignore[misc]
    check_overlaps(paths, label)
    return bound


def bind_projection(
    tree: ProjectionTree, placeholders: Placeholders, label: str
) -> tuple[Path, ...]:
    paths = tuple(bind_path(path, placeholders, label) for path in tree.paths)
    check_overlaps(paths, label)
    return paths
