"""TTL: expired items are deleted by the background sweeper as system deletes."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal

from storage import DocumentStore, KeyAttribute, TableSpec

FIVE_YEARS = 5 * 365 * 24 * 3600


async def test_expired_items_are_swept_and_recorded_as_system_deletes(store: DocumentStore) -> None:
    await store.create_table(TableSpec("sessions", KeyAttribute("id"), ttl_attribute="expires"))
    now = int(time.time())
    await store.put_item("sessions", {"id": "past", "expires": now - 10})
    await store.put_item("sessions", {"id": "future", "expires": now + 3600})
    await store.put_item("sessions", {"id": "ancient", "expires": now - FIVE_YEARS - 3600})
    await store.put_item("sessions", {"id": "text", "expires": str(now - 10)})
    await store.put_item("sessions", {"id": "none"})
    seq = await store.changes.latest_seq()
    for _ in range(50):  # the fixture sweeps every 0.2 s
        if await store.get_item("sessions", {"id": "past"}) is None:
            break
        await asyncio.sleep(0.05)
    remaining = sorted(item["id"] for item in (await store.scan("sessions")).items)  # type: ignore[type-var]
    assert remaining == ["ancient", "future", "none", "text"]
    (record,) = await store.changes.read(seq)
    assert (record.event, record.system, record.keys) == ("REMOVE", True, {"id": "past"})
    assert record.old_image == {"id": "past", "expires": Decimal(now - 10)}


async def test_setting_the_ttl_attribute_later_applies_to_existing_items(
    store: DocumentStore, simple: str
) -> None:
    await store.put_item(simple, {"id": "old", "gone": int(time.time()) - 5})
    assert await store.sweep_expired() == 0
    await store.update_ttl(simple, "gone")
    await store.sweep_expired()  # or the background sweeper got there first
    assert await store.get_item(simple, {"id": "old"}) is None


async def test_clearing_the_ttl_attribute_stops_expiry(store: DocumentStore, simple: str) -> None:
    await store.update_ttl(simple, "gone")
    await store.update_ttl(simple, None)
    await store.put_item(simple, {"id": "stays", "gone": int(time.time()) - 5})
    assert await store.sweep_expired() == 0
