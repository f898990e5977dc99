"""Model filters, conditions and key conditions as store expressions.

A filter arrives as plain data (field name -> operators, plus ``and``/``or``/``not``)::

    {"done": {"eq": False}, "or": [{"title": {"beginsWith": "a"}}, {"priority": {"ge": 3}}]}

and becomes DynamoDB condition syntax in which every field name is a ``#n<i>``
placeholder and every value a ``:v<i>`` placeholder. Threat: injection. Nothing a caller
sends is ever spliced into expression text; the text is built only from our own
operator table and counters, and the caller's names and values travel in the
placeholder maps. Field names are checked against the model as well.

One :class:`~storage.expressions.builder.ExpressionBuilder` is shared by every
expression of one store call (update, condition, version check), so their placeholders
never collide. GraphQL (arguments), functions (``ctx.models``) and subscriptions compile
the same filters here, each converting values to store values with its own ``convert``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from auth.errors import InvalidRequestError
from auth.models import FieldSpec, ModelSpec
from storage.expressions import ExpressionBuilder, Placeholders, parse_condition
from storage.values import validate_item

__all__ = [
    "COMPARISONS",
    "MAX_FILTER_CONDITIONS",
    "MAX_FILTER_DEPTH",
    "compile_filter",
    "compile_key_condition",
]

MAX_FILTER_DEPTH = 8
MAX_FILTER_CONDITIONS = 64

# Filter operator -> comparison token. Only these texts ever reach an expression.
COMPARISONS: dict[str, str] = {"eq": "=", "ne": "<>", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}
_FUNCTIONS: dict[str, str] = {"begins_with": "begins_with", "contains": "contains"}
KEY_OPERATORS = ("eq", "lt", "le", "gt", "ge", "between", "begins_with")
_NO_DEFAULT = object()

Convert = Callable[[FieldSpec, Any], Any]


def compile_filter(
    model: ModelSpec,
    data: Mapping[str, Any] | None,
    builder: ExpressionBuilder,
    convert: Convert,
) -> str | None:
    """The condition text for ``data`` (None when it constrains nothing)."""
    if not data:
        return None
    counter = [0]
    return _node(model, data, builder, convert, depth=1, counter=counter)


def _node(
    model: ModelSpec,
    data: Mapping[str, Any],
    builder: ExpressionBuilder,
    convert: Convert,
    *,
    depth: int,
    counter: list[int],
) -> str | None:
    # Threat: a deeply nested or huge filter in variables (not bounded by the query
    # depth limit, which only sees the document) exhausting the stack or the CPU.
    if depth > MAX_FILTER_DEPTH:
        raise InvalidRequestError(f"A filter may nest and/or/not at most {MAX_FILTER_DEPTH} deep.")
    parts: list[str] = []
    for key, operand in data.items():
        if operand is None:
            continue
        if key in ("and", "or"):
            if not isinstance(operand, Sequence):
                raise InvalidRequestError(f"'{key}' takes a list of filters.")
            children = [
                _node(model, child, builder, convert, depth=depth + 1, counter=counter)
                for child in operand
            ]
            joined = f" {key.upper()} ".join(f"({child})" for child in children if child)
            if joined:
                parts.append(joined)
        elif key == "not":
            child = _node(model, operand, builder, convert, depth=depth + 1, counter=counter)
            if child:
                parts.append(f"NOT ({child})")
        else:
            parts.extend(_field(model, key, operand, builder, convert, counter))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else " AND ".join(f"({part})" for part in parts)


def _field(
    model: ModelSpec,
    name: str,
    operators: Mapping[str, Any],
    builder: ExpressionBuilder,
    convert: Convert,
    counter: list[int],
) -> list[str]:
    spec = _field_spec(model, name)
    placeholder = builder.name(name)
    defaults = dict(model.read_defaults)
    parts: list[str] = []
    for operator, operand in operators.items():
        if operand is None:
            continue
        counter[0] += 1
        if counter[0] > MAX_FILTER_CONDITIONS:
            raise InvalidRequestError(
                f"A filter may hold at most {MAX_FILTER_CONDITIONS} conditions."
            )
        known = len(builder.values)
        text = _comparison(spec, placeholder, operator, operand, builder, convert)
        default = defaults.get(name, _NO_DEFAULT)
        if default is not _NO_DEFAULT:
            text = _as_read(text, placeholder, name, default, builder, known)
        parts.append(text)
    return parts


def _as_read(
    text: str, placeholder: str, name: str, default: Any, builder: ExpressionBuilder, known: int
) -> str:
    """``text`` judging an item that lacks the field (or holds null) by its default.

    Reads show such an item with the declared default (:meth:`ModelSpec.with_defaults`),
    so a filter must see the same value, or a list would hide items it shows as
    matching (``done: {eq: false}`` and an item written without ``done``). Whether the
    default matches is decided here, with the store's own evaluator.
    """
    added = list(builder.values)[known:]
    condition = parse_condition(
        text,
        Placeholders({placeholder: name}, validate_item({k: builder.values[k] for k in added})),
    )
    absent = f"attribute_not_exists({placeholder}) OR attribute_type({placeholder}, {builder.value('NULL')})"
    if condition.evaluate({name: default}):
        return f"({text}) OR {absent}"
    return f"NOT ({absent}) AND ({text})"


def _comparison(
    spec: FieldSpec,
    placeholder: str,
    operator: str,
    operand: Any,
    builder: ExpressionBuilder,
    convert: Convert,
) -> str:
    if operator in COMPARISONS:
        return f"{placeholder} {COMPARISONS[operator]} {builder.value(convert(spec, operand))}"
    if operator == "between":
        low, high = _pair(operand)
        return (
            f"{placeholder} BETWEEN {builder.value(convert(spec, low))} "
            f"AND {builder.value(convert(spec, high))}"
        )
    if operator == "contains" and spec.list_of:
        element = convert(spec, [operand])[0]
        return f"contains({placeholder}, {builder.value(element)})"
    if operator in _FUNCTIONS:
        return f"{_FUNCTIONS[operator]}({placeholder}, {builder.value(convert(spec, operand))})"
    if operator == "exists":
        return (
            f"attribute_exists({placeholder})"
            if operand
            else f"attribute_not_exists({placeholder})"
        )
    raise InvalidRequestError(f"Unknown filter operator '{operator}'.")


def _pair(operand: Any) -> tuple[Any, Any]:
    if not isinstance(operand, Sequence) or isinstance(operand, str) or len(operand) != 2:
        raise InvalidRequestError("'between' takes exactly two values: [low, high].")
    return operand[0], operand[1]


def _field_spec(model: ModelSpec, name: str) -> FieldSpec:
    try:
        return model.field(name)
    except KeyError:
        raise InvalidRequestError("The filter names a field the model does not have.") from None


def compile_key_condition(
    model: ModelSpec,
    partition: tuple[str, Any],
    sort: tuple[str, Mapping[str, Any] | None] | None,
    builder: ExpressionBuilder,
    convert: Convert,
) -> str:
    """``#n0 = :v0 [AND <one sort key condition>]`` for a query."""
    name, value = partition
    spec = _field_spec(model, name)
    text = f"{builder.name(name)} = {builder.value(convert(spec, value))}"
    if sort is None:
        return text
    sort_name, operators = sort
    if not operators:
        return text
    given = {op: operand for op, operand in operators.items() if operand is not None}
    if len(given) > 1:
        raise InvalidRequestError("A sort key condition takes exactly one operator.")
    if not given:
        return text
    ((operator, operand),) = given.items()
    if operator not in KEY_OPERATORS:
        raise InvalidRequestError(f"Unknown sort key operator '{operator}'.")
    condition = _comparison(
        _field_spec(model, sort_name), builder.name(sort_name), operator, operand, builder, convert
    )
    return f"{text} AND {condition}"
