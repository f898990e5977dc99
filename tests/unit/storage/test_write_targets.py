"""What a prepared write hands the backend: reused only while it still holds."""

from __future__ import annotations

from decimal import Decimal

import pytest

from storage.backend import WriteTarget
from storage.errors import ValidationError
from storage.operations import prepare_put
from storage.tables import KeyAttribute, TableSpec
from storage.values import item_size, validate_item

_SPEC = TableSpec("t", KeyAttribute("pk", "S"), KeyAttribute("sk", "N"))


def _put_target() -> WriteTarget:
    item = {"pk": "a", "sk": Decimal(7), "x": "hello"}
    return prepare_put(_SPEC, item, None, None, None, "NONE").target


def test_the_prepared_key_is_reused_for_the_same_key_schema() -> None:
    target = _put_target()
    same = TableSpec("t", KeyAttribute("pk", "S"), KeyAttribute("sk", "N"))  # equal, not same
    assert target.encoded == _SPEC.encode_key(target.key)
    assert target.encoded_key(same) == target.encoded


def test_a_table_recreated_with_other_key_attributes_encodes_the_key_again() -> None:
    target = _put_target()
    # sk is now a string: the key prepared for a number no longer fits.
    with pytest.raises(ValidationError, match="Type mismatch"):
        target.encoded_key(TableSpec("t", KeyAttribute("pk", "S"), KeyAttribute("sk", "S")))
    # Only a partition key now: the key is encoded again, not taken as prepared.
    assert target.encoded_key(TableSpec("t", KeyAttribute("pk", "S"))) == (b"a", b"")


def test_the_prepared_size_is_reused_only_for_the_prepared_item() -> None:
    target = _put_target()
    assert target.sized is not None
    prepared, size = target.sized
    assert target.size_of(prepared) == size == item_size(prepared)
    # Another item (as an update computes in the transaction) is sized anew.
    other = validate_item({**prepared, "x": "a longer value"})
    assert target.size_of(other) == item_size(other) != size
