"""The conformance suite runs against every backend listed in ``BACKENDS``.

To add a backend, add its name here and teach :func:`open_backend_store` to open it;
every test in this folder then runs against it too.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from storage import (
    DocumentStore,
    KeyAttribute,
    PostgresConfig,
    SqliteConfig,
    StoreConfig,
    TableSpec,
    open_store,
)
from tests.postgres_server import drop_schema, schema_name

# "sqlite-normal" is SQLite with synchronous=NORMAL, where an idle writer commits a
# write inline on the event loop instead of on its thread: both paths must conform.
# "postgres" runs on a real PostgreSQL server, a schema of its own per test.
BACKENDS = ["sqlite", "sqlite-normal", "postgres"]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def location(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """Where the test's store keeps its data: a folder, or a PostgreSQL URL with a schema."""
    if backend != "postgres":
        yield str(tmp_path)
        return
    database: str = request.getfixturevalue("postgres_url")
    schema = schema_name()
    try:
        yield f"{database}?schema={schema}"
    finally:
        drop_schema(database, schema)


async def open_backend_store(backend: str, location: str, **options: float) -> DocumentStore:
    """A store on ``backend`` keeping its data at ``location`` (see the fixture)."""
    config: StoreConfig
    if backend == "sqlite":
        config = SqliteConfig(Path(location) / "store.db", **options)  # type: ignore[arg-type]
    elif backend == "sqlite-normal":
        config = SqliteConfig(Path(location) / "store.db", synchronous="NORMAL", **options)  # type: ignore[arg-type]
    elif backend == "postgres":
        config = PostgresConfig.from_url(location, **options)
    else:
        raise NotImplementedError(backend)
    return await open_store(config)


@pytest.fixture
async def store(backend: str, location: str) -> AsyncIterator[DocumentStore]:
    async with await open_backend_store(
        backend, location, ttl_sweep_interval_seconds=0.2
    ) as opened:
        yield opened


@pytest.fixture
async def table(store: DocumentStore) -> str:
    """A table keyed by pk (S) and sk (N)."""
    await store.create_table(TableSpec("items", KeyAttribute("pk", "S"), KeyAttribute("sk", "N")))
    return "items"


@pytest.fixture
async def simple(store: DocumentStore) -> str:
    """A table keyed by id (S) only."""
    await store.create_table(TableSpec("simple", KeyAttribute("id", "S")))
    return "simple"
