"""Tables whose feed keeps keys only, and compaction: what the file keeps of a secret."""

from __future__ import annotations

import stat
from pathlib import Path

import psycopg
import pytest

from storage import DocumentStore, KeyAttribute, TableSpec
from storage.errors import ValidationError

from .conftest import open_backend_store

SECRET = "sEcReT-0f-the-kind-that-must-not-linger"


def _on_disk(backend: str, location: str) -> bytes:
    """Every byte of the store's files: for SQLite the database, its WAL and shared
    memory; for PostgreSQL the files of the schema's tables (and their TOAST tables)."""
    if backend != "postgres":
        return b"".join(path.read_bytes() for path in sorted(Path(location).glob("store.db*")))
    database, _, schema = location.partition("?schema=")
    with psycopg.connect(database) as connection:
        directory = connection.execute("SHOW data_directory").fetchone()
        rows = connection.execute(
            "SELECT pg_relation_filepath(c.oid) FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s"
            " UNION SELECT pg_relation_filepath(c.reltoastrelid) FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = %s AND c.reltoastrelid <> 0",
            (schema, schema),
        ).fetchall()
        connection.execute("CHECKPOINT")  # the pages reach their files
    assert directory is not None
    files = [Path(directory[0]) / row[0] for row in rows if row[0]]
    return b"".join(path.read_bytes() for path in files if path.exists())


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
    backend: str, location: str
) -> None:
    async with await open_backend_store(backend, location) as store:
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
        assert SECRET.encode() in _on_disk(backend, location)  # the check can see it
        await store.compact()
        assert SECRET.encode() not in _on_disk(backend, location)
        assert await store.get_item("vault", {"id": "a"}) == {"id": "a", "secret": "sealed-now"}
    async with await open_backend_store(backend, location) as reopened:
        assert (await reopened.table_spec("vault")).stream_view == "KEYS_ONLY"
        assert (await reopened.table_spec("public")).stream_view == "NEW_AND_OLD_IMAGES"


@pytest.mark.parametrize("sqlite_backend", ["sqlite", "sqlite-normal"])
async def test_a_new_store_is_readable_by_its_owner_only(
    sqlite_backend: str, tmp_path: Path
) -> None:
    # (A PostgreSQL store's files are the database server's, under its own modes.)
    async with await open_backend_store(sqlite_backend, str(tmp_path)) as store:
        await store.create_table(TableSpec("notes", KeyAttribute("id")))
        await store.put_item("notes", {"id": "a"})
        modes = _modes(tmp_path)
    assert set(modes) >= {"store.db", "store.db-wal", "store.db-shm"}
    assert all(mode == 0o600 for mode in modes.values()), modes
