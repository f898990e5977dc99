"""The request and result types of the store's multi-item operations.

Named and shaped like DynamoDB's (``PutRequest``, ``TransactWriteItems`` entries,
``UnprocessedKeys`` ...), in snake_case.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from storage.values import Item, ItemInput, Value

__all__ = [
    "BatchGet",
    "BatchGetResult",
    "BatchWriteResult",
    "DeleteRequest",
    "Page",
    "PartitionQuery",
    "PutRequest",
    "ReturnValues",
    "Select",
    "TransactConditionCheck",
    "TransactDelete",
    "TransactGet",
    "TransactPut",
    "TransactUpdate",
    "TransactWriteItem",
]

ReturnValues = Literal["NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"]
Select = Literal["ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES", "SPECIFIC_ATTRIBUTES", "COUNT"]
Names = Mapping[str, str] | None
Values = ItemInput | None


@dataclass(frozen=True)
class Page:
    """One page of a query or scan.

    ``count`` items matched the filter (``items`` is empty for Select=COUNT);
    ``scanned_count`` items were evaluated; ``last_evaluated_key`` is where the next
    page starts (pass it as ``exclusive_start_key``), None on the last page.
    """

    items: list[Item]
    count: int
    scanned_count: int
    last_evaluated_key: Item | None


@dataclass(frozen=True)
class PartitionQuery:
    """One partition of ``query_partitions``: its partition key value, and where its page
    starts (the ``last_evaluated_key`` of its previous page, or None)."""

    partition: Value
    exclusive_start_key: ItemInput | None = None


@dataclass(frozen=True)
class BatchGet:
    """The keys to read from one table in ``batch_get``."""

    keys: Sequence[ItemInput]
    projection: str | None = None
    names: Names = None
    consistent: bool = False


@dataclass(frozen=True)
class BatchGetResult:
    """Items found per table; ``unprocessed_keys`` is what to retry (normally empty)."""

    responses: dict[str, list[Item]]
    unprocessed_keys: dict[str, BatchGet] = field(default_factory=dict)


@dataclass(frozen=True)
class PutRequest:
    """Put one item in ``batch_write``."""

    item: ItemInput


@dataclass(frozen=True)
class DeleteRequest:
    """Delete one item in ``batch_write``."""

    key: ItemInput


@dataclass(frozen=True)
class BatchWriteResult:
    """Requests to retry (normally empty)."""

    unprocessed_items: dict[str, list[PutRequest | DeleteRequest]] = field(default_factory=dict)


@dataclass(frozen=True)
class TransactPut:
    """Put an item in a transaction, optionally under a condition."""

    table: str
    item: ItemInput
    condition: str | None = None
    names: Names = None
    values: Values = None
    return_values_on_condition_check_failure: Literal["NONE", "ALL_OLD"] = "NONE"


@dataclass(frozen=True)
class TransactUpdate:
    """Update an item in a transaction."""

    table: str
    key: ItemInput
    update: str
    condition: str | None = None
    names: Names = None
    values: Values = None
    return_values_on_condition_check_failure: Literal["NONE", "ALL_OLD"] = "NONE"


@dataclass(frozen=True)
class TransactDelete:
    """Delete an item in a transaction."""

    table: str
    key: ItemInput
    condition: str | None = None
    names: Names = None
    values: Values = None
    return_values_on_condition_check_failure: Literal["NONE", "ALL_OLD"] = "NONE"


@dataclass(frozen=True)
class TransactConditionCheck:
    """Require a condition on an item that the transaction does not change."""

    table: str
    key: ItemInput
    condition: str
    names: Names = None
    values: Values = None
    return_values_on_condition_check_failure: Literal["NONE", "ALL_OLD"] = "NONE"


TransactWriteItem = TransactPut | TransactUpdate | TransactDelete | TransactConditionCheck


@dataclass(frozen=True)
class TransactGet:
    """Read one item in ``transact_get``."""

    table: str
    key: ItemInput
    projection: str | None = None
    names: Names = None
