"""Property tests: rendered trees parse back to themselves; garbage never crashes.

(1) Random symbolic trees are rendered to text with placeholders; parsing the text
gives an equal tree (round trip through the real tokenizer and parsers).
(2) Arbitrary text and token soup make the public functions either succeed or
raise ValidationError, never anything else (no IndexError, RecursionError, ...).
"""

from __future__ import annotations

import contextlib
import copy
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storage.errors import ValidationError
from storage.expressions import (
    Placeholders,
    parse_condition,
    parse_key_condition,
    parse_projection,
    parse_update,
)
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
from storage.expressions.condition_parser import parse_condition_text
from storage.expressions.render import render_condition, render_projection, render_update
from storage.expressions.reserved import is_reserved
from storage.expressions.update_parser import parse_projection_text, parse_update_text

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# -- strategies for symbolic trees ----------------------------------------------------
# Fixed pools keep generation fast; they still cover case, digits and underscores.
_NAME_POOL = ["a", "b", "c", "x1", "_u", "Foo", "bar_2", "qq", "zeta9", "A_B", "remove_me", "Id"]
assert not any(is_reserved(name) for name in _NAME_POOL)
names = st.sampled_from(_NAME_POOL)
name_refs = st.sampled_from(["#a", "#B", "#x_1", "#9", "#name"]).map(NameRef)
value_refs = st.sampled_from([":v", ":V2", ":_x", ":0", ":value"]).map(ValueRef)
heads = st.one_of(names, name_refs)
steps = st.one_of(names, name_refs, st.integers(min_value=0, max_value=999))
paths: st.SearchStrategy[SymbolicPath] = st.builds(
    lambda head, rest: (head, *rest), heads, st.lists(steps, max_size=4)
)
path_operands = paths.map(PathOperand)
plain_operands: st.SearchStrategy[Operand] = st.one_of(path_operands, value_refs)
operands: st.SearchStrategy[Operand] = st.one_of(plain_operands, paths.map(Size))

leaf_conditions: st.SearchStrategy[ConditionNode] = st.one_of(
    st.builds(Comparison, st.sampled_from(["=", "<>", "<", "<=", ">", ">="]), operands, operands),
    st.builds(Between, operands, operands, operands),
    st.builds(In, operands, st.lists(operands, min_size=1, max_size=4).map(tuple)),
    st.builds(lambda p: Function("attribute_exists", (p,)), path_operands),
    st.builds(lambda p: Function("attribute_not_exists", (p,)), path_operands),
    st.builds(lambda p, v: Function("attribute_type", (p, v)), path_operands, value_refs),
    st.builds(lambda a, b: Function("begins_with", (a, b)), plain_operands, plain_operands),
    st.builds(lambda a, b: Function("contains", (a, b)), operands, operands),
)
conditions: st.SearchStrategy[ConditionNode] = st.recursive(
    leaf_conditions,
    lambda children: st.one_of(
        st.builds(And, children, children),
        st.builds(Or, children, children),
        st.builds(Not, children),
    ),
    max_leaves=8,
)

set_values: st.SearchStrategy[SetValue] = st.recursive(
    plain_operands,
    lambda inner: st.one_of(
        st.builds(IfNotExists, paths, inner),
        st.builds(ListAppend, inner, inner),
    ),
    max_leaves=4,
)
arithmetic = st.builds(Arithmetic, st.sampled_from(["+", "-"]), set_values, set_values)
updates = st.builds(
    UpdateTree,
    st.lists(st.builds(SetAction, paths, st.one_of(set_values, arithmetic)), max_size=3).map(tuple),
    st.lists(st.builds(RemoveAction, paths), max_size=3).map(tuple),
    st.lists(st.builds(AddAction, paths, value_refs), max_size=2).map(tuple),
    st.lists(st.builds(DeleteAction, paths, value_refs), max_size=2).map(tuple),
).filter(lambda tree: bool(tree.set or tree.remove or tree.add or tree.delete))
projections = st.lists(paths, min_size=1, max_size=5).map(lambda ps: ProjectionTree(tuple(ps)))


@SETTINGS
@given(conditions)
def test_condition_round_trip(tree: ConditionNode) -> None:
    text = render_condition(tree)
    assert parse_condition_text(text, "ConditionExpression") == tree


@SETTINGS
@given(updates)
def test_update_round_trip(tree: UpdateTree) -> None:
    assert parse_update_text(render_update(tree)) == tree


@SETTINGS
@given(projections)
def test_projection_round_trip(tree: ProjectionTree) -> None:
    assert parse_projection_text(render_projection(tree)) == tree


@SETTINGS
@given(conditions, st.randoms(use_true_random=False))
def test_keywords_are_case_insensitive(tree: ConditionNode, random: Any) -> None:
    text = render_condition(tree)
    words = [
        word.lower()
        if word in {"AND", "OR", "NOT", "BETWEEN", "IN"} and random.random() < 0.5
        else word
        for word in text.split(" ")
    ]
    assert parse_condition_text(" ".join(words), "ConditionExpression") == tree


# -- garbage never crashes -----------------------------------------------------------
_NAMES = {"#a": "a", "#b": "b", "#pk": "pk"}
_VALUES: dict[str, Any] = {
    ":v": "x",
    ":n": Decimal(1),
    ":s": {"x"},
    ":ns": {Decimal(2)},
    ":l": [Decimal(1)],
    ":m": {"k": "v"},
    ":t": "S",
    ":null": None,
    ":b": True,
}
_ITEM: dict[str, Any] = {
    "a": {"b": [Decimal(1), "x", {"c": None}]},
    "b": Decimal(5),
    "pk": "p",
    "x": {"y", "z"},
    "c": ["q"],
}
_TOKENS = [
    "a", "b", "c", "x", "pk", "sk", "#a", "#b", "#pk", "#zz", ":v", ":n", ":s", ":ns", ":l",
    ":m", ":t", ":null", ":b", ":zz", "status", "AND", "and", "OR", "NOT", "BETWEEN", "IN",
    "SET", "REMOVE", "ADD", "DELETE", "size", "contains", "begins_with", "attribute_exists",
    "attribute_not_exists", "attribute_type", "if_not_exists", "list_append", "foo",
    "(", ")", "[", "]", ",", ".", "=", "<>", "<", "<=", ">", ">=", "+", "-", "0", "1",
    "99999999999999999999", "#", ":", "!", "é", "\t", "\n", "'", '"', "$", "((", "))",
]  # fmt: skip


def _exercise(text: str) -> None:
    """Run every entry point on ``text``; anything but ValidationError fails the test."""
    attempts = [
        lambda: parse_condition(text, Placeholders(_NAMES, _VALUES)).evaluate(_ITEM),
        lambda: parse_condition(text, Placeholders(_NAMES, _VALUES), label="FilterExpression"),
        lambda: parse_update(text, Placeholders(_NAMES, _VALUES)).apply(_ITEM),
        lambda: parse_projection(text, Placeholders(_NAMES, _VALUES)).apply(_ITEM),
        lambda: parse_key_condition(text, Placeholders(_NAMES, _VALUES), "pk", "a"),
    ]
    for attempt in attempts:
        with contextlib.suppress(ValidationError):
            attempt()


@SETTINGS
@given(st.text(max_size=200))
def test_arbitrary_text_raises_only_validation_errors(text: str) -> None:
    _exercise(text)


@SETTINGS
@given(st.lists(st.sampled_from(_TOKENS), max_size=30), st.sampled_from([" ", "", "  "]))
def test_token_soup_raises_only_validation_errors(tokens: list[str], separator: str) -> None:
    _exercise(separator.join(tokens))


_SAMPLE_VALUES = list(_VALUES.values())
bound_names = st.fixed_dictionaries(
    {
        key: st.sampled_from(["a", "b", "c", "pk", "x"])
        for key in ["#a", "#B", "#x_1", "#9", "#name"]
    }
)
bound_values = st.fixed_dictionaries(
    {key: st.sampled_from(_SAMPLE_VALUES) for key in [":v", ":V2", ":_x", ":0", ":value"]}
)


@SETTINGS
@given(conditions, bound_names, bound_values)
def test_bound_conditions_evaluate_or_refuse(
    tree: ConditionNode, names: dict[str, str], values: dict[str, Any]
) -> None:
    try:
        condition = parse_condition(render_condition(tree), Placeholders(names, values))
    except ValidationError:
        return  # e.g. begins_with(a, :n) with a number, or a = a
    assert condition.evaluate(_ITEM) in (True, False)
    assert condition.evaluate({}) in (True, False)


@SETTINGS
@given(updates, bound_names, bound_values)
def test_bound_updates_apply_or_refuse(
    tree: UpdateTree, names: dict[str, str], values: dict[str, Any]
) -> None:
    snapshot = copy.deepcopy(_ITEM)
    with contextlib.suppress(ValidationError):
        parse_update(render_update(tree), Placeholders(names, values)).apply(_ITEM)
    assert snapshot == _ITEM
