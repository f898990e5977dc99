"""Tables whose feed keeps keys only, and compaction: what the file keeps of a secret."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from storage import DocumentStore, KeyAttribute, TableSpec
from storage.errors import ValidationError

from .conftest import open_backend_store

SECRET = "sEcReT-0f-the-kind-that-must-not-linger"


def _on_disk(directory: Path) -> bytes:
    """Every byte of the store's files: the database, its WAL and shared memory."""
    return b"".join(path.read_bytes() for path in sorted(directory.glob("store.db*")))


def _modes(directory: Path) -> dict[str, int]:
    return {path.name: stat.S_IMODE(path.stat().st_mode) for path in directory.glob("store.db*")}


async def test_keys_only_records_name_the_item_and_copy_nothing(store: DocumentStore) -> None:
    await store.create_table(TableSpec("vault", KeyAttribute("id"), stream_view="KEYS_ONLY"))
    await store.put_item("vault", {"id": "a", "secret": SECRET})
    await store.update_item("vault", {"id": "a"}, "SET secret = :s", values={":s": "other"})
    await store.delete_item("vault", {"id": "a"})
    records = await store.changes.read(0)
    assert [(r.event, r.keys, r.old_image, r.new_image) for r in records] == [
        ("INSERT", {"id": "a"}, None, None),
        ("MODIFY", {"id": "a"}, None, None),
        ("REMOVE", {"id": "a"}, None, None),
    ]
    assert (await store.table_spec("vault")).stream_view == "KEYS_ONLY"


async def test_an_unknown_view_is_refused(store: DocumentStore) -> None:
    with pytest.raises(ValidationError):
        await store.create_table(TableSpec("vault", KeyAttribute("id"), stream_view="NEW_IMAGE"))  # type: ignore[arg-type]


async def test_turning_keys_only_drops_past_images_and_compact_drops_their_bytes(
    backend: str, tmp_path: Path
) -> None:
    async with await open_backend_store(backend, tmp_path) as store:
        await store.create_table(TableSpec("vault", KeyAttribute("id")))
        await store.create_table(TableSpec("public", KeyAttribute("id")))
        await store.put_item("vault", {"id": "a", "secret": SECRET})
        await store.put_item("vault", {"id": "a", "secret": "replaced"})
        await store.put_item("public", {"id": "p", "note": "kept"})
        await store.update_table("vault", stream_view="KEYS_ONLY")
        await store.put_item("vault", {"id": "a", "secret": "sealed-now"})
        records = await store.changes.read(0)
        assert all(
            r.old_image is None and r.new_image is None for r in records if r.table == "vault"
        )
        assert [r.new_image for r in records if r.table == "public"] == [
            {"id": "p", "note": "kept"}
        ]
        await store.compact()
        assert SECRET.encode() not in _on_disk(tmp_path)
        assert await store.get_item("vault", {"id": "a"}) == {"id": "a", "secret": "sealed-now"}
    async with await open_backend_store(backend, tmp_path) as reopened:
        assert (await reopened.table_spec("vault")).stream_view == "KEYS_ONLY"
        assert (await reopened.table_spec("public")).stream_view == "NEW_AND_OLD_IMAGES"


async def test_a_new_store_is_readable_by_its_owner_only(backend: str, tmp_path: Path) -> None:
    async with await open_backend_store(backend, tmp_path) as store:
        await store.create_table(TableSpec("notes", KeyAttribute("id")))
        await store.put_item("notes", {"id": "a"})
        modes = _modes(tmp_path)
    assert set(modes) >= {"store.db", "store.db-wal", "store.db-shm"}
    assert all(mode == 0o600 for mode in modes.values()), modes
