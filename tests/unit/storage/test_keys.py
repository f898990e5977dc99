"""The order-preserving key encodings: byte order must equal DynamoDB's key order."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storage.keys import (
    HASH_SPACE,
    decode_key_value,
    encode_key_value,
    partition_hash,
    prefix_successor,
)
from storage.values import normalize_number

from .strategies import numbers


@given(numbers, numbers)
def test_number_encoding_sorts_numerically(a: Decimal, b: Decimal) -> None:
    a, b = normalize_number(a), normalize_number(b)
    ea, eb = encode_key_value(a, "N"), encode_key_value(b, "N")
    assert (ea < eb) == (a < b)
    assert (ea == eb) == (a == b)


@given(numbers)
def test_number_encoding_round_trips(a: Decimal) -> None:
    a = normalize_number(a)
    assert decode_key_value(encode_key_value(a, "N"), "N") == a


@pytest.mark.parametrize(
    "ordered",
    [
        [
            "-1E+125",
            "-100",
            "-1.23",
            "-1.2",
            "-1",
            "-0.5",
            "0",
            "1E-130",
            "0.5",
            "1",
            "1.2",
            "1.23",
            "10",
            "9.9E+125",
        ],
    ],
)
def test_number_encoding_on_edge_values(ordered: list[str]) -> None:
    encoded = [encode_key_value(normalize_number(Decimal(text)), "N") for text in ordered]
    assert encoded == sorted(encoded)


@given(st.text(min_size=1), st.text(min_size=1))
def test_strings_sort_by_utf8_bytes(a: str, b: str) -> None:
    assert (encode_key_value(a, "S") < encode_key_value(b, "S")) == (a.encode() < b.encode())


@given(st.binary(min_size=1), st.binary(min_size=1))
def test_prefix_successor_bounds_every_extension(prefix: bytes, other: bytes) -> None:
    successor = prefix_successor(prefix)
    if successor is None:
        assert prefix.strip(b"\xff") == b""
    else:
        assert prefix + other < successor
        assert (other.startswith(prefix)) == (prefix <= other < successor)


def test_partition_hash_is_stable_and_in_range() -> None:
    assert partition_hash(b"user#1") == partition_hash(b"user#1")
    assert 0 <= partition_hash(b"x") < HASH_SPACE
