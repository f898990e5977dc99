"""ConditionExpression and FilterExpression: parse once, bind per request, evaluate per item.

A bound tree is compiled into nested closures, so evaluating an item costs a few
function calls per node: no parsing, no regex, no isinstance dispatch on the tree.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

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
    Size,
)
from storage.expressions.bind import bind_condition
from storage.expressions.compare import (
    MISSING,
    Resolved,
    begins_with,
    contains,
    lookup,
    order,
    size_of,
    values_equal,
)
from storage.expressions.condition_parser import parse_condition_text
from storage.expressions.placeholders import Placeholders
from storage.values import Item, type_of

__all__ = ["Condition", "compile_condition", "compile_operand", "parse_condition"]

Getter = Callable[[Item], Resolved]
Predicate = Callable[[Item], bool]

_CACHE_SIZE = 1024


class Condition:
    """A bound condition; ``evaluate(item)`` says whether ``item`` satisfies it.

    ``tree`` is the bound AST (resolved names, values as data), for backends that
    want to translate a filter into their own query language.
    """

    __slots__ = ("_predicate", "tree")

    def __init__(self, tree: ConditionNode) -> None:
        self.tree = tree
        self._predicate = compile_condition(tree)

    def evaluate(self, item: Item) -> bool:
        return self._predicate(item)

    def __repr__(self) -> str:
        return f"Condition({self.tree!r})"


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _parse_cached(text: str, label: str) -> ConditionNode:
    return parse_condition_text(text, label)


def parse_condition(
    text: str, placeholders: Placeholders, *, label: str = "ConditionExpression"
) -> Condition:
    """Parse (cached per text) and bind a ConditionExpression or FilterExpression.

    ``label`` only names the parameter in error messages; pass
    ``"FilterExpression"`` for filters.
    """
    return Condition(bind_condition(_parse_cached(text, label), placeholders, label))


def compile_operand(operand: Operand) -> Getter:
    """A function item -> value (or MISSING) for a bound operand."""
    if isinstance(operand, Literal):
        value = operand.value
        return lambda _item: value
    if isinstance(operand, PathOperand | Size):
        path: tuple[str | int, ...] = operand.path  # type: ignore[assignment]
        getter: Getter
        if len(path) == 1:
            # The common case, a top-level attribute, is one dict lookup.
            name = path[0]
            getter = lambda item: item.get(name, MISSING)  # type: ignore[arg-type]  # noqa: E731
        else:
            getter = lambda item: lookup(item, path)  # noqa: E731
        if isinstance(operand, PathOperand):
            return getter

        def size(item: Item) -> Resolved:
            result = size_of(getter(item))
            return MISSING if result is None else result

        return size
    msg = f"unbound operand {operand!r}"
    raise TypeError(msg)


def _compile_comparison(node: Comparison) -> Predicate:
    left, right = compile_operand(node.left), compile_operand(node.right)
    op = node.op
    if op == "=":
        return lambda item: values_equal(left(item), right(item))
    if op == "<>":
        # A missing attribute is "not equal" to anything (verified against DynamoDB).
        return lambda item: not values_equal(left(item), right(item))
    accept = {"<": (-1,), "<=": (-1, 0), ">": (1,), ">=": (0, 1)}[op]
    return lambda item: order(left(item), right(item)) in accept


def _compile_between(node: Between) -> Predicate:
    subject = compile_operand(node.subject)
    low, high = compile_operand(node.low), compile_operand(node.high)

    def between(item: Item) -> bool:
        value = subject(item)
        above = order(value, low(item))
        if above is None or above < 0:
            return False
        below = order(value, high(item))
        return below is not None and below <= 0

    return between


def _compile_in(node: In) -> Predicate:
    subject = compile_operand(node.subject)
    options = tuple(compile_operand(option) for option in node.options)
    return lambda item: any(values_equal(subject(item), option(item)) for option in options)


def _compile_function(node: Function) -> Predicate:
    args = [compile_operand(arg) for arg in node.args]
    first = args[0]
    if node.name == "attribute_exists":
        return lambda item: first(item) is not MISSING
    if node.name == "attribute_not_exists":
        return lambda item: first(item) is MISSING
    second = args[1]
    if node.name == "attribute_type":
        wanted = second({})

        def has_type(item: Item) -> bool:
            value = first(item)
            return value is not MISSING and type_of(value) == wanted

        return has_type
    if node.name == "begins_with":
        return lambda item: begins_with(first(item), second(item))
    return lambda item: contains(first(item), second(item))


def compile_condition(node: ConditionNode) -> Predicate:
    """Compile a bound condition tree into a predicate over items."""
    if isinstance(node, And):
        left, right = compile_condition(node.left), compile_condition(node.right)
        return lambda item: left(item) and right(item)
    if isinstance(node, Or):
        left, right = compile_condition(node.left), compile_condition(node.right)
        return lambda item: left(item) or right(item)
    if isinstance(node, Not):
        inner = compile_condition(node.operand)
        return lambda item: not inner(item)
    if isinstance(node, Comparison):
        return _compile_comparison(node)
    if isinstance(node, Between):
        return _compile_between(node)
    if isinstance(node, In):
        return _compile_in(node)
    return _compile_function(node)
