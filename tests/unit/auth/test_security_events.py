"""The security-event recorder: only known types and detail keys, denials sampled, events
stored in the background and gone once their time is up."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from auth.rules import Caller
from auth.security_event_store import SecurityEvent, SecurityEventStore
from auth.security_events import DenialSampler, Origin, SecurityEventLog
from auth.system_tables import SECURITY_EVENTS_TABLE, ensure_system_tables
from storage import DocumentStore, SqliteConfig, open_store
from tests.unit.auth.auth_fakes import FakeClock


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[DocumentStore]:
    config = SqliteConfig(tmp_path / "events.sqlite3", ttl_sweep_interval_seconds=0.1)
    async with open_store(config) as opened:
        await ensure_system_tables(opened)
        yield opened


def test_denials_are_sampled_per_caller_table_and_operation() -> None:
    clock = FakeClock()
    sampler = DenialSampler(window=60, max_keys=2, clock=clock)
    assert sampler.admit("u1", "Note", "get") == 0
    assert sampler.admit("u1", "Note", "get") is None
    assert sampler.admit("u1", "Note", "get") is None
    assert sampler.admit("u1", "Note", "list") == 0  # another operation: its own sample
    clock.advance(61)
    assert sampler.admit("u1", "Note", "get") == 2  # the repeats, reported with the next
    assert sampler.admit("u2", "Note", "get") == 0  # a third key: the oldest is forgotten
    assert sampler.admit("u1", "Note", "list") == 0


async def test_only_known_types_and_detail_keys(store: DocumentStore) -> None:
    log = SecurityEventLog(SecurityEventStore(store, retention=60))
    with pytest.raises(ValueError, match="password"):
        log.record("sign_in_failed", password="hunter2")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown"):
        log.record("made_up")  # type: ignore[arg-type]


async def test_events_are_stored_in_the_background_with_their_origin(
    store: DocumentStore,
) -> None:
    log = SecurityEventLog(
        SecurityEventStore(store, retention=60),
        origin=lambda: Origin("req-1", "192.0.2.7"),
    )
    await log.start()
    for n in range(30):  # more than one batch
        log.record("sign_in_succeeded", user_id=f"u{n % 3}", method="password")
    log.denied(Caller.user("u1", ()), "Note", "delete")
    log.denied(Caller.user("u1", ()), "Note", "delete")  # sampled away
    await log.stop()  # flushes what is queued
    events, cursor = await log.store.page(user_id="u1", limit=100)
    assert cursor is None
    assert [e.type for e in events].count("sign_in_succeeded") == 10
    assert [e.type for e in events].count("access_denied") == 1
    assert {(e.request_id, e.address) for e in events} == {("req-1", "192.0.2.7")}
    assert events[0].detail == {"table": "Note", "operation": "delete", "repeated": 0}
    typed, _ = await log.store.page(user_id="u1", event_type="access_denied", limit=100)
    assert [e.type for e in typed] == ["access_denied"]


async def test_an_event_is_gone_once_its_time_is_up(store: DocumentStore) -> None:
    events = SecurityEventStore(store, retention=1)
    old = SecurityEvent(
        f"{int((time.time() - 5) * 1000):013d}{'0' * 12}", time.time() - 5, "signed_out"
    )
    new = SecurityEvent(f"{int(time.time() * 1000):013d}{'1' * 12}", time.time(), "signed_out")
    await events.put_all([old, new])
    listed, _ = await events.page(limit=10)
    assert [e.event_id for e in listed] == [new.event_id]  # expired: not listed
    # And the store's TTL sweeper deletes it.
    key = {"stream": "events", "event_id": old.event_id}
    deadline = time.monotonic() + 5
    while await store.get_item(SECURITY_EVENTS_TABLE, key) is not None:
        assert time.monotonic() < deadline, "the expired event was never swept"
        await asyncio.sleep(0.05)
