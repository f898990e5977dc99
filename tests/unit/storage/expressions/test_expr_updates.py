"""Update expressions: SET, REMOVE, ADD, DELETE semantics and every error."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest

from storage.errors import ValidationError
from storage.expressions import Placeholders, parse_update
from storage.values import Item

D = Decimal
GONE = object()  # marks an attribute the update removes


def base_item() -> Item:
    return {
        "id": "k",
        "n": D(5),
        "s": "text",
        "l": [D(0), D(1), D(2), D(3)],
        "m": {"a": {"b": D(1)}, "x": "y"},
        "ss": {"a", "b"},
        "ns": {D(1), D(2)},
        "flag": True,
    }


def apply(text: str, item: Item | None = None, **values: Any) -> Item:
    item = base_item() if item is None else item
    before = copy.deepcopy(item)
    placeholders = Placeholders(values={f":{key}": value for key, value in values.items()})
    result = parse_update(text, placeholders).apply(item)
    placeholders.check_all_used()
    assert item == before, "apply() must never change its input"
    return result


@pytest.mark.parametrize(
    ("text", "values", "changes"),
    [
        ("SET n = :v", {"v": D(9)}, {"n": D(9)}),
        ("SET fresh = :v", {"v": "x"}, {"fresh": "x"}),
        ("SET m.a.c = :v", {"v": D(2)}, {"m": {"a": {"b": D(1), "c": D(2)}, "x": "y"}}),
        ("SET m.x = :v", {"v": None}, {"m": {"a": {"b": D(1)}, "x": None}}),
        ("SET l[1] = :v", {"v": "one"}, {"l": [D(0), "one", D(2), D(3)]}),
        ("SET l[99] = :v", {"v": "end"}, {"l": [D(0), D(1), D(2), D(3), "end"]}),
        ("SET n = n + :v", {"v": D(2)}, {"n": D(7)}),
        ("SET n = n - :v", {"v": D("0.5")}, {"n": D("4.5")}),
        ("SET n = :a + :b", {"a": D(1), "b": D(2)}, {"n": D(3)}),
        ("SET n = (n + :v)", {"v": D(1)}, {"n": D(6)}),
        ("SET c = if_not_exists(c, :zero) + :one", {"zero": D(0), "one": D(1)}, {"c": D(1)}),
        ("SET n = if_not_exists(n, :zero) + :one", {"zero": D(0), "one": D(1)}, {"n": D(6)}),
        ("SET l = list_append(l, :v)", {"v": [D(4)]}, {"l": [D(0), D(1), D(2), D(3), D(4)]}),
        ("SET l = list_append(:v, l)", {"v": ["first"]}, {"l": ["first", D(0), D(1), D(2), D(3)]}),
        ("SET q = list_append(if_not_exists(q, :e), :v)", {"e": [], "v": ["a"]}, {"q": ["a"]}),
        ("SET a = s, s = n", {}, {"a": "text", "s": D(5)}),
        ("SET n = s, s = n", {}, {"n": "text", "s": D(5)}),
        ("set n = :v", {"v": D(1)}, {"n": D(1)}),
        # REMOVE
        ("REMOVE n", {}, {"n": GONE}),
        ("REMOVE nope", {}, {}),
        ("REMOVE m.a.b", {}, {"m": {"a": {}, "x": "y"}}),
        ("REMOVE l[1]", {}, {"l": [D(0), D(2), D(3)]}),
        ("REMOVE l[1], l[2]", {}, {"l": [D(0), D(3)]}),
        ("REMOVE l[2], l[0]", {}, {"l": [D(1), D(3)]}),
        ("REMOVE l[9]", {}, {}),
        ("REMOVE n, s", {}, {"n": GONE, "s": GONE}),
        # ADD
        ("ADD n :v", {"v": D(3)}, {"n": D(8)}),
        ("ADD n :v", {"v": D(-5)}, {"n": D(0)}),
        ("ADD hits :v", {"v": D(1)}, {"hits": D(1)}),
        ("ADD ss :v", {"v": {"c"}}, {"ss": {"a", "b", "c"}}),
        ("ADD ns :v", {"v": {D(2), D(3)}}, {"ns": {D(1), D(2), D(3)}}),
        ("ADD newset :v", {"v": {"z"}}, {"newset": {"z"}}),
        ("ADD m.a.b :v", {"v": D(1)}, {"m": {"a": {"b": D(2)}, "x": "y"}}),
        # DELETE
        ("DELETE ss :v", {"v": {"a"}}, {"ss": {"b"}}),
        ("DELETE ss :v", {"v": {"a", "b"}}, {"ss": GONE}),
        ("DELETE ss :v", {"v": {"zzz"}}, {"ss": {"a", "b"}}),
        ("DELETE nothing :v", {"v": {"a"}}, {}),
        # several clauses, any order
        (
            "REMOVE s SET n = :v ADD ns :w",
            {"v": D(0), "w": {D(9)}},
            {"s": GONE, "n": D(0), "ns": {D(1), D(2), D(9)}},
        ),
        ("SET l[0] = :v REMOVE l[3]", {"v": "zero"}, {"l": ["zero", D(1), D(2)]}),
    ],
)
def test_update_semantics(text: str, values: dict[str, Any], changes: dict[str, Any]) -> None:
    expected = base_item()
    for key, value in changes.items():
        if value is GONE:
            del expected[key]
        else:
            expected[key] = value
    assert apply(text, **values) == expected


def test_update_does_not_share_changed_containers() -> None:
    item = base_item()
    result = apply("SET m.a.c = :v", item, v=D(1))
    assert result["m"] is not item["m"]
    assert "c" not in item["m"]["a"]  # type: ignore[index, operator]
    # untouched attributes may be shared: they are never changed in place
    assert result["ss"] is item["ss"]


def test_paths_lists_every_written_path() -> None:
    update = parse_update(
        "SET a = :v, #b.c[1] = :v REMOVE d ADD e :n DELETE f :s",
        Placeholders({"#b": "b"}, {":v": "x", ":n": D(1), ":s": {"x"}}),
    )
    assert update.paths == (("a",), ("b", "c", 1), ("d",), ("e",), ("f",))


@pytest.mark.parametrize(
    ("text", "values", "message"),
    [
        # runtime errors, raised by apply()
        (
            "SET x.y = :v",
            {"v": D(1)},
            "The document path provided in the update expression is invalid for update",
        ),
        (
            "SET s.y = :v",
            {"v": D(1)},
            "The document path provided in the update expression is invalid for update",
        ),
        (
            "SET m[0] = :v",
            {"v": D(1)},
            "The document path provided in the update expression is invalid for update",
        ),
        (
            "SET l.a = :v",
            {"v": D(1)},
            "The document path provided in the update expression is invalid for update",
        ),
        (
            "SET l[9].a = :v",
            {"v": D(1)},
            "The document path provided in the update expression is invalid for update",
        ),
        (
            "REMOVE x.y",
            {},
            "The document path provided in the update expression is invalid for update",
        ),
        (
            "SET n = s + :v",
            {"v": D(1)},
            "An operand in the update expression has an incorrect data type",
        ),
        (
            "SET n = flag - :v",
            {"v": D(1)},
            "An operand in the update expression has an incorrect data type",
        ),
        (
            "SET l = list_append(l, s)",
            {},
            "An operand in the update expression has an incorrect data type",
        ),
        (
            "SET n = nope + :v",
            {"v": D(1)},
            "The provided expression refers to an attribute that does not exist in the item",
        ),
        (
            "SET n = nope",
            {},
            "The provided expression refers to an attribute that does not exist in the item",
        ),
        ("ADD s :v", {"v": D(1)}, "An operand in the update expression has an incorrect data type"),
        (
            "ADD ss :v",
            {"v": {D(1)}},
            "An operand in the update expression has an incorrect data type",
        ),
        (
            "ADD n :v",
            {"v": {"a"}},
            "An operand in the update expression has an incorrect data type",
        ),
        (
            "DELETE ss :v",
            {"v": {D(1)}},
            "An operand in the update expression has an incorrect data type",
        ),
        (
            "DELETE n :v",
            {"v": {D(1)}},
            "An operand in the update expression has an incorrect data type",
        ),
        (
            "SET n = :a + :b",
            {"a": D("9e125"), "b": D("9e125")},
            "Number overflow. Attempting to store a number with magnitude larger than supported range",
        ),
        (
            "SET n = n - :v",
            {"v": D("1e-100")},
            "Attempting to store more than 38 significant digits in a Number",
        ),
        (
            "ADD n :v",
            {"v": D("1e-100")},
            "Attempting to store more than 38 significant digits in a Number",
        ),
        # parse and bind errors
        ("", {}, "Invalid UpdateExpression: The expression can not be empty;"),
        ("SET", {}, 'Invalid UpdateExpression: Syntax error; token: "<EOF>"'),
        ("SET a = :v,", {"v": D(1)}, "Syntax error"),
        ("SET a :v", {"v": D(1)}, 'Syntax error; token: ":v"'),
        ("UPSERT a = :v", {"v": D(1)}, 'Syntax error; token: "UPSERT"'),
        (
            "SET a = :v SET b = :v",
            {"v": D(1)},
            'Invalid UpdateExpression: The "SET" section can only be used once in an update expression;',
        ),
        ("REMOVE a remove b", {}, 'The "REMOVE" section can only be used once'),
        ("ADD a b", {}, 'Syntax error; token: "b"'),
        ("SET a = a + :v + :v", {"v": D(1)}, 'Syntax error; token: "+"'),
        (
            "SET a = :v, a = :v",
            {"v": D(1)},
            "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a]",
        ),
        (
            "SET a = :v REMOVE a.b",
            {"v": D(1)},
            "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a, b]",
        ),
        ("SET a.b = :v REMOVE a", {"v": D(1)}, "path one: [a, b], path two: [a]"),
        (
            "SET a.b = :v REMOVE a[0]",
            {"v": D(1)},
            "Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, b], path two: [a, [0]]",
        ),
        ("SET a = :v ADD #a :n", {"v": D(1), "n": D(1)}, "Two document paths overlap"),
        (
            "ADD a :v",
            {"v": "x"},
            "Incorrect operand type for operator or function; operator: ADD, operand type: STRING",
        ),
        (
            "ADD a :v",
            {"v": [D(1)]},
            "Incorrect operand type for operator or function; operator: ADD, operand type: LIST",
        ),
        (
            "DELETE a :v",
            {"v": D(1)},
            "Incorrect operand type for operator or function; operator: DELETE, operand type: NUMBER",
        ),
        (
            "SET a = :v + :w",
            {"v": "x", "w": D(1)},
            "Incorrect operand type for operator or function; operator or function: +, operand type: S",
        ),
        (
            "SET a = list_append(:v, :w)",
            {"v": [], "w": "x"},
            "Incorrect operand type for operator or function; operator or function: list_append, operand type: S",
        ),
        ("SET a = size(b)", {}, "Invalid function name; function: size"),
        (
            "SET a = if_not_exists(:v, :v)",
            {"v": D(1)},
            "Operator or function requires a document path; operator or function: if_not_exists",
        ),
        (
            "SET a = list_append(:v)",
            {"v": []},
            "Incorrect number of operands for operator or function; operator or function: list_append, number of operands: 1",
        ),
        (
            "SET #x = :v",
            {"v": D(1)},
            "An expression attribute name used in the document path is not defined; attribute name: #x",
        ),
        (
            "SET a = :x",
            {"v": D(1)},
            "An expression attribute value used in expression is not defined; attribute value: :x",
        ),
        (
            "SET name = :v",
            {"v": D(1)},
            "Attribute name is a reserved keyword; reserved keyword: name",
        ),
        ("SET set = :v", {"v": D(1)}, 'Syntax error; token: "set"'),
    ],
)
def test_update_errors(text: str, values: dict[str, Any], message: str) -> None:
    placeholders = Placeholders(
        {"#a": "a"} if "#a" in text else None,
        {f":{key}": value for key, value in values.items()},
    )
    with pytest.raises(ValidationError) as caught:
        parse_update(text, placeholders).apply(base_item())
    assert message in caught.value.message


def test_remove_is_allowed_as_attribute_name_in_conditions_only() -> None:
    from storage.expressions import parse_condition

    assert parse_condition("remove = :v", Placeholders(values={":v": "x"})).evaluate(
        {"remove": "x"}
    )
