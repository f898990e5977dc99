"""Order-preserving byte encodings of key values, and partition-key hashing.

A backend stores key values as byte strings and lets its engine compare them
byte-wise (SQLite compares BLOBs with ``memcmp``). The encodings below make that
comparison equal DynamoDB's key order. (MongoDB sorts BinData by length first, so a
MongoDB backend would store these bytes as hex or latin-1 strings, whose order under
the simple collation is the same byte order.)

- ``S``: the UTF-8 bytes (DynamoDB orders strings by their UTF-8 bytes);
- ``B``: the bytes themselves (unsigned byte order);
- ``N``: numeric order, by the scheme below.

Within one table a key attribute has one declared type, so no type tag is needed.

Number scheme: a sign byte (1 negative, 2 zero, 3 positive); then for a positive
number the decimal exponent offset into one byte (the range 1E-130..1E+126 fits) and
the significant digits packed two per byte (``00``..``99``); a negative number stores
the complements of both (so larger magnitudes sort first) plus a trailing ``0xFF`` so
that a shorter digit string sorts after its extensions (-1.2 > -1.23).
"""

from __future__ import annotations

import hashlib
from decimal import Decimal

from storage.errors import ValidationError
from storage.values import Value, normalize_number, significant_digits

__all__ = [
    "HASH_SPACE",
    "decode_key_value",
    "encode_key_value",
    "partition_hash",
    "prefix_successor",
]

# Partition hashes are unsigned 32-bit integers; scan segments split this space evenly.
HASH_SPACE = 1 << 32
_EXPONENT_OFFSET = 130
_NEGATIVE, _ZERO, _POSITIVE = 1, 2, 3
_ZERO_BYTES = bytes([_ZERO])
# Translation tables from a BCD byte (two decimal digits read as hex: 0x42) to the pair's
# value (42), and to its complement (99 - 42) for negative numbers, which sort reversed.
_BCD_PAIRS = bytes(
    10 * (byte >> 4) + (byte & 15) if (byte >> 4) < 10 and (byte & 15) < 10 else 0
    for byte in range(256)
)
_BCD_PAIRS_NEGATED = bytes(99 - pair for pair in _BCD_PAIRS)


def encode_key_value(value: Value, key_type: str) -> bytes:
    """Encode a key value of DynamoDB type ``key_type`` (S, N or B) order-preservingly."""
    if key_type == "S" and isinstance(value, str):
        return value.encode()
    if key_type == "B" and isinstance(value, bytes):
        return value
    if key_type == "N" and isinstance(value, Decimal):
        return _encode_number(value)
    raise ValidationError(f"Key value must be of type {key_type}")


def decode_key_value(data: bytes, key_type: str) -> Value:
    """The inverse of :func:`encode_key_value`."""
    if key_type == "S":
        return data.decode()
    if key_type == "B":
        return data
    return _decode_number(data)


def _encode_number(number: Decimal) -> bytes:
    number = normalize_number(number)
    if number.is_zero():
        return _ZERO_BYTES
    # The significant digits in pairs: each pair of decimal digits read as hex is a BCD
    # byte, translated to 0..99.
    digits = significant_digits(number)
    if len(digits) % 2:
        digits += "0"
    biased = number.adjusted() + _EXPONENT_OFFSET
    packed = bytes.fromhex(digits)
    if not number.is_signed():
        return bytes((_POSITIVE, biased)) + packed.translate(_BCD_PAIRS)
    return bytes((_NEGATIVE, 255 - biased)) + packed.translate(_BCD_PAIRS_NEGATED) + b"\xff"


def _decode_number(data: bytes) -> Decimal:
    if data[0] == _ZERO:
        return Decimal(0)
    negative = data[0] == _NEGATIVE
    if negative:
        biased, pairs = 255 - data[1], bytes(99 - p for p in data[2:-1])
    else:
        biased, pairs = data[1], data[2:]
    digits: list[int] = []
    for pair in pairs:
        digits.extend(divmod(pair, 10))
    adjusted = biased - _EXPONENT_OFFSET
    exponent = adjusted - len(digits) + 1
    return normalize_number(Decimal((int(negative), tuple(digits), exponent)))


def partition_hash(encoded_partition_key: bytes) -> int:
    """A stable 32-bit hash of an encoded partition key; scans run in this order."""
    return int.from_bytes(hashlib.blake2b(encoded_partition_key, digest_size=4).digest(), "big")


def prefix_successor(prefix: bytes) -> bytes | None:
    """The smallest byte string greater than every string starting with ``prefix``.

    None when there is none (the prefix is empty or all ``0xFF``).
    """
    stripped = prefix.rstrip(b"\xff")
    if not stripped:
        return None
    return stripped[:-1] + bytes([stripped[-1] + 1])
