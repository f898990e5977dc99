"""Where persisted GraphQL documents are kept: two system tables every API process shares.

=======================  ==========  =====================================================
table                    key         holds
=======================  ==========  =====================================================
_baas_graphql_documents  id          the operator's documents (``baas graphql register``
                                     from a manifest): id, body, operation name and type
_baas_graphql_apq        slot (N)    documents clients registered by automatic persisted
                                     queries: a bounded cache, hash and body per slot
=======================  ==========  =====================================================

The operator's documents are the allow-list of ``BAAS_GRAPHQL_PERSISTED_ONLY`` and are
served by id in either mode; they change only by the command line.

Client registrations are a cache with a fixed number of slots (threat: a client filling
the store with documents). A document may live in one of two slots chosen by its hash
(two-way set associative, so two hot documents rarely evict each other); registering
takes a free one or replaces the older of the two. The table never holds more than
``slots`` items, needs no counter, and a stale document is pushed out by newer ones. An
evicted document costs its clients one round trip: the protocol has them send it again.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from storage import BatchGet, DocumentStore, Item, KeyAttribute, TableSpec
from storage.errors import ResourceInUseError

__all__ = [
    "APQ_TABLE",
    "DOCUMENTS_TABLE",
    "ManifestOperation",
    "apq_document",
    "ensure_persisted_tables",
    "manifest_document",
    "manifest_ids",
    "register_apq",
    "register_manifest",
    "remove_manifest",
]

DOCUMENTS_TABLE = "_baas_graphql_documents"
APQ_TABLE = "_baas_graphql_apq"
_SPECS = (
    TableSpec(DOCUMENTS_TABLE, KeyAttribute("id"), stream_view="KEYS_ONLY"),
    TableSpec(APQ_TABLE, KeyAttribute("slot", "N"), stream_view="KEYS_ONLY"),
)


@dataclass(frozen=True)
class ManifestOperation:
    """One operation of a persisted query manifest."""

    id: str
    body: str
    name: str | None = None
    type: str | None = None


async def ensure_persisted_tables(store: DocumentStore, apq_slots: int | None = None) -> None:
    """Create the two tables if they are missing (every API process may race to do so).

    With ``apq_slots`` (the setting), the documents of slots past it are dropped: kept
    under a larger setting, they would stay in the table, never read and never replaced.
    """
    existing = set(await store.list_tables())
    for spec in _SPECS:
        if spec.name not in existing:
            with contextlib.suppress(ResourceInUseError):
                await store.create_table(spec)
    if apq_slots is not None:
        await _drop_slots_from(store, apq_slots)


async def _drop_slots_from(store: DocumentStore, first: int) -> None:
    start: Item | None = None
    while True:
        page = await store.scan(
            APQ_TABLE,
            filter="#slot >= :first",
            projection="#slot",
            names={"#slot": "slot"},
            values={":first": Decimal(first)},
            exclusive_start_key=start,
        )
        for item in page.items:
            await store.delete_item(APQ_TABLE, {"slot": item["slot"]})
        start = page.last_evaluated_key
        if start is None:
            return


async def manifest_document(store: DocumentStore, document_id: str) -> str | None:
    """The body the operator registered under ``document_id``, or None."""
    item = await store.get_item(DOCUMENTS_TABLE, {"id": document_id})
    return str(item["body"]) if item else None


async def manifest_ids(store: DocumentStore) -> set[str]:
    """Every registered id (for ``register --prune``)."""
    ids: set[str] = set()
    start: Item | None = None
    while True:
        page = await store.scan(
            DOCUMENTS_TABLE, projection="#id", names={"#id": "id"}, exclusive_start_key=start
        )
        ids.update(str(item["id"]) for item in page.items)
        start = page.last_evaluated_key
        if start is None:
            return ids


async def register_manifest(store: DocumentStore, operations: Sequence[ManifestOperation]) -> None:
    """Store (or replace) each operation under its id."""
    now = Decimal(int(time.time()))
    for operation in operations:
        item: Item = {"id": operation.id, "body": operation.body, "registered_at": now}
        if operation.name:
            item["name"] = operation.name
        if operation.type:
            item["type"] = operation.type
        await store.put_item(DOCUMENTS_TABLE, item)


async def remove_manifest(store: DocumentStore, ids: Sequence[str]) -> None:
    """Forget the operator's documents ``ids``."""
    for document_id in ids:
        await store.delete_item(DOCUMENTS_TABLE, {"id": document_id})


def _slots(sha256: str, slots: int) -> tuple[int, int]:
    """The two slots a document may take, from two independent parts of its hash."""
    return int(sha256[:8], 16) % slots, int(sha256[8:16], 16) % slots


async def apq_document(store: DocumentStore, sha256: str, slots: int) -> str | None:
    """The body a client registered with this hash, or None (never registered, evicted)."""
    found = await _read_slots(store, sha256, slots)
    for item in found:
        if item.get("hash") == sha256:
            return str(item["body"])
    return None


async def register_apq(store: DocumentStore, sha256: str, body: str, slots: int) -> None:
    """Keep ``body`` (whose sha256 the caller checked) in a free slot or the older one."""
    first, second = _slots(sha256, slots)
    by_slot = {int(str(item["slot"])): item for item in await _read_slots(store, sha256, slots)}
    if any(item.get("hash") == sha256 for item in by_slot.values()):
        return
    free = [slot for slot in (first, second) if slot not in by_slot]
    if free:
        slot = free[0]
    else:  # both taken: replace the one registered longer ago
        slot = min((first, second), key=lambda s: Decimal(str(by_slot[s]["registered_at"])))
    item: Item = {
        "slot": Decimal(slot),
        "hash": sha256,
        "body": body,
        "registered_at": Decimal(str(round(time.time(), 3))),
    }
    # Two processes writing one slot at once: the last write wins, the other document
    # is re-sent by its clients when they next miss it. A cache can afford that.
    await store.put_item(APQ_TABLE, item)


async def _read_slots(store: DocumentStore, sha256: str, slots: int) -> list[Item]:
    first, second = _slots(sha256, slots)
    keys = [{"slot": Decimal(first)}] + ([{"slot": Decimal(second)}] if second != first else [])
    result = await store.batch_get({APQ_TABLE: BatchGet(keys)})
    return result.responses.get(APQ_TABLE, [])
