"""ExpressionAttributeNames and ExpressionAttributeValues: 2 MB together, at most."""

from __future__ import annotations

from decimal import Decimal

import pytest

from storage.errors import ValidationError
from storage.expressions import Placeholders
from storage.expressions.limits import MAX_SUBSTITUTIONS_BYTES

HALF = MAX_SUBSTITUTIONS_BYTES // 2


def test_values_and_names_count_together() -> None:
    Placeholders({"#a": "a" * (HALF - 100)}, {":v": "v" * (HALF - 100)})
    with pytest.raises(ValidationError, match="maximum allowed size"):
        Placeholders({"#a": "a" * HALF}, {":v": "v" * HALF})


def test_names_alone_count_too() -> None:
    with pytest.raises(ValidationError, match="maximum allowed size"):
        Placeholders({f"#n{i}": "n" * 1024 for i in range(2100)})


def test_values_are_sized_as_attributes_whatever_their_form() -> None:
    nested = {":m": {"list": ["x" * 1024] * 1100, "n": Decimal(1)}}
    Placeholders(None, nested)
    with pytest.raises(ValidationError, match="maximum allowed size"):
        Placeholders(None, {**nested, ":b": b"\0" * HALF})
    Placeholders(None, {":i": 7, ":s": frozenset()})  # built by code, not normalised yet
