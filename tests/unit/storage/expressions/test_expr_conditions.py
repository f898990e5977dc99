"""Condition and filter expressions: evaluation semantics and every parse/bind error."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest

from storage.errors import ValidationError
from storage.expressions import Placeholders, parse_condition
from storage.values import Item

ITEM: Item = {
    "id": "item-1",
    "n": Decimal(5),
    "price": Decimal("10.50"),
    "name": "widget",
    "bin": b"\x00\xffabc",
    "flag": True,
    "nothing": None,
    "tags": {"red", "blue"},
    "nums": {Decimal(1), Decimal(2)},
    "bins": {b"a", b"b"},
    "list": ["x", Decimal(1), {"k": "v"}, [Decimal(1)]],
    "map": {"child": {"deep": Decimal(7)}, "s": "text"},
    "status": "open",
    "unicode": "é𝄞",
}

VALUES: dict[str, Any] = {
    ":five": Decimal(5),
    ":five_point_o": Decimal("5.0"),
    ":one": Decimal(1),
    ":ten": Decimal(10),
    ":three": Decimal(3),
    ":two": Decimal(2),
    ":six": Decimal(6),
    ":seven": Decimal(7),
    ":four": Decimal(4),
    ":widget": "widget",
    ":wid": "wid",
    ":dget": "dget",
    ":red": "red",
    ":x": "x",
    ":true": True,
    ":null": None,
    ":bytes_ab": b"\x00\xff",
    ":abc": b"abc",
    ":list": ["x", Decimal(1), {"k": "v"}, [Decimal(1)]],
    ":map_k": {"k": "v"},
    ":set": {"blue", "red"},
    ":S": "S",
    ":N": "N",
    ":SS": "SS",
    ":L": "L",
    ":M": "M",
    ":BOOL": "BOOL",
    ":NULL": "NULL",
    ":B": "B",
    ":open": "open",
}


def evaluate(text: str, item: Item = ITEM, names: dict[str, str] | None = None) -> bool:
    used = {key: value for key, value in VALUES.items() if key in text}
    return parse_condition(text, Placeholders(names, used)).evaluate(item)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # comparisons on numbers: by value, not by representation
        ("n = :five", True),
        ("n = :five_point_o", True),
        ("n <> :five", False),
        ("n < :ten", True),
        ("n <= :five", True),
        ("n > :five", False),
        ("n >= :five", True),
        ("price > :ten", True),
        # strings and bytes
        ("#n = :widget", True),
        ("#n > :wid", True),
        ("#n < :wid", False),
        ("bin > :bytes_ab", True),
        # different types: never equal, never ordered, never an error
        ("n = :widget", False),
        ("n <> :widget", True),
        ("n < :widget", False),
        ("flag = :one", False),
        ("flag = :true", True),
        ("nothing = :null", True),
        ("tags < :set", False),
        # deep equality
        ("#l = :list", True),
        ("tags = :set", True),
        ("#l[2] = :map_k", True),
        # absent attributes: comparisons false, but <> is true
        ("absent = :five", False),
        ("absent < :five", False),
        ("absent <> :five", True),
        ("absent.deep = :five", False),
        ("#l[10] = :x", False),
        # nested paths
        ("#m.child.deep = :seven", True),
        ("#l[0] = :x", True),
        ("#l[3][0] = :one", True),
        ("#m.s = :x", False),
        # BETWEEN and IN
        ("n BETWEEN :one AND :ten", True),
        ("n BETWEEN :five AND :five", True),
        ("n BETWEEN :one AND :two", False),
        ("n BETWEEN :one AND #n", False),
        ("absent BETWEEN :one AND :ten", False),
        ("n IN (:one, :five)", True),
        ("n IN (:one, :two)", False),
        ("absent IN (:one)", False),
        ("#n IN (:wid, :widget)", True),
        # logic and precedence: NOT > AND > OR
        ("n = :five AND #n = :widget", True),
        ("n = :one OR #n = :widget", True),
        ("NOT n = :one", True),
        ("not n = :five", False),
        ("n = :one AND n = :one OR n = :five", True),
        ("n = :one AND (n = :one OR n = :five)", False),
        ("NOT n = :one AND n = :one", False),
        ("NOT (n = :one AND n = :one)", True),
        ("NOT NOT n = :five", True),
        ("n = :five and #n = :widget or n = :one", True),
        ("(n) = :five", True),
        # functions
        ("attribute_exists(n)", True),
        ("attribute_exists(absent)", False),
        ("attribute_exists(nothing)", True),
        ("attribute_not_exists(absent)", True),
        ("attribute_not_exists(#m.child.deep)", False),
        ("attribute_type(n, :N)", True),
        ("attribute_type(n, :S)", False),
        ("attribute_type(tags, :SS)", True),
        ("attribute_type(#l, :L)", True),
        ("attribute_type(#m, :M)", True),
        ("attribute_type(flag, :BOOL)", True),
        ("attribute_type(nothing, :NULL)", True),
        ("attribute_type(bin, :B)", True),
        ("attribute_type(absent, :S)", False),
        ("begins_with(#n, :wid)", True),
        ("begins_with(#n, :dget)", False),
        ("begins_with(bin, :bytes_ab)", True),
        ("begins_with(n, :wid)", False),
        ("begins_with(absent, :wid)", False),
        ("contains(#n, :dget)", True),
        ("contains(#n, :x)", False),
        ("contains(bin, :abc)", True),
        ("contains(tags, :red)", True),
        ("contains(tags, :x)", False),
        ("contains(nums, :one)", True),
        ("contains(nums, :true)", False),
        ("contains(#l, :x)", True),
        ("contains(#l, :map_k)", True),
        ("contains(#l, :true)", False),
        ("contains(n, :five)", False),
        ("contains(#m.s, :x)", True),
        # size()
        ("size(#n) = :six", True),
        ("size(#n) > :five", True),
        ("size(bin) = :five", True),
        ("size(tags) = :two", True),
        ("size(#l) = :four", True),
        ("size(#m) = :two", True),
        ("size(unicode) = :three", True),
        ("size(n) = :one", False),
        ("size(absent) = :one", False),
        ("size(absent) <> :one", True),
        ("size(#l) BETWEEN :one AND :ten", True),
    ],
)
def test_evaluation(text: str, expected: bool) -> None:
    names = {
        key: value
        for key, value in {"#n": "name", "#l": "list", "#m": "map"}.items()
        if key in text
    }
    assert evaluate(text, names=names) is expected


def test_keywords_and_spacing_are_flexible() -> None:
    assert evaluate("n\tbetween :one\nand :ten") is True
    assert evaluate("n in(:one,:five)") is True
    assert evaluate("NoT n=:one") is True


def test_condition_on_empty_item() -> None:
    assert evaluate("attribute_not_exists(id)", item={}) is True
    assert evaluate("id <> :x", item={}) is True


@pytest.mark.parametrize(
    ("text", "names", "values", "message"),
    [
        ("", None, None, "Invalid ConditionExpression: The expression can not be empty;"),
        ("   ", None, None, "The expression can not be empty;"),
        ("a = ", None, None, 'Syntax error; token: "<EOF>"'),
        ("a = = :v", None, {":v": "x"}, 'Syntax error; token: "=", near: "= = :v"'),
        ("a ! :v", None, {":v": "x"}, 'Syntax error; token: "!"'),
        ("a = :v :v", None, {":v": "x"}, 'Syntax error; token: ":v"'),
        ("a = #", None, None, 'Syntax error; token: "#"'),
        ("a.1 = :v", None, {":v": "x"}, "Syntax error"),
        ("a[x] = :v", None, {":v": "x"}, "Syntax error"),
        ("a IN :v", None, {":v": "x"}, "Syntax error"),
        ("a BETWEEN :v", None, {":v": "x"}, "Syntax error"),
        ("AND = :v", None, {":v": "x"}, 'Syntax error; token: "AND"'),
        ("(a = :v", None, {":v": "x"}, "Syntax error"),
        ("a = :v)", None, {":v": "x"}, "Syntax error"),
        (
            "status = :v",
            None,
            {":v": "x"},
            "Attribute name is a reserved keyword; reserved keyword: status",
        ),
        ("a.Size = :v", None, {":v": "x"}, "reserved keyword: Size"),
        (
            "#s = :v",
            None,
            {":v": "x"},
            "An expression attribute name used in the document path is not defined; attribute name: #s",
        ),
        (
            "a = :nope",
            None,
            {":v": "x"},
            "An expression attribute value used in expression is not defined; attribute value: :nope",
        ),
        ("((a = :v))", None, {":v": "x"}, "The expression has redundant parentheses;"),
        (
            "size(a)",
            None,
            None,
            "The function is not allowed to be used this way in an expression; function: size",
        ),
        (
            "attribute_exists(a) = :v",
            None,
            {":v": "x"},
            "function is not allowed to be used this way in an expression; function: attribute_exists",
        ),
        ("SIZE(a) = :v", None, {":v": "x"}, "Invalid function name; function: SIZE"),
        ("foo(a)", None, None, "Invalid function name; function: foo"),
        (
            "attribute_exists(a, b)",
            None,
            None,
            "Incorrect number of operands for operator or function; operator or function: attribute_exists, number of operands: 2",
        ),
        (
            "attribute_exists(:v)",
            None,
            {":v": "x"},
            "Operator or function requires a document path; operator or function: attribute_exists",
        ),
        (
            "attribute_type(a, :v)",
            None,
            {":v": "X"},
            "Invalid attribute type name found; type: X, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}",
        ),
        (
            "attribute_type(a, :v)",
            None,
            {":v": Decimal(1)},
            "Incorrect operand type for operator or function; operator or function: attribute_type, operand type: N",
        ),
        (
            "begins_with(a, :v)",
            None,
            {":v": Decimal(1)},
            "Incorrect operand type for operator or function; operator or function: begins_with, operand type: N",
        ),
        (
            "a = a",
            None,
            None,
            "The first operand must be distinct from the remaining operands for this operator or function; operator: =, first operand: [a]",
        ),
        ("#x.b < a.#y", {"#x": "a", "#y": "b"}, None, "first operand: [a, b]"),
        (
            "a BETWEEN :hi AND :lo",
            None,
            {":hi": Decimal(5), ":lo": Decimal(1)},
            "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {N:5}, upper bound operand: AttributeValue: {N:1}",
        ),
        (
            "a BETWEEN :lo AND :hi",
            None,
            {":hi": "x", ":lo": Decimal(1)},
            "The BETWEEN operator requires same data type for lower and upper bounds",
        ),
        ("a = :v", None, {":v": "x", ":extra": "y"}, None),
    ],
)
def test_condition_errors(
    text: str, names: dict[str, str] | None, values: dict[str, Any] | None, message: str | None
) -> None:
    placeholders = Placeholders(names, values)
    if message is None:
        # parses fine, but the request defines a value nobody used
        parse_condition(text, placeholders)
        with pytest.raises(
            ValidationError, match=re.escape("unused in expressions: keys: {:extra}")
        ):
            placeholders.check_all_used()
        return
    with pytest.raises(ValidationError) as caught:
        parse_condition(text, placeholders)
    assert message in caught.value.message
    assert caught.value.message.startswith("Invalid ConditionExpression: ")


def test_filter_label_names_the_parameter() -> None:
    with pytest.raises(ValidationError, match=r"^Invalid FilterExpression: Syntax error"):
        parse_condition("a = ", Placeholders(), label="FilterExpression")


def test_limits() -> None:
    values = {f":v{i}": Decimal(i) for i in range(101)}
    in_list = ", ".join(values)
    with pytest.raises(
        ValidationError,
        match="The IN operator is provided with too many operands; number of operands: 101",
    ):
        parse_condition(f"a IN ({in_list})", Placeholders(values=values))
    ok = ", ".join(list(values)[:100])
    parse_condition(f"a IN ({ok})", Placeholders(values=values))

    deep = "a" + ".b" * 32
    with pytest.raises(
        ValidationError, match="The document path has too many nesting levels; nesting levels: 33"
    ):
        parse_condition(f"attribute_exists({deep})", Placeholders())
    parse_condition(f"attribute_exists({'a' + '.b' * 31})", Placeholders())

    long_name = "a" * 4096
    with pytest.raises(
        ValidationError,
        match=r"Expression size has exceeded the maximum allowed size; expression size: 4118",
    ):
        parse_condition(f"attribute_not_exists({long_name})", Placeholders())
    # the limit counts UTF-8 bytes, not characters; the text itself is never echoed
    with pytest.raises(ValidationError) as caught:
        parse_condition("a = :v AND b = :v" + " " * 2000 + "é" * 1100, Placeholders())
    assert "é" not in caught.value.message

    many = " OR ".join(["a=:v"] * 301)
    with pytest.raises(ValidationError, match="too many operators"):
        parse_condition(many, Placeholders(values={":v": "x"}))


def test_deep_parentheses_are_refused_cleanly() -> None:
    with pytest.raises(ValidationError):
        parse_condition("(" * 1000 + "a = :v" + ")" * 1000, Placeholders(values={":v": "x"}))
    # a long run of NOTs is fine (up to the operator limit) and costs no recursion
    assert parse_condition("NOT " * 200 + "a = :v", Placeholders(values={":v": "x"})).evaluate(
        {"a": "x"}
    )


def test_syntax_error_does_not_echo_long_expressions() -> None:
    text = "a = :v AND " + "b = :v AND " * 100 + "= c"
    with pytest.raises(ValidationError) as caught:
        parse_condition(text, Placeholders(values={":v": "x"}))
    assert len(caught.value.message) < 120


def test_parse_is_cached_but_binding_is_per_request() -> None:
    text = "#k = :v"
    first = parse_condition(text, Placeholders({"#k": "a"}, {":v": "x"}))
    second = parse_condition(text, Placeholders({"#k": "b"}, {":v": "y"}))
    assert first.evaluate({"a": "x"}) is True
    assert second.evaluate({"a": "x"}) is False
    assert second.evaluate({"b": "y"}) is True


def test_placeholder_used_twice_and_across_expressions() -> None:
    placeholders = Placeholders({"#a": "a"}, {":v": "x"})
    parse_condition("#a = :v OR #a > :v", placeholders)
    placeholders.check_all_used()


@pytest.mark.parametrize(
    ("names", "values", "message"),
    [
        ({"a": "x"}, None, 'ExpressionAttributeNames contains invalid key: Syntax error; key: "a"'),
        ({"#": "x"}, None, "ExpressionAttributeNames contains invalid key"),
        ({"#a": ""}, None, "Empty attribute name"),
        (
            None,
            {"v": "x"},
            'ExpressionAttributeValues contains invalid key: Syntax error; key: "v"',
        ),
        (None, {":a-b": "x"}, "ExpressionAttributeValues contains invalid key"),
    ],
)
def test_invalid_placeholder_keys(
    names: dict[str, str] | None, values: dict[str, Any] | None, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        Placeholders(names, values)


def test_unused_names_are_reported_sorted() -> None:
    placeholders = Placeholders({"#b": "b", "#a": "a", "#c": "c"})
    parse_condition("attribute_exists(#c)", placeholders)
    with pytest.raises(ValidationError) as caught:
        placeholders.check_all_used()
    assert caught.value.message == (
        "Value provided in ExpressionAttributeNames unused in expressions: keys: {#a, #b}"
    )
