"""``baas store``: moving an app between SQLite and PostgreSQL, migrating, backing up.

The commands run as a user runs them (the ``baas`` command in a subprocess); the
stores they leave are then read back, and served by a real API.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from baas.app import create_app
from baas.config import Settings
from storage import (
    DocumentStore,
    IndexSpec,
    KeyAttribute,
    PostgresConfig,
    SqliteConfig,
    TableSpec,
    open_store,
)
from storage.copy import table_checksum
from tests.postgres_server import drop_schema, schema_name
from tests.support import TEST_SECRET_KEY, free_port, serve_in_thread

ROOT = Path(__file__).resolve().parents[2]
ADMIN, PASSWORD = "ops@example.com", "correct-horse-battery-staple-42"


@pytest.fixture
def postgres_store(postgres_url: str) -> Iterator[str]:
    """The URL of an empty store on PostgreSQL (a schema of its own)."""
    schema = schema_name()
    try:
        yield f"{postgres_url}?schema={schema}"
    finally:
        drop_schema(postgres_url, schema)


def baas(
    *args: str, data_dir: Path, stdin: str = "", **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).parent / "baas"), *args],
        cwd=ROOT,
        input=stdin,
        env={
            **os.environ,
            "BAAS_DATA_DIR": str(data_dir),
            "BAAS_SECRET_KEY": TEST_SECRET_KEY,
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def _fill(store: DocumentStore) -> None:
    by_kind = IndexSpec("by_kind", KeyAttribute("kind"), KeyAttribute("n", "N"))
    await store.create_table(TableSpec("notes", KeyAttribute("id"), indexes=(by_kind,)))
    for n in range(620):  # more than one page of the copy
        await store.put_item("notes", {"id": f"note-{n}", "kind": f"k{n % 3}", "n": n})


async def _checksums(store: DocumentStore) -> dict[str, tuple[int, str]]:
    return {name: await table_checksum(store, name) for name in await store.list_tables()}


async def test_an_app_moves_from_sqlite_to_postgresql_and_back(
    tmp_path: Path, postgres_store: str
) -> None:
    created = baas(
        "users", "create-admin", "--email", ADMIN, "--create", data_dir=tmp_path, stdin=PASSWORD
    )
    assert created.returncode == 0, created.stderr
    async with open_store(SqliteConfig(tmp_path / "baas.sqlite3")) as sqlite_store:
        await _fill(sqlite_store)
        original = await _checksums(sqlite_store)
        latest = await sqlite_store.changes.latest_seq()

    moved = baas("store", "copy", "--to", postgres_store, data_dir=tmp_path)
    assert moved.returncode == 0, moved.stderr
    assert "counts and checksums match" in moved.stdout

    async with open_store(PostgresConfig.from_url(postgres_store)) as on_postgres:
        assert await _checksums(on_postgres) == original
        page = await on_postgres.query(
            "notes", index="by_kind", key_condition="kind = :k", values={":k": "k1"}
        )
        assert [item["n"] for item in page.items][:3] == [1, 4, 7]  # the index came along
        await on_postgres.put_item("notes", {"id": "after-the-move"})
        assert (await on_postgres.changes.read(0))[-1].seq > latest  # numbering goes on

    # The admin (and the sealed signing keys) moved too: the API on PostgreSQL signs in.
    settings = Settings.from_env(
        {
            "BAAS_STORE_URL": postgres_store,
            "BAAS_DATA_DIR": str(tmp_path / "api"),
            "BAAS_TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}",
            "BAAS_SECRET_KEY": TEST_SECRET_KEY,
        }
    )
    with serve_in_thread(create_app(settings)) as base:
        async with httpx.AsyncClient(base_url=base) as client:
            signin = await client.post("/auth/signin", json={"email": ADMIN, "password": PASSWORD})
    assert signin.status_code == 200, signin.text

    async with open_store(PostgresConfig.from_url(postgres_store)) as on_postgres:
        served = await _checksums(on_postgres)  # with the session the sign-in started
    back = tmp_path / "back.sqlite3"
    returned = baas(
        "store", "copy", "--from", postgres_store, "--to", f"sqlite:///{back}", data_dir=tmp_path
    )
    assert returned.returncode == 0, returned.stderr
    async with open_store(SqliteConfig(back)) as back_on_sqlite:
        assert await _checksums(back_on_sqlite) == served

    refused = baas("store", "copy", "--to", postgres_store, data_dir=tmp_path)
    assert refused.returncode == 1
    assert refused.stderr.strip().endswith("already has items in the destination")


async def test_migrate_creates_the_schema_and_refuses_a_newer_one(
    tmp_path: Path, postgres_store: str
) -> None:
    migrated = baas("store", "migrate", data_dir=tmp_path, BAAS_STORE_URL=postgres_store)
    assert migrated.returncode == 0, migrated.stderr
    assert "is up to date" in migrated.stdout
    database, _, schema = postgres_store.partition("?schema=")
    with psycopg.connect(database) as connection:
        connection.execute(
            f"UPDATE {schema}.meta SET value = 99 WHERE name = 'schema_version'"  # noqa: S608 - a test's own schema name
        )
    refused = baas("store", "migrate", data_dir=tmp_path, BAAS_STORE_URL=postgres_store)
    assert refused.returncode == 1
    assert "written by a newer version of baas" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1


async def test_backup_is_a_private_consistent_copy_of_a_live_sqlite_store(tmp_path: Path) -> None:
    async with open_store(SqliteConfig(tmp_path / "baas.sqlite3")) as store:
        await _fill(store)
        expected = await _checksums(store)
        made = baas("store", "backup", str(tmp_path / "copy.db"), data_dir=tmp_path)
        assert made.returncode == 0, made.stderr
    assert stat.S_IMODE((tmp_path / "copy.db").stat().st_mode) == 0o600
    async with open_store(SqliteConfig(tmp_path / "copy.db")) as copy:
        assert await _checksums(copy) == expected
    again = baas("store", "backup", str(tmp_path / "copy.db"), data_dir=tmp_path)
    assert again.returncode == 1
    assert "exists; give a new file" in again.stderr


def test_backup_of_a_postgresql_store_points_to_pg_dump(
    tmp_path: Path, postgres_store: str
) -> None:
    answered = baas(
        "store", "backup", str(tmp_path / "x.db"), data_dir=tmp_path, BAAS_STORE_URL=postgres_store
    )
    assert answered.returncode == 1
    assert "pg_dump --schema=" in answered.stderr
