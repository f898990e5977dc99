"""The expression AST: plain frozen data, shared by the parser, binder and evaluators.

The parser builds a *symbolic* tree straight from the text: ``#name`` placeholders
stay ``NameRef`` inside paths and ``:value`` placeholders stay ``ValueRef``. Such a
tree depends only on the text, so it is cached per distinct text. Binding a request's
placeholders produces a *bound* tree of the same classes, in which every path holds
only ``str`` and ``int`` parts and every ``ValueRef`` became a ``Literal``. Values are
data in the tree; nothing is ever spliced into text.

Conditions: ``Comparison``, ``Between``, ``In``, ``Function``, ``And``, ``Or``, ``Not``.
Operands: ``PathOperand``, ``ValueRef``/``Literal``, ``Size``, and in update
expressions also ``Arithmetic``, ``IfNotExists`` and ``ListAppend``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal as TypingLiteral
from typing import TypeAlias

from storage.values import Value

__all__ = [
    "AddAction",
    "And",
    "Arithmetic",
    "Between",
    "Comparator",
    "Comparison",
    "ConditionNode",
    "DeleteAction",
    "Function",
    "FunctionName",
    "IfNotExists",
    "In",
    "ListAppend",
    "Literal",
    "NameRef",
    "Not",
    "Operand",
    "Or",
    "PathOperand",
    "PathPart",
    "ProjectionTree",
    "RemoveAction",
    "SetAction",
    "SetValue",
    "Size",
    "SymbolicPath",
    "UpdateTree",
    "ValueRef",
]


@dataclass(frozen=True, slots=True)
class NameRef:
    """A ``#name`` placeholder inside a path, resolved through ExpressionAttributeNames."""

    key: str


PathPart: TypeAlias = str | int | NameRef
SymbolicPath: TypeAlias = tuple[PathPart, ...]


@dataclass(frozen=True, slots=True)
class ValueRef:
    """A ``:value`` placeholder, resolved through ExpressionAttributeValues."""

    key: str


@dataclass(frozen=True, slots=True)
class Literal:
    """A bound value (what a ``ValueRef`` becomes once the request is known)."""

    value: Value


@dataclass(frozen=True, slots=True)
class PathOperand:
    """The value found at a document path (``a.b[3]``) in the item."""

    path: SymbolicPath


@dataclass(frozen=True, slots=True)
class Size:
    """``size(path)``: a number computed from the attribute at ``path``."""

    path: SymbolicPath


Operand: TypeAlias = PathOperand | ValueRef | Literal | Size


@dataclass(frozen=True, slots=True)
class Arithmetic:
    """``left + right`` or ``left - right`` in a SET action (numbers only)."""

    op: TypingLiteral["+", "-"]
    left: SetValue
    right: SetValue


@dataclass(frozen=True, slots=True)
class IfNotExists:
    """``if_not_exists(path, default)``: the attribute if present, else ``default``."""

    path: SymbolicPath
    default: SetValue


@dataclass(frozen=True, slots=True)
class ListAppend:
    """``list_append(first, second)``: the concatenation of two lists."""

    first: SetValue
    second: SetValue


SetValue: TypeAlias = Operand | Arithmetic | IfNotExists | ListAppend

Comparator: TypeAlias = TypingLiteral["=", "<>", "<", "<=", ">", ">="]


@dataclass(frozen=True, slots=True)
class Comparison:
    """``left <op> right`` with one of ``= <> < <= > >=``."""

    op: Comparator
    left: Operand
    right: Operand


@dataclass(frozen=True, slots=True)
class Between:
    """``subject BETWEEN low AND high`` (inclusive on both ends)."""

    subject: Operand
    low: Operand
    high: Operand


@dataclass(frozen=True, slots=True)
class In:
    """``subject IN (option, ...)``: equal to at least one option."""

    subject: Operand
    options: tuple[Operand, ...]


FunctionName: TypeAlias = TypingLiteral[
    "attribute_exists", "attribute_not_exists", "attribute_type", "begins_with", "contains"
]


@dataclass(frozen=True, slots=True)
class Function:
    """A boolean function of the condition grammar, e.g. ``begins_with(a, :p)``."""

    name: FunctionName
    args: tuple[Operand, ...]


@dataclass(frozen=True, slots=True)
class And:
    """``left AND right``."""

    left: ConditionNode
    right: ConditionNode


@dataclass(frozen=True, slots=True)
class Or:
    """``left OR right``."""

    left: ConditionNode
    right: ConditionNode


@dataclass(frozen=True, slots=True)
class Not:
    """``NOT operand``."""

    operand: ConditionNode


ConditionNode: TypeAlias = Comparison | Between | In | Function | And | Or | Not


@dataclass(frozen=True, slots=True)
class SetAction:
    path: SymbolicPath
    value: SetValue


@dataclass(frozen=True, slots=True)
class RemoveAction:
    path: SymbolicPath


@dataclass(frozen=True, slots=True)
class AddAction:
    path: SymbolicPath
    value: ValueRef | Literal


@dataclass(frozen=True, slots=True)
class DeleteAction:
    path: SymbolicPath
    value: ValueRef | Literal


@dataclass(frozen=True, slots=True)
class UpdateTree:
    """An update expression, its actions grouped by clause in text order.

    A clause that is absent and a clause that is empty are the same: the grammar
    never allows an empty clause.
    """

    set: tuple[SetAction, ...] = ()
    remove: tuple[RemoveAction, ...] = ()
    add: tuple[AddAction, ...] = ()
    delete: tuple[DeleteAction, ...] = ()


@dataclass(frozen=True, slots=True)
class ProjectionTree:
    """A projection expression: the paths to keep, in text order."""

    paths: tuple[SymbolicPath, ...]
