"""The conformance suite runs against every backend listed in ``BACKENDS``.

To add a backend, add its name here and teach :func:`open_backend_store` to open it;
every test in this folder then runs against it too.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage import DocumentStore, KeyAttribute, SqliteConfig, TableSpec, open_store

# "sqlite-normal" is SQLite with synchronous=NORMAL, where an idle writer commits a
# write inline on the event loop instead of on its thread: both paths must conform.
BACKENDS = ["sqlite", "sqlite-normal"]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


async def open_backend_store(backend: str, path: Path, **options: float) -> DocumentStore:
    """A store on ``backend`` keeping its data under ``path``."""
    if backend == "sqlite":
        return await open_store(SqliteConfig(path / "store.db", **options))  # type: ignore[arg-type]
    if backend == "sqlite-normal":
        config = SqliteConfig(path / "store.db", synchronous="NORMAL", **options)  # type: ignore[arg-type]
        return await open_store(config)
    raise NotImplementedError(backend)


@pytest.fixture
async def store(backend: str, tmp_path: Path) -> AsyncIterator[DocumentStore]:
    async with await open_backend_store(
        backend, tmp_path, ttl_sweep_interval_seconds=0.2
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
