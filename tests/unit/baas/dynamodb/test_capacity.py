"""ConsumedCapacity as DynamoDB computes it (Developer Guide, capacity units)."""

from __future__ import annotations

import pytest

from baas.dynamodb.capacity import read_units, write_consumption, write_units
from storage.tables import IndexProjection, IndexSpec, KeyAttribute, TableSpec


@pytest.mark.parametrize(
    ("size", "consistent", "transactional", "units"),
    [
        (0, False, False, 0.5),
        (4096, False, False, 0.5),
        (4097, False, False, 1.0),
        (4097, True, False, 2.0),
        (100, True, True, 2.0),
        (9000, True, True, 6.0),
    ],
)
def test_read_units(size: int, consistent: bool, transactional: bool, units: float) -> None:
    assert read_units(size, consistent=consistent, transactional=transactional) == units


@pytest.mark.parametrize(
    ("size", "transactional", "units"),
    [(0, False, 1.0), (1024, False, 1.0), (1025, False, 2.0), (1025, True, 4.0)],
)
def test_write_units(size: int, transactional: bool, units: float) -> None:
    assert write_units(size, transactional=transactional) == units


SPEC = TableSpec(
    "users",
    KeyAttribute("id"),
    indexes=(
        IndexSpec("by-email", KeyAttribute("email"), projection=IndexProjection("KEYS_ONLY")),
        IndexSpec("by-team", KeyAttribute("team")),
    ),
)


def test_a_write_is_billed_on_the_larger_image_and_per_index() -> None:
    old = {"id": "u1", "email": "a@x", "bio": "x" * 2000}
    new = {"id": "u1", "email": "b@x", "team": "t"}
    consumption = write_consumption(SPEC, old, new)
    assert consumption.table_units == 2.0  # the old image is 2 KB
    # by-email: the key changed, so one delete and one put; by-team: one put.
    assert consumption.index_units == {"by-email": 2.0, "by-team": 1.0}
    wire = consumption.to_wire("INDEXES")
    assert wire["CapacityUnits"] == 5.0
    assert wire["GlobalSecondaryIndexes"]["by-team"] == {
        "CapacityUnits": 1.0,
        "WriteCapacityUnits": 1.0,
    }
    assert "Table" not in consumption.to_wire("TOTAL")


def test_an_item_outside_every_index_costs_only_the_table() -> None:
    consumption = write_consumption(SPEC, None, {"id": "u2"}, transactional=True)
    assert consumption.total == 2.0
    assert consumption.index_units == {}
