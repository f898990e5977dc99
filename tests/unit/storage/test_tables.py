"""Table specs: validation, catalog serialisation and key extraction."""

from __future__ import annotations

from decimal import Decimal

import pytest

from storage.errors import ValidationError
from storage.tables import (
    IndexProjection,
    IndexSpec,
    KeyAttribute,
    TableSpec,
    index_key,
    project_for_index,
    spec_from_json,
    spec_to_json,
    validate_spec,
)
from storage.values import Item

SPEC = TableSpec(
    "orders",
    KeyAttribute("customer"),
    KeyAttribute("placed", "N"),
    indexes=(
        IndexSpec("byStatus", KeyAttribute("status"), KeyAttribute("total", "N")),
        IndexSpec(
            "some", KeyAttribute("region", "B"), projection=IndexProjection("INCLUDE", ("x",))
        ),
    ),
    ttl_attribute="expires",
)


def test_catalog_form_round_trips() -> None:
    assert spec_from_json(spec_to_json(SPEC)) == SPEC


def test_keys_are_extracted_and_encoded() -> None:
    item: Item = {"customer": "c", "placed": Decimal(3), "status": "new", "total": Decimal(5)}
    assert SPEC.key_of(item) == {"customer": "c", "placed": Decimal(3)}
    assert SPEC.encode_key(item)[0] == b"c"
    assert SPEC.validate_key({"customer": "c", "placed": 3}) == SPEC.encode_key(item)
    assert index_key(SPEC.indexes[0], item) is not None
    assert index_key(SPEC.indexes[1], item) is None  # no region: not in that index


def test_index_projection_keeps_keys_and_included_attributes() -> None:
    item: Item = {
        "customer": "c",
        "placed": Decimal(1),
        "region": b"r",
        "x": "kept",
        "y": "dropped",
    }
    assert project_for_index(SPEC, SPEC.indexes[1], item) == {
        "customer": "c",
        "placed": Decimal(1),
        "region": b"r",
        "x": "kept",
    }


@pytest.mark.parametrize(
    "spec",
    [
        TableSpec("ok-name", KeyAttribute("")),
        TableSpec(
            "ok-name", KeyAttribute("id"), indexes=(IndexSpec("dup", KeyAttribute("a")),) * 2
        ),
        TableSpec(
            "ok-name",
            KeyAttribute("id"),
            indexes=(
                IndexSpec("idx", KeyAttribute("a"), projection=IndexProjection("ALL", ("x",))),
            ),
        ),
    ],
)
def test_invalid_specs_are_refused(spec: TableSpec) -> None:
    with pytest.raises(ValidationError):
        validate_spec(spec)
