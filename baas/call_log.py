"""Who started which call: the record behind GraphQL's ``myCalls``.

Temporal knows every call, but finding a user's calls there would need a custom search
attribute registered on the cluster by its operator. baas keeps its own small record
instead, in a system table of the store, written when a signed-in user starts a call
(the first start only: an idempotent start of the same call adds nothing) and read
newest first. Each record expires after :data:`RETENTION_SECONDS`; a call Temporal
no longer knows is skipped when listed.

====================  =====================  ============================================
table                 key                    holds
====================  =====================  ============================================
_baas_calls           owner, call_id         target, started_at; index by_started (TTL)
====================  =====================  ============================================
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from storage import DocumentStore, IndexSpec, Item, KeyAttribute, TableSpec
from storage.errors import ConditionalCheckFailedError, ResourceInUseError

__all__ = [
    "CALLS_TABLE",
    "RETENTION_SECONDS",
    "CallRecord",
    "calls_of",
    "ensure_call_log",
    "record_call",
]

CALLS_TABLE = "_baas_calls"
BY_STARTED = "by_started"
RETENTION_SECONDS = 30 * 24 * 3600
_SPEC = TableSpec(
    CALLS_TABLE,
    KeyAttribute("owner"),
    KeyAttribute("call_id"),
    indexes=(IndexSpec(BY_STARTED, KeyAttribute("owner"), KeyAttribute("started_at")),),
    ttl_attribute="expires_at",
)


@dataclass(frozen=True)
class CallRecord:
    """One call a user started."""

    call_id: str
    target: str
    started_at: str


async def ensure_call_log(store: DocumentStore) -> None:
    """Create the table if it is missing (every API process may race to do so)."""
    with contextlib.suppress(ResourceInUseError):
        await store.create_table(_SPEC)


async def record_call(store: DocumentStore, owner: str, call_id: str, target: str) -> None:
    """Remember that ``owner`` started ``call_id`` (once: a repeat start keeps the first)."""
    now = time.time()
    item: Item = {
        "owner": owner,
        "call_id": call_id,
        "target": target,
        "started_at": datetime.fromtimestamp(now, UTC).isoformat(timespec="microseconds"),
        "expires_at": Decimal(int(now + RETENTION_SECONDS)),
    }
    with contextlib.suppress(ConditionalCheckFailedError):
        await store.put_item(CALLS_TABLE, item, condition="attribute_not_exists(call_id)")


async def calls_of(
    store: DocumentStore, owner: str, limit: int, start_key: Item | None
) -> tuple[list[CallRecord], Item | None]:
    """A page of ``owner``'s calls, newest first, and where the next page starts."""
    page = await store.query(
        CALLS_TABLE,
        "#owner = :owner",
        index=BY_STARTED,
        names={"#owner": "owner"},
        values={":owner": owner},
        limit=limit,
        exclusive_start_key=start_key,
        forward=False,
    )
    records = [
        CallRecord(str(item["call_id"]), str(item["target"]), str(item["started_at"]))
        for item in page.items
    ]
    return records, page.last_evaluated_key
