"""Item validation, size counting and the DynamoDB JSON wire format."""

from __future__ import annotations

from decimal import Context, Decimal

import pytest
from hypothesis import given

from storage.codec import decode_item, encode_item
from storage.errors import ValidationError
from storage.values import (
    Value,
    from_wire,
    item_size,
    normalize_number,
    to_wire,
    validate_item,
)

from .strategies import items, numbers


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (1.5, "Float types are not supported"),
        (Decimal("NaN"), "cannot be converted to a numeric value"),
        (Decimal("Infinity"), "cannot be converted to a numeric value"),
        (set(), "may not be empty"),
        ({"a", b"b"}, "Set elements"),
        (Decimal("1" * 39), "more than 38 significant digits"),
        (Decimal("1E+126"), "Number overflow"),
        (Decimal("1E-131"), "Number underflow"),
        (object(), "Unsupported type"),
    ],
)
def test_invalid_values_are_refused_with_dynamodb_messages(value: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        validate_item({"a": value})


def test_numbers_are_normalised_and_ints_accepted() -> None:
    item = validate_item({"i": 7, "d": Decimal("1.50"), "e": Decimal("1E+3"), "z": Decimal("-0.0")})
    assert item == {"i": Decimal(7), "d": Decimal("1.5"), "e": Decimal(1000), "z": Decimal(0)}
    assert str(item["e"]) == "1000"
    assert normalize_number(Decimal("9.9999999999999999999999999999999999999E+125"))
    assert normalize_number(Decimal("1E-130"))


_EXACT = Context(prec=200)  # room for 126-digit integers


@given(numbers)
def test_normalised_numbers_are_canonical(number: Decimal) -> None:
    # Reference: trailing zeros trimmed, then an integral value without exponent.
    reduced = number.normalize(_EXACT)
    exponent = reduced.as_tuple().exponent
    assert isinstance(exponent, int)
    expected = reduced.quantize(Decimal(1), context=_EXACT) if exponent > 0 else reduced
    normalised = normalize_number(number)
    assert normalised.as_tuple() == expected.as_tuple()
    assert normalize_number(normalised).as_tuple() == expected.as_tuple()  # idempotent


@given(numbers)
def test_number_sizes_count_significant_digits(number: Decimal) -> None:
    # Reference: one byte per two significant digits of the coefficient, plus one.
    digits = normalize_number(number).as_tuple().digits
    significant = len(bytes(digits).strip(b"\0")) or 1
    assert item_size({"": normalize_number(number)}) == (significant + 1) // 2 + 1


def test_38_significant_digits_are_kept_exactly() -> None:
    digits = "12345678901234567890123456789012345678"
    assert validate_item({"n": Decimal(digits)})["n"] == Decimal(digits)
    # Leading and trailing zeros do not count as significant.
    assert validate_item({"n": Decimal("0.000" + digits + "000")})


def test_empty_strings_and_binaries_are_allowed_outside_keys() -> None:
    assert validate_item({"s": "", "b": b"", "l": [], "m": {}}) == {
        "s": "",
        "b": b"",
        "l": [],
        "m": {},
    }


def test_nesting_deeper_than_32_levels_is_refused() -> None:
    value: Value = "leaf"
    for _ in range(31):
        value = [value]
    validate_item({"a": value})  # 32 levels including the attribute itself
    with pytest.raises(ValidationError, match="Nesting Levels"):
        validate_item({"a": [value]})


@pytest.mark.parametrize(
    ("item", "size"),
    [
        ({"ab": "xyz"}, 5),
        ({"n": Decimal(12345)}, 1 + 3 + 1),
        ({"n": Decimal("0.00120")}, 1 + 1 + 1),
        ({"n": Decimal("-1.5E-10")}, 1 + 1 + 1),
        ({"n": Decimal("1200")}, 1 + 1 + 1),
        ({"n": Decimal("-1234567")}, 1 + 4 + 1),
        ({"b": b"\x00\x01"}, 3),
        ({"t": True, "z": None}, 4),
        ({"l": []}, 1 + 3),
        ({"l": ["a", "b"]}, 1 + 3 + 2 * (1 + 1)),
        ({"m": {"k": "v"}}, 1 + 3 + 1 + 1 + 1),
        ({"ss": {"ab", "c"}}, 2 + 3),
        ({"ns": {Decimal(1), Decimal("12.5")}}, 2 + 2 + 3),
        ({"bs": {b"ab", b"c"}}, 2 + 3),
        ({"é": "é"}, 4),
    ],
)
def test_item_size_follows_the_dynamodb_rules(item: dict[str, Value], size: int) -> None:
    assert item_size(validate_item(item)) == size


def test_wire_format_of_every_type() -> None:
    item = validate_item(
        {
            "s": "x",
            "n": Decimal("1.5"),
            "b": b"\x00",
            "t": True,
            "z": None,
            "l": [1],
            "m": {"k": "v"},
            "ss": {"b", "a"},
            "ns": {2, 1},
            "bs": {b"\x01"},
        }
    )
    assert to_wire(item) == {
        "s": {"S": "x"},
        "n": {"N": "1.5"},
        "b": {"B": "AA=="},
        "t": {"BOOL": True},
        "z": {"NULL": True},
        "l": {"L": [{"N": "1"}]},
        "m": {"M": {"k": {"S": "v"}}},
        "ss": {"SS": ["a", "b"]},
        "ns": {"NS": ["1", "2"]},
        "bs": {"BS": ["AQ=="]},
    }


@pytest.mark.parametrize(
    ("wire", "message"),
    [
        ({"a": {}}, "Supplied AttributeValue is empty"),
        ({"a": {"S": "x", "N": "1"}}, "more than one datatypes"),
        ({"a": {"N": "abc"}}, "cannot be converted"),
        ({"a": {"SS": []}}, "may not be empty"),
        ({"a": {"SS": ["x", "x"]}}, "contains duplicates"),
        ({"a": {"NS": ["1", "1.0"]}}, "contains duplicates"),
        ({"a": {"NULL": False}}, "Null attribute value types must have the value of true"),
        ({"a": {"B": "***"}}, "base64"),
    ],
)
def test_malformed_wire_values_are_refused(wire: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        from_wire(wire)


@given(items())
def test_wire_round_trip(item: dict[str, Value]) -> None:
    valid = validate_item(item)
    assert from_wire(to_wire(valid)) == valid


@given(items())
def test_storage_codec_round_trip_is_lossless(item: dict[str, Value]) -> None:
    valid = validate_item(item)
    decoded = decode_item(encode_item(valid))
    assert decoded == valid
    assert to_wire(decoded) == to_wire(valid)  # same types, not only equal values


def test_codec_keeps_attribute_names_that_look_like_its_tags() -> None:
    item = validate_item({"\x00B": "x", "m": {"\x00SS": b"y"}})
    assert decode_item(encode_item(item)) == item


def test_codec_keeps_strings_starting_with_nul_beside_tagged_values() -> None:
    item = validate_item({"s": "\x00s", "ss": {"\x00a", "b"}, "b": b"\x01", "n": Decimal("1E-7")})
    assert decode_item(encode_item(item)) == item
    plain = validate_item({"s": "x", "n": Decimal("-0.5"), "l": [True, None, {"m": Decimal(7)}]})
    assert encode_item(plain) == b'J{"s":"x","n":-0.5,"l":[true,null,{"m":7}]}'
    assert decode_item(encode_item(plain)) == plain
