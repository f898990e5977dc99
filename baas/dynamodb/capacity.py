"""ConsumedCapacity, computed the way DynamoDB bills it.

DynamoDB Developer Guide, "Read/write capacity mode" and "Item sizes and formats":

- a read unit covers up to 4 KB read strongly consistently; eventually consistent
  reads cost half; transactional reads cost double. GetItem and each item of
  BatchGetItem round up per item; Query and Scan round up the sum of what they read.
- a write unit covers up to 1 KB; a write is billed on the larger of the item before
  and after it; transactional writes cost double; deleting a missing item still costs 1.
- each global secondary index that a write touches costs its own write units, sized by
  the attributes the index projects.

The response carries ``ConsumedCapacity`` only when the request asked for it with
``ReturnConsumedCapacity`` = ``TOTAL`` (totals) or ``INDEXES`` (also per table and index).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from baas.dynamodb.errors import validation_error
from storage.tables import IndexSpec, TableSpec, project_for_index
from storage.values import Item, item_size

__all__ = [
    "Consumption",
    "Mode",
    "read_units",
    "requested_mode",
    "write_consumption",
    "write_units",
]

Mode = Literal["NONE", "TOTAL", "INDEXES"]
_READ_UNIT = 4096
_WRITE_UNIT = 1024


def requested_mode(body: Mapping[str, Any]) -> Mode:
    """The request's ``ReturnConsumedCapacity`` (NONE when absent)."""
    mode = body.get("ReturnConsumedCapacity", "NONE")
    if mode not in ("NONE", "TOTAL", "INDEXES"):
        raise validation_error(
            f"1 validation error detected: Value '{mode}' at 'returnConsumedCapacity' failed "
            "to satisfy constraint: Member must satisfy enum value set: [INDEXES, TOTAL, NONE]"
        )
    return mode  # type: ignore[no-any-return]


def read_units(size: int, *, consistent: bool, transactional: bool = False) -> float:
    """Read units for ``size`` bytes read in one rounding (at least one unit)."""
    units = float(max(1, math.ceil(size / _READ_UNIT)))
    if transactional:
        return units * 2
    return units if consistent else units / 2


def write_units(size: int, *, transactional: bool = False) -> float:
    """Write units for one item of ``size`` bytes (at least one unit)."""
    units = float(max(1, math.ceil(size / _WRITE_UNIT)))
    return units * 2 if transactional else units


@dataclass
class Consumption:
    """Units consumed by one request on one table, split between table and indexes."""

    table: str
    kind: Literal["read", "write"]
    table_units: float = 0.0
    index_units: dict[str, float] = field(default_factory=dict)

    @property
    def total(self) -> float:
        """Table and index units together."""
        return self.table_units + sum(self.index_units.values())

    def add(self, other: Consumption) -> None:
        """Accumulate another consumption of the same table."""
        self.table_units += other.table_units
        for name, units in other.index_units.items():
            self.index_units[name] = self.index_units.get(name, 0.0) + units

    def to_wire(self, mode: Mode) -> dict[str, Any]:
        """The ``ConsumedCapacity`` element for ``mode`` (TOTAL or INDEXES)."""
        unit_field = "ReadCapacityUnits" if self.kind == "read" else "WriteCapacityUnits"
        wire: dict[str, Any] = {
            "TableName": self.table,
            "CapacityUnits": self.total,
            unit_field: self.total,
        }
        if mode == "INDEXES":
            wire["Table"] = {"CapacityUnits": self.table_units, unit_field: self.table_units}
            if self.index_units:
                wire["GlobalSecondaryIndexes"] = {
                    name: {"CapacityUnits": units, unit_field: units}
                    for name, units in self.index_units.items()
                }
        return wire


def write_consumption(
    spec: TableSpec, old: Item | None, new: Item | None, *, transactional: bool = False
) -> Consumption:
    """Units of one write that changes ``old`` into ``new`` (either may be None)."""
    size = max(item_size(old) if old else 0, item_size(new) if new else 0)
    consumption = Consumption(spec.name, "write", write_units(size, transactional=transactional))
    for index in spec.indexes:
        units = _index_write_units(spec, index, old, new, transactional)
        if units:
            consumption.index_units[index.name] = units
    return consumption


def _index_write_units(
    spec: TableSpec, index: IndexSpec, old: Item | None, new: Item | None, transactional: bool
) -> float:
    before = _projected(spec, index, old)
    after = _projected(spec, index, new)
    keys = [index.partition_key.name] + ([index.sort_key.name] if index.sort_key else [])
    if before is not None and after is not None and all(before[k] == after[k] for k in keys):
        # Same index key: one update of the index entry.
        return write_units(max(item_size(before), item_size(after)), transactional=transactional)
    # Otherwise the old entry is deleted and/or a new one put, each a write.
    return sum(
        write_units(item_size(entry), transactional=transactional)
        for entry in (before, after)
        if entry is not None
    )


def _projected(spec: TableSpec, index: IndexSpec, item: Item | None) -> Item | None:
    """The index entry of ``item``, or None when the item is not in the index."""
    if item is None or index.partition_key.name not in item:
        return None
    if index.sort_key is not None and index.sort_key.name not in item:
        return None
    return project_for_index(spec, index, item)
