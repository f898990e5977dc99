"""Symbolic trees back to expression text: the inverse of the parsers.

Used by the round-trip property tests and handy in logs: the rendered text holds
placeholders only, never values. Parentheses are added exactly where precedence
and left-associativity need them, so parsing the text gives back an equal tree.
"""

from __future__ import annotations

from typing import Final

from storage.expressions.ast import (
    And,
    Arithmetic,
    Between,
    Comparison,
    ConditionNode,
    Function,
    IfNotExists,
    In,
    ListAppend,
    NameRef,
    Not,
    Operand,
    Or,
    PathOperand,
    ProjectionTree,
    SetValue,
    Size,
    SymbolicPath,
    UpdateTree,
    ValueRef,
)

__all__ = ["render_condition", "render_projection", "render_update"]

# Binding strength: a child binding less tightly than its context gets parentheses.
_OR: Final = 1
_AND: Final = 2
_NOT: Final = 3


def _path(path: SymbolicPath) -> str:
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            name = part.key if isinstance(part, NameRef) else part
            text += f".{name}" if text else name
    return text


def _operand(operand: Operand) -> str:
    if isinstance(operand, ValueRef):
        return operand.key
    if isinstance(operand, PathOperand):
        return _path(operand.path)
    if isinstance(operand, Size):
        return f"size({_path(operand.path)})"
    msg = f"a bound literal has no text: {operand!r}"
    raise TypeError(msg)


def render_condition(node: ConditionNode, context: int = 0) -> str:
    """Text for a symbolic condition tree."""
    if isinstance(node, Or):
        text = f"{render_condition(node.left, _OR)} OR {render_condition(node.right, _AND)}"
        return f"({text})" if context > _OR else text
    if isinstance(node, And):
        text = f"{render_condition(node.left, _AND)} AND {render_condition(node.right, _NOT)}"
        return f"({text})" if context > _AND else text
    if isinstance(node, Not):
        return f"NOT {render_condition(node.operand, _NOT)}"
    if isinstance(node, Comparison):
        return f"{_operand(node.left)} {node.op} {_operand(node.right)}"
    if isinstance(node, Between):
        low, high = _operand(node.low), _operand(node.high)
        return f"{_operand(node.subject)} BETWEEN {low} AND {high}"
    if isinstance(node, In):
        options = ", ".join(_operand(option) for option in node.options)
        return f"{_operand(node.subject)} IN ({options})"
    assert isinstance(node, Function)  # noqa: S101 - the union is exhausted
    return f"{node.name}({', '.join(_operand(arg) for arg in node.args)})"


def _set_value(value: SetValue) -> str:
    if isinstance(value, Arithmetic):
        return f"{_set_value(value.left)} {value.op} {_set_value(value.right)}"
    if isinstance(value, IfNotExists):
        return f"if_not_exists({_path(value.path)}, {_set_value(value.default)})"
    if isinstance(value, ListAppend):
        return f"list_append({_set_value(value.first)}, {_set_value(value.second)})"
    return _operand(value)


def render_update(tree: UpdateTree) -> str:
    """Text for a symbolic update tree, clauses in SET, REMOVE, ADD, DELETE order."""
    clauses: list[str] = []
    if tree.set:
        actions = ", ".join(f"{_path(a.path)} = {_set_value(a.value)}" for a in tree.set)
        clauses.append(f"SET {actions}")
    if tree.remove:
        clauses.append("REMOVE " + ", ".join(_path(a.path) for a in tree.remove))
    if tree.add:
        clauses.append("ADD " + ", ".join(f"{_path(a.path)} {_operand(a.value)}" for a in tree.add))
    if tree.delete:
        deletes = ", ".join(f"{_path(a.path)} {_operand(a.value)}" for a in tree.delete)
        clauses.append(f"DELETE {deletes}")
    return " ".join(clauses)


def render_projection(tree: ProjectionTree) -> str:
    """Text for a symbolic projection tree."""
    return ", ".join(_path(path) for path in tree.paths)
